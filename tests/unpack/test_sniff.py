"""The format comes from the bytes; the extension only breaks ties."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from intake.unpack import unpack_message
from intake.unpack.sniff import sniff
from tests.fixtures.mail import build_message, make_7z, make_zip
from tests.unpack.cfbgen import make_cfb, word_stream, workbook_stream

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def _ooxml(kind: str) -> bytes:
    part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}[kind]
    ctype = {"docx": "wordprocessingml.document.main", "xlsx": "spreadsheetml.sheet.main"}[kind]
    types = f'<Types><Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.{ctype}+xml"/></Types>'
    return make_zip([("[Content_Types].xml", types.encode()), (part, b"<x/>")], gbk_names=False)


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + b"\0" * 17


@pytest.mark.parametrize(
    ("data", "name", "fmt"),
    [
        (PDF, "附件1 申报表.docx", "pdf"),
        (b"garbage line\r\n" + PDF, "scan.pdf", "pdf"),
        (_ooxml("docx"), "成果报告.zip", "docx"),
        (_ooxml("docx"), "附件1 申报表.wps", "docx"),  # WPS Office writes OOXML into .wps
        (_ooxml("xlsx"), "附件3 统计表.et", "xlsx"),
        (_ooxml("xlsx"), "附件3 统计表", "xlsx"),
        (make_zip([("Word/附件1.docx", b"x")]), "材料.docx", "zip"),  # a folder called Word is not OOXML
        (make_7z([("a.txt", b"x")]), "材料.zip", "7z"),
        (b"Rar!\x1a\x07\x01\x00" + b"\0" * 20, "材料.zip", "rar"),
        (b"Rar!\x1a\x07\x00" + b"\0" * 20, "材料", "rar"),
        (_png(), "公章.pdf", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "活动照片.docx", "image"),
        (b"GIF89a\x01\x00", "a", "image"),
        (b"II*\x00\x08\x00", "扫描.tif", "image"),
        (make_cfb({"WordDocument": word_stream(), "1Table": b"t"}), "附件1 申报表.docx", "doc"),
        (make_cfb({"WordDocument": word_stream()}), "附件1 申报表.wps", "wps"),
        (make_cfb({"Workbook": workbook_stream()}), "附件3 统计表.xlsx", "xls"),
        (make_cfb({"Book": workbook_stream()}), "附件3 统计表.et", "et"),
        ("一、基本情况\r\n我省QC小组……".encode("gbk"), "工作总结.doc", "txt"),
        ("一、基本情况".encode(), "总结", "txt"),
        ("\ufeff一、基本情况".encode("utf-16-le"), "总结.txt", "txt"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "统计表.xls", "html"),
        (b"{\\rtf1\\ansi hello}", "申报表.doc", "rtf"),
        (b"{\\rtf1\\ansi hello}", "申报表", "rtf"),
        (b'<?xml version="1.0"?>\r\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>', "统计表.xls", "xls"),
        (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n--b\r\n"
         b"Content-Type: text/html\r\n\r\n<html></html>\r\n--b--\r\n", "申报表.doc", "html"),
        ("推荐单位,广西质量协会,,\r\n注册小组数,120,,\r\n".encode("gbk"), "统计表.xls", "csv"),
        ("\ufeff推荐单位,广西质量协会\r\n".encode(), "统计表.csv", "csv"),
        ("推荐单位\t广西质量协会\n注册小组数\t120\n".encode(), "统计表", "csv"),
        ("\t一、基本情况\n\t我省共有小组1,234个\n\t二、做法\n".encode(), "工作总结.txt", "txt"),
        (b"From: a@b.cn\r\nTo: c@d.cn\r\nSubject: x\r\nDate: Mon, 14 Sep 2020 09:30:00 +0800\r\n\r\nhi", "转发", "eml"),
        (bytes(range(256)) * 4, "附件1 申报表.docx", "docx"),  # unknown bytes: the extension decides
        (bytes(range(256)) * 4, "数据.bin", "other"),
    ],
)
def test_format_is_sniffed_from_bytes(data: bytes, name: str, fmt: str) -> None:
    assert sniff(data, name).format == fmt


def test_declared_message_rfc822_with_few_headers_is_eml() -> None:
    assert sniff(b"Subject: x\r\n\r\nbody", "", "message/rfc822").format == "eml"
    assert sniff(b"Subject: x\r\n\r\nbody", "notes.txt").format == "txt"


@pytest.mark.parametrize(
    ("streams", "name", "fmt"),
    [
        ({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"\x01" * 5000}, "附件1 申报表.docx", "docx"),
        ({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"\x01" * 5000}, "附件3 统计表.xlsx", "xlsx"),
        ({"WordDocument": word_stream(encrypted=True)}, "附件1 申报表.doc", "doc"),
        ({"Workbook": workbook_stream(encrypted=True)}, "附件5 评审汇总表.xls", "xls"),
    ],
)
def test_encrypted_office_files(streams: dict[str, bytes], name: str, fmt: str) -> None:
    s = sniff(make_cfb(streams), name)
    assert s.format == fmt
    assert [p.rule for p in s.problems] == ["document.encrypted"]


def test_unencrypted_cfb_has_no_problem() -> None:
    assert sniff(make_cfb({"Workbook": workbook_stream()}), "a.xls").problems == []


def test_truncated_cfb_falls_back_to_extension() -> None:
    data = make_cfb({"WordDocument": word_stream()})[:600]
    assert sniff(data, "附件1.doc").format == "doc"


@pytest.mark.libreoffice
def test_real_libreoffice_doc_and_xls(lo_office_files: dict[str, bytes]) -> None:
    assert sniff(lo_office_files["a.doc"], "附件1 申报表.docx") .format == "doc"
    assert sniff(lo_office_files["a.doc"], "附件1 申报表.wps").format == "wps"
    assert sniff(lo_office_files["b.xls"], "统计表.xlsx").format == "xls"
    assert sniff(lo_office_files["b.xls"], "统计表.et").format == "et"
    assert sniff(lo_office_files["b.xls"], "统计表.xls").problems == []


def test_sniffed_format_reaches_the_part_and_name_is_kept() -> None:
    docx = _ooxml("docx")
    u = unpack_message(build_message([("附件1 申报表.pdf", docx), ("附件1 申报表.docx", PDF)]))
    assert [(p.filename, p.format) for p in u.parts] == [("附件1 申报表.pdf", "docx"), ("附件1 申报表.docx", "pdf")]
    assert zipfile.ZipFile(io.BytesIO(u.parts[0].data)).namelist()[-1] == "word/document.xml"


def test_container_with_a_stored_pdf_is_still_a_container() -> None:
    stored = make_zip([("a.pdf", PDF)], compression=zipfile.ZIP_STORED)
    assert PDF in stored[:200]
    assert sniff(stored, "a.zip").format == "zip"
    assert sniff(make_7z([("a.pdf", PDF)]), "a.7z").format == "7z"
