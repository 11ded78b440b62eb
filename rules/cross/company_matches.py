"""The recommendation's 企业名称 equals the application's, exactly (white space and full-width
forms aside): both are the basis of the printed certificate, so any difference is an error."""

from __future__ import annotations

from typing import Any

from parsers.result import DocumentResult
from rules.cross.name_matches import name_mismatches
from rules.findings import Finding
from rules.names import quoted

FORM = "recommendation"
FIELD = "groups[].company"
PLACEHOLDERS: tuple[str, ...] = ("row", "value", "other_value", "application", "group")
PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {}


def check(campaign: Any, rule: Any, documents: list[DocumentResult]) -> list[Finding]:
    return name_mismatches(campaign, rule, documents, "company", FORM, FIELD, lambda p: {
        "group": quoted(p.row.get("group_name") or p.app.fields.get("group_name"))})
