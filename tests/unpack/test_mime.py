"""The MIME walk: headers, body, attached messages, dates and broken messages."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from intake.unpack import Limits, unpack_message
from tests.fixtures.mail import CST, build_message, make_zip

PDF = b"%PDF-1.4\n% test\n"


def _rules(problems) -> list[str]:
    return [p.rule for p in problems]


def test_envelope_fields_are_decoded() -> None:
    raw = build_message(
        [("附件1 申报表.pdf", PDF)],
        subject="关于报送2020年QC小组材料的函（喆珺）",
        from_addr="ZhangSan@Example-Zhixie.CN",
        from_name="某某省质量协会",
        message_id="<abc@example-zhixie.cn>",
        extra_headers={"Cc": "li@example.org", "X-Mailer": "Foxmail 7.2"},
    )
    u = unpack_message(raw)
    assert u.subject == "关于报送2020年QC小组材料的函（喆珺）"
    assert (u.from_name, u.from_addr) == ("某某省质量协会", "zhangsan@example-zhixie.cn")
    assert u.to_addrs == ["qc@example.org", "li@example.org"]
    assert u.message_id == "<abc@example-zhixie.cn>"
    assert ("X-Mailer", "Foxmail 7.2") in u.headers
    assert [n for n, _ in u.headers][:3] == ["From", "To", "Subject"]


def test_raw_gbk_from_and_subject_headers() -> None:
    raw = build_message([("a.pdf", PDF)])
    raw = raw.replace(b"Subject: ", b"Subject: " + "喆珺的材料".encode("gbk") + b" ", 1)
    raw = raw.replace(b"From: ", b"From: " + "镕基".encode("gbk") + b" ", 1)
    u = unpack_message(raw)
    assert u.subject.startswith("喆珺的材料")
    assert u.from_name.startswith("镕基")
    assert u.from_addr == "zhangsan@example-zhixie.cn"


def test_gb2312_labelled_body_with_gbk_only_characters() -> None:
    body = "您好！联系人：朱镕基、王喆、李珺。"
    u = unpack_message(build_message([("a.pdf", PDF)], body=body, body_charset="gb2312"))
    assert u.body_text == body


def test_html_only_body_becomes_text() -> None:
    raw = (
        "From: a@example.org\r\nTo: qc@example.org\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>附件请查收&nbsp;</p><br>谢谢</body></html>\r\n"
    ).encode()
    u = unpack_message(raw)
    assert u.body_text.replace("\xa0", " ").split() == ["附件请查收", "谢谢"]
    assert u.parts == []


def test_attached_message_with_its_own_attachments() -> None:
    inner = build_message(
        [("附件2 工作总结.docx", b"plain"), ("附件5 评审汇总表.pdf", PDF)], subject="转发：某某省QC材料"
    )
    raw = build_message([("附件1 申报表.pdf", PDF)], attached_messages=[inner])
    u = unpack_message(raw)
    got = [(p.filename, p.container, p.format) for p in u.parts]
    assert got == [
        ("附件1 申报表.pdf", None, "pdf"),
        ("转发：某某省QC材料.eml", None, "eml"),
        ("附件2 工作总结.docx", "转发：某某省QC材料.eml", "txt"),  # sniffed, not by name
        ("附件5 评审汇总表.pdf", "转发：某某省QC材料.eml", "pdf"),
    ]
    assert u.parts[3].data == PDF
    assert "您好" in u.body_text and u.body_text.count("您好") == 1  # the inner body is not ours


def test_attached_message_without_subject_and_eml_inside_zip() -> None:
    inner = build_message([("统计表.pdf", PDF)], subject="")
    raw = build_message([("打包.zip", make_zip([("材料/原邮件.eml", inner)]))], attached_messages=[inner])
    u = unpack_message(raw)
    got = [(p.filename, p.container, p.format) for p in u.parts]
    assert got == [
        ("打包.zip", None, "zip"),
        ("材料/原邮件.eml", "打包.zip", "eml"),
        ("统计表.pdf", "材料/原邮件.eml", "pdf"),
        ("(无主题).eml", None, "eml"),
        ("统计表.pdf", "(无主题).eml", "pdf"),
    ]


def test_received_and_date_are_separate_aware_times() -> None:
    raw = build_message(
        [("a.pdf", PDF)],
        date=datetime(2020, 9, 15, 23, 50, tzinfo=CST),
        received=datetime(2020, 9, 16, 0, 10, tzinfo=CST),
    )
    u = unpack_message(raw)
    assert u.date == datetime(2020, 9, 15, 15, 50, tzinfo=UTC)
    assert u.received == datetime(2020, 9, 16, 0, 10, tzinfo=CST)
    assert u.received.utcoffset() is not None


def test_topmost_received_header_wins() -> None:
    raw = build_message([("a.pdf", PDF)], received=datetime(2020, 9, 14, 8, 0, tzinfo=CST))
    top = b"Received: from mx.example.org by imap.example.org; Mon, 14 Sep 2020 09:30:00 +0800\r\n"
    u = unpack_message(top + raw)
    assert u.received == datetime(2020, 9, 14, 9, 30, tzinfo=CST)


def test_date_without_zone_is_utc_and_no_received_is_none() -> None:
    raw = build_message([("a.pdf", PDF)])
    raw = raw.replace(b"Date: Thu, 10 Sep 2020 10:00:00 +0800", b"Date: Thu, 10 Sep 2020 10:00:00 -0000")
    u = unpack_message(raw)
    assert u.date == datetime(2020, 9, 10, 10, 0, tzinfo=UTC)
    assert u.received is None


def test_empty_attachment_is_reported_on_the_part() -> None:
    u = unpack_message(build_message([("附件3 统计表.xlsx", b"")]))
    assert [(p.filename, p.format, _rules(p.problems)) for p in u.parts] == [
        ("附件3 统计表.xlsx", "xlsx", ["document.empty"])
    ]


def test_unnamed_application_part_is_kept_with_a_generated_name() -> None:
    raw = build_message([("x.pdf", PDF)]).replace(
        b'Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n\tfilename*=UTF-8\'\'x.pdf',
        b"Content-Type: application/octet-stream",
    )
    u = unpack_message(raw)
    assert [(p.filename, p.format) for p in u.parts] == [("未命名附件1.pdf", "pdf")]


def test_defects_from_mail_parser_are_kept() -> None:
    u = unpack_message(build_message([("附件1 申报表.pdf", PDF)], name_encoding="raw-gbk"))
    assert u.defects and any("MimeHeaderDefect" in d for d in u.defects)
    assert u.parts[0].filename == "附件1 申报表.pdf"


def test_missing_boundary_is_recovered_from_the_body() -> None:
    raw = build_message([("附件1 申报表.pdf", PDF), ("附件2 工作总结.docx", b"x")])
    head, _, rest = raw.partition(b"Content-Type: multipart/mixed; ")
    rest = rest.split(b"\r\n", 1)[1]
    u = unpack_message(head + b"Content-Type: multipart/mixed\r\n" + rest)
    assert [p.filename for p in u.parts] == ["附件1 申报表.pdf", "附件2 工作总结.docx"]
    assert u.problems == []
    assert any("boundary" in d.lower() for d in u.defects)


def test_multipart_that_cannot_be_split_is_malformed() -> None:
    raw = b"From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\njust some text\r\n"
    u = unpack_message(raw)
    assert "message.malformed" in _rules(u.problems)
    assert u.from_addr == "a@example.org"


def test_garbage_and_empty_input_never_raise() -> None:
    for raw in (b"", b"\x00\x01\xff" * 50, b"%PDF-1.4 not a mail", "随便写的一段文字".encode("gbk")):
        u = unpack_message(raw)
        assert _rules(u.problems) == ["message.malformed"]
        assert u.parts == []


def test_truncated_message_keeps_earlier_parts_and_is_malformed() -> None:
    raw = build_message([("附件1 申报表.pdf", PDF), ("附件2 工作总结.docx", b"A" * 3000)])
    cut = raw[: raw.rindex(b"--") - 200]  # cut inside the last base64 body
    cut = cut[: len(cut) - 1]  # and not on a 4-character boundary
    u = unpack_message(cut)
    assert u.parts[0].filename == "附件1 申报表.pdf" and u.parts[0].data == PDF
    assert "message.malformed" in _rules(u.problems)


def test_bad_base64_still_gives_a_part() -> None:
    raw = build_message([("附件1 申报表.pdf", PDF)])
    raw = raw.replace(b"JVBERi0xLjQKJSB0ZXN0Cg==", b"JVBERi0xLjQKJSB0ZXN0Cg!!*")
    u = unpack_message(raw)
    assert u.parts[0].filename == "附件1 申报表.pdf"
    assert u.parts[0].data.startswith(b"%PDF-1.4")


def test_random_mutations_never_raise() -> None:
    rng = random.Random(20200915)
    base = build_message([("打包.zip", make_zip([("a.pdf", PDF)])), ("附件.pdf", PDF)], name_encoding="raw-gbk")
    for _ in range(150):
        data = bytearray(base)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        u = unpack_message(bytes(data), Limits(max_parts=10))
        assert isinstance(u.parts, list)
        assert all(p.format for p in u.parts)
