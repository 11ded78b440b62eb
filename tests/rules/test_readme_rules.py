"""The README lists every rule id the bundled campaign can emit (issue: every rule of the notice
is listed in the README with its rule id)."""

from __future__ import annotations

import re
from pathlib import Path

from rules import load_campaign

README = Path(__file__).resolve().parents[2] / "README.md"
PRESENCE = ("recommendation.missing", "statistics.missing", "summary.missing", "review.missing",
            "application.word.missing", "application.pdf.missing", "application.pdf.unconfirmed",
            "report.missing", "evidence.missing")
TEMPLATES = {"form.missing", "form.missing_group", "form.unconfirmed"}  # texts behind the ids above


def test_every_rule_id_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    campaign = load_campaign()
    ids = {r.id for r in campaign.rules} | set(campaign.messages) | set(PRESENCE)
    missing = []
    for rule_id in sorted(ids - TEMPLATES):
        if f"`{rule_id}`" in text:
            continue
        wildcard = re.sub(r"^(\w+)\.\w+\.", r"\1.*.", rule_id)  # e.g. statistics.*.nonnegative
        if f"`{wildcard}`" not in text:
            missing.append(rule_id)
    assert not missing, f"rule ids not in README.md: {missing}"

