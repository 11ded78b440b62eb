"""``bench/rush.py --quick`` end to end (real Dovecot, aiosmtpd and ``intake run`` subprocesses): the
benchmark the README's Performance table comes from still runs, and its JSON has every metric with a
number. No timing is asserted — the targets are measured by the benchmark, never by tests."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers.dovecot import unavailable_reason

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_rush_quick_reports_every_metric(tmp_path: Path) -> None:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    out = tmp_path / "rush.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "rush.py"), "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert out.exists(), proc.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    sys.path.insert(0, str(ROOT / "bench"))
    from rush import METRICS

    missing = [k for k in METRICS if not isinstance(result["metrics"].get(k, {}).get("value"), int | float)
               or not math.isfinite(result["metrics"][k]["value"])]
    assert not missing, (missing, {k: v.get("error") for k, v in result["load"].items()}, proc.stderr[-3000:])
    assert result["meta"]["load_start"] and result["meta"]["cores"]
    assert "| measure | measured | target |" in proc.stdout  # the README table, ready to paste
    assert proc.returncode == 0, proc.stderr[-3000:]
