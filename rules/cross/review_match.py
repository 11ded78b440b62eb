"""Which review entry (企业/小组名称, free text) is about which group."""

from __future__ import annotations

from typing import Any

from parsers.result import DocumentResult
from rules.groups import Group
from rules.names import loose_key, mentions
from rules.paths import is_empty


def review_of(documents: list[DocumentResult]) -> DocumentResult | None:
    for d in documents:
        if d.form == "review" and d.text_trusted and isinstance(d.fields, dict) and d.fields.get("entries"):
            return d
    return None


def entries(review: DocumentResult) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i, e in enumerate(review.fields.get("entries") or [], start=1):
        if isinstance(e, dict) and not is_empty(e.get("name")):
            seq = e.get("seq")
            out.append((str(seq) if seq not in (None, "") else str(i), e))
    return out


def is_about(entry_name: Any, group: Group) -> bool:
    """The entry names the group when it contains the group name or the company name (or the
    entry is contained in the group name, for a shortened 小组名称 such as 攀登 for “攀登”QC小组)."""
    if mentions(entry_name, group.group_name) or mentions(entry_name, group.company, min_len=4):
        return True
    key = loose_key(entry_name)
    return len(key) >= 2 and key in loose_key(group.group_name)
