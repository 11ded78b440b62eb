"""Liveness alerts: one mail to staff per incident (stuck longer than the limit, or login refused), one recovery notice."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient.exceptions import LoginError
from sqlmodel import Session, select

from intake.config import Config
from intake.fetch import Incoming
from intake.run.daemon import Daemon
from intake.store.migrations import open_ledger
from intake.store.rows import AlertRow, OutboxRow
from tests.fixtures.mail import build_message
from tests.staff.conftest import at, make_cfg, outbox_files

T0 = at(14, 9, 0)
STAFF = ["ops@example.org", "duty@example.org"]


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    (tmp_path / "inbox").mkdir()
    c = make_cfg(tmp_path, tmp_path / "inbox")
    c.roster.file = ""
    c.alerts.staff_addresses = list(STAFF)
    return c  # schedule.stale_after_seconds: the default 600 s


@pytest.fixture
def run_at(cfg: Config) -> Iterator[Callable[..., Daemon]]:
    """One pass of a daemon whose clock says ``when``; ``restart=True`` makes a new daemon (a restart)."""
    current: list[Daemon] = []
    made: list[Daemon] = []

    def run(when: datetime, restart: bool = False, source: object = None) -> Daemon:
        if restart or not current:
            d = Daemon(cfg, source=source) if source is not None else Daemon(cfg)  # type: ignore[arg-type]
            made.append(d)
            current[:] = [d]
        d = current[0]
        d.clock = lambda: when
        d.run_pass()
        return d

    yield run
    for d in made:
        d.close()


def break_store(cfg: Config) -> None:
    """The raw store cannot be written (as in tests/daemon/test_views.py), and new mail is waiting."""
    objects = cfg.data_dir / "objects"
    shutil.rmtree(objects, ignore_errors=True)
    objects.write_text("not a folder")
    (cfg.path(cfg.source.folder.path) / "02.eml").write_bytes(build_message([], message_id="<stuck@x>"))


def heal_store(cfg: Config) -> None:
    (cfg.data_dir / "objects").unlink()


def incidents(cfg: Config) -> list[AlertRow]:
    engine = open_ledger(cfg)
    try:
        with Session(engine) as s:
            return list(s.exec(select(AlertRow).order_by(AlertRow.id)).all())
    finally:
        engine.dispose()


def mails(cfg: Config) -> list[EmailMessage]:
    out = []
    for p in outbox_files(cfg, "alert"):
        msg = message_from_bytes(p.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        out.append(msg)
    return sorted(out, key=lambda m: str(m["Subject"]).startswith("【qc-intake】恢复"))


def text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_stuck_longer_than_the_limit_one_alert_then_one_recovery_notice(cfg, run_at):
    (cfg.path(cfg.source.folder.path) / "01.eml").write_bytes(build_message([], message_id="<fine@x>"))
    run_at(T0)  # a good pass
    break_store(cfg)
    run_at(T0 + timedelta(minutes=1))  # the first failure opens an incident, mails nobody yet
    run_at(T0 + timedelta(minutes=6))
    [incident] = incidents(cfg)
    assert incident.closed_at is None and not incident.notified and mails(cfg) == []

    run_at(T0 + timedelta(minutes=11, seconds=1))  # failing for longer than stale_after_seconds (600 s)
    run_at(T0 + timedelta(minutes=12))
    run_at(T0 + timedelta(minutes=20), restart=True)  # a restart changes nothing
    run_at(T0 + timedelta(minutes=21), restart=True)
    [alert] = mails(cfg)
    assert [a.addr_spec for a in alert["To"].addresses] == STAFF
    assert alert["Subject"].startswith("【qc-intake】告警：邮箱轮询已失败 10 分钟（folder:")
    body = text(alert)
    assert "2020-09-14 09:01:00 CST" in body  # since when, in campaign time
    assert "NotADirectoryError" in body or "FileExistsError" in body  # the recorded error
    assert alert["Auto-Submitted"] == "auto-generated"

    heal_store(cfg)
    run_at(T0 + timedelta(minutes=30))  # works again: the waiting mail is processed, staff told once
    run_at(T0 + timedelta(minutes=31))
    run_at(T0 + timedelta(minutes=40), restart=True)
    alert, recovery = mails(cfg)
    assert recovery["Subject"].startswith("【qc-intake】恢复：邮箱轮询已恢复正常")
    assert "持续 29 分钟" in text(recovery)
    [incident] = incidents(cfg)
    assert (incident.kind, incident.notified, incident.recovery_notified) == ("stale", True, True)
    assert incident.closed_at is not None
    assert len(list(cfg.outbox_dir.glob("[0-9]*.eml"))) == 2  # and both units got their receipt

    break_store(cfg)  # a second incident is a new one: alerted again once it lasts
    (cfg.path(cfg.source.folder.path) / "03.eml").write_bytes(build_message([], message_id="<stuck2@x>"))
    run_at(T0 + timedelta(hours=2))
    run_at(T0 + timedelta(hours=2, minutes=15))
    assert len(mails(cfg)) == 3 and len(incidents(cfg)) == 2


def test_a_short_hiccup_is_recorded_and_mails_nobody(cfg, run_at):
    run_at(T0)
    break_store(cfg)
    run_at(T0 + timedelta(minutes=1))
    heal_store(cfg)
    run_at(T0 + timedelta(minutes=2))
    [incident] = incidents(cfg)
    assert incident.closed_at is not None and not incident.notified and not incident.recovery_notified
    assert mails(cfg) == []


class RefusingMailbox:
    """An IMAP source whose server refuses the login, as imapclient reports it, until ``fixed``."""

    name = "imap:qcxz2020@163.com@imap.163.com/INBOX"

    def __init__(self) -> None:
        self.fixed = False

    def fetch(self) -> Iterator[Incoming]:
        if not self.fixed:
            raise LoginError("login refused: b'[AUTHENTICATIONFAILED] Invalid login or password'")
        return iter(())

    def done(self, item: Incoming) -> None: ...

    def wait(self, timeout: float) -> bool:
        return False

    def close(self) -> None: ...


def test_a_refused_login_is_alerted_at_once_and_once(cfg, run_at):
    mailbox = RefusingMailbox()
    run_at(T0, source=mailbox)
    [alert] = mails(cfg)
    assert alert["Subject"] == "【qc-intake】告警：邮箱拒绝登录（imap:qcxz2020@163.com@imap.163.com/INBOX）"
    assert "授权码" in text(alert) and "INTAKE_IMAP_PASSWORD" in text(alert) and "AUTHENTICATIONFAILED" in text(alert)
    for minutes in (1, 30, 90):
        run_at(T0 + timedelta(minutes=minutes))
    mailbox = RefusingMailbox()
    run_at(T0 + timedelta(hours=3), restart=True, source=mailbox)
    assert len(mails(cfg)) == 1
    mailbox.fixed = True
    run_at(T0 + timedelta(hours=4))
    assert [str(m["Subject"])[:14] for m in mails(cfg)] == ["【qc-intake】告警：", "【qc-intake】恢复："]
    [incident] = incidents(cfg)
    assert incident.kind == "auth" and incident.recovery_notified


def test_without_staff_addresses_the_incident_is_recorded_only(cfg, run_at):
    cfg.alerts.staff_addresses = []
    run_at(T0, source=RefusingMailbox())
    run_at(T0 + timedelta(minutes=30))
    [incident] = incidents(cfg)
    assert incident.kind == "auth" and not incident.notified and incident.closed_at is None
    engine = open_ledger(cfg)
    try:
        with Session(engine) as s:
            assert s.exec(select(OutboxRow)).all() == []
    finally:
        engine.dispose()
    assert mails(cfg) == []
