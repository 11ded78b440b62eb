"""Crash safety against the real servers: ``intake run`` as a subprocess on Dovecot and aiosmtpd,
SIGKILLed at random moments while 40 messages arrive and are answered. Afterwards every message is in
the ledger exactly once, processed, and answered; a receipt the server got twice has the same
Message-ID and is counted as an unknown outcome. (A fuller run, ≥ 100 messages and ≥ 20 kills, is
``bench/chaos.py``.)"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from sqlmodel import Session, select

from intake.config import load_config
from intake.store.migrations import open_ledger
from intake.store.rows import MessageRow, OutboxRow
from tests.fixtures.mail import build_message

ROOT = Path(__file__).resolve().parents[2]
SMTP_ENV = "INTAKE_TEST_SMTP_PASSWORD"


def chaos_config(tmp_path: Path, dovecot, user: str, smtp) -> Path:  # noqa: ANN001
    imap = dovecot.source_config(user)  # sets the IMAP password env var
    os.environ[SMTP_ENV] = smtp.password
    conf = tmp_path / "chaos.toml"
    conf.write_text(f"""
[storage]
data_dir = "{tmp_path / 'var'}"
[source]
kind = "imap"
[source.imap]
host = "{imap.host}"
port = {imap.port}
security = "ssl"
username = "{user}"
password_env = "{imap.password_env}"
ca_file = "{imap.ca_file}"
timeout = 10.0
[schedule]
poll_seconds = 0.5
outbox_seconds = 0.5
[reply]
transport = "smtp"
from_addr = "qc-intake@example.org"
max_per_sender_per_hour = 1000
max_per_15_minutes = 1000  # our own budget (default 60) would defer the rest: not what this test is about
[reply.smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "{smtp.security}"
username = "{smtp.username}"
password_env = "{SMTP_ENV}"
ca_file = "{smtp.ca_file}"
timeout = 10.0
""", encoding="utf-8")
    return conf


def run_chaos(conf: Path, append, n_messages: int, kills: int, seed: int) -> dict:  # noqa: ANN001
    """Append messages while killing the daemon ``kills`` times; then let it finish. Returns counts."""
    rng = random.Random(seed)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    sent = 0
    proc = None
    try:
        for _ in range(kills):
            proc = subprocess.Popen([sys.executable, "-m", "intake.cli", "run", "-c", str(conf)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(n_messages // kills):
                append(sent)
                sent += 1
            time.sleep(rng.uniform(0.3, 2.5))  # starting, fetching, reading, sending: anywhere
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        while sent < n_messages:
            append(sent)
            sent += 1
        final = subprocess.run([sys.executable, "-m", "intake.cli", "run", "--once", "-c", str(conf)], env=env,
                               capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr[-2000:]
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
    return {"appended": sent}


def test_sigkill_at_random_moments_loses_nothing_and_answers_everything(dovecot, smtp_server, tmp_path):
    user = dovecot.new_user()
    conf = chaos_config(tmp_path, dovecot, user, smtp_server)

    def append(i: int) -> None:
        raw = build_message([("附件3 统计表.txt", f"统计表 第{i}份".encode())], subject=f"第{i}封",
                            from_addr=f"unit{i}@example-zhixie.cn", message_id=f"<chaos-{i}@example-zhixie.cn>")
        dovecot.append(user, raw, msg_time=datetime(2020, 9, 14, 10, 0, tzinfo=UTC))

    run_chaos(conf, append, n_messages=40, kills=10, seed=7)
    cfg = load_config(conf)
    with Session(open_ledger(cfg)) as s:
        msgs = s.exec(select(MessageRow)).all()
        outbox = s.exec(select(OutboxRow)).all()
    assert sorted(m.message_id for m in msgs) == sorted(f"<chaos-{i}@example-zhixie.cn>" for i in range(40))
    assert all(m.state == "processed" for m in msgs), [(m.id, m.state, m.error) for m in msgs if m.state != "processed"]
    assert len(outbox) == 40 and all(o.state == "sent" for o in outbox), Counter(o.state for o in outbox)
    got = Counter(str(message_from_bytes(raw, policy=policy.default)["Message-ID"]) for _, _, raw in smtp_server.messages)
    assert set(got) == {o.message_id for o in outbox}  # every receipt reached the server
    twice = sum(n - 1 for n in got.values())
    assert twice <= sum(o.unknown_outcomes for o in outbox)  # a repeat is only ever the one counted resend
