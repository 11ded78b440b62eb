"""Named cross-document checks a rule file switches on with ``kind = "cross"``, ``check = "<name>"``.

Each module provides ``FORM`` and ``FIELD`` (where its findings point) and
``check(campaign, rule, documents) -> list[Finding]``. Only documents whose text is trusted take
part: a scanned copy has no names to compare, and guessing would make false errors.
(Presence of each group's application/report is not here: it follows from ``[forms]``,
``required = "per_group"`` — see rules/presence.py.)
"""

from __future__ import annotations

from types import ModuleType

from rules.cross import (
    application_recommended,
    company_matches,
    group_name_matches,
    review_covers_groups,
    review_entries_known,
)

CHECKS: dict[str, ModuleType] = {
    "company_matches_application": company_matches,
    "group_name_matches_application": group_name_matches,
    "application_in_recommendation": application_recommended,
    "review_covers_groups": review_covers_groups,
    "review_entries_known": review_entries_known,
}
