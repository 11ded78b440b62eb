"""Benchmark: the daemon against a real Dovecot on 127.0.0.1 — time to receipt and throughput.

Measures what the users feel: how long after a submission lands in the mailbox its receipt is
ready (APPEND → one pass → receipt written), how many messages a pass gets through, and what an
idle poll costs. Run as root on a machine with Dovecot (``bash .ci/run`` installs it)::

    .venv/bin/python bench/daemon_throughput.py [--small 200] [--repeat 3]

Prints a table; numbers go into the README by hand. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intake.config import Config  # noqa: E402
from intake.run.daemon import Daemon  # noqa: E402
from tests.fixtures.mail import build_message  # noqa: E402
from tests.servers.certs import make_cert  # noqa: E402
from tests.servers.dovecot import start_dovecot, stop_dovecot, unavailable_reason  # noqa: E402


def _config(tmp: Path, imap: object) -> Config:
    cfg = Config()
    cfg.base_dir = tmp
    cfg.storage.data_dir = str(tmp / "var")
    cfg.source.kind = "imap"
    cfg.source.imap = imap  # type: ignore[assignment]
    cfg.reply.transport = "folder"
    return cfg


def _timed_pass(daemon: Daemon) -> float:
    t0 = time.perf_counter()
    daemon.poll()
    daemon.send()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=200, help="small messages for the throughput run")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions of the time-to-receipt run")
    args = ap.parse_args()
    reason = unavailable_reason()
    if reason:
        print(f"cannot run: {reason}")
        return 1
    examples = sorted((ROOT / "examples" / "inbox").glob("*.eml"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    server = start_dovecot(make_cert(tmp / "tls"))
    rows: list[tuple[str, str]] = []
    try:
        # 1. Time to receipt, per example submission, one at a time (what a sender waits for).
        per_example: dict[str, list[float]] = {}
        for r in range(args.repeat):
            user = server.new_user()
            daemon = Daemon(_config(tmp / f"ttr{r}", server.source_config(user)))
            daemon.poll()  # connect + first (empty) pass outside the timing
            for eml in examples:
                server.append(user, eml.read_bytes())
                per_example.setdefault(eml.name, []).append(_timed_pass(daemon))
        for name, times in per_example.items():
            size = (ROOT / "examples" / "inbox" / name).stat().st_size // 1024
            rows.append((f"append → receipt: {name} ({size} KB)", f"{statistics.median(times):.2f} s"))

        # 2. Throughput on many small messages in one pass.
        user = server.new_user()
        client = server.client(user)
        client.select_folder("INBOX")
        msgs = [build_message([], subject=f"QC材料 {i}", message_id=f"<bench{i}@example.org>",
                              from_addr=f"unit{i}@example-zhixie.cn")
                for i in range(args.small)]
        client.multiappend("INBOX", msgs)
        client.logout()
        daemon = Daemon(_config(tmp / "bulk", server.source_config(user)))
        t0 = time.perf_counter()
        stats = daemon.poll()
        t_poll = time.perf_counter() - t0
        t0 = time.perf_counter()
        sent = daemon.send()
        t_send = time.perf_counter() - t0
        rows.append((f"{stats.processed} small messages, one pass", f"{t_poll:.1f} s "
                     f"({stats.processed / t_poll:.1f} msg/s)"))
        rows.append((f"{sent} receipts written (folder transport)", f"{t_send:.1f} s"))

        # 3. An idle poll: nothing new.
        idle = [_timed_pass(daemon) * 1000 for _ in range(20)]
        rows.append(("idle pass (nothing new), median of 20", f"{statistics.median(idle):.0f} ms"))
    finally:
        stop_dovecot(server)
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a:<{width}}  {b}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
