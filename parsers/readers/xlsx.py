"""Excel .xlsx → Document: per sheet, a title paragraph and one Table of its used range.

Loaded with ``data_only=True`` so formula cells show the value the saving program cached. A file
written by a library that never computed them (openpyxl, report generators) has formulas without
cached values: :func:`parsers.readers.formulas.uncached_formulas` finds them and the dispatcher has LibreOffice recalculate
the workbook first. A formula cell still without a value reads as empty, never as its formula text
(``=ROW()-3`` or ``=SUM(B4:B9)`` would be parsed as the numbers in it). Not read-only mode: it has no merged
ranges and WPS-saved files report bogus ``A1:A1`` dimensions there (reference-systems G).
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from xml.etree import ElementTree

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from parsers.model import Document, Problem
from parsers.readers.cells import (
    date_text,
    is_percent_format,
    number_text,
    percent_text,
    sheets_document,
    sparse_grid,
)

# Excel templates with dropdowns or conditional formats make openpyxl warn on every load.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?")



def read(data: bytes, filename: str = "", timeout: float = 60.0) -> Document:
    problems: list[Problem] = []
    data = _clip_merges(data, problems)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError,
            ElementTree.ParseError, zlib.error,
            IndexError) as e:  # a damaged package (or a cell naming a shared string that does not exist)
        return Document(problems=[Problem("document.unreadable", f"xlsx: {type(e).__name__}: {e}")],
                        text_trusted=False)
    return sheets_document("xlsx", ((ws.title, *_sheet_grid(ws)) for ws in wb.worksheets), problems)


_MERGE = re.compile(rb'(<(?:\w+:)?mergeCell\b[^>]*?\bref=")([A-Za-z]{1,3})(\d{1,7}):([A-Za-z]{1,3})(\d{1,7})"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Za-z]{1,3})(\d{1,7})"')
MAX_MERGE_SIDE = 5_000  # rows + columns of one merged range: openpyxl makes a cell object per edge position


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _letters(n: int) -> bytes:
    out = b""
    while n:
        n, rem = divmod(n - 1, 26)
        out = bytes([65 + rem]) + out
    return out


def _clip_merges(data: bytes, problems: list[Problem]) -> bytes:
    """The package with every huge merged range clipped to its sheet's cells.

    openpyxl creates a cell object for every edge position of a merged range while loading, so a
    whole column merged (``A1:A1048576``, two clicks in Excel) costs a second and 100 MB, and
    ``A1:XFD1048576`` exhausts memory before any of our code runs. Ranges whose rows + columns
    exceed :data:`MAX_MERGE_SIDE` are clipped to the last row and column holding a cell; merges in
    a normal form are a few cells, so this rewrites nothing there.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sheets = {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")}
            huge = {n for n, x in sheets.items() if any(
                (int(m[5]) - int(m[3])) + (_col(m[4]) - _col(m[2])) > MAX_MERGE_SIDE for m in _MERGE.finditer(x))}
            if not huge:
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
                for info in z.infolist():
                    body = _clip_sheet(sheets[info.filename]) if info.filename in huge else z.read(info)
                    w.writestr(info, body)
    except Exception:  # a damaged package: openpyxl will say what is wrong with it
        return data
    problems.append(Problem("document.too_large", f"xlsx: merged ranges over {MAX_MERGE_SIDE} rows+columns clipped"))
    return out.getvalue()


def _clip_sheet(xml: bytes) -> bytes:
    refs = [(int(m[2]), _col(m[1])) for m in _CELL_REF.finditer(xml)]
    last_row = max((r for r, _ in refs), default=1)
    last_col = max((c for _, c in refs), default=1)

    def clip(m: re.Match) -> bytes:
        r0, c0, r1, c1 = int(m[3]), _col(m[2]), int(m[5]), _col(m[4])
        if (r1 - r0) + (c1 - c0) <= MAX_MERGE_SIDE:
            return m[0]
        r1, c1 = max(r0, min(r1, last_row)), max(c0, min(c1, last_col))
        return m[1] + m[2] + m[3] + b":" + _letters(c1) + str(r1).encode() + b'"'
    return _MERGE.sub(clip, xml)


def cell_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return percent_text(value) if is_percent_format(cell.number_format) else number_text(value)
    if hasattr(value, "year") or hasattr(value, "hour"):
        return date_text(value)
    return str(value).strip()


def _sheet_grid(ws) -> tuple[list[list[str]], str | None]:
    """From the cells the sheet really holds (``_cells``): its dimensions may be absurd (one cell at
    XFD1048576) and a dense walk of them would never end."""
    values: dict[tuple[int, int], str] = {}
    for (r, c), cell in ws._cells.items():
        text = cell_text(cell)
        if text:
            values[(r - 1, c - 1)] = text
    merges = [(m.min_row - 1, m.min_col - 1, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    return sparse_grid(values, merges)
