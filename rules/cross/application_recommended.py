"""Every application's group appears in the recommendation (an application the recommendation does
not list will get no certificate: either the row or the application is wrong)."""

from __future__ import annotations

from typing import Any

from parsers.result import DocumentResult
from rules.cross.pairs import pairs
from rules.findings import Finding
from rules.names import quoted
from rules.paths import leaf

FORM = "application"
FIELD = "group_name"
PLACEHOLDERS: tuple[str, ...] = ("value", "company", "recommendation")
PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {}


def check(campaign: Any, rule: Any, documents: list[DocumentResult]) -> list[Finding]:
    rec, _, unmatched = pairs(documents)
    out = []
    for app in unmatched:
        text = campaign.message(rule.id, value=quoted(app.fields.get("group_name")), company=app.fields.get("company"),
                                recommendation=rec.filename if rec else "")
        out.append(Finding(rule.id, rule.severity, text, rule.form or FORM, app.filename, leaf(rule.field or FIELD)))
    return out
