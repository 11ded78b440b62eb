"""Attachment names and headers decoded as the sender wrote them, whatever the client."""

from __future__ import annotations

import pytest

from intake.unpack import unpack_message
from intake.unpack.names import clean_member_path, decode_header, decode_words, header_param
from tests.fixtures.mail import NAME_ENCODINGS, build_message

GBK_ONLY = "附件1 朱镕基与喆珺的申报表（2020）.docx"  # 镕 喆 珺 are in GBK but not in GB2312
PDF = b"%PDF-1.4\n% test\n"


@pytest.mark.parametrize("encoding", NAME_ENCODINGS)
def test_each_name_encoding_is_decoded(encoding: str) -> None:
    raw = build_message([(GBK_ONLY, PDF), ("附件3 统计表.xlsx", b"plain bytes")], name_encoding=encoding)
    u = unpack_message(raw)
    assert [p.filename for p in u.parts] == [GBK_ONLY, "附件3 统计表.xlsx"]
    assert [p.container for p in u.parts] == [None, None]
    assert u.parts[0].data == PDF
    assert u.problems == []


def test_gb2312_label_is_widened_to_gb18030_for_gbk_only_characters() -> None:
    word = "=?gb2312?B?" + __import__("base64").b64encode("喆珺.pdf".encode("gbk")).decode() + "?="
    assert decode_words(word) == "喆珺.pdf"


def test_raw_gbk_header_value_is_decoded_from_wire_bytes() -> None:
    wire = b'attachment; filename="' + "统计表.xls".encode("gbk") + b'"'
    assert header_param(wire, "filename") == "统计表.xls"
    surrogate_escaped = wire.decode("ascii", "surrogateescape")  # how the email parser keeps 8-bit headers
    assert header_param(surrogate_escaped, "filename") == "统计表.xls"


def test_rfc2231_continuations_with_charset_and_plain_segments() -> None:
    value = "attachment; filename*0*=gb2312''%D5%C5%C8%FD; filename*1=-report; filename*2*=%2Edocx"
    assert header_param(value, "filename") == "张三-report.docx"


def test_rfc2231_extended_wins_over_plain_value() -> None:
    value = "attachment; filename=\"fallback.doc\"; filename*=UTF-8''%E7%94%B3%E6%8A%A5%E8%A1%A8.doc"
    assert header_param(value, "filename") == "申报表.doc"


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    data = "推荐表".encode()
    import base64

    first, second = base64.b64encode(data[:4]).decode(), base64.b64encode(data[4:]).decode()
    assert decode_words(f"=?UTF-8?B?{first}?= =?UTF-8?B?{second}?=") == "推荐表"


def test_nfd_names_are_normalised_to_nfc() -> None:
    assert decode_header("caf\u0065\u0301.docx") == "caf\u00e9.docx"


def test_name_only_part_without_content_disposition_is_an_attachment() -> None:
    raw = build_message([("附件4 推荐表.xls", b"\xd0\xcf\x11\xe0garbage")], name_encoding="name-only")
    assert b"Content-Disposition: attachment;" not in raw
    u = unpack_message(raw)
    assert [p.filename for p in u.parts] == ["附件4 推荐表.xls"]


def test_inline_part_with_a_name_is_an_attachment_and_body_stays_body() -> None:
    raw = build_message([("附件1 申报表.pdf", PDF)], disposition="inline", name_encoding="rfc2047")
    u = unpack_message(raw)
    assert [(p.filename, p.format) for p in u.parts] == [("附件1 申报表.pdf", "pdf")]
    assert u.body_text.startswith("您好，附件是我省")


def test_windows_path_in_attachment_name_keeps_only_the_file_name() -> None:
    raw = build_message([("C:\\Users\\张三\\桌面\\附件2 工作总结.docx", b"x")], name_encoding="rfc2047")
    assert unpack_message(raw).parts[0].filename == "附件2 工作总结.docx"


@pytest.mark.parametrize(
    ("name", "clean", "unsafe"),
    [
        ("材料/附件1.docx", "材料/附件1.docx", False),
        ("../../etc/passwd", "etc/passwd", True),
        ("/abs/附件.pdf", "abs/附件.pdf", True),
        ("C:\\Windows\\evil.doc", "Windows/evil.doc", True),
        ("材料\\附件2.docx", "材料/附件2.docx", True),
        ("a/./b/../c.txt", "a/b/c.txt", True),
    ],
)
def test_member_paths_are_cleaned_for_display(name: str, clean: str, unsafe: bool) -> None:
    assert clean_member_path(name) == (clean, unsafe)
