"""The fuller crash run of tests/integration/test_chaos.py: ≥ 100 messages, ≥ 20 SIGKILLs, two seeds.

Starts a real Dovecot and aiosmtpd on 127.0.0.1 (as the tests do; needs root and dovecot-imapd),
appends the messages while ``intake run`` is killed at random moments, then checks that every
message is recorded once, processed and answered, and prints the counts as JSON.

    .venv/bin/python bench/chaos.py --messages 100 --kills 20 --seeds 1 2
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import Session, select  # noqa: E402

from intake.config import load_config  # noqa: E402
from intake.store.migrations import open_ledger  # noqa: E402
from intake.store.rows import MessageRow, OutboxRow  # noqa: E402
from tests.fixtures.mail import build_message  # noqa: E402
from tests.integration.test_chaos import chaos_config, run_chaos  # noqa: E402
from tests.servers.certs import make_cert  # noqa: E402
from tests.servers.dovecot import start_dovecot, stop_dovecot  # noqa: E402
from tests.servers.smtp import start_smtp_server  # noqa: E402


def one_run(dovecot, smtp, n: int, kills: int, seed: int) -> dict:  # noqa: ANN001
    user = dovecot.new_user()
    work = Path(tempfile.mkdtemp(prefix=f"chaos-{seed}-"))
    conf = chaos_config(work, dovecot, user, smtp)
    before = len(smtp.messages)

    def append(i: int) -> None:
        raw = build_message([("附件3 统计表.txt", f"统计表 第{i}份".encode())], subject=f"第{i}封",
                            from_addr=f"unit{i}@example-zhixie.cn", message_id=f"<chaos-{seed}-{i}@example-zhixie.cn>")
        dovecot.append(user, raw, msg_time=datetime(2020, 9, 14, 10, 0, tzinfo=UTC))

    t0 = time.monotonic()
    run_chaos(conf, append, n_messages=n, kills=kills, seed=seed)
    with Session(open_ledger(load_config(conf))) as s:
        msgs = s.exec(select(MessageRow)).all()
        outbox = s.exec(select(OutboxRow)).all()
    got = Counter(str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
                  for _, _, raw in smtp.messages[before:])
    return {"seed": seed, "messages": n, "kills": kills, "seconds": round(time.monotonic() - t0, 1),
            "recorded": len(msgs), "distinct": len({m.message_id for m in msgs}),
            "processed": sum(m.state == "processed" for m in msgs), "receipts_sent": sum(o.state == "sent" for o in outbox),
            "received_by_server": len(got), "duplicates_at_server": sum(v - 1 for v in got.values()),
            "unknown_outcomes": sum(o.unknown_outcomes for o in outbox)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=100)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)
    cert = make_cert(Path(tempfile.mkdtemp(prefix="chaos-tls-")))
    dovecot = start_dovecot(cert)
    smtp = start_smtp_server(cert)
    try:
        for seed in args.seeds:
            print(json.dumps(one_run(dovecot, smtp, args.messages, args.kills, seed), ensure_ascii=False), flush=True)
    finally:
        smtp.stop()
        stop_dovecot(dovecot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
