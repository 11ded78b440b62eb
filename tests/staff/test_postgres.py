"""Reminders and alerts on a PostgreSQL ledger: the ON CONFLICT inserts, the claims and migration 0003 there."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session, select

from intake.record.roster import load_roster
from intake.run.daemon import Daemon
from intake.staff.remind import queue_reminders
from intake.store.migrations import open_ledger
from intake.store.rows import AlertRow, OutboxRow, ReminderRow
from rules import load_campaign
from tests.staff.conftest import at, make_cfg
from tests.staff.test_alerts import STAFF, RefusingMailbox


def test_reminders_and_alerts_on_postgresql(postgres, tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    cfg = make_cfg(tmp_path, tmp_path / "inbox")
    cfg.storage.database = postgres.new_database()
    cfg.alerts.staff_addresses = list(STAFF)
    campaign, roster = load_campaign(None), load_roster(cfg.roster_path)
    engine = open_ledger(cfg)
    try:
        for _ in range(2):  # the second run finds every unit reminded today
            queue_reminders(cfg, engine, campaign, roster, date(2020, 9, 12), at(12, 10, 0))
        mailbox = RefusingMailbox()
        d = Daemon(cfg, source=mailbox)
        try:
            for minutes in (0, 5, 30):
                d.clock = lambda m=minutes: at(12, 11, 0) + timedelta(minutes=m)
                d.run_pass()
            mailbox.fixed = True
            d.clock = lambda: at(12, 12, 0)
            d.run_pass()
            d.run_pass()
        finally:
            d.close()
        engine = open_ledger(cfg)
        with Session(engine) as s:
            assert len(s.exec(select(ReminderRow)).all()) == 6  # every roster unit: nothing recorded yet
            [incident] = s.exec(select(AlertRow)).all()
            assert incident.kind == "auth" and incident.notified and incident.recovery_notified
            kinds = sorted(o.kind for o in s.exec(select(OutboxRow)).all())
            assert kinds == ["alert"] * 2 + ["reminder"] * 6
            assert {o.state for o in s.exec(select(OutboxRow)).all()} == {"sent"}  # the folder transport
    finally:
        engine.dispose()
