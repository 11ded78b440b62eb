"""Through the real pipeline's judge(): contract status from the rules' findings and the deadline."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from intake.contract import MessageInfo
from intake.pipeline import judge
from tests.rules import builders as B

SH = ZoneInfo("Asia/Shanghai")
INFO = MessageInfo("<1@example.org>", "zhangsan@example-zhixie.cn", "2020年QC小组推荐材料", None)


def test_complete(campaign):
    result = judge(campaign, INFO, B.submission(), datetime(2020, 9, 15, 23, 59, 59, tzinfo=SH))
    assert result.status == "complete" and result.findings == []


def test_incomplete_with_contract_shaped_findings(campaign):
    docs = [d for d in B.submission() if d.form != "statistics"]
    docs = B.replace(docs, B.application(0, mobile="1381234567"))
    out = judge(campaign, INFO, docs, datetime(2020, 9, 10, 9, tzinfo=SH)).to_json()
    assert out["status"] == "incomplete"
    by_rule = {f["rule"]: f for f in out["findings"]}
    assert by_rule["statistics.missing"] == {
        "rule": "statistics.missing", "severity": "error", "form": "statistics", "document": None, "field": None,
        "message": by_rule["statistics.missing"]["message"]}
    mobile = by_rule["application.mobile.format"]
    assert (mobile["form"], mobile["field"], mobile["document"]) == ("application", "mobile",
                                                                     B.application(0).filename)
    assert "1381234567" in mobile["message"]


def test_late_beats_incomplete(campaign):
    result = judge(campaign, INFO, [], datetime(2020, 9, 16, 0, 0, tzinfo=SH))
    assert result.status == "late"
    assert result.findings[0].rule == "deadline.late"


def test_warnings_only_is_complete(campaign):
    docs = [d for d in B.submission() if d.form != "evidence"]
    result = judge(campaign, INFO, docs, None)
    assert result.status == "complete" and [f.rule for f in result.findings] == ["evidence.missing"]
