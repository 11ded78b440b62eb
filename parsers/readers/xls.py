"""Excel 97–2003 .xls → Document, same shape as the xlsx reader (title paragraph + Table per sheet).

``formatting_info=True`` is what makes xlrd report merged ranges and number formats (percent);
some files xlrd cannot format-parse, so it falls back to plain values.
"""

from __future__ import annotations

import io

import xlrd
from xlrd.biffh import XLRDError  # the class xlrd re-exports; its stubs omit the re-export

from parsers.model import Document, Problem
from parsers.readers.cells import (
    date_text,
    is_percent_format,
    number_text,
    percent_text,
    sheets_document,
    sparse_grid,
)


class Encrypted(Exception):
    """xlrd saw a FILEPASS record."""


def open_book(data: bytes) -> xlrd.Book:
    last: Exception | None = None
    for formatting in (True, False):
        try:
            # xlrd prints warnings about damaged files to stdout unless given a log file
            return xlrd.open_workbook(file_contents=data, formatting_info=formatting, logfile=io.StringIO())
        except XLRDError as e:
            if "encrypt" in str(e).lower():
                raise Encrypted(str(e)) from e
            last = e
        except Exception as e:  # xlrd raises assorted errors on damaged BIFF streams
            last = e
    assert last is not None
    raise last


def read(data: bytes, filename: str = "", timeout: float = 60.0) -> Document:
    try:
        book = open_book(data)
    except Encrypted as e:
        return Document(problems=[Problem("document.encrypted", f"xls: {e}")], text_trusted=False)
    except Exception as e:
        return Document(problems=[Problem("document.unreadable", f"xls: {type(e).__name__}: {e}")],
                        text_trusted=False)
    return sheets_document("xls", ((sheet.name, *_sheet_grid(book, sheet)) for sheet in book.sheets()))


def _is_percent(book: xlrd.Book, sheet, r: int, c: int) -> bool:
    if not book.formatting_info:
        return False
    try:
        xf = book.xf_list[sheet.cell_xf_index(r, c)]
        return is_percent_format(book.format_map[xf.format_key].format_str)
    except (IndexError, KeyError, AttributeError):
        return False


def _text(book: xlrd.Book, sheet, r: int, c: int) -> str:
    cell = sheet.cell(r, c)
    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if kind == xlrd.XL_CELL_NUMBER:
        return percent_text(value) if _is_percent(book, sheet, r, c) else number_text(value)
    if kind == xlrd.XL_CELL_DATE:
        try:
            return date_text(xlrd.xldate_as_datetime(value, book.datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return number_text(value)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERR")
    return str(value).strip()


_EMPTY = (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)


def _sheet_grid(book: xlrd.Book, sheet) -> tuple[list[list[str]], str | None]:
    """From the non-empty cells only (see :func:`cells.sparse_grid`): 65,536 × 256 blank-but-formatted
    cells must not become a dense grid."""
    values: dict[tuple[int, int], str] = {}
    for r in range(sheet.nrows):
        for c, kind in enumerate(sheet.row_types(r)):
            if kind not in _EMPTY and (text := _text(book, sheet, r, c)):
                values[(r, c)] = text
    merges = [(rlo, clo, min(rhi, sheet.nrows), min(chi, sheet.ncols)) for rlo, rhi, clo, chi in sheet.merged_cells]
    return sparse_grid(values, merges)
