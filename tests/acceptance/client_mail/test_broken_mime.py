"""Broken and unusual MIME: the attachments are still found where the bytes allow it, and what
cannot be read becomes a finding, never a crash (exit 0 whenever the file could be read)."""

from __future__ import annotations

import base64

import pytest

from tests.acceptance.client_mail.conftest import rules_of
from tests.acceptance.client_mail.wire import attachment, b64_lines, leaf, multipart, text_part, word

BASE = [("From", "a@jsqa.org.cn"), ("To", "66073178@163.com"), ("Subject", "材料"),
        ("Date", "Mon, 14 Sep 2020 10:00:00 +0800"), ("MIME-Version", "1.0")]


@pytest.fixture(scope="module")
def docx(files) -> tuple[str, bytes]:
    return files[0]  # the first group's 申报表 (Word)


def _one(part: bytes, items=BASE) -> bytes:
    return multipart("mixed", [text_part("见附件"), part], "b1", list(items))


def _names(out: dict) -> list[tuple[str, str, str]]:
    return [(d["filename"], d["format"], d["form"]) for d in out["documents"]]


def test_missing_final_boundary_is_harmless(docx, check):
    name, data = docx
    raw = _one(attachment(data, f'filename="{word(name, "GBK")}"')).replace(b"--b1--\r\n", b"")
    out = check(raw)
    assert _names(out) == [(name, "docx", "application")]
    assert "message.malformed" not in rules_of(out)


def test_lf_only_line_endings(docx, check):
    name, data = docx
    out = check(_one(attachment(data, f'filename="{word(name, "GBK")}"')).replace(b"\r\n", b"\n"))
    assert _names(out) == [(name, "docx", "application")]


def test_base64_labelled_7bit_is_still_the_document(docx, check):
    name, data = docx
    part = attachment(data, f'filename="{word(name)}"').replace(b"Transfer-Encoding: base64", b"Transfer-Encoding: 7bit")
    out = check(_one(part))
    assert _names(out) == [(name, "docx", "application")]
    assert "document.no_fields" not in rules_of(out)


def test_raw_binary_labelled_base64(files, check):
    name, pdf = files[1]
    part = leaf([("Content-Type", "application/pdf"), ("Content-Transfer-Encoding", "base64"),
                 ("Content-Disposition", f'attachment; filename="{word(name)}"')], pdf)
    out = check(_one(part))
    assert _names(out) == [(name, "pdf", "application")]


def test_unpadded_base64(docx, check):
    name, data = docx
    body = base64.b64encode(data + b"\0").rstrip(b"=") + b"\r\n"  # one byte more, so padding was needed
    part = leaf([("Content-Type", "application/octet-stream"), ("Content-Transfer-Encoding", "base64"),
                 ("Content-Disposition", 'attachment; filename="a.docx"')], body)
    out = check(_one(part))
    assert _names(out)[0][1:] == ("docx", "application")


def test_raw_8bit_gbk_headers(docx, check):
    name, data = docx
    part = leaf([("Content-Type", b'application/octet-stream; name="' + name.encode("gbk") + b'"'),
                 ("Content-Transfer-Encoding", "base64"),
                 ("Content-Disposition", b'attachment; filename="' + name.encode("gbk") + b'"')], b64_lines(data))
    items = [("Subject", "江苏省质协推荐材料".encode("gbk")), *[h for h in BASE if h[0] != "Subject"]]
    out = check(_one(part, items))
    assert out["message"]["subject"] == "江苏省质协推荐材料"
    assert _names(out) == [(name, "docx", "application")]


def test_ten_thousand_character_headers(docx, check):
    name, data = docx
    items = BASE + [("X-Long", "a" * 10000), ("Subject-Extra", word("长" * 3000))]
    out = check(_one(attachment(data, f'filename="{word(name)}"'), items))
    assert _names(out) == [(name, "docx", "application")]


def test_empty_attachment_is_an_error_on_its_form(check):
    out = check(_one(attachment(b"", 'filename="附件3 质量管理小组活动统计表.xlsx"')))
    f = next(f for f in out["findings"] if f["rule"] == "document.empty")
    assert (f["severity"], f["form"], f["document"]) == ("error", "statistics", "附件3 质量管理小组活动统计表.xlsx")


def test_octet_stream_docx(docx, check):
    _, data = docx
    out = check(_one(attachment(data, 'filename="shenbaobiao.docx"', "application/octet-stream")))
    assert _names(out) == [("shenbaobiao.docx", "docx", "application")]


def test_ascii_stand_in_name_loses_to_the_real_one(docx, check):
    name, data = docx
    out = check(_one(attachment(data, 'filename="ATT00001.docx"', ct_name=f"name*=utf-8''{_pct(name)}")))
    assert _names(out) == [(name, "docx", "application")]


def _pct(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


@pytest.mark.parametrize("named", [True, False])
def test_message_that_is_just_a_pdf(files, check, named):
    name, pdf = files[1]
    ct = f'application/pdf; name="{word(name)}"' if named else "application/pdf"
    out = check(leaf(BASE + [("Content-Type", ct), ("Content-Transfer-Encoding", "base64")], b64_lines(pdf)))
    assert len(out["documents"]) == 1
    doc = out["documents"][0]
    assert (doc["format"], doc["form"]) == ("pdf", "application")
    if named:
        assert doc["filename"] == name


def test_message_cut_off_in_transit(docx, check):
    name, data = docx
    raw = _one(attachment(data, f'filename="{word(name)}"'))
    out = check(raw[: len(raw) // 2])
    assert "message.malformed" in rules_of(out)
    doc = out["documents"][0]
    assert (doc["filename"], doc["format"], doc["form"]) == (name, "docx", "application")
    broken = [f for f in out["findings"] if f["document"] == name]
    assert broken and broken[0]["severity"] == "error"


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 50, b"PK\x03\x04 not a message", b"From: only\r\n"])
def test_not_a_message_never_crashes(raw, check):
    out = check(raw)
    assert out["status"] in ("incomplete", "complete")


def test_missing_boundary_parameter_is_recovered(docx, check):
    name, data = docx
    raw = _one(attachment(data, f'filename="{word(name)}"')).replace(b'\tboundary="b1"', b"\tcharset=us-ascii")
    out = check(raw)
    assert _names(out) == [(name, "docx", "application")]


@pytest.mark.parametrize("cte", ["base64", "quoted-printable"])
def test_attached_message_encoded_against_the_rules(files, check, cte):
    import quopri

    inner = multipart("mixed", [text_part("原件"), attachment(files[0][1], f'filename="{word(files[0][0])}"')], "in1",
                      [("From", "u@x.cn"), ("Subject", "原件"), ("MIME-Version", "1.0")])
    body = b64_lines(inner) if cte == "base64" else quopri.encodestring(inner)
    part = leaf([("Content-Type", 'message/rfc822; name="orig.eml"'), ("Content-Transfer-Encoding", cte),
                 ("Content-Disposition", 'attachment; filename="orig.eml"')], body)
    out = check(_one(part))
    assert _names(out) == [("orig.eml", "eml", "unknown"), (files[0][0], "docx", "application")]
    assert out["documents"][1]["container"] == "orig.eml"
