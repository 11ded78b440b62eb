"""OOXML packages whose XML is small on the wire but huge in objects are refused before they are opened.

openpyxl and python-docx pay per XML element (a ``Cell`` per ``<c>``, an entry and an element per
``<si>``, an lxml node per ``<w:p/>``); elements of 4–13 bytes compress ~1000:1, so a 100 KB file could
drive a reader to gigabytes. The fixtures are packages as Excel / Apache POI write them (cells of type
``s`` pointing into ``xl/sharedStrings.xml``) and as python-docx saves them, with one part made hostile.
"""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
import pytest

from parsers.readers import limits, office, read

SSML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _sst(body: bytes, count: str = "2") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN_NS}" count="{count}" '
            f'uniqueCount="{count}"><si><t>联系人</t></si><si><t>王明</t></si>').encode() + body + b"</sst>"


def _sheet(cells: bytes = b"") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}"><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>').encode() + cells + \
        b"</sheetData></worksheet>"


def xlsx(sst: bytes | None = None, sheet: bytes | None = None, sst_name: str = "xl/sharedStrings.xml") -> bytes:
    """A one-sheet workbook laid out as Excel / POI write it; ``sst``/``sheet`` replace those parts."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{SSML}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SSML}.worksheet+xml"/>'
            f'<Override PartName="/{sst_name}" ContentType="{SSML}.sharedStrings+xml"/></Types>').encode(),
        "_rels/.rels": ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                        f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                        'Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL}"><sheets>'
                            '<sheet name="统计表" sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="{sst_name.removeprefix("xl/")}"/>'
            '</Relationships>').encode(),
        "xl/worksheets/sheet1.xml": sheet if sheet is not None else _sheet(),
        sst_name: sst if sst is not None else _sst(b""),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def _saved_by_python_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("全国优秀质量管理小组申报表")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


PYTHON_DOCX = _saved_by_python_docx()


def python_docx(body: bytes) -> bytes:
    """The python-docx document with ``body`` at the start of its ``w:body``."""
    src = zipfile.ZipFile(io.BytesIO(PYTHON_DOCX))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + body, 1)
            z.writestr(info.filename, data)
    return out.getvalue()


@pytest.fixture
def openers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every time openpyxl or python-docx is asked to open a package."""
    calls: list[str] = []
    load, document = openpyxl.load_workbook, docx.Document
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: calls.append("openpyxl") or load(*a, **k))
    monkeypatch.setattr(docx, "Document", lambda *a, **k: calls.append("python-docx") or document(*a, **k))
    return calls


def _refused(data: bytes, fmt: str) -> str:
    doc = read(data, fmt, f"统计表.{fmt}")
    assert [p.rule for p in doc.problems] == ["document.too_large"] and doc.blocks == [], doc.problems
    return doc.problems[0].detail


def test_normal_workbook_reads_and_count_attribute_is_not_trusted(openers: list[str]) -> None:
    for count in ("2", "100000000", "1"):
        doc = read(xlsx(_sst(b"", count=count)), "xlsx", "统计表.xlsx")
        assert doc.problems == [] and doc.blocks[1].grid == [["联系人", "王明"]]
    assert openers.count("openpyxl") == 3


def test_millions_of_tiny_shared_strings_refused_before_openpyxl(openers: list[str]) -> None:
    data = xlsx(_sst(b"<si><t/></si>" * 4_900_000, count="100000000"))
    assert len(data) < 200_000  # ~120 KB on the wire, 64 MB of XML
    assert "xl/sharedStrings.xml" in _refused(data, "xlsx")
    assert openers == []


def test_too_many_shared_string_entries(openers: list[str]) -> None:
    entries = limits.MAX_SHARED_STRINGS + 1 - 2
    assert entries < limits.MAX_PACKAGE_ELEMENTS["xlsx"]  # the entry limit decides, not the element budget
    assert f"more than {limits.MAX_SHARED_STRINGS} entries" in _refused(xlsx(_sst(b"<si/>" * entries)), "xlsx")
    assert openers == []


def test_one_shared_string_of_a_huge_run_of_runs(openers: list[str]) -> None:
    runs = limits.MAX_STRING_ELEMENTS // 2 + 1  # <r><t>: two elements a run
    detail = _refused(xlsx(_sst(b"<si>" + b"<r><t>x</t></r>" * runs + b"</si>")), "xlsx")
    assert f"an entry of more than {limits.MAX_STRING_ELEMENTS} elements" in detail
    assert openers == []


def test_shared_strings_beyond_the_character_limit(openers: list[str]) -> None:
    huge = b"<si><t>" + b"A" * (limits.MAX_SHARED_CHARS + 1) + b"</t></si>"
    assert f"more than {limits.MAX_SHARED_CHARS} characters" in _refused(xlsx(_sst(huge)), "xlsx")
    assert openers == []


def test_shared_strings_part_found_by_its_content_type(openers: list[str]) -> None:
    data = xlsx(_sst(b"<si/>" * limits.MAX_SHARED_STRINGS), sst_name="xl/strings1.xml")
    assert "entries" in _refused(data, "xlsx")
    assert read(xlsx(sst_name="xl/strings1.xml"), "xlsx", "统计表.xlsx").blocks[1].grid == [["联系人", "王明"]]


def test_millions_of_empty_cells_refused_before_openpyxl(openers: list[str]) -> None:
    rows = b"".join(b'<row r="%d">' % r + b"<c/>" * 1000 + b"</row>" for r in range(2, 302))
    assert f"more than {limits.MAX_SHEET_CELLS} worksheet cells" in _refused(xlsx(sheet=_sheet(rows)), "xlsx")
    assert openers == []


def test_cells_below_the_limit_are_still_read_and_cut() -> None:
    rows = b"".join(b'<row r="%d">' % r + b"<c><v>1</v></c>" * 100 + b"</row>" for r in range(2, 502))
    doc = read(xlsx(sheet=_sheet(rows)), "xlsx", "统计表.xlsx")
    assert doc.blocks and [p.rule for p in doc.problems] == ["document.too_large"]  # read, then cut


def test_docx_with_millions_of_empty_paragraphs_refused_before_python_docx(openers: list[str]) -> None:
    data = python_docx(b"<w:p/>" * (limits.MAX_PACKAGE_ELEMENTS["docx"] + 1))
    assert len(data) < 200_000
    assert "word/document.xml" in _refused(data, "docx")
    assert openers == []


def test_entities_in_shared_strings_are_still_refused_by_the_reader() -> None:
    sst = _sst(b"").replace(b"<sst ", b'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]><sst ', 1)
    doc = read(xlsx(sst), "xlsx", "统计表.xlsx")
    assert [p.rule for p in doc.problems] == ["document.unreadable"]


def test_what_libreoffice_converts_is_judged_like_a_sent_file(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = xlsx(_sst(b"<si/>" * limits.MAX_SHARED_STRINGS))
    monkeypatch.setattr(office, "convert", lambda data, ext, target, timeout=60.0: bomb)
    doc = office.read(b"\xd0\xcf\x11\xe0", "统计表.et", source="et")
    assert [p.rule for p in doc.problems] == ["document.too_large"] and doc.meta["converted_from"] == "et"


def test_cell_pointing_past_the_shared_strings_is_a_damaged_file() -> None:
    sheet = _sheet(b'<row r="2"><c r="A2" t="s"><v>7</v></c></row>')
    doc = read(xlsx(sheet=sheet), "xlsx", "统计表.xlsx")
    assert [p.rule for p in doc.problems] == ["document.unreadable"]


def _declaring(data: bytes, member: str, size: int) -> bytes:
    """The package with ``member``'s uncompressed size declared as ``size`` (local header and directory)."""
    import struct

    out = bytearray(data)
    name = member.encode()
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header / central directory entry
        i = out.find(sig)
        while i >= 0:
            name_at = i + (30 if sig == b"PK\x03\x04" else 46)
            n = struct.unpack_from("<H", out, i + (26 if sig == b"PK\x03\x04" else 28))[0]
            if bytes(out[name_at:name_at + n]) == name:
                struct.pack_into("<I", out, i + at, size)
            i = out.find(sig, i + 4)
    return bytes(out)


def test_a_small_package_is_not_streamed_twice_and_a_lying_directory_gains_nothing(
        openers: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts too small to hold more elements than allowed are not counted (a form's package: ~2 ms saved a
    document); zipfile reads no more than a part's declared size, so a bomb that declares a small size to
    skip the count is read as a damaged file, never inflated."""
    streamed: list[str] = []
    count = limits._count_elements
    monkeypatch.setattr(limits, "_count_elements", lambda z, i, f: streamed.append(f) or count(z, i, f))
    plain = read(python_docx("<w:p><w:r><w:t>企业名称</w:t></w:r></w:p>".encode()), "docx", "申报表.docx")
    assert plain.problems == [] and streamed == [] and openers == ["python-docx"]
    bomb = python_docx(b"<w:p/>" * (limits.MAX_PACKAGE_ELEMENTS["docx"] + 1))
    lying = _declaring(bomb, "word/document.xml", 40_000)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("word/document.xml").file_size == 40_000
    doc = read(lying, "docx", "申报表.docx")
    assert streamed == [] and doc.text_trusted is False
    assert [p.rule for p in doc.problems] == ["document.unreadable"], doc.problems
