"""Containers offices really send, round two: Outlook's winmail.dat (TNEF), attached Outlook items
(.msg), uuencoded files in a text body, and attachments Apple Mail puts ``inline``.

Fixtures are built by code (``tests/unpack/outlookgen.py`` writes TNEF and .msg from the format
descriptions; uuencode by ``binascii.b2a_uu``). One shared reading pool keeps the pipeline tests fast.
"""

from __future__ import annotations

import base64
import binascii

import pytest

from intake.pipeline import check_message
from intake.unpack import Limits, unpack_message
from intake.unpack.outlook import body_picture, is_msg
from intake.unpack.sniff import sniff
from intake.unpack.uuencode import extract
from intake.workers import ReadingPool
from rules import load_campaign
from tests.fixtures.data import Unit, make_unit
from tests.fixtures.forms import filename_for, render
from tests.fixtures.mail import build_message, make_zip
from tests.unpack.cfbgen import make_cfb, word_stream
from tests.unpack.outlookgen import Msg, MsgFile, TnefFile, make_msg, make_tnef

PDF = b"%PDF-1.4\n% test\n"
DOCX_BYTES = make_zip([("word/document.xml", b"<w:document/>"), ("[Content_Types].xml", b"<Types/>")])


def _parts(raw: bytes, limits: Limits | None = None) -> list[tuple[str, str | None, str, list[str]]]:
    return [(p.filename, p.container, p.format, [x.rule for x in p.problems]) for p in unpack_message(raw, limits).parts]


@pytest.fixture(scope="module")
def unit() -> Unit:
    return make_unit(2020, 1)


@pytest.fixture(scope="module")
def forms(unit: Unit) -> dict[str, tuple[str, bytes]]:
    g = unit.groups[0]
    return {
        "application": (filename_for("application", unit, "docx", group=g), render("application", unit, "docx", group=g)),
        "statistics": (filename_for("statistics", unit, "xlsx"), render("statistics", unit, "xlsx")),
    }


def _docs(raw: bytes, pool: ReadingPool) -> dict:
    return check_message(raw, load_campaign(), pool=pool).to_json()


# --- TNEF (winmail.dat) ------------------------------------------------------------------------

def test_tnef_attachments_are_listed_with_the_winmail_dat_as_container() -> None:
    tnef = make_tnef([
        TnefFile(b"SHENBA~1.PDF", PDF, long_name="附件1 申报表（喆珺小组）.pdf"),  # UTF-16 MAPI long name
        TnefFile(b"GONGZU~1.DOC", DOCX_BYTES, long_name="附件2 工作总结.docx".encode("gbk")),  # 8-bit GBK
        TnefFile("附件3 统计表.txt".encode("gbk"), b"stat"),  # no long name: the 8-bit title
    ])
    raw = build_message([("winmail.dat", tnef)])
    assert _parts(raw) == [
        ("winmail.dat", None, "tnef", []),
        ("附件1 申报表（喆珺小组）.pdf", "winmail.dat", "pdf", []),
        ("附件2 工作总结.docx", "winmail.dat", "docx", []),
        ("附件3 统计表.txt", "winmail.dat", "txt", []),
    ]
    part = unpack_message(raw).parts[2]
    assert part.data == DOCX_BYTES  # exact bytes: a zip's trailing NULs survive


def test_tnef_with_a_rich_text_body_only_is_the_old_finding() -> None:
    got = _parts(build_message([("winmail.dat", make_tnef([], body=b"{\\rtf1 hello}"))]))
    assert got == [("winmail.dat", None, "tnef", ["document.tnef"])]


def test_tnef_cut_after_the_first_attachment_keeps_it_and_says_so() -> None:
    tnef = make_tnef([TnefFile(b"A.PDF", PDF, long_name="附件1.pdf"), TnefFile(b"B.PDF", PDF * 50, long_name="附件2.pdf")])
    cut = tnef[: tnef.index(PDF * 50) + 10]
    got = _parts(build_message([("winmail.dat", cut)]))
    assert got[0] == ("winmail.dat", None, "tnef", ["archive.corrupt"])
    assert got[1] == ("附件1.pdf", "winmail.dat", "pdf", [])
    assert [g[0] for g in got] == ["winmail.dat", "附件1.pdf"]


def test_tnef_embedded_message_is_opened_in_turn_and_logos_are_not_files() -> None:
    inner = make_tnef([TnefFile(b"X.PDF", PDF, long_name="附件4 推荐表.pdf")])
    tnef = make_tnef([
        TnefFile(b"image001.png", b"\x89PNG\r\n\x1a\n", long_name="image001.png", content_id="image001.png@01D6"),
        TnefFile(b"ORIG.MSG", inner, long_name="原邮件.msg", method=5),
    ])
    got = _parts(build_message([("winmail.dat", tnef)]))
    assert got == [
        ("winmail.dat", None, "tnef", []),
        ("原邮件.msg", "winmail.dat", "tnef", []),
        ("附件4 推荐表.pdf", "原邮件.msg", "pdf", []),
    ]


def test_tnef_garbage_never_raises() -> None:
    for data in (b"\x78\x9f\x3e\x22", b"\x78\x9f\x3e\x22" + b"\xff" * 40, b"\x78\x9f\x3e\x22\x01\x00" + bytes(range(256))):
        got = _parts(build_message([("winmail.dat", data)]))
        assert got[0][2] == "tnef" and got[0][3] == ["document.tnef"]


def test_tnef_through_the_pipeline_lists_the_inner_form(pool: ReadingPool, forms) -> None:
    name, data = forms["application"]
    raw = build_message([("winmail.dat", make_tnef([TnefFile(b"SHENBA~1.DOC", data, long_name=name)]))],
                        name_encoding="rfc2047")
    out = _docs(raw, pool)
    docs = [(d["filename"], d["container"], d["format"], d["form"]) for d in out["documents"]]
    assert docs == [("winmail.dat", None, "tnef", "unknown"), (name, "winmail.dat", "docx", "application")]
    assert "document.tnef" not in [f["rule"] for f in out["findings"]]


# --- .msg (attached Outlook items) -----------------------------------------------------------------

def test_msg_is_sniffed_from_its_streams_not_its_name() -> None:
    msg = make_msg(Msg(files=[MsgFile("a.txt", b"x")]))
    assert is_msg(msg) and sniff(msg, "转发的邮件", "application/octet-stream").format == "msg"
    doc = make_cfb({"WordDocument": word_stream(), "1Table": b"\0" * 16})
    assert not is_msg(doc) and sniff(doc, "a.doc").format == "doc"
    assert not is_msg(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)


def test_msg_attachments_nested_items_and_body_links() -> None:
    inner = Msg(subject="原邮件：推荐表", files=[MsgFile("附件4 推荐表.txt", b"rec")])
    outer = Msg(
        body="材料在百度网盘：https://pan.baidu.com/s/1abcDEF 提取码：qc20",
        files=[
            MsgFile("附件1 申报表.pdf", PDF, short_name="SHENBA~1.PDF"),
            MsgFile("image001.png", b"\x89PNG\r\n\x1a\n", content_id="image001.png@01D6875C.8A4B2C30", hidden=True),
            MsgFile(None, embedded=inner),
        ],
    )
    raw = build_message([("转发：推荐材料.msg", make_msg(outer))])
    u = unpack_message(raw)
    assert [(p.filename, p.container, p.format, [x.rule for x in p.problems]) for p in u.parts] == [
        ("转发：推荐材料.msg", None, "msg", []),
        ("附件1 申报表.pdf", "转发：推荐材料.msg", "pdf", []),
        ("原邮件：推荐表.msg", "转发：推荐材料.msg", "msg", []),
        ("附件4 推荐表.txt", "原邮件：推荐表.msg", "txt", []),
    ]
    assert u.parts[1].data == PDF
    assert [p.rule for p in u.problems] == ["message.download_link"]
    assert "pan.baidu.com" in u.problems[0].detail


def test_msg_with_8bit_gbk_strings() -> None:
    msg = Msg(unicode=False, codepage=936, files=[MsgFile("附件2 工作总结.docx".encode("gbk"), DOCX_BYTES)])
    assert _parts(build_message([("x.msg", make_msg(msg))]))[1] == ("附件2 工作总结.docx", "x.msg", "docx", [])


def test_msg_nesting_stops_at_the_depth_limit() -> None:
    item = Msg(subject="第4层", files=[MsgFile("深.txt", b"x")])
    for level in (3, 2, 1):
        item = Msg(subject=f"第{level}层", files=[MsgFile(None, embedded=item)])
    got = _parts(build_message([("外.msg", make_msg(item))]), Limits(max_depth=2))
    assert [g[0] for g in got] == ["外.msg", "第2层.msg", "第3层.msg"]
    assert got[-1][3] == ["archive.too_deep"]


def test_msg_member_over_the_size_limit_is_refused() -> None:
    msg = Msg(files=[MsgFile("大.pdf", PDF + b"\0" * 6000), MsgFile("小.pdf", PDF)])
    got = _parts(build_message([("x.msg", make_msg(msg))]), Limits(max_part_bytes=5000))
    assert (got[1][0], got[1][3]) == ("大.pdf", ["archive.too_large"])
    assert got[2] == ("小.pdf", "x.msg", "pdf", [])


def test_msg_with_more_attachments_than_the_part_limit_is_refused_before_opening_them() -> None:
    msg = Msg(files=[MsgFile(f"{i}.txt", b"x") for i in range(6)])
    got = _parts(build_message([("x.msg", make_msg(msg))]), Limits(max_parts=4))
    assert got == [("x.msg", None, "msg", ["archive.too_many"])]


def test_damaged_msg_is_corrupt_never_a_crash() -> None:
    data = make_msg(Msg(files=[MsgFile("a.pdf", PDF * 400)]))
    for broken in (data[:1536], data[:-700], data[:600] + b"\xff" * (len(data) - 600)):
        got = _parts(build_message([("x.msg", broken)]))
        assert got[0][0] == "x.msg"  # listed, whatever it turned out to be


def test_msg_through_the_pipeline_lists_the_inner_forms(pool: ReadingPool, forms) -> None:
    (app_name, app), (stat_name, stat) = forms["application"], forms["statistics"]
    msg = Msg(files=[MsgFile(app_name, app), MsgFile(None, embedded=Msg(subject="统计表", files=[MsgFile(stat_name, stat)]))])
    out = _docs(build_message([("推荐材料.msg", make_msg(msg))]), pool)
    docs = [(d["filename"], d["container"], d["format"], d["form"]) for d in out["documents"]]
    assert docs == [
        ("推荐材料.msg", None, "msg", "unknown"),
        (app_name, "推荐材料.msg", "docx", "application"),
        ("统计表.msg", "推荐材料.msg", "msg", "unknown"),
        (stat_name, "统计表.msg", "xlsx", "statistics"),
    ]
    assert not [f for f in out["findings"] if f["document"] in ("推荐材料.msg", "统计表.msg")]


# --- uuencode in a plain-text body -----------------------------------------------------------------

def _uu(name: bytes, data: bytes, strip: bool = True) -> bytes:
    lines = [binascii.b2a_uu(data[i:i + 45], backtick=False) for i in range(0, len(data), 45)]
    if strip:  # mail transports strip trailing white space (zero bits in uuencode)
        lines = [line.rstrip(b" \n") + b"\n" for line in lines]
    return b"begin 644 " + name + b"\n" + b"".join(lines) + b"`\nend\n"


def test_uuencoded_files_are_decoded_line_by_line() -> None:
    blob = bytes(range(256)) * 3 + b"\0" * 50  # ends in zero bytes: its last lines lose their spaces
    body = b"hello\n" + _uu("附件1 申报表.pdf".encode("gbk"), PDF + blob) + b"bye\n" + _uu(b"b.txt", b"xyz", strip=False)
    files, rest = extract(body)
    assert [(f.raw_name.decode("gbk"), f.data, f.complete) for f in files] == [
        ("附件1 申报表.pdf", PDF + blob, True), ("b.txt", b"xyz", True)]
    assert rest == b"hello\nbye\n"
    cut, _ = extract(b"begin 644 c.pdf\n" + binascii.b2a_uu(PDF) + b"-- \nsignature\n")
    assert [(f.data, f.complete) for f in cut] == [(PDF, False)]
    assert extract(b"we begin 644 at noon\nnothing here\n")[0] == []


def _plain_message(body: bytes, charset: str = "gbk") -> bytes:
    return (b"From: a@example.cn\r\nTo: qc@example.org\r\nSubject: uu\r\nMessage-ID: <uu@x>\r\n"
            b"Date: Thu, 10 Sep 2020 10:00:00 +0800\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body.replace(b"\n", b"\r\n"))


def test_uuencoded_attachments_of_a_text_body_become_parts() -> None:
    body = "请查收附件。\n".encode("gbk") + _uu("附件3 统计表.txt".encode("gbk"), "统计".encode()) + _uu(b"C:\\x\\a.pdf", PDF)
    u = unpack_message(_plain_message(body))
    assert [(p.filename, p.container, p.format, [x.rule for x in p.problems]) for p in u.parts] == [
        ("附件3 统计表.txt", None, "txt", []), ("a.pdf", None, "pdf", ["archive.unsafe_name"])]
    assert u.parts[0].data == "统计".encode()
    assert u.body_text == "请查收附件。"


def test_uuencoded_file_inside_an_attached_message() -> None:
    inner = _plain_message(_uu(b"rec.pdf", PDF), "us-ascii")
    raw = build_message([], attached_messages=[inner])
    assert _parts(raw) == [("uu.eml", None, "eml", []), ("rec.pdf", "uu.eml", "pdf", [])]


# --- attachments sent inline (Apple Mail) --------------------------------------------------------

def _leaf(headers: list[str], data: bytes) -> bytes:
    return ("\r\n".join(headers) + "\r\nContent-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(data)


def _multi(subtype: str, boundary: str, parts: list[bytes]) -> bytes:
    out = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
    for p in parts:
        out += f"--{boundary}\r\n".encode() + p + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def test_inline_named_parts_in_alternative_and_related_are_attachments_but_logos_are_not() -> None:
    html = _leaf(["Content-Type: text/html; charset=utf-8"], "<p>请查收</p><img src=cid:logo>".encode())
    pdf = _leaf(['Content-Type: application/pdf; name="附件1 申报表.pdf"',
                 "Content-Disposition: inline; filename*=utf-8''%E9%99%84%E4%BB%B61%20%E7%94%B3%E6%8A%A5%E8%A1%A8.pdf",
                 "Content-Id: <A1B2C3D4-0001@apple.com>"], PDF)
    photo = _leaf(['Content-Type: image/jpeg; name="seal.jpg"', 'Content-Disposition: inline; filename="seal.jpg"',
                   "Content-Id: <F3B1C2D4-77AA@apple.com>"], b"\xff\xd8\xff\xe0photo")
    logo = _leaf(['Content-Type: image/png; name="image001.png"', 'Content-Disposition: inline; filename="image001.png"',
                  "Content-ID: <image001.png@01D6875C.8A4B2C30>"], b"\x89PNG\r\n\x1a\nlogo")
    unnamed = _leaf(["Content-Type: image/gif", "Content-ID: <x1@foxmail>"], b"GIF89a")
    txt = _leaf(['Content-Type: text/plain; charset=utf-8; name="附件3.txt"', "Content-Disposition: inline"], "统计".encode())
    related = _multi("related", "rel", [html, pdf, photo, logo, unnamed])
    alternative = _multi("alternative", "alt", [_leaf(["Content-Type: text/plain; charset=utf-8"], "请查收".encode()),
                                                related, txt])
    raw = (b"From: gd@icloud.com\r\nTo: qc@example.org\r\nSubject: fwd\r\nMessage-ID: <a@b>\r\n"
           b"Date: Thu, 10 Sep 2020 10:00:00 +0800\r\nMIME-Version: 1.0\r\n" + alternative)
    u = unpack_message(raw)
    assert [(p.filename, p.format) for p in u.parts] == [("附件1 申报表.pdf", "pdf"), ("seal.jpg", "image"), ("附件3.txt", "txt")]
    assert u.body_text == "请查收"


@pytest.mark.parametrize(("name", "cid", "logo"), [
    ("image001.png", "<image001.png@01D6875C.8A4B2C30>", True),
    ("", "<x@y>", True),
    ("~WRD000.jpg", "<~WRD000.jpg>", True),
    ("盖章页.jpg", "<F3B1C2D4-77AA@apple.com>", False),
    ("盖章页.jpg", None, False),
])
def test_body_pictures(name: str, cid: str | None, logo: bool) -> None:
    assert body_picture(name, cid) is logo
