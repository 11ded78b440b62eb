"""A unit's current document set over its messages: the latest copy of each form wins."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from intake.record.units import merge_unit, unit_key, unit_received_at
from parsers.result import DocumentResult
from rules import evaluate
from tests.rules import builders as B

SH = ZoneInfo("Asia/Shanghai")
T1, T2, T3 = (datetime(2020, 9, d, 10, tzinfo=SH) for d in (10, 12, 17))


def test_unit_key_normalises():
    assert unit_key(" 江苏省　质量 协会 ", "a@b.cn") == "江苏省质量协会"
    assert unit_key("ＡＢＣ质协", None) == "ABC质协"
    assert unit_key(None, " ZhangSan@Example-ZhiXie.CN ") == "zhangsan@example-zhixie.cn"
    assert unit_key("", "X@Y.CN") == "x@y.cn"


def test_correction_replaces_the_form_and_completes_the_unit(campaign):
    first = [d for d in B.submission() if d.form != "statistics"]
    first = [B.application(0, mobile="1381234567") if d.filename == B.application(0).filename else d for d in first]
    second = [B.statistics(), B.application(0)]
    merged = merge_unit([(T1, first), (T2, second)])
    assert sum(d.form == "statistics" for d in merged) == 1
    words = [d for d in merged if d.form == "application" and d.format == "docx" and "攀登" in d.filename]
    assert len(words) == 1 and words[0].fields["mobile"] == "13812345678"
    assert evaluate(campaign, merged, unit_received_at([(T1, first), (T2, second)]), []) == []
    # the same messages given out of order give the same set
    assert [d.filename for d in merge_unit([(T2, second), (T1, first)])] == [d.filename for d in merged]


def test_per_group_replacement_keeps_other_groups():
    first = B.submission()
    newer = B.application(1, topic="新课题")
    merged = merge_unit([(T1, first), (T2, [newer])])
    apps = [d for d in merged if d.form == "application" and d.format == "docx"]
    assert sorted(d.fields["topic"] for d in apps) == ["新课题", "降低装置能耗"]


def test_submission_form_sent_twice_in_one_message_stays_together():
    xlsx, pdf = B.statistics(), B.statistics()
    pdf.filename, pdf.format = "附件3 统计表.pdf", "pdf"
    merged = merge_unit([(T1, [B.statistics(mobile="1")]), (T2, [xlsx, pdf])])
    stats = [d for d in merged if d.form == "statistics"]
    assert [d.filename for d in stats] == ["附件3 统计表.xlsx", "附件3 统计表.pdf"]
    assert all(d.fields["mobile"] != "1" for d in stats)


def test_scanned_copies_are_keyed_by_file_name():
    a, b = B.scanned_application_pdf(0), B.scanned_application_pdf(1)
    merged = merge_unit([(T1, [a]), (T2, [b])])
    assert len(merged) == 2


def test_unknown_files_only_from_latest_message():
    old = DocumentResult("旧说明.docx", None, "docx", "unknown")
    new = DocumentResult("新说明.docx", None, "docx", "unknown")
    merged = merge_unit([(T1, [old, B.summary()]), (T2, [new])])
    assert [d.filename for d in merged] == ["附件2 工作总结.docx", "新说明.docx"]


def test_unit_lateness_follows_the_latest_contributing_message(campaign):
    msgs = [(T1, B.submission()), (T3, [B.statistics()])]  # a late correction
    assert unit_received_at(msgs) == T3 and campaign.is_late(unit_received_at(msgs))
    assert unit_received_at([(T1, B.submission()), (T3, [])]) == T1  # a late message adding nothing
    assert unit_received_at([(None, [B.summary()])]) is None
