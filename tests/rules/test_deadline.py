"""The deadline: 2020年9月15日前 is inclusive of the whole 15th, Beijing time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from rules import evaluate
from tests.rules.builders import submission

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("when", "late"),
    [
        (datetime(2020, 9, 15, 23, 59, 59, tzinfo=timezone(timedelta(hours=8))), False),
        (datetime(2020, 9, 15, 23, 59, 59, 999999, tzinfo=SH), False),
        (datetime(2020, 9, 16, 0, 0, tzinfo=SH), True),
        (datetime(2020, 9, 15, 16, 30, tzinfo=UTC), True),  # 00:30 on the 16th in Shanghai
        (datetime(2020, 9, 15, 15, 59, 59, tzinfo=UTC), False),
        (datetime(2020, 9, 16, 0, 0), True),  # naive: campaign-local
        (None, False),
    ],
)
def test_is_late_boundaries(campaign, when, late):
    assert campaign.is_late(when) is late


def test_deadline_attributes(campaign):
    assert campaign.deadline == datetime(2020, 9, 16, tzinfo=SH)
    assert campaign.tz.key == "Asia/Shanghai"
    assert campaign.deadline_text == "2020年9月15日（含）"
    assert campaign.year == 2020 and campaign.name
    assert campaign.form_names["application"] == "申报表"
    assert set(campaign.form_names.values()) == {"申报表", "成果报告", "证实性材料", "工作总结", "统计表", "推荐表",
                                                  "评审汇总表"}


def test_late_finding_quotes_time_and_deadline(campaign):
    when = datetime(2020, 9, 15, 16, 30, tzinfo=UTC)
    findings = evaluate(campaign, submission(), when, [])
    late = [f for f in findings if f.rule == "deadline.late"]
    assert len(late) == 1
    f = late[0]
    assert f.severity == "error" and f.form is None and f.document is None
    assert "2020年9月16日 00:30" in f.message and "2020年9月15日（含）" in f.message


def test_on_time_complete_submission_has_no_findings(campaign):
    assert evaluate(campaign, submission(), datetime(2020, 9, 15, 23, 59, 59, tzinfo=SH), []) == []
