"""Reminders and alerts through a real aiosmtpd server (TLS + AUTH): what the server received, and the shared limits."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlmodel import Session, select

from intake.config import Config
from intake.store.migrations import open_ledger
from intake.store.rows import OutboxRow, ReminderRow
from tests.servers.smtp import SmtpServer
from tests.staff.conftest import at
from tests.staff.test_alerts import STAFF, RefusingMailbox

pytestmark = pytest.mark.integration


def use_server(cfg: Config, srv: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    s = cfg.reply.smtp
    cfg.reply.transport = "smtp"
    s.host, s.port, s.security, s.username, s.ca_file = srv.host, srv.port, srv.security, srv.username, srv.ca_file
    s.password_env, s.timeout = "QC_TEST_SMTP_PASSWORD", 5.0
    monkeypatch.setenv("QC_TEST_SMTP_PASSWORD", srv.password)


def received(srv: SmtpServer) -> list[tuple[list[str], EmailMessage]]:
    out = []
    for _, rcpt_tos, content in srv.messages:
        msg = message_from_bytes(content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        out.append((rcpt_tos, msg))
    return out


def text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_reminders_reach_the_server_once_with_every_roster_address(cfg, daemon_at, smtp_server, monkeypatch):
    use_server(cfg, smtp_server, monkeypatch)
    daemon_at(at(12, 10, 5)).run_pass()
    daemon_at(at(12, 15, 0)).run_pass()  # a restart the same day: nothing more
    got = {tuple(rcpt): msg for rcpt, msg in received(smtp_server)}
    assert set(got) == {("qc21@sina.com",), ("qc24@qq.com",), ("gdqa@example-guangdong.cn",),
                        ("dlqa@example-power.cn", "dlqa2@example-power.cn")}
    assert len(smtp_server.messages) == 4 and smtp_server.authenticator.attempts == 1  # one connection
    zhejiang = got[("qc21@sina.com",)]
    assert str(zhejiang["Subject"]) == "提醒：贵单位的2020年度全国优秀质量管理小组推荐申报材料尚不齐全（截止2020年9月15日（含））"
    body = text(zhejiang)
    assert body.startswith("浙江省质量协会：") and "尚缺的材料：\n  · 申报表\n  · 统计表" in body
    power = got[("dlqa@example-power.cn", "dlqa2@example-power.cn")]
    assert "需报送的材料：\n  · 申报表\n  · 成果报告" in text(power)
    assert smtp_server.messages[0][0] == "qc-intake@example.org"  # MAIL FROM: the campaign account
    engine = open_ledger(cfg)
    try:
        with Session(engine) as s:
            assert {r.state for r in s.exec(select(ReminderRow)).all()} == {"sent"}
    finally:
        engine.dispose()


def test_a_reminder_waits_under_the_same_hourly_limit_as_receipts(cfg, daemon_at, smtp_server, monkeypatch):
    """浙江 had its receipt moments ago (the template's pass): with one mail an hour, its reminder waits."""
    use_server(cfg, smtp_server, monkeypatch)
    cfg.reply.max_per_sender_per_hour = 1
    daemon_at(at(12, 10, 5)).run_pass()
    assert {tuple(r) for r, _ in received(smtp_server)} == {
        ("qc24@qq.com",), ("gdqa@example-guangdong.cn",), ("dlqa@example-power.cn", "dlqa2@example-power.cn")}
    engine = open_ledger(cfg)
    try:
        with Session(engine) as s:
            [waiting] = [o for o in s.exec(select(OutboxRow)).all() if o.kind == "reminder" and o.state == "pending"]
            assert waiting.to_addr == "qc21@sina.com" and "rate limit" in (waiting.last_error or "")
    finally:
        engine.dispose()


def test_alert_and_recovery_notice_reach_the_staff_once(cfg, daemon_at, smtp_server, monkeypatch):
    use_server(cfg, smtp_server, monkeypatch)
    cfg.alerts.staff_addresses = list(STAFF)
    cfg.reminders.enabled = False  # 09-14 is a reminder day: only the alerts here
    mailbox = RefusingMailbox()
    d = daemon_at(at(14, 9, 0))
    d.source = mailbox  # this daemon's mailbox refuses the login
    d.run_pass()
    for minutes in (1, 20):
        d.clock = lambda m=minutes: at(14, 9, 0) + timedelta(minutes=m)
        d.run_pass()
    [(rcpt, alert)] = received(smtp_server)
    assert rcpt == STAFF
    assert str(alert["Subject"]).startswith("【qc-intake】告警：邮箱拒绝登录")
    assert "AUTHENTICATIONFAILED" in text(alert)
    mailbox.fixed = True
    d.clock = lambda: at(14, 10, 0)
    d.run_pass()
    d.run_pass()
    [(_, first), (rcpt, recovery)] = received(smtp_server)
    assert rcpt == STAFF and str(recovery["Subject"]).startswith("【qc-intake】恢复：")
    assert "持续 1 小时 0 分钟" in text(recovery)
