"""Pairs of (recommendation group row, application Word copy) that describe the same group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parsers.result import DocumentResult
from rules.copies import copy_of
from rules.groups import recommendation_of
from rules.names import loose_key
from rules.paths import is_empty


@dataclass
class Pair:
    row: dict[str, Any]
    seq: str
    app: DocumentResult
    by: str  # "group_name" | "company": which name made the pair


def applications(documents: list[DocumentResult]) -> list[DocumentResult]:
    """Readable applications with names: the Word copies, or a text PDF when no Word copy exists."""
    apps = [d for d in documents if d.form == "application" and d.text_trusted and isinstance(d.fields, dict)
            and not is_empty(d.fields.get("group_name"))]
    words = [d for d in apps if copy_of(d) == "word"]
    word_names = {loose_key(d.fields["group_name"]) for d in words}
    extra = [d for d in apps if copy_of(d) != "word" and not d.fields.get("paired_with")
             and loose_key(d.fields["group_name"]) not in word_names]
    return words + extra


def rows(rec: DocumentResult) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i, item in enumerate(rec.fields.get("groups") or [], start=1):
        if isinstance(item, dict) and not (is_empty(item.get("group_name")) and is_empty(item.get("company"))):
            seq = item.get("seq")
            out.append((str(seq) if seq not in (None, "") else str(i), item))
    return out


def pairs(documents: list[DocumentResult]) -> tuple[DocumentResult | None, list[Pair], list[DocumentResult]]:
    """(recommendation, pairs, applications matching no row). Pairs by group name first, then by a
    company that only one row and one application share (so a misspelt group name still pairs)."""
    rec = recommendation_of(documents)
    if rec is None:
        return None, [], []
    free_rows = rows(rec)
    out: list[Pair] = []
    left: list[DocumentResult] = []
    for app in applications(documents):
        key = loose_key(app.fields.get("group_name"))
        hit = next(((s, r) for s, r in free_rows if key and loose_key(r.get("group_name")) == key), None)
        if hit is not None:
            out.append(Pair(hit[1], hit[0], app, "group_name"))
            free_rows.remove(hit)
        else:
            left.append(app)
    unmatched = []
    for app in left:
        ckey = loose_key(app.fields.get("company"))
        same_rows = [(s, r) for s, r in free_rows if ckey and loose_key(r.get("company")) == ckey]
        same_apps = [a for a in left if loose_key(a.fields.get("company")) == ckey]
        if len(same_rows) == 1 and len(same_apps) == 1:
            out.append(Pair(same_rows[0][1], same_rows[0][0], app, "company"))
            free_rows.remove(same_rows[0])
        else:
            unmatched.append(app)
    return rec, out, unmatched
