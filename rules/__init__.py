"""Campaign rules: a TOML rule file per campaign and the small engine that applies it.

Interface::

    load_campaign(path: str | Path | None = None) -> Campaign     # None = bundled caq-2020.toml
    evaluate(campaign, documents: list[DocumentResult], received_at: datetime | None,
             message_problems: list[Problem]) -> list[Finding]
    Campaign.tz: ZoneInfo;  Campaign.is_late(dt: datetime | None) -> bool;  Campaign.deadline (aware,
    the first instant that is late);  Campaign.name, .year, .deadline_text, .form_names,
    Campaign.message(rule_id, **values) -> str

The file format and every rule id are documented in rules/README.md. Next year's campaign is a new
rule file, not a code change.
"""

from __future__ import annotations

from rules.campaign import Campaign, FormSpec, MessageSpec, Rule
from rules.engine import evaluate
from rules.errors import RuleFileError
from rules.loader import load_campaign, parse_campaign

__all__ = [
    "Campaign",
    "FormSpec",
    "MessageSpec",
    "Rule",
    "RuleFileError",
    "evaluate",
    "load_campaign",
    "parse_campaign",
]
