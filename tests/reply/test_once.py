"""Receipts exactly once, as far as SMTP allows: a fixed Message-ID, the ``sending`` state, claims of dead senders.

The "killed" senders are real processes killed with SIGKILL at the worst moments — right after the
server answered 250 to DATA (before our commit), and while the envelope was being sent — against
the real aiosmtpd server on 127.0.0.1 and a migrated ledger.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.config import Config
from intake.reply import claims
from intake.reply import outbox as reply
from intake.reply.outbox import enqueue, release_stale_claims, retry_failed, send_pending
from intake.reply.receipt import compose_receipt, receipt_message_id
from intake.reply.suppress import no_receipt_reason
from intake.staff.views import outbox_view
from intake.store.migrations import open_ledger
from intake.store.rows import MessageRow, OutboxRow, utcnow
from tests.reply.conftest import make_unpacked
from tests.reply.test_smtp_send import use_server
from tests.servers.smtp import SmtpServer

REPO = Path(__file__).resolve().parents[2]
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

# A sender process that dies by SIGKILL at the moment named in argv: "after_250" (the server has
# accepted DATA; our commit never happens) or "before_data" (the envelope is being sent).
KILLED_SENDER = r"""
import json, os, signal, smtplib, sys
from intake.config import Config
from intake.reply.outbox import send_pending
from intake.store.rows import make_engine

a = json.loads(sys.argv[1])
cfg = Config()
cfg.reply.transport, cfg.reply.from_addr = "smtp", a["from_addr"]
s = cfg.reply.smtp
s.host, s.port, s.security, s.username = a["host"], a["port"], a["security"], a["username"]
s.ca_file, s.password_env, s.timeout = a["ca_file"], a["password_env"], 5.0

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if a["kill"] == "after_250":
    real_data = smtplib.SMTP.data
    def data(self, msg):
        real_data(self, msg)  # the server answered 250: the receipt is delivered
        die()
    smtplib.SMTP.data = data
else:
    smtplib.SMTP.rcpt = die
send_pending(cfg, make_engine(a["url"]))
sys.exit(0)  # not reached
"""


def receipt(cfg: Config, campaign: Any, sender: str = "zhangsan@163.com") -> Any:
    result = {"message": {}, "documents": [], "findings": [], "status": "complete"}
    return compose_receipt(cfg, campaign, make_unpacked(sender=sender, subject="推荐材料"), result, None)


@pytest.fixture
def ledger(cfg: Config) -> Iterator[Engine]:
    """A migrated ledger (what the daemon opens), so `intake outbox` can read it too."""
    engine = open_ledger(cfg)
    yield engine
    engine.dispose()


def add(engine: Engine, cfg: Config, campaign: Any, sha: str = SHA, sender: str = "zhangsan@163.com") -> int:
    with Session(engine) as s:
        m = MessageRow(sha256=sha, from_addr=sender)
        s.add(m)
        s.commit()
        assert m.id is not None
        assert enqueue(s, m.id, receipt(cfg, campaign, sender))
        s.commit()
        return m.id


def the_row(engine: Engine) -> OutboxRow:
    with Session(engine) as s:
        return s.exec(select(OutboxRow)).one()


def change(engine: Engine, **values: Any) -> None:
    with Session(engine) as s:
        row = s.exec(select(OutboxRow)).one()
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)
        s.commit()


def killed_sender(cfg: Config, engine: Engine, srv: SmtpServer, kill: str) -> None:
    args = {"url": engine.url.render_as_string(hide_password=False), "from_addr": cfg.reply.from_addr,
            "host": srv.host, "port": srv.port, "security": srv.security, "username": srv.username,
            "ca_file": srv.ca_file, "password_env": "QC_TEST_SMTP_PASSWORD", "kill": kill}
    done = subprocess.run([sys.executable, "-c", KILLED_SENDER, json.dumps(args)], cwd=REPO, timeout=60,
                          env={**os.environ, "QC_TEST_SMTP_PASSWORD": srv.password}, capture_output=True)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


def message_ids(srv: SmtpServer) -> list[str]:
    return [str(message_from_bytes(m[2], policy=policy.default)["Message-ID"]).strip() for m in srv.messages]


# ---------------------------------------------------------------- the Message-ID


def test_message_id_is_derived_from_the_message_and_the_intake_domain() -> None:
    assert receipt_message_id(SHA, "66073178@163.COM") == f"<{SHA[:32]}.qc-intake-receipt@163.com>"
    assert receipt_message_id("pk12", "") == "<pk12.qc-intake-receipt@localhost>"


def test_message_id_is_fixed_at_enqueue_and_stable_across_a_requeue(ledger: Engine, cfg: Config,
                                                                    campaign: Any) -> None:
    pk = add(ledger, cfg, campaign)
    row = the_row(ledger)
    expected = f"<{SHA[:32]}.qc-intake-receipt@example.org>"
    assert row.message_id == expected
    assert f"\r\nMessage-ID: {expected}\r\n".encode() in row.raw  # on one line, unfolded
    assert message_from_bytes(row.raw, policy=policy.default)["Message-ID"] == expected
    # re-queued by staff after a failure: the same bytes, the same Message-ID
    change(ledger, state="failed", last_error="554 5.7.1 x")
    assert retry_failed(ledger) == 1
    assert the_row(ledger).message_id == expected and the_row(ledger).raw == row.raw
    # composed and queued again from scratch (another time, another Date): still the same Message-ID
    with Session(ledger) as s:
        s.delete(s.exec(select(OutboxRow)).one())
        s.commit()
        again = receipt(cfg, campaign)
        assert again["Message-ID"] != expected  # compose alone gives a random one ...
        assert enqueue(s, pk, again)
        s.commit()
    assert again["Message-ID"] == expected  # ... the queue fixes it
    assert the_row(ledger).message_id == expected


def test_the_fixed_message_id_is_recognised_as_our_own_when_it_comes_back() -> None:
    u = make_unpacked(sender="forwarder@163.com")
    u.message_id = receipt_message_id(SHA, "qc-intake@example.org")
    assert no_receipt_reason(u, []) is not None


# ---------------------------------------------------------------- killed senders


@pytest.mark.integration
def test_killed_after_the_servers_250_resends_once_with_the_same_message_id(
    smtp_server: SmtpServer, ledger: Engine, cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    add(ledger, cfg, campaign)
    killed_sender(cfg, ledger, smtp_server, "after_250")
    assert smtp_server.wait_for(1)
    row = the_row(ledger)
    assert row.state == "sending" and row.send_started_at is not None and row.claimed_by
    assert row.sent_at is None  # the answer was never recorded
    assert send_pending(cfg, ledger) == 1  # the next run (a restart): the dead sender's row, resent once
    row = the_row(ledger)
    assert (row.state, row.unknown_outcomes, row.attempts, row.claimed_by) == ("sent", 1, 2, None)
    assert message_ids(smtp_server) == [row.message_id, row.message_id]  # one mail to the recipient's client
    assert send_pending(cfg, ledger, now=lambda: utcnow() + timedelta(days=1)) == 0
    assert len(smtp_server.messages) == 2


@pytest.mark.integration
def test_a_second_unknown_outcome_is_never_resent_automatically(
    smtp_server: SmtpServer, ledger: Engine, cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    add(ledger, cfg, campaign)
    killed_sender(cfg, ledger, smtp_server, "after_250")
    killed_sender(cfg, ledger, smtp_server, "after_250")  # it resends once ... and is killed again
    assert smtp_server.wait_for(2)
    row = the_row(ledger)
    assert (row.state, row.unknown_outcomes) == ("sending", 1)
    assert send_pending(cfg, ledger, now=lambda: utcnow() + timedelta(hours=1)) == 0
    row = the_row(ledger)
    assert (row.state, row.unknown_outcomes, row.claimed_by) == ("failed", 2, None)
    assert "not resent automatically" in (row.last_error or "")
    assert len(smtp_server.messages) == 2 and len(set(message_ids(smtp_server))) == 1
    outbox_view(cfg)
    out = capsys.readouterr().out
    assert "结果不明" in out and "发送失败的回执（1 封）" in out and "not resent" in out


@pytest.mark.integration
def test_killed_before_data_goes_again_without_counting_an_unknown_outcome(
    smtp_server: SmtpServer, ledger: Engine, cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    add(ledger, cfg, campaign)
    killed_sender(cfg, ledger, smtp_server, "before_data")
    row = the_row(ledger)
    assert row.state == "pending" and row.claimed_by and smtp_server.messages == []
    assert send_pending(cfg, ledger) == 1  # at once: no lease to wait for
    row = the_row(ledger)
    assert (row.state, row.unknown_outcomes, row.attempts) == ("sent", 0, 1)
    assert message_ids(smtp_server) == [row.message_id]


def test_outbox_view_lists_a_resent_unknown_outcome(ledger: Engine, cfg: Config, campaign: Any,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    add(ledger, cfg, campaign)
    change(ledger, state="sent", attempts=2, unknown_outcomes=1, sent_at=utcnow())
    outbox_view(cfg)
    out = capsys.readouterr().out
    assert "发送失败的回执（0 封）" in out and "结果不明后已重发 1 封" in out and "已发送" in out


# ---------------------------------------------------------------- claims: dead released at once, live respected


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_a_dead_senders_claim_is_released_at_once(ledger: Engine, cfg: Config, campaign: Any,
                                                  other_process: subprocess.Popen[bytes]) -> None:
    add(ledger, cfg, campaign)
    token = claims.token_for(other_process.pid)
    other_process.kill()
    other_process.wait()
    now = utcnow()
    assert token and not claims.holder_alive(token, now, now)
    change(ledger, claimed_by=token, claimed_at=now, next_attempt_at=now + reply.LEASE)  # just claimed
    assert send_pending(cfg, ledger) == 1  # no five-minute wait
    assert (the_row(ledger).state, the_row(ledger).unknown_outcomes) == ("sent", 0)


def test_a_live_senders_claim_is_respected_even_past_its_lease(ledger: Engine, cfg: Config, campaign: Any,
                                                               other_process: subprocess.Popen[bytes]) -> None:
    add(ledger, cfg, campaign)
    token = claims.token_for(other_process.pid)
    assert token
    long_ago = utcnow() - timedelta(hours=1)
    change(ledger, state="sending", claimed_by=token, claimed_at=long_ago, next_attempt_at=long_ago)
    assert release_stale_claims(ledger) == 0
    assert send_pending(cfg, ledger) == 0
    row = the_row(ledger)
    assert (row.state, row.claimed_by, row.unknown_outcomes) == ("sending", token, 0)
    assert not list(cfg.outbox_dir.glob("*.eml"))
    other_process.kill()  # now it is gone, in the middle of its DATA
    other_process.wait()
    assert release_stale_claims(ledger) == 1
    row = the_row(ledger)
    assert (row.state, row.claimed_by, row.unknown_outcomes) == ("pending", None, 1)
    assert send_pending(cfg, ledger) == 1


def test_a_reused_pid_or_a_reboot_does_not_keep_a_claim_alive() -> None:
    now = datetime.now(UTC)
    mine = claims.own_token()
    host, boot, pid, start = mine.split(" ")
    assert claims.holder_alive(mine, now, now)
    if start != "-":
        assert not claims.holder_alive(f"{host} {boot} {pid} {int(start) + 1}", now, now)  # same pid, another process
    if boot != "-":
        assert not claims.holder_alive(f"{host} other-boot {pid} {start}", now, now)  # the machine restarted
    elsewhere = f"another-host.invalid {boot} {pid} {start}"
    assert claims.holder_alive(elsewhere, now, now)  # cannot look: trusted for the lease
    assert not claims.holder_alive(elsewhere, now - claims.LEASE - timedelta(seconds=1), now)
    assert not claims.holder_alive(None, now, now)


def test_a_claim_is_written_with_the_claiming_process(ledger: Engine, cfg: Config, campaign: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    add(ledger, cfg, campaign)
    seen: list[tuple[str | None, str]] = []
    real = reply.FolderTransport.deliver

    def deliver(self: Any, row: OutboxRow, mail_from: str, raw: bytes | None = None,
                before_data: Callable[[], None] | None = None) -> str | None:
        seen.append((row.claimed_by, row.state))
        return real(self, row, mail_from, raw, before_data)

    monkeypatch.setattr(reply.FolderTransport, "deliver", deliver)
    assert send_pending(cfg, ledger) == 1
    assert seen == [(claims.own_token(), "pending")]
    assert str(os.getpid()) in claims.own_token().split(" ")
    assert the_row(ledger).claimed_by is None
