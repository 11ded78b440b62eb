"""Sending N receipts to aiosmtpd on 127.0.0.1 (implicit TLS + AUTH): a new connection per receipt (how a
rush's receipts went while the outbox job opened one per run) against one kept connection (the daemon's
now), in CPU ms of the sending thread and wall ms per receipt. ``smtplib`` alone on a kept connection is
the floor.

    .venv/bin/python bench/smtp_send.py --n 60
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intake.config import Config  # noqa: E402
from intake.reply.transports import SmtpTransport, _verifying_context  # noqa: E402
from intake.store.rows import OutboxRow  # noqa: E402
from tests.servers.certs import make_cert  # noqa: E402
from tests.servers.smtp import SmtpServer, start_smtp_server  # noqa: E402

PASSWORD_ENV = "QC_BENCH_SMTP_PASSWORD"


def _receipt(i: int) -> OutboxRow:
    body = "".join(f"第{k}行：回执正文。\r\n" for k in range(400)).encode()  # ~12 KB, a rush's average receipt
    raw = (f"From: caq@example.org\r\nTo: unit{i}@163.com\r\nSubject: receipt {i}\r\n"
           f"Message-ID: <r{i}@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + body
    return OutboxRow(message_pk=i, to_addr=f"unit{i}@163.com", raw=raw)


def _config(srv: SmtpServer) -> Config:
    cfg = Config()
    s = cfg.reply.smtp
    s.host, s.port, s.security, s.username, s.ca_file = srv.host, srv.port, srv.security, srv.username, srv.ca_file
    s.password_env = PASSWORD_ENV
    os.environ[PASSWORD_ENV] = srv.password
    return cfg


def _time(n: int, send: Callable[[int], None]) -> dict[str, float]:
    cpu, wall = time.thread_time(), time.monotonic()
    for i in range(n):
        send(i)
    return {"cpu_ms": round(1000 * (time.thread_time() - cpu) / n, 2),
            "wall_ms": round(1000 * (time.monotonic() - wall) / n, 2)}


def measure(n: int) -> dict[str, dict[str, float]]:
    srv = start_smtp_server(make_cert(Path(tempfile.mkdtemp(prefix="bench-smtp-"))))
    try:
        cfg = _config(srv)
        rows = [_receipt(i) for i in range(n)]

        def fresh(i: int) -> None:
            t = SmtpTransport(cfg)
            t.deliver(rows[i], "caq@example.org")
            t.close()

        kept = SmtpTransport(cfg)
        floor = smtplib.SMTP_SSL(srv.host, srv.port, context=_verifying_context(srv.ca_file, 0))
        floor.login(srv.username, srv.password)
        out = {
            "new_connection_each": _time(n, fresh),
            "one_kept_connection": _time(n, lambda i: kept.deliver(rows[i], "caq@example.org") and None),
            "floor_smtplib_kept": _time(n, lambda i: floor.sendmail("caq@example.org", rows[i].recipients,
                                                                     rows[i].raw) and None),
        }
        kept.close()
        floor.quit()
        return out
    finally:
        srv.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="receipts per mode")
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.n), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
