"""Each review entry is about a recommended group (a warning: the entry may name the group in a
way we cannot recognise, but a result reviewed and not recommended is worth a look)."""

from __future__ import annotations

from typing import Any

from parsers.result import DocumentResult
from rules.cross.review_match import entries, is_about, review_of
from rules.findings import Finding
from rules.groups import groups_of
from rules.paths import leaf

FORM = "review"
FIELD = "entries[].name"
PLACEHOLDERS: tuple[str, ...] = ("row", "value")
PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {}


def check(campaign: Any, rule: Any, documents: list[DocumentResult]) -> list[Finding]:
    review = review_of(documents)
    groups = groups_of(documents)
    if review is None or not groups:
        return []
    out = []
    for seq, e in entries(review):
        if not any(is_about(e.get("name"), g) for g in groups):
            text = campaign.message(rule.id, row=seq, value=e.get("name"))
            out.append(Finding(rule.id, rule.severity, text, rule.form or FORM, review.filename,
                               leaf(rule.field or FIELD)))
    return out
