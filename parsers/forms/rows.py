"""List tables found by their header row: ``序号 | 企业名称 | 小组名称 | 课题类型`` and the like.

Columns are found by header text, so reordered or extra columns do not matter. A header cell
spanning several columns whose next row names options (``课题类型`` over ``问题解决型 | 创新型``)
is read as tick columns. Data rows end at the next header, a title row (one merged cell such as
``二、评委名单``) or the table's end; blank rows, rows holding only a number, and repeated
headers (a PDF page break) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from parsers.forms.labels import norm_label
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


def _match(cell: str, spec: ListSpec) -> str | None:
    n = norm_label(cell)
    if not n:
        return None
    best: tuple[str | None, int] = (None, 0)
    for col in spec.columns:
        for w in col.words:
            w2 = norm_label(w)
            if w2 and w2 in n and len(w2) > best[1]:
                best = (col.key, len(w2))
    return best[0]


def find_header(t: Table, r: int, spec: ListSpec) -> Header | None:
    cols: dict[str, list[int]] = {}
    for c in range(t.n_cols):
        key = _match(t.cell(r, c), spec)
        if key is not None:
            cols.setdefault(key, []).append(c)
    if not all(k in cols for k in spec.required) or len(cols) < spec.min_found:
        return None
    h = Header(r, cols)
    # a header cell spanning columns whose second header row names columns of the list
    # (企业/小组名称 over 企业名称 | 小组名称): those columns are what the second row says
    for key, cs in list(cols.items()):
        if len(cs) < 2:
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
        if len(cs) > 1:
            below = {c: t.cell(r + 1, c) for c in cs}
            distinct = len(set(below.values())) == len(below)
            if distinct and all(v.strip() and v != t.cell(r, c) for c, v in below.items()):
                h.options.update(below)
                h.rows_used = 2
    return h


def cell_text(value: object) -> str:
    """A record value as text: tick columns (``[(option, cell)]``) under a key that is not a tick
    column (a heading spanning two plain columns) give their filled cells joined with '/'."""
    if isinstance(value, list):
        return "/".join(str(cell).strip() for _opt, cell in value if str(cell).strip())
    return "" if value is None else str(value)


def _is_title_row(row: list[str]) -> bool:
    vals = {x for x in row if x.strip()}
    return len(vals) == 1 and len(row) > 1 and row.count(next(iter(vals))) > 1


def read_lists(doc: Document, specs: dict[str, ListSpec], stop: Iterable[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """Rows of every list kind in ``specs``, each row as {key: cell text or [(option, cell)]}."""
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
                    out[current[0]].append(rec)
            r += 1
    return out


def _record(row: list[str], h: Header) -> dict[str, Any] | None:
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
