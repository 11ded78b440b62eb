"""How spreadsheet values become cell text, shared by the xlsx and xls readers.

Extractors parse numbers out of text, so the text must look like what a person typed:
``1000`` not ``1000.0``, ``85%`` not ``0.85``, ``2020-09-14`` not a serial day number.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable

from parsers.model import Block, Division, Document, Problem, Table


def number_text(value: float | int) -> str:
    """A number without float noise or a spurious ``.0`` (1000.0 → '1000', 0.1+0.2 → '0.3')."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):  # NaN / inf: show as stored
        return str(value)
    v = round(value, 10)
    if v == int(v):
        return str(int(v))
    return format(v, "f").rstrip("0").rstrip(".")


def percent_text(value: float | int) -> str:
    """A percent-formatted cell as shown, but without rounding away typed decimals (0.855 → '85.5%')."""
    return number_text(value * 100) + "%"


def date_text(value: dt.datetime | dt.date | dt.time) -> str:
    """Dates as YYYY-MM-DD; a time of day is kept only when there is one."""
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.strftime("%Y-%m-%d")
        if value.second == 0:
            return value.strftime("%Y-%m-%d %H:%M")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M") if value.second == 0 else value.strftime("%H:%M:%S")
    return str(value)


def is_percent_format(number_format: str | None) -> bool:
    """True for formats like '0%' or '0.00%' (a literal "%" in quotes does not count)."""
    if not number_format:
        return False
    unquoted = "".join(part for i, part in enumerate(number_format.split('"')) if i % 2 == 0)
    return "%" in unquoted.replace("\\%", "")


def trim_grid(grid: list[list[str]]) -> list[list[str]]:
    """Drop empty outer rows and columns and pad to a rectangle (the sheet's real used range)."""
    rows = [i for i, r in enumerate(grid) if any(t for t in r)]
    if not rows:
        return []
    grid = grid[rows[0] : rows[-1] + 1]
    width = max(len(r) for r in grid)
    grid = [r + [""] * (width - len(r)) for r in grid]
    cols = [c for c in range(width) if any(r[c] for r in grid)]
    return [r[cols[0] : cols[-1] + 1] for r in grid]


MAX_GRID_CELLS = 200_000  # a used range larger than this is compacted to its non-empty rows and columns
_MERGE_FILL_BUDGET = 4 * MAX_GRID_CELLS  # overlapping merges (invalid, but possible) cannot multiply work

Span = tuple[int, int, int, int]  # merged range: first row, first col, end row, end col (0-based, end exclusive)


def sparse_grid(values: dict[tuple[int, int], str], merges: list[Span]) -> tuple[list[list[str]], str | None]:
    """The sheet's trimmed grid built from its non-empty cells only, and a note when rows had to be left out.

    A sheet's used range can be declared or implied far larger than its content (one stray cell at
    XFD1048576, a whole column merged): a dense grid of it would be billions of positions. Within
    :data:`MAX_GRID_CELLS` the grid is the plain used range (empty rows and columns inside kept, as
    the layout is); beyond it, only rows and columns holding text are kept, merged ranges filling the
    kept positions they cover.
    """
    text = {k: v for k, v in values.items() if v}
    spans = [(s, values.get((s[0], s[1]), "")) for s in merges if s[2] > s[0] and s[3] > s[1]]
    rows = {r for r, _ in text} | {r for s, t in spans if t for r in (s[0], s[2] - 1)}
    cols = {c for _, c in text} | {c for s, t in spans if t for c in (s[1], s[3] - 1)}
    if not rows:
        return [], None
    top, bottom, left, right = min(rows), max(rows), min(cols), max(cols)
    note = None
    if (bottom - top + 1) * (right - left + 1) <= MAX_GRID_CELLS:
        row_at = list(range(top, bottom + 1))
        col_at = list(range(left, right + 1))
    else:
        row_at = sorted({r for r, _ in text} | {s[0] for s, t in spans if t})
        col_at = sorted({c for _, c in text} | {s[1] for s, t in spans if t})
        if len(row_at) * len(col_at) > MAX_GRID_CELLS:
            col_at = col_at[: min(len(col_at), 1000)]
            row_at = row_at[: max(1, MAX_GRID_CELLS // len(col_at))]
            note = f"used range {bottom + 1}×{right + 1}: only the first {len(row_at)} non-empty rows read"
    ri = {r: i for i, r in enumerate(row_at)}
    ci = {c: i for i, c in enumerate(col_at)}
    grid = [["" for _ in col_at] for _ in row_at]
    for (r, c), v in text.items():
        if r in ri and c in ci:
            grid[ri[r]][ci[c]] = v
    budget = _MERGE_FILL_BUDGET
    for (r0, c0, r1, c1), t in spans:
        rs = row_at[bisect.bisect_left(row_at, r0): bisect.bisect_left(row_at, r1)]
        cs = col_at[bisect.bisect_left(col_at, c0): bisect.bisect_left(col_at, c1)]
        budget -= len(rs) * len(cs)
        if budget < 0:
            note = (note + "; " if note else "") + "too many merged cells"
            break
        for r in rs:
            row = grid[ri[r]]
            for c in cs:
                row[ci[c]] = t
    return trim_grid(grid), note


def sheets_document(fmt: str, sheets: Iterable[tuple[str, list[list[str]], str | None]],
                    problems: list[Problem] | None = None) -> Document:
    """One Document from a workbook's sheets, the same for .xlsx and .xls: each non-empty sheet is
    its title then its table, marked as a division (a workbook may hold several forms, one a sheet);
    a sheet cut to the limits adds ``document.too_large``."""
    blocks: list[Block] = []
    names: list[str] = []
    divisions: list[Division] = []
    problems = list(problems or [])
    for name, grid, note in sheets:
        names.append(name)
        if note:
            problems.append(Problem("document.too_large", f"{fmt}: sheet {name}: {note}"))
        if grid:
            divisions.append(Division(len(blocks), "sheet", name))
            blocks.append(name)
            blocks.append(Table(grid=grid))
    return Document(blocks=blocks, problems=problems, meta={"sheets": names}, divisions=divisions)
