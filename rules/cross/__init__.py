"""Named cross-document checks a rule file switches on with ``kind = "cross"``, ``check = "<name>"``.

Each module provides ``FORM`` and ``FIELD`` (where its findings point), ``PARAMS`` (the rule-file
keys it takes, validated like a kind's; a module may add ``validate(params)``) and
``check(campaign, rule, documents) -> list[Finding]``. Only documents whose text is trusted take
part: a scanned copy has no names to compare, and guessing would make false errors.
(Presence of each group's application/report is not here: it follows from ``[forms]``,
``required = "per_group"`` — see rules/presence.py.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from parsers.result import DocumentResult
from rules.cross import (
    application_recommended,
    company_matches,
    copies_agree,
    group_name_matches,
    judges_registered,
    review_covers_groups,
    review_entries_known,
)
from rules.findings import Finding

if TYPE_CHECKING:
    from rules.campaign import Campaign, Rule


class CrossCheck(Protocol):
    """What a cross-check module provides (each module registered below is one)."""

    FORM: str
    FIELD: str
    PLACEHOLDERS: tuple[str, ...]
    PARAMS: dict[str, tuple[type | tuple[type, ...], bool]]

    def check(self, campaign: Campaign, rule: Rule, documents: list[DocumentResult]) -> list[Finding]: ...


CHECKS: dict[str, CrossCheck] = {
    "company_matches_application": company_matches,
    "group_name_matches_application": group_name_matches,
    "application_in_recommendation": application_recommended,
    "review_covers_groups": review_covers_groups,
    "review_entries_known": review_entries_known,
    "judges_registered": judges_registered,
    "application_copies_agree": copies_agree,
}
