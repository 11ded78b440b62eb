"""How spreadsheet values become cell text, shared by the xlsx and xls readers.

Extractors parse numbers out of text, so the text must look like what a person typed:
``1000`` not ``1000.0``, ``85%`` not ``0.85``, ``2020-09-14`` not a serial day number.
"""

from __future__ import annotations

import datetime as dt


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
