"""The recommendation's 小组名称 equals the application's exactly (white space and full-width forms
aside). Reached when a row and an application were paired by their common company name."""

from __future__ import annotations

from typing import Any

from intake.contract import DocumentResult, Finding
from rules.cross.pairs import pairs
from rules.names import exact_key, quoted
from rules.paths import is_empty, leaf

FORM = "recommendation"
FIELD = "groups[].group_name"
PLACEHOLDERS = ("row", "value", "other_value", "application", "company")


def check(campaign: Any, rule: Any, documents: list[DocumentResult]) -> list[Finding]:
    rec, found, _ = pairs(documents)
    out = []
    for p in found:
        a, b = p.row.get("group_name"), p.app.fields.get("group_name")
        if is_empty(a) or is_empty(b) or exact_key(a) == exact_key(b):
            continue
        text = campaign.message(rule.id, row=p.seq, value=a, other_value=b, application=p.app.filename,
                                company=quoted(p.row.get("company")))
        out.append(Finding(rule.id, rule.severity, text, rule.form or FORM, rec.filename, leaf(rule.field or FIELD)))
    return out
