"""Word and Excel templates and macro-enabled files are read as documents, never called damaged.

Built the way Word and Excel make them from a document: "Save as template" / "save with macros"
changes the main part's declared content type (and adds ``vbaProject.bin`` for macros); the body
is the same WordprocessingML / SpreadsheetML. python-docx refuses anything but the .docx type.
"""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
import pytest

from intake.unpack.sniff import sniff
from parsers.readers import read

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def _retyped(data: bytes, old: str, new: str, macros_in: str | None = None) -> bytes:
    """``data`` with the main part's content type ``new``; with ``macros_in`` (``word``/``xl``) also a
    vbaProject.bin part, its relationship and its Default content type, as Office saves macros."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "[Content_Types].xml":
                body = body.replace(old.encode(), new.encode())
                if macros_in:
                    body = body.replace(b"<Default ", b'<Default Extension="bin" '
                                        b'ContentType="application/vnd.ms-office.vbaProject"/><Default ', 1)
            if macros_in and info.filename == f"{macros_in}/_rels/{'document' if macros_in == 'word' else 'workbook'}.xml.rels":
                body = body.replace(b"</Relationships>", f'<Relationship Id="rIdVba" Type="{VBA_REL}" '
                                    'Target="vbaProject.bin"/></Relationships>'.encode())
            z.writestr(info, body)
        if macros_in:
            z.writestr(f"{macros_in}/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    return out.getvalue()


def _python_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("全国优秀质量管理小组申报表")
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "企业名称", "中国石化扬子石油化工有限公司"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _openpyxl() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    ws["A1"], ws["B1"] = "联系人", "王明"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("ext", "ctype", "macros"), [
    ("dotx", "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", False),
    ("docm", "application/vnd.ms-word.document.macroEnabled.main+xml", True),
    ("dotm", "application/vnd.ms-word.template.macroEnabledTemplate.main+xml", True),
])
def test_word_template_and_macro_files_read_as_documents(ext: str, ctype: str, macros: bool) -> None:
    data = _retyped(_python_docx(), WORD, ctype, "word" if macros else None)
    name = f"附件1 申报表.{ext}"
    assert sniff(data, name).format == "docx"
    doc = read(data, "docx", name)
    assert doc.problems == [] and doc.text_trusted
    assert doc.blocks[0] == "全国优秀质量管理小组申报表"
    assert doc.blocks[1].grid == [["企业名称", "中国石化扬子石油化工有限公司"]]


@pytest.mark.parametrize(("ext", "ctype", "macros"), [
    ("xltx", "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml", False),
    ("xlsm", "application/vnd.ms-excel.sheet.macroEnabled.main+xml", True),
    ("xltm", "application/vnd.ms-excel.template.macroEnabled.main+xml", True),
])
def test_excel_template_and_macro_files_read_as_workbooks(ext: str, ctype: str, macros: bool) -> None:
    data = _retyped(_openpyxl(), SHEET, ctype, "xl" if macros else None)
    name = f"附件3 统计表.{ext}"
    assert sniff(data, name).format == "xlsx"
    doc = read(data, "xlsx", name)
    assert doc.problems == []
    assert doc.blocks[1].grid == [["联系人", "王明"]]


@pytest.mark.parametrize(("ext", "fmt"), [("dotx", "docx"), ("dotm", "docx"), ("xltx", "xlsx"), ("xltm", "xlsx")])
def test_cut_off_template_keeps_its_format(ext: str, fmt: str) -> None:
    """Truncated in transit: reported as the damaged document it is, not as a broken archive."""
    data = _python_docx() if fmt == "docx" else _openpyxl()
    assert sniff(data[: len(data) // 2], f"申报表.{ext}").format == fmt


def test_a_document_stays_byte_identical_when_nothing_needs_retyping() -> None:
    from parsers.readers.docx import as_document_package

    data = _python_docx()
    assert as_document_package(data) is data
    assert as_document_package(b"PK\x03\x04 not a zip") == b"PK\x03\x04 not a zip"
