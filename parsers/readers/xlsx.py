"""Excel .xlsx → Document: per sheet, a title paragraph and one Table of its used range.

Loaded with ``data_only=True`` so formula cells show the value the saving program cached;
a file written by a library that never computed them (no cached value) keeps the formula
text instead, so nothing silently reads as empty. Not read-only mode: it has no merged
ranges and WPS-saved files report bogus ``A1:A1`` dimensions there (reference-systems G).
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from parsers.model import Block, Document, Problem, Table
from parsers.readers.cells import date_text, is_percent_format, number_text, percent_text, trim_grid

# Excel templates with dropdowns or conditional formats make openpyxl warn on every load.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?")

_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


def read(data: bytes, filename: str = "", timeout: float = 60.0) -> Document:
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as e:
        return Document(problems=[Problem("document.unreadable", f"xlsx: {type(e).__name__}: {e}")],
                        text_trusted=False)
    formulas = _formula_workbook(data)
    blocks: list[Block] = []
    sheets: list[str] = []
    for ws in wb.worksheets:
        grid = _sheet_grid(ws, formulas[ws.title] if formulas is not None else None)
        sheets.append(ws.title)
        if grid:
            blocks.append(ws.title)
            blocks.append(Table(grid=grid))
    return Document(blocks=blocks, meta={"sheets": sheets})


def _formula_workbook(data: bytes):
    """A second, formula-keeping load, only when some sheet has formulas at all (it doubles the cost)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            has = any(
                _FORMULA.search(z.read(n)) for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")
            )
        return openpyxl.load_workbook(io.BytesIO(data), data_only=False) if has else None
    except Exception:  # the cached values are still good; formulas are a nicety
        return None


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


def _sheet_grid(ws, formula_ws) -> list[list[str]]:
    rows = ws.max_row or 0
    cols = ws.max_column or 0
    grid = [["" for _ in range(cols)] for _ in range(rows)]
    for row in ws.iter_rows(min_row=1, max_row=rows, max_col=cols):
        for cell in row:
            if cell.value is None and formula_ws is not None:
                f = formula_ws.cell(row=cell.row, column=cell.column).value
                if isinstance(f, str) and f.startswith("="):
                    grid[cell.row - 1][cell.column - 1] = f
                    continue
            grid[cell.row - 1][cell.column - 1] = cell_text(cell)
    for rng in ws.merged_cells.ranges:
        text = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= rows and rng.min_col <= cols else ""
        for r in range(rng.min_row - 1, min(rng.max_row, rows)):
            for c in range(rng.min_col - 1, min(rng.max_col, cols)):
                grid[r][c] = text
    return trim_grid(grid)
