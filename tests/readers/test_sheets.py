"""xlsx and xls readers: used range, merges, numbers, percent, dates, formulas, bad files."""

from __future__ import annotations

import pytest

from parsers.readers import office, read
from parsers.readers.cells import date_text, is_percent_format, number_text, percent_text
from tests.fixtures import office as build


@pytest.fixture(scope="module", params=["xlsx", "xls"])
def sheet(request):
    data = build.xlsx_form() if request.param == "xlsx" else build.xls_form()
    return request.param, read(data, request.param, f"统计表.{request.param}")


def test_sheet_title_then_trimmed_table(sheet):
    fmt, doc = sheet
    assert doc.problems == []
    assert doc.blocks[0] == "统计表"
    t = doc.tables[0]
    assert t.n_rows == 6 and t.n_cols == 4  # B2:E7, empty row 1 and column A trimmed
    assert len(doc.tables) == 1  # the empty second sheet gives no table


def test_merges_filled(sheet):
    _, doc = sheet
    t = doc.tables[0]
    assert t.grid[0] == ["质量管理小组活动统计表"] * 4
    assert t.cell(4, 0) == t.cell(5, 0) == "地点"
    assert t.right_of(4, 0) == (4, 1) and t.cell(5, 1) == "上海"


def test_numbers_percent_dates(sheet):
    _, doc = sheet
    t = doc.tables[0]
    assert t.cell(1, 1) == "1000"  # stored as 1000.0
    assert t.cell(1, 3) == "85.5%"  # 0.855 with a percent format
    assert t.cell(2, 1) == "420"
    assert t.cell(3, 1) == "2020-09-14"
    assert t.cell(3, 3) == "1234.5"


@pytest.mark.libreoffice
def test_formula_without_cached_value_is_recalculated():
    doc = read(build.xlsx_form(), "xlsx", "a.xlsx")
    assert doc.tables[0].cell(2, 3) == "2000" and doc.meta.get("recalculated") is True


def test_formula_without_cached_value_is_never_its_formula_text(monkeypatch):
    """Without LibreOffice the cell is empty (not ``=C3*2``) and the workbook goes to staff."""
    monkeypatch.setattr(office, "soffice", lambda: None)
    doc = read(build.xlsx_form(), "xlsx", "a.xlsx")
    assert doc.tables[0].cell(2, 3) == ""
    assert [p.rule for p in doc.problems] == ["converter.missing"] and not doc.text_trusted


@pytest.mark.libreoffice
def test_formula_with_cached_value_gives_value(legacy_files):
    t = read(legacy_files["xlsx_lo"], "xlsx", "a.xlsx").tables[0]
    assert t.cell(2, 3) == "2000"


def test_truncated_spreadsheets_unreadable():
    for fmt, data in (("xlsx", build.xlsx_form()), ("xls", build.xls_form())):
        doc = read(data[:700], fmt, f"x.{fmt}")
        assert [p.rule for p in doc.problems] == ["document.unreadable"], fmt


def test_encrypted_xlsx():
    pytest.importorskip("msoffcrypto")
    doc = read(build.encrypt_ooxml(build.xlsx_form()), "xlsx", "加密.xlsx")
    assert [p.rule for p in doc.problems] == ["document.encrypted"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(1000.0, "1000"), (0.1 + 0.2, "0.3"), (12.50, "12.5"), (-3.0, "-3"), (7, "7"), (1e16, "10000000000000000")],
)
def test_number_text(value, text):
    assert number_text(value) == text


def test_percent_and_formats():
    assert percent_text(0.85) == "85%"
    assert percent_text(0.8523) == "85.23%"
    assert is_percent_format("0.00%") and is_percent_format("0%")
    assert not is_percent_format('0"%"') and not is_percent_format("General") and not is_percent_format(None)


def test_date_text():
    import datetime as dt

    assert date_text(dt.datetime(2020, 9, 15)) == "2020-09-15"
    assert date_text(dt.datetime(2020, 9, 15, 14, 30)) == "2020-09-15 14:30"
    assert date_text(dt.date(2020, 9, 1)) == "2020-09-01"


def _with_entities(xlsx: bytes) -> bytes:
    """The same workbook whose sheet XML declares entities (billion laughs, an external file)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                doctype = (b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                           b'<!ENTITY x SYSTEM "file:///etc/passwd">]>')
                head, sep, rest = data.partition(b"?>")
                data = head + sep + doctype + rest if sep else doctype + data
            zout.writestr(info, data)
    return out.getvalue()


def test_xlsx_entity_declarations_are_refused_not_expanded():
    """defusedxml is installed, so openpyxl refuses DTD entities: a crafted sheet is unreadable, never
    expanded (billion laughs) nor resolved (/etc/passwd into a cell)."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML, "defusedxml must be installed (pyproject dependency)"
    doc = read(_with_entities(build.xlsx_form()), "xlsx", "统计表.xlsx")
    assert [p.rule for p in doc.problems] == ["document.unreadable"]
    assert "root:" not in doc.text()
