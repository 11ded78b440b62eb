"""Delivery through a real aiosmtpd server on 127.0.0.1: TLS, AUTH, 4xx/5xx handling, one connection per batch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.config import Config
from intake.reply.outbox import enqueue, send_pending
from intake.reply.receipt import compose_receipt
from intake.store.rows import OutboxRow
from tests.reply.conftest import make_unpacked
from tests.servers.smtp import SmtpServer, free_port

T0 = datetime(2020, 9, 14, 2, 31, tzinfo=UTC)
pytestmark = pytest.mark.integration


def use_server(cfg: Config, srv: SmtpServer, monkeypatch: pytest.MonkeyPatch, password: str | None = None) -> None:
    s = cfg.reply.smtp
    cfg.reply.transport = "smtp"
    s.host, s.port, s.security, s.username, s.ca_file = srv.host, srv.port, srv.security, srv.username, srv.ca_file
    s.password_env, s.timeout = "QC_TEST_SMTP_PASSWORD", 5.0
    monkeypatch.setenv("QC_TEST_SMTP_PASSWORD", password if password is not None else srv.password)


def queue(engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any,
          senders: list[str]) -> list[int]:
    pks = [add_message(s) for s in senders]
    with Session(engine) as session:
        for i, (pk, sender) in enumerate(zip(pks, senders, strict=True)):
            u = make_unpacked(("References", "<first.mail@163.com>"), sender=sender, subject=f"推荐材料 {i + 1}")
            u.message_id = f"<submission.{i + 1}@163.com>"
            result = {"message": {}, "documents": [], "findings": [], "status": "complete"}
            assert enqueue(session, pk, compose_receipt(cfg, campaign, u, result, None))
        session.commit()
    return pks


def rows(engine: Engine) -> list[OutboxRow]:
    with Session(engine) as s:
        return list(s.exec(select(OutboxRow).order_by(OutboxRow.id)).all())


def test_sends_over_implicit_tls_with_auth(smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int],
                                          cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    queue(engine, add_message, cfg, campaign, ["zhangsan@163.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 1
    [(mail_from, rcpt_tos, content)] = smtp_server.messages
    assert mail_from == "qc-intake@example.org" and rcpt_tos == ["zhangsan@163.com"]
    msg = message_from_bytes(content, policy=policy.default)
    assert msg["In-Reply-To"] == "<submission.1@163.com>"
    assert str(msg["References"]).split() == ["<first.mail@163.com>", "<submission.1@163.com>"]
    assert msg["Subject"] == "回执：推荐材料 1" and msg["Auto-Submitted"] == "auto-replied"
    assert "您好" in msg.get_body(("plain",)).get_content()
    [row] = rows(engine)
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, None) and row.sent_at is not None
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(hours=1)) == 0
    assert len(smtp_server.messages) == 1  # received once


def test_one_connection_per_batch(smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int],
                                  cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    queue(engine, add_message, cfg, campaign, ["a@163.com", "b@qq.com", "c@126.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 3
    assert [m[1] for m in smtp_server.messages] == [["a@163.com"], ["b@qq.com"], ["c@126.com"]]
    assert smtp_server.authenticator.attempts == 1


def test_a_transport_the_caller_keeps_serves_its_next_batches(smtp_server: SmtpServer, engine: Engine,
                                                              add_message: Callable[..., int], cfg: Config,
                                                              campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon keeps one transport while receipts keep coming: its next batch needs no new handshake."""
    import socket

    from intake.reply.transports import SmtpTransport

    use_server(cfg, smtp_server, monkeypatch)
    transport = SmtpTransport(cfg)
    try:
        for to in ["a@163.com", "b@qq.com"]:
            queue(engine, add_message, cfg, campaign, [to])
            assert send_pending(cfg, engine, now=lambda: T0, transport=transport) == 1
            assert transport.conn is not None  # left open for the next call
            # no Nagle: the next MAIL FROM must not wait for the server's delayed ACK of the last DATA
            assert transport.conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        transport.close()
    assert [m[1] for m in smtp_server.messages] == [["a@163.com"], ["b@qq.com"]]
    assert smtp_server.authenticator.attempts == 1


def test_a_kept_connection_the_server_dropped_while_idle_is_replaced(
        smtp_server_factory: Callable[..., SmtpServer], engine: Engine, add_message: Callable[..., int], cfg: Config,
        campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers time idle sessions out; the receipt after such a pause goes on a new connection, on its first
    attempt, instead of failing on the dead one and waiting for a retry."""
    import time

    from intake.reply.transports import SmtpTransport

    srv = smtp_server_factory(idle_timeout=0.3)
    use_server(cfg, srv, monkeypatch)
    transport = SmtpTransport(cfg)
    try:
        queue(engine, add_message, cfg, campaign, ["a@163.com"])
        assert send_pending(cfg, engine, now=lambda: T0, transport=transport) == 1
        time.sleep(1.5)  # the server has closed the session by now, and it is idle long enough to be checked
        queue(engine, add_message, cfg, campaign, ["b@qq.com"])
        assert send_pending(cfg, engine, now=lambda: T0, transport=transport) == 1
    finally:
        transport.close()
    assert [m[1] for m in srv.messages] == [["a@163.com"], ["b@qq.com"]]
    assert [(r.state, r.attempts) for r in rows(engine)] == [("sent", 1), ("sent", 1)]
    assert srv.authenticator.attempts == 2


def test_the_tls_context_is_made_once_per_ca_file(smtp_server: SmtpServer, engine: Engine,
                                                 add_message: Callable[..., int], cfg: Config, campaign: Any,
                                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """In a rush each receipt goes on its own connection (the outbox is woken per message): loading the
    system CA bundle for each was 15 % of the daemon's CPU. One context serves every connection until the
    CA file changes."""
    import os
    import shutil
    import ssl

    from intake.reply import transports

    ca = tmp_path / "ca.pem"
    shutil.copy(smtp_server.ca_file, ca)
    use_server(cfg, smtp_server, monkeypatch)
    cfg.reply.smtp.ca_file = str(ca)
    made: list[int] = []
    real = ssl.create_default_context

    def counting(*a: Any, **kw: Any) -> ssl.SSLContext:
        made.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    transports._verifying_context.cache_clear()
    for to in ["a@163.com", "b@qq.com", "c@126.com"]:
        queue(engine, add_message, cfg, campaign, [to])
        assert send_pending(cfg, engine, now=lambda: T0) == 1  # one connection each
    assert smtp_server.authenticator.attempts == 3 and len(made) == 1
    stat = ca.stat()
    ca.write_bytes(ca.read_bytes())  # the CA file replaced: read again
    os.utime(ca, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    queue(engine, add_message, cfg, campaign, ["d@163.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 1 and len(made) == 2


def test_starttls(smtp_server_factory: Callable[..., SmtpServer], engine: Engine, add_message: Callable[..., int],
                  cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    srv = smtp_server_factory(security="starttls")
    use_server(cfg, srv, monkeypatch)
    queue(engine, add_message, cfg, campaign, ["zhangsan@163.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 1
    assert len(srv.messages) == 1


def test_451_is_retried_on_a_later_call(smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int],
                                        cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    queue(engine, add_message, cfg, campaign, ["zhangsan@163.com"])
    smtp_server.fail_next(1, "451 4.3.0 Greylisted, try again later")
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    [row] = rows(engine)
    assert (row.state, row.attempts) == ("pending", 1)
    assert "451" in (row.last_error or "") and "Greylisted" in (row.last_error or "")
    assert row.next_attempt_at is not None and row.next_attempt_at.replace(tzinfo=UTC) > T0
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(seconds=10)) == 0  # not due yet
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(minutes=5)) == 1
    assert len(smtp_server.messages) == 1 and rows(engine)[0].state == "sent"


def test_untagged_5xx_fails_without_retry_and_the_batch_goes_on(
    smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 5xx without a known 163.com tag: failed at once and shown (tagged ones: tests/reply/test_netease.py)."""
    use_server(cfg, smtp_server, monkeypatch)
    queue(engine, add_message, cfg, campaign, ["a@163.com", "b@163.com"])
    smtp_server.fail_next(1, "554 5.7.1 Message rejected by policy")
    assert send_pending(cfg, engine, now=lambda: T0) == 1
    first, second = rows(engine)
    assert first.state == "failed" and "554 5.7.1 Message rejected" in (first.last_error or "")
    assert first.claimed_by is None and first.next_attempt_at is None
    assert second.state == "sent"
    assert [m[1] for m in smtp_server.messages] == [["b@163.com"]]
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(days=1)) == 0
    assert len(smtp_server.messages) == 1


def test_wrong_password_is_reported_and_retried_later(
    smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_server(cfg, smtp_server, monkeypatch, password="revoked-code")
    queue(engine, add_message, cfg, campaign, ["a@163.com", "b@163.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    first, second = rows(engine)
    assert first.state == "pending" and first.attempts == 1
    assert "login refused" in (first.last_error or "") and "535" in (first.last_error or "")
    assert "授权码" in (first.last_error or "") and "$QC_TEST_SMTP_PASSWORD" in (first.last_error or "")
    assert second.attempts == 0  # the batch stopped: the same login would fail again
    assert smtp_server.authenticator.attempts <= 2  # one login (smtplib tries PLAIN, then LOGIN), not one per row
    monkeypatch.setenv("QC_TEST_SMTP_PASSWORD", smtp_server.password)  # staff fixed the code
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(minutes=5)) == 2
    assert len(smtp_server.messages) == 2


def test_missing_password_variable_names_it(smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int],
                                            cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    monkeypatch.delenv("QC_TEST_SMTP_PASSWORD")
    queue(engine, add_message, cfg, campaign, ["a@163.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    [row] = rows(engine)
    assert row.state == "pending" and "QC_TEST_SMTP_PASSWORD" in (row.last_error or "")


def test_untrusted_certificate_is_refused(smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int],
                                          cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    cfg.reply.smtp.ca_file = ""  # verification stays on; the self-signed test CA is not known
    queue(engine, add_message, cfg, campaign, ["a@163.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    [row] = rows(engine)
    assert row.state == "pending" and "certificate" in (row.last_error or "")
    assert smtp_server.messages == []


def test_server_down_is_retried_then_failed(engine: Engine, add_message: Callable[..., int], cfg: Config,
                                            campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg.reply.transport = "smtp"
    cfg.reply.smtp.host, cfg.reply.smtp.port, cfg.reply.smtp.security = "127.0.0.1", free_port(), "none"
    cfg.reply.smtp.timeout = 2.0
    cfg.reply.max_attempts = 2
    queue(engine, add_message, cfg, campaign, ["a@163.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    assert rows(engine)[0].state == "pending" and "connection" in (rows(engine)[0].last_error or "")
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(hours=1)) == 0
    [row] = rows(engine)
    assert (row.state, row.attempts) == ("failed", 2) and "gave up after 2 attempts" in (row.last_error or "")


def test_rate_limit_counts_smtp_deliveries(smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int],
                                           cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    cfg.reply.max_per_sender_per_hour = 1
    queue(engine, add_message, cfg, campaign, ["robot@example.com", "robot@example.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 1
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(minutes=10)) == 0
    assert len(smtp_server.messages) == 1
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(minutes=61)) == 1
    assert len(smtp_server.messages) == 2


def test_sender_refused_stops_the_batch_without_failing_rows(
    smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    cfg.reply.smtp.username = ""  # forgot the account: the server wants AUTH before MAIL FROM
    queue(engine, add_message, cfg, campaign, ["a@163.com", "b@163.com"])
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    first, second = rows(engine)
    assert first.state == "pending" and "sender refused: 530" in (first.last_error or "")
    assert "reply.smtp.username" in (first.last_error or "")
    assert second.attempts == 0 and smtp_server.messages == []


def test_421_closes_the_connection_and_the_rest_waits(
    smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    queue(engine, add_message, cfg, campaign, ["a@163.com", "b@163.com"])
    smtp_server.fail_next(1, "421 4.7.0 Too many messages in this connection, closing")
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    first, second = rows(engine)
    assert (first.state, first.attempts) == ("pending", 1) and "421" in (first.last_error or "")
    assert (second.state, second.attempts) == ("pending", 0)
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(minutes=5)) == 2
    assert sorted(m[1][0] for m in smtp_server.messages) == ["a@163.com", "b@163.com"]


def test_unknown_recipient_fails_and_the_connection_is_reused(
    smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    queue(engine, add_message, cfg, campaign, ["gone@163.com", "b@163.com", "c@163.com"])
    smtp_server.fail_next(1, "550 5.1.1 User not found", stage="RCPT")
    smtp_server.fail_next(1, "450 4.2.1 Mailbox busy", stage="RCPT")
    assert send_pending(cfg, engine, now=lambda: T0) == 1
    gone, busy, ok = rows(engine)
    assert gone.state == "failed" and "recipient refused: 550" in (gone.last_error or "")
    assert busy.state == "pending" and "recipient refused: 450" in (busy.last_error or "")
    assert ok.state == "sent"
    assert smtp_server.authenticator.attempts == 1  # one connection for all three
