"""List tables found by their header row: ``序号 | 企业名称 | 小组名称 | 课题类型`` and the like.

Columns are found by header text, so reordered or extra columns do not matter. A header cell
spanning several columns whose next row names options (``课题类型`` over ``问题解决型 | 创新型``)
is read as tick columns. Data rows end at the next header, a title row (one merged cell such as
``二、评委名单``) or the table's end; blank rows, rows holding only a number, and repeated
headers (a PDF page break) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from parsers.forms.labels import norm_label
from parsers.forms.normalize import is_prompt
from parsers.model import Document, Table


@dataclass
class Column:
    """One contract key of a list: the header words that name it (longest match wins)."""

    key: str
    words: tuple[str, ...]


@dataclass
class ListSpec:
    """A kind of list: its columns, and the keys whose presence makes a row a header."""

    columns: list[Column]
    required: tuple[str, ...]  # all of these must be found for a header
    min_found: int = 2


@dataclass
class Header:
    row: int
    cols: dict[str, list[int]]  # key → grid columns (several for tick columns)
    options: dict[int, str] = field(default_factory=dict)  # tick column → option name
    rows_used: int = 1


def _match_scored(cell: str, spec: ListSpec) -> tuple[str | None, int]:
    """The key a header cell names and how well: the longest header word it contains, an exact
    match counting more than any containment (``名称`` alone beats ``课题名称`` for a 名称 column)."""
    n = norm_label(cell)
    if not n:
        return None, 0
    best: tuple[str | None, int] = (None, 0)
    for col in spec.columns:
        for w in col.words:
            w2 = norm_label(w)
            if not w2 or w2 not in n:
                continue
            score = len(w2) + (100 if w2 == n else 0)
            if score > best[1]:
                best = (col.key, score)
    return best


def _match(cell: str, spec: ListSpec) -> str | None:
    return _match_scored(cell, spec)[0]


def _best_columns(scored: dict[str, list[tuple[int, int]]]) -> dict[str, list[int]]:
    """Per key, its columns with the best-named first: ``课题名称`` and ``企业/小组名称`` both contain
    名称, but the list's name is the second; a row's value is the first non-empty one in this order
    (``手机`` empty, ``联系电话`` filled). Columns of one header keep their order (tick columns)."""
    return {key: [c for c, _s in sorted(found, key=lambda p: -p[1])] for key, found in scored.items()}


def _one_header(t: Table, r: int, cs: list[int]) -> bool:
    """Whether columns ``cs`` lie under one (merged) header cell: same text, side by side."""
    return len({t.cell(r, c) for c in cs}) == 1 and cs == list(range(cs[0], cs[0] + len(cs)))


def _header_row(t: Table, r: int, spec: ListSpec) -> Header | None:
    """A header in one row (merged cells over two rows repeat their text in the second)."""
    scored: dict[str, list[tuple[int, int]]] = {}
    for c in range(t.n_cols):
        key, score = _match_scored(t.cell(r, c), spec)
        if key is not None:
            scored.setdefault(key, []).append((c, score))
    cols = _best_columns(scored)
    if not all(k in cols for k in spec.required) or len(cols) < spec.min_found:
        return None
    h = Header(r, cols)
    # a header cell spanning columns whose second header row names columns of the list
    # (企业/小组名称 over 企业名称 | 小组名称): those columns are what the second row says
    for key, cs in list(cols.items()):
        if len(cs) < 2 or not _one_header(t, r, cs):
            continue
        sub = {c: _match(t.cell(r + 1, c), spec) for c in cs}
        named = {c: k for c, k in sub.items() if k is not None}
        if len(named) == len(sub) and all(k != key for k in named.values()) and len(set(named.values())) == len(cs):
            del cols[key]
            for c, k in named.items():
                cols.setdefault(k, []).append(c)
            h.rows_used = 2
    # a header cell spanning columns with option names below: tick columns
    for cs in cols.values():
        if len(cs) > 1 and _one_header(t, r, cs):
            below = {c: t.cell(r + 1, c) for c in cs}
            distinct = len(set(below.values())) == len(below)
            if distinct and all(v.strip() and v != t.cell(r, c) for c, v in below.items()):
                h.options.update(below)
                h.rows_used = 2
    return h


def _spans(row: list[str]) -> list[tuple[int, int]]:
    """(first, last) columns of each merged cell of a row that covers two or more columns."""
    out: list[tuple[int, int]] = []
    c = 0
    while c < len(row):
        e = c
        while e + 1 < len(row) and row[e + 1] == row[c]:
            e += 1
        if e > c and row[c].strip():
            out.append((c, e))
        c = e + 1
    return out


def _header_two_rows(t: Table, r: int, spec: ListSpec) -> Header | None:
    """A header over two rows whose first row groups columns under a merged cell: ``小组信息`` over
    ``企业名称 | 小组名称``, ``评委信息`` over ``姓名 | 工作单位 | …``, ``课题类型`` over ``问题解决型 | 创新型``.

    Under a group cell each column is what the second row names; when the second row names none
    of the list's columns but the group cell does, they are that column's tick options. Cells merged
    down both rows (``序号``) are read from either row.
    """
    if r + 1 >= t.n_rows:
        return None
    top, bottom = t.grid[r], t.grid[r + 1]
    scored: dict[str, list[tuple[int, int]]] = {}
    options: dict[int, str] = {}
    grouped = False
    in_span: set[int] = set()
    for a, e in _spans(top):
        under = [bottom[c] if c < len(bottom) else "" for c in range(a, e + 1)]
        if not all(u.strip() and u != top[a] for u in under) or len(set(under)) != len(under):
            continue
        subs = [_match_scored(u, spec) for u in under]
        if all(k is not None for k, _s in subs):
            for c, (k, sc) in zip(range(a, e + 1), subs, strict=True):
                scored.setdefault(k or "", []).append((c, sc))
        else:
            key, sc = _match_scored(top[a], spec)
            if key is None or any(k is not None for k, _s in subs):
                continue
            for c, u in zip(range(a, e + 1), under, strict=True):
                scored.setdefault(key, []).append((c, sc))
                options[c] = u
        in_span.update(range(a, e + 1))
        grouped = True
    if not grouped:
        return None
    for c in range(t.n_cols):
        if c in in_span:
            continue
        key, sc = _match_scored(t.cell(r, c), spec)
        if key is None:
            key, sc = _match_scored(t.cell(r + 1, c), spec)
        if key is not None:
            scored.setdefault(key, []).append((c, sc))
    cols = _best_columns(scored)
    if not all(k in cols for k in spec.required) or len(cols) < spec.min_found:
        return None
    return Header(r, cols, {c: o for c, o in options.items() if any(c in cs for cs in cols.values())}, rows_used=2)


def find_header(t: Table, r: int, spec: ListSpec) -> Header | None:
    """The list's header at row ``r``: one row, or two rows under grouping cells."""
    return _header_row(t, r, spec) or _header_two_rows(t, r, spec)


def cell_text(value: object) -> str:
    """A record value as text: tick columns (``[(option, cell)]``) under a key that is not a tick
    column (a heading spanning two plain columns) give their filled cells joined with '/'."""
    if isinstance(value, list):
        return "/".join(str(cell).strip() for _opt, cell in value if str(cell).strip())
    return "" if value is None else str(value)


#: A section heading typed into a list's table or sheet: ``二、评委名单``, ``（二）评委``.
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[(（]\s*[一二三四五六七八九十]+\s*[)）])")


def _is_title_row(row: list[str]) -> bool:
    """One merged cell across the row, or a numbered section heading alone in its row (a spreadsheet
    writes ``二、评委名单`` into one unmerged cell)."""
    vals = {x for x in row if x.strip()}
    if len(vals) != 1 or len(row) <= 1:
        return False
    only = next(iter(vals))
    return row.count(only) > 1 or bool(_HEADING.match(only))


#: The record key under which a row's emphasised fragments (Word formatting) are given, per column key.
EMPHASIS = "_emphasis"


def read_lists(doc: Document, specs: dict[str, ListSpec], stop: Iterable[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """Rows of every list kind in ``specs``, each row as {key: cell text or [(option, cell)]}, plus
    :data:`EMPHASIS`: {key: fragments set off by formatting in that cell}."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in specs}
    stops = [norm_label(s) for s in stop]
    for t in doc.tables:
        current: tuple[str, Header] | None = None
        r = 0
        while r < t.n_rows:
            row = t.grid[r]
            found = next(((n, h) for n, s in specs.items() if (h := find_header(t, r, s))), None)
            if found:
                current = found
                r += found[1].rows_used
                continue
            if _is_title_row(row) or any(s and s in norm_label(" ".join(row)) for s in stops):
                current = None
                r += 1
                continue
            if current is not None:
                rec = _record(row, current[1])
                if rec is not None:
                    marked = {k: [x for c in cs for x in t.emphasis.get((r, c), [])] for k, cs in current[1].cols.items()}
                    rec[EMPHASIS] = {k: v for k, v in marked.items() if v}
                    out[current[0]].append(rec)
            r += 1
    return out


def _record(row: list[str], h: Header) -> dict[str, Any] | None:
    row = ["" if is_prompt(x) else x for x in row]  # a content control's prompt is an empty cell
    rec: dict[str, Any] = {}
    for key, cs in h.cols.items():
        if h.options and all(c in h.options for c in cs):
            rec[key] = [(h.options[c], row[c] if c < len(row) else "") for c in cs]
        else:
            vals = [row[c] for c in cs if c < len(row)]
            rec[key] = next((v for v in vals if v.strip()), "")
    filled = [v for k, v in rec.items() if k != "seq" and (v if isinstance(v, str) else any(x for _, x in v))]
    if not any(isinstance(v, str) and v.strip() for v in filled):
        return None  # blank row, or only a number / tick
    return rec
