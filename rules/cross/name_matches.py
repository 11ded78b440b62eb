"""Shared by the two name checks: a recommendation row and its paired application must carry the
same name (white space and full-width forms aside), because certificates are printed from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from parsers.result import DocumentResult
from rules.cross.pairs import pairs
from rules.findings import Finding
from rules.names import exact_key
from rules.paths import is_empty, leaf


def name_mismatches(campaign: Any, rule: Any, documents: list[DocumentResult], key: str, form: str,
                    field: str, context: Callable[[Any], dict[str, str]]) -> list[Finding]:
    """One finding per paired row whose ``key`` differs from the application's; ``context`` adds
    the placeholders that tell the unit which group is meant."""
    rec, found, _ = pairs(documents)
    if rec is None:  # no recommendation: no pairs either
        return []
    out = []
    for p in found:
        a, b = p.row.get(key), p.app.fields.get(key)
        if is_empty(a) or is_empty(b) or exact_key(a) == exact_key(b):
            continue
        text = campaign.message(rule.id, row=p.seq, value=a, other_value=b, application=p.app.filename,
                                **context(p))
        out.append(Finding(rule.id, rule.severity, text, rule.form or form, rec.filename, leaf(rule.field or field)))
    return out
