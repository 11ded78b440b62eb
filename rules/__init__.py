"""Campaign rules: a TOML rule file per campaign and the small engine that applies it.

Interface::

    load_campaign(path: str | Path | None = None) -> Campaign     # None = bundled caq-2020.toml
    evaluate(campaign, documents: list[DocumentResult], received_at: datetime | None,
             message_problems: list[Problem]) -> list[Finding]
    Campaign.tz: ZoneInfo;  Campaign.is_late(dt: datetime | None) -> bool;  Campaign.deadline (aware)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from intake.contract import DocumentResult, Finding
from parsers.model import Problem


@dataclass
class Campaign:
    """STUB — replaced by the rules work."""

    name: str = "2020"
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    deadline: datetime = datetime(2020, 9, 16, tzinfo=ZoneInfo("Asia/Shanghai"))

    def is_late(self, dt: datetime | None) -> bool:
        return dt is not None and dt >= self.deadline


def load_campaign(path: str | Path | None = None) -> Campaign:
    return Campaign()


def evaluate(
    campaign: Campaign,
    documents: list[DocumentResult],
    received_at: datetime | None,
    message_problems: list[Problem],
) -> list[Finding]:
    return []
