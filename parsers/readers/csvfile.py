"""CSV (comma-, tab- or semicolon-separated values) → one Table.

Why not plain text: Excel's 另存为 CSV of a 统计表 keeps the sheet's grid as separators
(``附件3,,,,,`` then ``推荐单位,广西质量协会,,,,``); read as lines the labels and values run
together and no field is found. Chinese Excel writes GBK ("CSV (逗号分隔)") or UTF-8 with a BOM
("CSV UTF-8"), so the text is decoded like a .txt (BOM, strict UTF-8, GB18030). The delimiter
is sniffed (:class:`csv.Sniffer`, limited to the ones offices use), quoted cells keep their commas
and line breaks.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

from parsers.model import Document, Problem, Table
from parsers.readers.cells import MAX_GRID_CELLS, trim_grid
from parsers.readers.text import decode

DELIMITERS = ",\t;|"
_SAMPLE = 65536


_SENTENCE_END = ("。", "！", "？", "；", "……")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def delimiter(text: str, prose_safe: bool = False) -> str | None:
    """The delimiter the text is separated by, or None when it does not look like a table.

    A table: at least two non-empty lines, and most of them split into the same number (≥ 2) of
    fields. Chinese prose uses the full-width ``，``, so a stray ASCII comma in a 工作总结 does not
    make it a CSV. ``prose_safe`` (sniffing a file not named .csv): thousands separators
    (``1,234``) are no delimiters, at least two rows (and a third of them) holding two
    non-empty cells, and no more than a third of the lines ending a sentence (。！？), so
    tab-indented paragraphs and prose typed with ASCII commas stay text.
    """
    sample = text[:_SAMPLE]
    lines = [ln for ln in sample.splitlines() if ln.strip()][:200]
    if len(lines) < 2:
        return None
    if prose_safe:
        lines = [_THOUSANDS.sub("", ln) for ln in lines]
    try:
        found: str | None = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = None
    candidates = [found] if found else []
    candidates += [d for d in DELIMITERS if d != found]
    for d in candidates:
        if _consistent(lines, d, prose_safe):
            return d
    return None


def _consistent(lines: list[str], delim: str, prose_safe: bool) -> bool:
    try:
        rows = list(csv.reader(lines, delimiter=delim))
    except csv.Error:
        return False
    if not rows:
        return False
    width, count = Counter(len(r) for r in rows).most_common(1)[0]
    if width < 2 or count < max(2, int(0.6 * len(rows))):
        return False
    if prose_safe:  # prose typed with ASCII commas: its lines are sentences, ending in 。！？
        full = sum(1 for r in rows if sum(1 for c in r if c.strip()) >= 2)
        sentences = sum(1 for r in rows if any(c.rstrip().endswith(_SENTENCE_END) for c in r))
        return full >= max(2, len(rows) // 3) and sentences <= len(rows) // 3
    return True


def read(data: bytes, filename: str = "", timeout: float = 60.0) -> Document:
    """The file as one Table (cells stripped, empty outer rows and columns dropped)."""
    text, encoding = decode(data)
    text = text.lstrip("\ufeff")
    delim = delimiter(text) or ","
    grid: list[list[str]] = []
    cells = 0
    problems: list[Problem] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
            cells += len(row)
            if cells > MAX_GRID_CELLS:
                problems.append(Problem("document.too_large", f"csv: over {MAX_GRID_CELLS} cells, the rest not read"))
                break
            grid.append([c.replace("\r\n", "\n").replace("\xa0", " ").strip() for c in row])
    except csv.Error as e:  # a NUL byte or a runaway field: what was read before it is kept
        if not grid:
            problems.append(Problem("document.unreadable", f"csv: {e}"))
    grid = trim_grid(grid)
    return Document(blocks=[Table(grid=grid)] if grid else [], problems=problems,
                    text_trusted=bool(grid) or not problems, meta={"encoding": encoding, "delimiter": delim})
