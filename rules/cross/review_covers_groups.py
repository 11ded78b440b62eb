"""The review summary has one entry per recommended group (the notice: every recommended group's
result was reviewed and scored)."""

from __future__ import annotations

from typing import Any

from parsers.result import DocumentResult
from rules.cross.review_match import entries, is_about, review_of
from rules.findings import Finding
from rules.groups import groups_of
from rules.paths import leaf

FORM = "review"
FIELD = "entries"
PLACEHOLDERS: tuple[str, ...] = ("group", "value", "company")
PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {}


def check(campaign: Any, rule: Any, documents: list[DocumentResult]) -> list[Finding]:
    review = review_of(documents)
    if review is None:
        return []  # no review, or no readable entries: review.missing / entries count say so
    names = [e.get("name") for _, e in entries(review)]
    out = []
    for g in groups_of(documents):
        if not any(is_about(n, g) for n in names):
            text = campaign.message(rule.id, group=g.title, value=g.group_name, company=g.company)
            out.append(Finding(rule.id, rule.severity, text, rule.form or FORM, review.filename,
                               leaf(rule.field or FIELD)))
    return out
