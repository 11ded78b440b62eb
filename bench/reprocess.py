"""Rules-only ``intake reprocess`` on a ledger of N messages, all in one unit or spread over U units.

The ledger is filled by copying one really processed submission (example message 01, its stored
result and document rows) N times with other sender addresses, so the rules see realistic fields;
then ``reprocess`` (rules only, no reading) is timed. Target: 2,000 messages ≤ 10 s in any distribution.
``bench/rush.py`` runs both distributions through :func:`measure`.

    .venv/bin/python bench/reprocess.py --n 2000 --units 1
    .venv/bin/python bench/reprocess.py --n 2000 --units 40
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import Session, select  # noqa: E402

from intake.config import Config  # noqa: E402
from intake.record.reprocess import reprocess  # noqa: E402
from intake.run.daemon import run  # noqa: E402
from intake.store.migrations import open_ledger  # noqa: E402
from intake.store.rows import DocumentRow, MessageRow  # noqa: E402


def fill(cfg: Config, n: int, units: int) -> None:
    engine = open_ledger(cfg)
    with Session(engine) as s:
        seed = s.exec(select(MessageRow)).one()
        if seed.result is None:  # the example did not get through the pipeline: nothing realistic to copy
            raise RuntimeError(f"example message not processed: state {seed.state}, error {seed.error!r}")
        docs = s.exec(select(DocumentRow).where(DocumentRow.message_pk == seed.id)).all()
        for i in range(n - 1):
            unit = i % units
            result = json.loads(json.dumps(seed.result))
            result["recommender"] = f"第{unit}号省质量协会"
            m = MessageRow(sha256=f"bench-{i}", source="bench", source_ref=str(i), from_addr=f"u{unit}@example.cn",
                           subject=seed.subject, received_at=seed.received_at, state="processed", status=seed.status,
                           recommender=result["recommender"], unit_key=f"第{unit}号省质协", result=result)
            s.add(m)
            s.flush()
            for d in docs:
                s.add(DocumentRow(**{**d.model_dump(exclude={"id"}), "message_pk": m.id}))
        s.commit()
    engine.dispose()


def measure(n: int, units: int) -> dict[str, float | int]:
    """Fill a fresh ledger with ``n`` messages over ``units`` units and time one rules-only reprocess."""
    work = Path(tempfile.mkdtemp(prefix="bench-reprocess-"))
    try:
        (work / "inbox").mkdir()
        shutil.copy(ROOT / "examples" / "inbox" / "01-jiangsu-complete.eml", work / "inbox")
        cfg = Config()
        cfg.base_dir = work
        cfg.storage.data_dir = "var"
        cfg.source.folder.path = "inbox"
        run(cfg, once=True)
        fill(cfg, n, units)
        t0 = time.perf_counter()
        report = reprocess(cfg, progress=False)
        secs = time.perf_counter() - t0
        return {"messages": report.checked, "units": units, "seconds": round(secs, 2),
                "ms_per_message": round(1000 * secs / max(report.checked, 1), 2)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--units", type=int, default=1)
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.n, args.units)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
