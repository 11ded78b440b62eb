"""The Chinese receipt: subject, threading and loop-prevention headers, and what the body tells the unit."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from intake.config import Config
from intake.reply.receipt import UnitSummary, compose_receipt, receipt_subject
from intake.reply.suppress import no_receipt_reason
from intake.unpack import Unpacked
from parsers.result import DocumentResult
from rules.findings import Finding
from tests.reply.conftest import build_email, make_unpacked, unpacked_from


def result_json(**over: Any) -> dict[str, Any]:
    """A contract result of an incomplete submission (shape of shared/contract/check-json.md)."""
    out: dict[str, Any] = {
        "message": {"message_id": "<20200914103100.1234@163.com>", "from": "zhangsan@163.com",
                    "subject": "江苏省质量协会2020年QC小组推荐材料",
                    "received_at": "2020-09-14T02:31:00+00:00"},
        "documents": [
            {"filename": "江苏推荐材料.zip", "container": None, "format": "zip", "form": "unknown", "fields": {}},
            {"filename": "附件1 申报表（降低线损率）.docx", "container": "江苏推荐材料.zip", "format": "docx",
             "form": "application",
             "fields": {"company": "国网南京供电公司", "group_name": "蓝天QC小组", "topic": "降低10kV线路线损率",
                        "mobile": "1381234567"}},
            {"filename": "附件4 推荐表.xlsx", "container": None, "format": "xlsx", "form": "recommendation",
             "fields": {"recommender": "江苏省质量协会", "groups": [{"seq": 1}, {"seq": 2}], "judges": []}},
            {"filename": "说明.txt", "container": None, "format": "txt", "form": "unknown", "fields": {}},
        ],
        "findings": [
            {"rule": "application.mobile.format", "severity": "error", "form": "application",
             "document": "附件1 申报表（降低线损率）.docx", "field": "mobile",
             "message": "申报表“手机”应为11位手机号码，收到“1381234567”"},
            {"rule": "forms.required.review", "severity": "error", "form": "review", "document": None,
             "field": None, "message": "缺少附件5 质量管理小组成果评审汇总表"},
            {"rule": "recommendation.judges.empty", "severity": "warning", "form": "recommendation",
             "document": "附件4 推荐表.xlsx", "field": "judges", "message": "推荐表未填写推荐评委"},
        ],
        "status": "incomplete",
        "recommender": "江苏省质量协会",
    }
    out.update(over)
    return out


def body_of(msg: EmailMessage, kind: str = "plain") -> str:
    parsed = message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.default)
    part = parsed.get_body((kind,))
    assert part is not None
    return part.get_content()


@pytest.fixture
def receipt(cfg: Config, campaign: Any) -> EmailMessage:
    return compose_receipt(cfg, campaign, make_unpacked(), result_json(), None)


@pytest.mark.parametrize(("original", "expected"), [
    ("江苏省质量协会2020年QC小组推荐材料", "回执：江苏省质量协会2020年QC小组推荐材料"),
    ("", "回执：（无主题）"),
    (None, "回执：（无主题）"),
    ("   ", "回执：（无主题）"),
    ("回执：江苏材料", "回执：江苏材料"),
    ("回复：回执：江苏材料", "回执：江苏材料"),
    ("Re: 回执: 江苏材料", "回执：江苏材料"),
    ("Re: 江苏材料", "回执：Re: 江苏材料"),
    ("江苏\r\n材料", "回执：江苏 材料"),
])
def test_subject(original: str | None, expected: str) -> None:
    assert receipt_subject(original) == expected


def test_headers_thread_and_quiet_robots(receipt: EmailMessage) -> None:
    raw = receipt.as_bytes(policy=policy.SMTP)
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "回执：江苏省质量协会2020年QC小组推荐材料"
    assert msg["In-Reply-To"] == "<20200914103100.1234@163.com>"
    assert msg["References"] == "<20200914103100.1234@163.com>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-Autoreply"] == "yes"
    assert msg["To"].addresses[0].addr_spec == "zhangsan@163.com"
    assert msg["Message-ID"].endswith("@example.org>") and msg["Message-ID"] != msg["In-Reply-To"]
    assert msg["Date"].datetime.utcoffset().total_seconds() == 8 * 3600
    assert raw.isascii()  # every header encoded, bodies base64: nothing for a relay to mangle


def test_from_is_formataddr_with_chinese_name(receipt: EmailMessage) -> None:
    raw = receipt.as_bytes(policy=policy.SMTP)
    from_line = raw.split(b"\r\nTo:", 1)[0]
    # QQ Mail refuses a From encoded as a whole: the address must stay plain after the encoded name
    assert from_line.startswith(b"From: =?utf-8?")
    assert from_line.rstrip().endswith(b"<qc-intake@example.org>")
    parsed = message_from_bytes(raw, policy=policy.default)
    addr = parsed["From"].addresses[0]
    assert (addr.display_name, addr.addr_spec) == ("中国质协质量活动推进部", "qc-intake@example.org")


def test_references_extend_the_original_chain(cfg: Config, campaign: Any) -> None:
    u = make_unpacked(("References", "<a.1@163.com> <b.2@example.org>"), ("In-Reply-To", "<b.2@example.org>"))
    msg = compose_receipt(cfg, campaign, u, result_json(), None)
    assert str(msg["References"]).split() == ["<a.1@163.com>", "<b.2@example.org>", "<20200914103100.1234@163.com>"]


def test_in_reply_to_used_when_there_are_no_references(cfg: Config, campaign: Any) -> None:
    u = make_unpacked(("In-Reply-To", "<earlier.receipt@example.org>"))
    msg = compose_receipt(cfg, campaign, u, result_json(), None)
    assert str(msg["References"]).split() == ["<earlier.receipt@example.org>", "<20200914103100.1234@163.com>"]


def test_no_message_id_means_no_in_reply_to(cfg: Config, campaign: Any) -> None:
    u = make_unpacked()
    u.message_id = None
    u.headers = [h for h in u.headers if h[0].lower() != "message-id"]
    msg = compose_receipt(cfg, campaign, u, result_json(message={}), None)
    assert msg["In-Reply-To"] is None and msg["References"] is None
    assert msg["Message-ID"]


def test_our_receipt_would_never_be_answered_by_us(receipt: EmailMessage) -> None:
    """Loop check: feed the receipt back through detection, as if it arrived in the mailbox."""
    again = message_from_bytes(receipt.as_bytes(policy=policy.SMTP), policy=policy.default)
    u = unpacked_from(again)
    assert no_receipt_reason(u, ["someone-else@example.org"]) is not None
    u.headers = [h for h in u.headers if h[0].lower() not in ("auto-submitted", "x-autoreply",
                                                              "x-auto-response-suppress")]
    u.from_addr = "forwarder@example.com"
    assert no_receipt_reason(u, []) == "own-receipt"


def test_body_lists_documents_values_and_findings(receipt: EmailMessage) -> None:
    text = body_of(receipt)
    assert text.startswith("江苏省质量协会：")
    assert "收到时间：2020年9月14日 10:31" in text  # 02:31 UTC shown in the campaign's Beijing time
    assert "截止时间：2020年9月15日24时" in text
    assert "本次检查结果：材料不全" in text
    # what arrived, and what it was read as
    assert "江苏推荐材料.zip" in text and "压缩包" in text
    assert "附件1 申报表（降低线损率）.docx（来自 江苏推荐材料.zip）" in text
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if "附件1 申报表" in line)
    assert "识别为：申报表（Word）" in lines[i + 1]
    assert "企业名称：国网南京供电公司" in text and "小组名称：蓝天QC小组" in text
    assert "推荐小组：2 个" in text
    j = next(n for n, line in enumerate(lines) if "说明.txt" in line)
    assert "识别为：未识别" in lines[j + 1]
    # findings: errors under 需要更正, warnings under 请核对
    errors_at, warnings_at = text.index("需要更正（2 项）"), text.index("请核对（1 项）")
    assert errors_at < text.index("应为11位手机号码") < warnings_at
    assert errors_at < text.index("缺少附件5") < warnings_at
    assert warnings_at < text.index("推荐表未填写推荐评委")
    assert "（文件：附件1 申报表（降低线损率）.docx）" in text
    # what to do, and by when
    assert "2 项需要更正或补交" in text and "截止时间为2020年9月15日24时。请在此之前" in text
    assert "全部材料的情况" not in text  # no unit given


def test_unit_summary_covers_all_messages(cfg: Config, campaign: Any) -> None:
    unit = UnitSummary(
        recommender="江苏省质量协会",
        status="incomplete",
        findings=[Finding("forms.required.summary", "error", "缺少附件2 质量管理小组活动工作总结", "summary"),
                  Finding("forms.required.review", "error", "缺少附件5 质量管理小组成果评审汇总表", "review"),
                  Finding("statistics.rate.range", "warning", "统计表“参与率”超过100%", "statistics",
                          "统计表.xls")],
        message_count=3,
        documents=[DocumentResult("a.docx", None, "docx", "application"),
                   DocumentResult("a.pdf", None, "pdf", "application"),
                   DocumentResult("b.docx", None, "docx", "application"),
                   DocumentResult("推荐表.xlsx", None, "xlsx", "recommendation"),
                   DocumentResult("x.zip", None, "zip", "unknown"),
                   DocumentResult("readme.txt", "x.zip", "txt", "unknown")],
    )
    text = body_of(compose_receipt(cfg, campaign, make_unpacked(), result_json(), unit))
    section = text[text.index("江苏省质量协会全部材料的情况"):]
    assert "已收到 3 封邮件" in section
    assert "总体状态：材料不全" in section
    assert "已收到：申报表 3 份（Word 2、PDF 1）、推荐表 1 份、未识别的文件 1 个" in section
    assert "仍需更正或补交（2 项）" in section and "缺少附件2" in section and "缺少附件5" in section
    assert "统计表“参与率”超过100%（文件：统计表.xls）" in section
    assert "贵单位的材料尚有 2 项需要更正或补交（见上文）" in section


def test_complete_message_says_nothing_more_to_send(cfg: Config, campaign: Any) -> None:
    result = result_json(findings=[], status="complete")
    unit = UnitSummary("江苏省质量协会", "complete", [], 2, [])
    text = body_of(compose_receipt(cfg, campaign, make_unpacked(), result, unit))
    assert "贵单位材料总体状态：材料齐全" in text and "总体状态：材料齐全" in text
    assert "未发现问题" in text and "无需再发送" in text
    assert "需要更正" not in text


def test_late_message(cfg: Config, campaign: Any) -> None:
    result = result_json(status="late", message={"received_at": "2020-09-16T00:30:00+08:00", "subject": "补交"})
    text = body_of(compose_receipt(cfg, campaign, make_unpacked(), result, None))
    assert "本次检查结果：逾期" in text and "已过截止时间" in text
    assert "2020年9月16日 00:30" in text


def test_html_alternative_escapes_names(cfg: Config, campaign: Any) -> None:
    result = result_json()
    result["documents"][3]["filename"] = "<script>alert(1)</script>.txt"
    msg = compose_receipt(cfg, campaign, make_unpacked(), result, None)
    html = body_of(msg, "html")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "国网南京供电公司" in html
    assert "<script>alert(1)</script>.txt" in body_of(msg)  # plain text shows the name as sent


def test_hostile_or_empty_input_still_composes(cfg: Config, campaign: Any) -> None:
    u = make_unpacked(subject="")
    u.from_name = "Evil\r\nBcc: x@y.z"  # decoded names can hold anything (RFC 2047 can encode CR LF)
    u.subject = "\r\n"
    msg = compose_receipt(cfg, campaign, u, {}, None)
    raw = msg.as_bytes(policy=policy.SMTP)
    assert b"\r\nBcc:" not in raw
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "回执：（无主题）"
    assert [a.addr_spec for a in parsed["To"].addresses] == ["zhangsan@163.com"]
    text = body_of(msg)
    assert "本邮件中没有附件" in text and "收到时间：未知" in text


def test_campaign_without_optional_attributes(cfg: Config) -> None:
    class Bare:  # e.g. an older rule file object: no deadline_text, no form names
        name = "2020"
        from datetime import datetime as _dt
        from zoneinfo import ZoneInfo as _Z
        tz = _Z("Asia/Shanghai")
        deadline = _dt(2020, 9, 16, tzinfo=_Z("Asia/Shanghai"))

    text = body_of(compose_receipt(cfg, Bare(), make_unpacked(), result_json(), None))
    assert "截止时间：2020年9月15日24时" in text and "识别为：申报表" in text


def test_receipt_goes_to_the_sender_not_a_reply_to(cfg: Config, campaign: Any) -> None:
    u: Unpacked = unpacked_from(build_email([("From", "张三 <zhangsan@163.com>"), ("Reply-To", "other@example.com"),
                                             ("Subject", "材料"), ("Message-ID", "<m1@163.com>")]))
    msg = compose_receipt(cfg, campaign, u, result_json(), None)
    assert msg["To"].addresses[0].addr_spec == "zhangsan@163.com"
    assert msg["To"].addresses[0].display_name == "张三"


def test_greeting_falls_back_to_sender_name_then_generic(cfg: Config, campaign: Any) -> None:
    result = result_json(recommender=None)
    text = body_of(compose_receipt(cfg, campaign, make_unpacked(), result, None))
    assert text.startswith("张三：\n\n您好！")
    u = make_unpacked(sender="zhangsan@163.com")
    text = body_of(compose_receipt(cfg, campaign, u, result, None))
    assert text.startswith("您好：\n\n中国质协质量活动推进部已收到") and "您好！" not in text


def test_unit_section_does_not_repeat_the_same_list(cfg: Config, campaign: Any) -> None:
    """First message of a unit: its findings are the unit's; the list is printed once, not twice."""
    result = result_json()
    unit = UnitSummary("江苏省质量协会", "incomplete", [Finding.from_json(f) for f in result["findings"]], 1, [])
    for kind in ("plain", "html"):
        text = body_of(compose_receipt(cfg, campaign, make_unpacked(), result, unit), kind)
        assert text.count("收到“1381234567”") == 1
        assert "另见上文" in text or "见上文本次邮件的检查结果" in text  # the rest is pointed to, not repeated
