"""Hostile and huge input through the whole pipeline: time, peak RSS and the findings, per case.

Run: ``.venv/bin/python bench/stress.py [--scale 1.0] [--cases a,b] [--timeout 60] [--fuzz N]``.

Every case (tests/robustness/hostile.py) is built in this process, written to a temporary .eml
and checked by ``intake check --json`` in a child process, so each row's peak RSS is that
check's alone (VmHWM of a fresh child: ru_maxrss would survive exec) and the wall time
includes interpreter exit (a reader thread left running would show here). A row is OK when the
child exited 0 with JSON that validates against the contract schema. ``--fuzz N`` adds N
seeded mutation cases (tests/robustness/mutate.py) run in one child.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.robustness import hostile  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")


def run_case(name: str, raw: bytes, timeout: float, wall: float) -> dict:
    """One ``intake check --json`` in a fresh interpreter; peak RSS taken from that child only."""
    with tempfile.TemporaryDirectory() as tmp:
        eml = Path(tmp) / "m.eml"
        eml.write_bytes(raw)
        cfg = Path(tmp) / "c.toml"
        cfg.write_text(f"[limits]\nread_timeout_seconds = {timeout}\n", encoding="utf-8")
        # a wrapper that reports its own peak RSS, so rows do not inherit earlier children's peaks
        code = (
            "import sys; sys.argv = ['intake', 'check', '--json', '-c', sys.argv[1], sys.argv[2]];"
            "import atexit; atexit.register(lambda: sys.stderr.write('\\nRSS_KB=' + next("
            "l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')) + '\\n'));"
            "from intake.cli import app; app()"
        )
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([PY, "-c", code, str(cfg), str(eml)], cwd=ROOT, capture_output=True,
                                  timeout=wall)
        except subprocess.TimeoutExpired:
            return {"case": name, "ok": False, "secs": round(time.perf_counter() - t0, 1), "rss_mb": None,
                    "size_mb": round(len(raw) / 2**20, 1), "ids": ["HUNG"], "error": f"no exit within {wall}s"}
        secs = time.perf_counter() - t0
    err = proc.stderr.decode("utf-8", "replace")
    rss = next((int(line[7:]) / 1024 for line in err.splitlines() if line.startswith("RSS_KB=")), None)
    row = {"case": name, "ok": proc.returncode == 0, "secs": round(secs, 1),
           "rss_mb": round(rss) if rss else None, "size_mb": round(len(raw) / 2**20, 1)}
    try:
        result = json.loads(proc.stdout)
        from tests.robustness.schema import validate

        validate(result)
        # findings about a file (the presence rules' "form missing" say nothing about robustness)
        row["ids"] = sorted({f["rule"] for f in result["findings"] if f.get("document")})
    except Exception as e:
        row["ok"] = False
        row["ids"] = []
        row["error"] = (f"{type(e).__name__}: {e}"[:200] + " | " + err.strip()[-600:])
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--timeout", type=float, default=60.0, help="read_timeout_seconds for the check")
    ap.add_argument("--wall", type=float, default=300.0, help="kill a check after this many seconds")
    ap.add_argument("--fuzz", type=int, default=0, help="also run N seeded mutation cases")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args()
    wanted = {c for c in args.cases.split(",") if c}
    rows = []
    cases = [(n, lambda b=b: hostile.as_message(*b(args.scale))) for n, b in hostile.DOC_CASES.items()]
    cases += [(n, lambda b=b: b(args.scale)) for n, b in hostile.MSG_CASES.items()]
    for name, build in cases:
        if wanted and name not in wanted:
            continue
        raw = build()
        row = run_case(name, raw, args.timeout, args.wall)
        rows.append(row)
        if not args.json:
            print(f"{name:28} {'ok ' if row['ok'] else 'BAD'} {row['secs']:7.1f}s {row['rss_mb'] or 0:6} MB "
                  f"{row['size_mb']:6} MB in  {' '.join(row['ids'])[:90]} {row.get('error', '')}", flush=True)
    if args.fuzz:
        from tests.robustness.mutate import run_fuzz

        t0 = time.perf_counter()
        stats = run_fuzz(args.fuzz, seed=int(os.environ.get("FUZZ_SEED", "0")), time_budget=None)
        print(f"fuzz: {stats['cases']} cases in {time.perf_counter() - t0:.1f}s, slowest {stats['slowest']}, "
              f"failures {len(stats['failures'])}")
        for f in stats["failures"][:20]:
            print("  ", f)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
