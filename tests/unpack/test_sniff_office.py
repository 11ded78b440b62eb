"""Office files sniffed from their bytes that must not be called damaged, and broken ones that must.

Fixtures are built the way the files are made: compound files with the storages Excel writes for an
embedded object, OOXML packages as Word/Excel/python-docx save them, zips as zipfile writes them.
"""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from intake.pipeline import check_message
from intake.unpack import unpack_message
from intake.unpack.sniff import sniff
from parsers.read_file import read_file
from parsers.readers import read
from parsers.result import DocumentResult
from rules import evaluate, load_campaign
from tests.fixtures.mail import build_message
from tests.rules import builders as B
from tests.unpack.cfbgen import biff8_workbook, make_cfb, word_stream

CELLS = {(0, 0): "质量管理小组活动统计表", (1, 0): "联系人", (1, 1): "王明"}


def _workbook_with_embedded_word() -> bytes:
    """An Excel 97 workbook with a Word document embedded as an object: Excel keeps the object's own
    compound file under ObjectPool/_<id>/, so a WordDocument stream sits two storages below the root."""
    return make_cfb({
        "Workbook": biff8_workbook("统计表", CELLS),
        "\x05SummaryInformation": b"\xfe\xff",
        "ObjectPool/_1234567890/\x01Ole": b"\x01\x00\x00\x02",
        "ObjectPool/_1234567890/\x01CompObj": b"\x01\x00\xfe\xff",
        "ObjectPool/_1234567890/\x03ObjInfo": b"\x00\x00\x03\x00",
        "ObjectPool/_1234567890/WordDocument": word_stream(),
        "ObjectPool/_1234567890/1Table": b"\x00" * 64,
    })


def test_workbook_with_an_embedded_word_object_is_a_workbook() -> None:
    data = _workbook_with_embedded_word()
    for name in ("附件3 统计表.xls", "附件3 统计表.xlsx", "附件3 统计表"):
        s = sniff(data, name)
        assert (s.format, s.problems) == ("xls", []), name
    doc = read(data, "xls", "附件3 统计表.xls")
    assert doc.problems == []
    assert doc.blocks[1].grid == [["质量管理小组活动统计表", ""], ["联系人", "王明"]]


# ---------------------------------------------------------------- broken packages named as forms

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _zip(members: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (name, body) in enumerate(members):
            z.writestr(name, body, compress_type=zipfile.ZIP_STORED if stored_first and i == 0 else None)
    return out.getvalue()


def _empty_zip() -> bytes:
    data = _zip([])
    assert data[:4] == b"PK\x05\x06" and len(data) == 22  # the end-of-central-directory record alone
    return data


def _python_docx(text: str = "全国优秀质量管理小组申报表") -> bytes:
    d = docx.Document()
    d.add_paragraph(text)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _docx_without_document() -> bytes:
    """A python-docx package that lost word/document.xml (a sync tool or a broken save)."""
    src = zipfile.ZipFile(io.BytesIO(_python_docx()))
    return _zip([(i.filename, src.read(i)) for i in src.infolist() if i.filename != "word/document.xml"])


def _theme_only() -> bytes:
    """An OOXML package holding nothing but its manifest and a theme (Word's leftovers, no document)."""
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/word/theme/theme1.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/></Types>')
    theme = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a:theme xmlns:a='
             '"http://schemas.openxmlformats.org/drawingml/2006/main" name="Office Theme"/>')
    return _zip([("[Content_Types].xml", types.encode()), ("word/theme/theme1.xml", theme.encode())])


def _read(data: bytes, name: str) -> DocumentResult:
    s = sniff(data, name)
    res = read_file(data, name, s.format)
    res.problems[:0] = s.problems
    return res


def _rules(findings) -> list[tuple[str, str, str | None]]:
    return [(f.rule, f.severity, f.document) for f in findings]


def test_empty_zip_named_as_a_form_is_that_form_damaged() -> None:
    """22 bytes named 统计表.xlsx: not an archive with no members (the receipt said 未收到统计表)."""
    data = _empty_zip()
    assert sniff(data, "附件3 统计表.xlsx").format == "xlsx"
    assert sniff(data, "附件1 申报表.docx").format == "docx"
    assert sniff(data, "附件1 申报表.wps").format == "docx"
    assert sniff(data, "材料.zip").format == "zip"  # named an archive, it stays one
    u = unpack_message(build_message([("附件3 统计表.xlsx", data)]))
    assert [(p.filename, p.format) for p in u.parts] == [("附件3 统计表.xlsx", "xlsx")]
    res = _read(data, "附件3 统计表.xlsx")
    assert (res.form, [p.rule for p in res.problems]) == ("statistics", ["document.unreadable"])
    docs = [res if d.form == "statistics" else d for d in B.submission()]
    findings = evaluate(load_campaign(), docs, None, [])
    assert _rules(findings) == [("document.unreadable", "error", "附件3 统计表.xlsx")]
    assert "附件3 统计表.xlsx" in findings[0].message and "损坏" in findings[0].message


def test_empty_zip_form_through_the_pipeline() -> None:
    result = check_message(build_message([("附件3 统计表.xlsx", _empty_zip())]), load_campaign()).to_json()
    assert [(d["filename"], d["format"], d["form"]) for d in result["documents"]] == [
        ("附件3 统计表.xlsx", "xlsx", "statistics")]
    rules = {(f["rule"], f["severity"], f["document"]) for f in result["findings"]}
    assert ("document.unreadable", "error", "附件3 统计表.xlsx") in rules
    assert not any(f["rule"] == "statistics.missing" for f in result["findings"])


@pytest.mark.parametrize("make", [_theme_only, _docx_without_document], ids=["theme-only", "no-document-xml"])
def test_package_without_its_document_is_no_word_copy(make) -> None:
    """Unreadable, an error naming the file, and the group it was meant for still lacks its Word copy."""
    name = "附件1 申报表（攀登QC小组）.docx"
    data = make()
    assert sniff(data, name).format == "docx"
    assert sniff(data, "附件1 申报表").format == "docx"  # no extension: its word/ parts say so
    res = _read(data, name)
    assert (res.form, [p.rule for p in res.problems]) == ("application", ["document.unreadable"])
    docs = [d for d in B.submission() if not (d.form == "application" and d.format == "docx" and "攀登" in d.filename)]
    findings = evaluate(load_campaign(), [*docs, res], None, [])
    assert [(f.rule, f.severity) for f in findings] == [("document.unreadable", "error"),
                                                         ("application.word.missing", "error")]
    assert findings[0].document == name and "攀登" in findings[1].message


def test_broken_extra_copy_of_a_form_that_arrived_readable_is_a_warning() -> None:
    """The README's exception stays: every group has a readable Word copy, so the broken one only warns."""
    res = _read(_docx_without_document(), "附件1 申报表（攀登QC小组）(1).docx")
    findings = evaluate(load_campaign(), [*B.submission(), res], None, [])
    assert _rules(findings) == [("document.unreadable", "warning", res.filename)]


def test_a_real_archive_named_docx_is_still_expanded() -> None:
    inner = _python_docx()
    data = _zip([("Word/附件1 申报表.docx", inner), ("说明.txt", "见附件".encode())])
    assert sniff(data, "材料.docx").format == "zip"


# ---------------------------------------------------------------- OpenDocument

def _odf(kind: str) -> bytes:
    """An OpenDocument package as LibreOffice writes it: ``mimetype`` first and stored, a manifest,
    content.xml."""
    media = f"application/vnd.oasis.opendocument.{kind}"
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                f'<manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="{media}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
               '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.3"><office:body/>'
               '</office:document-content>')
    return _zip([("mimetype", media.encode()), ("META-INF/manifest.xml", manifest.encode()),
                 ("content.xml", content.encode()), ("styles.xml", b"<x/>")], stored_first=True)


@pytest.mark.parametrize(("kind", "name", "fmt"), [("text", "附件2 工作总结.odt", "odt"),
                                                   ("spreadsheet", "附件3 统计表.ods", "ods")])
def test_opendocument_is_one_file_not_an_archive(kind: str, name: str, fmt: str) -> None:
    """An (empty, minimal) .odt/.ods is one document, read through LibreOffice; real ones are read in
    tests/readers/test_exported_formats.py."""
    data = _odf(kind)
    assert sniff(data, name).format == fmt
    assert sniff(data, "附件").format == fmt
    u = unpack_message(build_message([(name, data)]))
    assert [(p.filename, p.container, p.format) for p in u.parts] == [(name, None, fmt)]
    result = check_message(build_message([(name, data)]), load_campaign()).to_json()
    assert [(d["filename"], d["format"]) for d in result["documents"]] == [(name, fmt)]
    about = [f["rule"] for f in result["findings"] if f["document"] == name]
    assert len(about) == 1 and about[0] in ("document.unreadable", "document.unrecognised", "converter.missing"), about


def test_manifest_alone_names_opendocument_and_epub_stays_a_zip() -> None:
    no_mimetype = _zip([(n, zipfile.ZipFile(io.BytesIO(_odf("text"))).read(n))
                        for n in ("META-INF/manifest.xml", "content.xml")])
    assert sniff(no_mimetype, "总结").format == "odt"
    epub = _zip([("mimetype", b"application/epub+zip"), ("META-INF/container.xml", b"<container/>")], stored_first=True)
    assert sniff(epub, "书.zip").format == "zip"
