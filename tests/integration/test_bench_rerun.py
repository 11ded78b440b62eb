"""``bench/rush.py --only …``: a partial rerun merges into the earlier results, and the table's heading names
the full run and every rerun whose numbers are still in it (not the last rerun as if it were the full run)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import rush  # noqa: E402


def _meta(commit: str, date: str) -> dict:
    return {"command": ".venv/bin/python bench/rush.py", "date": date, "commit": commit, "dirty": False, "cores": 2,
            "load_start": [0.1], "load_end": [0.2], "load_max": 0.3}


def _rerun(earlier: dict, only: list[str], commit: str, date: str, value: float) -> dict:
    run = rush.Run(quick=False, args={})
    for key in only:
        run.metrics[key] = rush.Metric(key, value, "s", 10.0, "<=")
    run.details["meta"] = _meta(commit, date)
    rush._merge(run, earlier, sorted(only))
    meta = run.details.pop("meta")
    return {"meta": meta, "args": {}, "metrics": {k: vars(m) for k, m in run.metrics.items()},
            "details": run.details, "load": run.load}


def _table(result: dict) -> str:
    run = rush.Run(quick=False, args={})
    for k, m in result["metrics"].items():
        run.metrics[k] = rush.Metric(**m)
    run.details = {**result["details"], "meta": result["meta"]}
    return rush.table(run)


def test_partial_reruns_keep_the_full_run_and_name_each_rerun_still_shown() -> None:
    full = {"meta": _meta("aaaaaaa", "day 1"), "args": {}, "details": {},
            "load": {}, "metrics": {"reprocess_one_unit": vars(rush.Metric("r1", 20.0, "s", 10.0, "<=")),
                                    "idle_poll_small": vars(rush.Metric("p", 2.0, "", 2.0, "<="))}}
    once = _rerun(full, ["reprocess_one_unit"], "bbbbbbb", "day 2", 12.0)
    twice = _rerun(once, ["idle_poll_small"], "ccccccc", "day 3", 1.0)
    thrice = _rerun(twice, ["reprocess_one_unit"], "ddddddd", "day 4", 8.0)

    head = _table(twice).splitlines()[0]
    assert "day 1, commit aaaaaaa" in head  # the full run stays the heading
    assert "reprocess_one_unit measured again (`--only`) day 2, commit bbbbbbb" in head
    assert "idle_poll_small measured again (`--only`) day 3, commit ccccccc" in head

    head = _table(thrice).splitlines()[0]
    assert "day 1, commit aaaaaaa" in head and "commit ccccccc" in head and "commit ddddddd" in head
    assert "bbbbbbb" not in head  # its one scenario was measured again since
    assert thrice["metrics"]["reprocess_one_unit"]["value"] == 8.0
    assert thrice["metrics"]["idle_poll_small"]["value"] == 1.0
