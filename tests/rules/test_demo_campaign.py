"""A later campaign is a new rule file: the 2099 demo changes limits and requirements without code."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rules import evaluate, load_campaign
from tests.rules import builders as B

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def demo():
    return load_campaign(Path(resources.files("rules")) / "examples" / "caq-2099-demo.toml")


def test_other_deadline_and_year(demo):
    assert demo.year == 2099 and demo.deadline == datetime(2099, 11, 1, tzinfo=SH)
    assert not demo.is_late(datetime(2099, 10, 31, 23, 59, tzinfo=SH))
    assert demo.is_late(datetime(2099, 11, 1, tzinfo=SH))
    assert not demo.is_late(datetime(2020, 9, 20, tzinfo=SH))


def test_member_limit_is_eight(campaign, demo):
    docs = B.replace(B.submission(), B.application(0, members=[f"成员{i}" for i in range(9)]))
    assert evaluate(campaign, docs, None, []) == []
    got = [f for f in evaluate(demo, docs, None, []) if f.rule == "application.members.count"]
    assert len(got) == 1 and "1～8人" in got[0].message and "9人" in got[0].message


def test_meeting_place_required_always(campaign, demo):
    docs = B.replace(B.submission(), B.statistics(meeting_held=False, meeting_place=None, meeting_time=None,
                                                  meeting_attendees=None))
    assert evaluate(campaign, docs, None, []) == []
    got = [(f.rule, f.severity, f.field) for f in evaluate(demo, docs, None, [])]
    assert got == [("statistics.meeting_place.required", "error", "meeting_place")]
