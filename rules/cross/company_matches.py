"""The recommendation's 企业名称 equals the application's, exactly (white space and full-width
forms aside): both are the basis of the printed certificate, so any difference is an error."""

from __future__ import annotations

from typing import Any

from intake.contract import DocumentResult, Finding
from rules.cross.pairs import pairs
from rules.names import exact_key, quoted
from rules.paths import is_empty, leaf

FORM = "recommendation"
FIELD = "groups[].company"
PLACEHOLDERS = ("row", "value", "other_value", "application", "group")


def check(campaign: Any, rule: Any, documents: list[DocumentResult]) -> list[Finding]:
    rec, found, _ = pairs(documents)
    out = []
    for p in found:
        a, b = p.row.get("company"), p.app.fields.get("company")
        if is_empty(a) or is_empty(b) or exact_key(a) == exact_key(b):
            continue
        text = campaign.message(rule.id, row=p.seq, value=a, other_value=b, application=p.app.filename,
                                group=quoted(p.row.get("group_name") or p.app.fields.get("group_name")))
        out.append(Finding(rule.id, rule.severity, text, rule.form or FORM, rec.filename, leaf(rule.field or FIELD)))
    return out
