"""Bug classes found in real mail corpora, each with a message built byte by byte the way the client
(or the corpus) wrote it:

- names we invent for unnamed parts (``未命名附件N``) must never classify a file as the notice's 附件N;
- a ``boundary`` value folded over two lines (Outlook 2000) must not lose the attachments;
- one pathological address header must not lose the message id, sender, subject, date or files;
- Latin (and other non-Chinese) bytes must not be turned into Chinese by the GB18030 fallback.
"""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import datetime

import pytest

from intake.pipeline import check_message, part_job
from intake.unpack import unpack_message
from intake.unpack.names import decode_bytes, decode_header, header_param
from intake.workers import _read_job
from parsers.read_file import read_file
from rules import load_campaign
from tests.fixtures.mail import CST

CRLF = b"\r\n"
PDF = b"%PDF-1.4\n% test\n"


def _message(headers: list[bytes], body: bytes) -> bytes:
    return CRLF.join(headers) + CRLF + CRLF + body


def _envelope(extra: list[bytes] | None = None, to: bytes = b"To: qc@caq.org.cn",
              subject: bytes = b"Subject: =?GBK?B?" + base64.b64encode("申报材料".encode("gbk")) + b"?=") -> list[bytes]:
    return [
        b"From: =?GBK?B?" + base64.b64encode("张三".encode("gbk")) + b"?= <zhangsan@example-zhixie.cn>",
        to,
        subject,
        b"Date: Mon, 14 Sep 2020 10:31:00 +0800",
        b"Message-ID: <corpus-1@example-zhixie.cn>",
        b"MIME-Version: 1.0",
        *(extra or []),
    ]


def _part(headers: list[bytes], payload: bytes, b64: bool = True) -> bytes:
    cte = [b"Content-Transfer-Encoding: base64"] if b64 else []
    body = base64.encodebytes(payload).replace(b"\n", CRLF) if b64 else payload + CRLF
    return CRLF.join(headers + cte) + CRLF + CRLF + body


def _multipart(boundary: bytes, parts: list[bytes], preamble: bytes = b"This is a multi-part message in MIME format.") -> bytes:
    out = preamble + CRLF + CRLF
    for p in parts:
        out += b"--" + boundary + CRLF + p
    return out + b"--" + boundary + b"--" + CRLF


def _attachment(name: str, data: bytes, ctype: str = "application/pdf") -> bytes:
    word = b"=?GBK?B?" + base64.b64encode(name.encode("gbk")) + b"?="
    return _part([b"Content-Type: " + ctype.encode() + b'; name="' + word + b'"',
                  b'Content-Disposition: attachment; filename="' + word + b'"'], data)


# 1. Names we invented count as forms ------------------------------------------------------------

def _unnamed_parts_message() -> bytes:
    """An S/MIME-signing client: the signed text goes out as an attachment part with no name
    (part 1), the signature is named (part 2), a named file (part 3), and a file the webmail sent
    with no name at all (part 4)."""
    signed_text = "各位老师好：我单位的材料已按通知要求发送，请查收。此致 敬礼".encode()
    inner = _multipart(b"sig-b", [
        _part([b"Content-Type: text/plain; charset=utf-8", b"Content-Disposition: attachment"], signed_text),
        _part([b'Content-Type: application/pkcs7-signature; name="smime.p7s"',
               b'Content-Disposition: attachment; filename="smime.p7s"'], b"0\x82\x01\x00 not really a signature"),
    ], preamble=b"")
    signed = CRLF.join([b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
                        b'micalg=sha-256; boundary="sig-b"']) + CRLF + CRLF + inner
    return _message(_envelope([b'Content-Type: multipart/mixed; boundary="mix-b"']), _multipart(b"mix-b", [
        signed,
        _attachment("附件3 统计表.txt", "统计表".encode(), "text/plain"),
        _part([b"Content-Type: application/octet-stream"], b"\x00\x01binary blob the client sent without a name"),
        _attachment("材料.zip", _zip([("附件4 推荐表.txt", "推荐".encode())]), "application/zip"),
    ]))


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def test_invented_names_are_marked_and_archive_members_keep_their_real_names() -> None:
    parts = unpack_message(_unnamed_parts_message()).parts
    assert [(p.filename, p.named) for p in parts] == [
        ("未命名附件1.txt", False),
        ("smime.p7s", True),
        ("附件3 统计表.txt", True),
        ("未命名附件4", False),
        ("材料.zip", True),
        ("附件4 推荐表.txt", True),
    ]


def test_invented_names_never_classify_a_file_but_are_still_shown() -> None:
    documents = check_message(_unnamed_parts_message(), load_campaign()).to_json()["documents"]
    forms = {d["filename"]: d["form"] for d in documents}
    assert forms["未命名附件1.txt"] == "unknown"  # was: the 申报表's Word copy (附件1)
    assert forms["未命名附件4"] == "unknown"  # was: the 推荐表 (附件4)
    assert forms["附件3 统计表.txt"] == "statistics"  # the sender's own names still count
    assert forms["附件4 推荐表.txt"] == "recommendation"  # and an archive member's


def test_a_job_for_an_invented_name_classifies_by_content_only() -> None:
    part = next(p for p in unpack_message(_unnamed_parts_message()).parts if p.filename == "未命名附件4")
    job = part_job(part, 10.0)
    [doc] = _read_job(job.data, job.result, job.read, job.timeout, job.named)  # one file, one form
    assert not job.named and doc.form == "unknown"
    assert read_file(b"x", "未命名附件1.txt", "txt", named=False).form == "unknown"
    assert read_file(b"x", "未命名附件1.txt", "txt").form == "application"  # a name the sender gave


# 2. A boundary folded over two lines --------------------------------------------------------------

def _outlook_folded(body_boundary: bytes) -> bytes:
    """Outlook 2000 style: ``Content-Type: multipart/mixed;`` CRLF TAB ``boundary="----=_NextPart``
    CRLF SP ``_000_0012_01D2…"`` — the boundary value itself folded."""
    head = _envelope([b"Content-Type: multipart/mixed;", b'\tboundary="----=_NextPart',
                      b' _000_0012_01D28A3C.5F2B9E40"', b"X-Mailer: Microsoft Outlook, Build 10.0.2627"])
    return _message(head, _multipart(body_boundary, [
        _part([b'Content-Type: text/plain; charset="gb2312"'], "您好，材料见附件。".encode("gbk")),
        _attachment("附件1 申报表.pdf", PDF),
        _attachment("附件2 活动总结.pdf", PDF),
        _attachment("附件3 统计表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "application/vnd.ms-excel"),
    ]))


@pytest.mark.parametrize("body_boundary", [
    b"----=_NextPart _000_0012_01D28A3C.5F2B9E40",  # RFC 5322 unfolding: the folded white space stays
    b"----=_NextPart_000_0012_01D28A3C.5F2B9E40",  # what the client meant: no white space
])
def test_folded_boundary_value_lists_every_attachment(body_boundary: bytes) -> None:
    u = unpack_message(_outlook_folded(body_boundary))
    assert [p.filename for p in u.parts] == ["附件1 申报表.pdf", "附件2 活动总结.pdf", "附件3 统计表.xls"]
    assert u.body_text == "您好，材料见附件。"
    assert u.problems == []


def test_folded_boundary_of_a_nested_multipart_is_unfolded_too() -> None:
    inner = _multipart(b"----=_NextPart _001_0013", [_attachment("附件2 活动总结.pdf", PDF)], preamble=b"")
    related = (b'Content-Type: multipart/mixed;\r\n\tboundary="----=_NextPart\r\n _001_0013"' + CRLF + CRLF + inner)
    raw = _message(_envelope([b'Content-Type: multipart/mixed; boundary="outer"']),
                   _multipart(b"outer", [_attachment("附件1 申报表.pdf", PDF), related]))
    assert [p.filename for p in unpack_message(raw).parts] == ["附件1 申报表.pdf", "附件2 活动总结.pdf"]


def test_multipart_the_lenient_parse_cannot_split_goes_to_the_strict_parse() -> None:
    # a comment after the boundary (RFC 5322 CFWS): compat32 reads the boundary as '"b1" (MIME)'
    raw = _message(_envelope([b'Content-Type: multipart/mixed; boundary="b1" (MIME boundary)']),
                   _multipart(b"b1", [_attachment("附件1 申报表.pdf", PDF), _attachment("附件5 评审汇总表.pdf", PDF)]))
    u = unpack_message(raw)
    assert [p.filename for p in u.parts] == ["附件1 申报表.pdf", "附件5 评审汇总表.pdf"]
    assert any("严格解析" in d for d in u.defects)


# 3. One pathological header loses the whole message -------------------------------------------------

@pytest.mark.parametrize("to", [
    # 5,000 recipients written as unterminated groups (a bulk mailer): getaddresses recursed per group
    b"To: " + b",\r\n ".join(b"list%d: u%d@example.cn" % (i, i) for i in range(5000)),
    # comments nested thousands deep
    b"To: " + b"(" * 3000 + b"x" + b")" * 3000 + b" qc@caq.org.cn",
    # groups nested thousands deep
    b"To: " + b"g:" * 3000 + b"qc@caq.org.cn" + b";" * 3000,
])
def test_pathological_to_header_keeps_the_rest_of_the_message(to: bytes) -> None:
    raw = _message(_envelope([b'Content-Type: multipart/mixed; boundary="b2"'], to=to),
                   _multipart(b"b2", [_attachment("附件1 申报表.pdf", PDF)]))
    u = unpack_message(raw)
    assert u.message_id == "<corpus-1@example-zhixie.cn>"
    assert (u.from_name, u.from_addr) == ("张三", "zhangsan@example-zhixie.cn")
    assert u.subject == "申报材料"
    assert u.date == datetime(2020, 9, 14, 10, 31, tzinfo=CST)
    assert [p.filename for p in u.parts] == ["附件1 申报表.pdf"]
    assert [p.rule for p in u.problems] == []
    assert len(u.to_addrs) <= 500


def test_many_plain_addresses_are_read_up_to_the_cap() -> None:
    to = b"To: " + b", ".join(b'"User %d" <u%d@example.cn>' % (i, i) for i in range(5000))
    u = unpack_message(_message(_envelope(to=to), b"hello"))
    assert u.to_addrs[:2] == ["u0@example.cn", "u1@example.cn"] and len(u.to_addrs) == 500
    assert u.subject == "申报材料"


# 4. Latin text turned into Chinese ---------------------------------------------------------------

@pytest.mark.parametrize(("wire", "text"), [
    (b"=?iso-8859-1?Q?Fr\xf6sche?=", "Frösche"),  # a raw 8-bit byte inside a Latin-1 encoded word
    (b"=?iso-8859-1?Q?Fr\xe9d=E9ric?=", "Frédéric"),
    (b"Fr\xf6sche", "Frösche"),  # undeclared Latin-1 (was Fr鰏che)
    ("Formação".encode("latin-1"), "Formação"),  # (was Forma玢o)
    ("Übergröße Straße".encode("latin-1"), "Übergröße Straße"),
    (b"=?windows-874?B?" + base64.b64encode("สวัสดีครับ".encode("cp874")) + b"?=", "สวัสดีครับ"),
    (b"=?x-unknown?Q?Fr=F6sche?=", "Frösche"),  # an unknown label is not a Chinese one
    # Chinese still decodes: raw GBK, GB2312 labels with GBK-only characters, GB18030, UTF-8
    ("附件1 朱镕基与喆珺的申报表（2020）.docx".encode("gbk"), "附件1 朱镕基与喆珺的申报表（2020）.docx"),
    ("章.doc".encode("gbk"), "章.doc"),
    (b"=?gb2312?B?" + base64.b64encode("喆珺小组申报表".encode("gbk")) + b"?=", "喆珺小组申报表"),
    (b"=?GB18030?B?" + base64.b64encode("䶮申报表".encode("gb18030")) + b"?=", "䶮申报表"),
    ("申报材料 QC小组".encode("gb18030"), "申报材料 QC小组"),
    ("申报表 Frösche".encode(), "申报表 Frösche"),  # valid UTF-8 stays UTF-8
    # ISO-2022 escapes are a charset; stray escape sequences and C0/C1 controls are dropped
    ("申报表".encode("iso2022_jp_2"), "申报表"),
    (b"=?utf-8?Q?=1B[31mRED=1B[0m_sub=07ject?=", "RED subject"),
    (b"=?iso-8859-1?Q?a=85b=9Dc=9B2Jd?=", "abcd"),  # C1 controls, a C1 CSI sequence
])
def test_subjects_decode_by_their_charset_not_as_chinese(wire: bytes, text: str) -> None:
    assert decode_header(wire.decode("ascii", "surrogateescape")) == text


def test_latin1_subject_and_names_through_a_whole_message() -> None:
    raw = _message(_envelope([b'Content-Type: multipart/mixed; boundary="b3"'],
                             subject=b"Subject: Fr\xf6sche und Forma\xe7\xe3o"),
                   _multipart(b"b3", [
                       _part([b'Content-Type: application/pdf; name="=?iso-8859-1?Q?Fr\xf6sche.pdf?="',
                              b'Content-Disposition: attachment; filename="=?iso-8859-1?Q?Fr\xf6sche.pdf?="'], PDF),
                       _part([b"Content-Type: application/pdf",
                              b'Content-Disposition: attachment; filename="Forma\xe7\xe3o.pdf"'], PDF),
                       _part([b"Content-Type: application/pdf",
                              b'Content-Disposition: attachment; filename="\x1b[2J\x1b(B' + "申报表".encode("gbk")
                              + b'\x07.pdf"'], PDF),
                   ]))
    u = unpack_message(raw)
    assert u.subject == "Frösche und Formação"
    assert [p.filename for p in u.parts] == ["Frösche.pdf", "Formação.pdf", "申报表.pdf"]


def test_declared_charset_first_and_chinese_labels_widened() -> None:
    assert decode_bytes("สวัสดี".encode("cp874"), "windows-874") == "สวัสดี"
    assert decode_bytes("喆珺".encode("gbk"), "gb2312") == "喆珺"
    assert decode_bytes("Frösche".encode("latin-1"), "iso-8859-1") == "Frösche"
    # bytes that do not fit a non-Chinese label are never read as GB18030
    assert decode_bytes("申报".encode("gbk"), "windows-1250") == "申报".encode("gbk").decode("cp1250")
    assert header_param(b'attachment; filename="' + "统计表.xls".encode("gbk") + b'"', "filename") == "统计表.xls"
