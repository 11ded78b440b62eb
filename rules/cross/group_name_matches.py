"""The recommendation's 小组名称 equals the application's exactly (white space and full-width forms
aside). Reached when a row and an application were paired by their common company name."""

from __future__ import annotations

from typing import Any

from parsers.result import DocumentResult
from rules.cross.name_matches import name_mismatches
from rules.findings import Finding
from rules.names import quoted

FORM = "recommendation"
FIELD = "groups[].group_name"
PLACEHOLDERS: tuple[str, ...] = ("row", "value", "other_value", "application", "company")
PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {}


def check(campaign: Any, rule: Any, documents: list[DocumentResult]) -> list[Finding]:
    return name_mismatches(campaign, rule, documents, "group_name", FORM, FIELD, lambda p: {
        "company": quoted(p.row.get("company"))})
