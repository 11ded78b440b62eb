"""The deadline-rush benchmark (issue 10): the daemon measured from outside, each number beside its target.

One command, run as root (Dovecot drops to ``nobody``) on a machine set up by ``bash .ci/run``::

    .venv/bin/python bench/rush.py            # full run, ~20 minutes
    .venv/bin/python bench/rush.py --quick    # smoke test, small N, ~3 minutes

It starts Dovecot and aiosmtpd on 127.0.0.1 (tests/servers), generates realistic submissions
(bench/workload.py), runs ``intake run`` as a real subprocess against them (bench/harness.py) and
measures:

- throughput, fetch → receipt accepted by the SMTP server, for a backlog already in the mailbox and
  for mail arriving while the daemon waits in IDLE (APPENDs spread over time);
- APPEND → receipt at the SMTP server, p50/p95, with IDLE and with polling (appends placed at evenly
  spread phases of the poll interval, so a few samples give the true distribution);
- an idle poll (nothing new): IMAP commands and milliseconds, with few and with many messages in the
  mailbox (counted on the wire by a proxy);
- the peak RSS of the daemon's process tree on a 54 MB message with 100 attachments, and on several
  such in one fetch; and on one with the settings for a machine short of memory (:data:`LEAN`);
- rules-only ``intake reprocess`` of 2,000 messages in one unit and over 40 (bench/reprocess.py);
- the bare-library floor for the backlog's attachments on the same cores (bench/floor.py) and the
  pipeline / floor ratio;
- the busy share of every core during the backlog, and the daemon tree's own CPU.

The results go to ``bench/results/rush.json`` (``--out``) and stdout, followed by the Markdown table
for the README's "Performance" section, ready to paste. The machine's load average is recorded before
and after every scenario: on a shared machine the numbers are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for p in (ROOT, BENCH):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import floor  # noqa: E402
import harness  # noqa: E402
import workload  # noqa: E402
from harness import DaemonProc, Rig, Sampler, load_average, wait_until  # noqa: E402

#: Every metric the JSON carries (the smoke test checks each has a number).
METRICS = (
    "throughput_preloaded", "throughput_live", "latency_idle_p50", "latency_idle_p95", "latency_poll_p50",
    "latency_poll_p95", "idle_poll_commands_small", "idle_poll_ms_small", "idle_poll_commands_large",
    "idle_poll_ms_large", "rss_big_message", "rss_big_series", "rss_big_main", "rss_lean_message", "reprocess_one_unit",
    "reprocess_40_units",
    "floor_seconds", "pipeline_seconds", "pipeline_floor_ratio", "floor_cpu_seconds", "pipeline_cpu_seconds",
    "pipeline_floor_cpu_ratio", "cpu_core_min_busy", "cpu_core_max_busy",
    "daemon_cpu", "second_look",
)


@dataclass
class Metric:
    label: str
    value: float
    unit: str
    target: float | None = None
    op: str = ""  # "<=" or ">=" (with a target)
    note: str = ""  # shown in the target column when there is no numeric target

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.op == "<=" else self.value >= self.target

    @property
    def miss(self) -> str:
        """By how much a missed target is missed, as the README states it."""
        if self.met is not False or self.target is None:
            return ""
        if self.op == "<=":
            return f"{self.value / self.target:.1f}× the target" if self.target else "over"
        return f"{100 * (1 - self.value / self.target):.0f}% short"


@dataclass
class Run:
    quick: bool
    args: dict[str, Any]
    metrics: dict[str, Metric] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    load: dict[str, Any] = field(default_factory=dict)

    def scenario(self, name: str) -> _Scenario:
        return _Scenario(self, name)


class _Scenario:
    """Records the load average around a scenario and its wall time; a failing scenario is reported,
    not fatal (its metrics stay missing, and the table says so)."""

    def __init__(self, run: Run, name: str) -> None:
        self.run, self.name = run, name

    def __enter__(self) -> _Scenario:
        self.t0 = time.monotonic()
        self.run.load[self.name] = {"before": load_average()}
        print(f"--- {self.name} (load {self.run.load[self.name]['before']})", file=sys.stderr, flush=True)
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, _tb: object) -> bool:
        entry = self.run.load[self.name]
        entry["after"] = load_average()
        entry["seconds"] = round(time.monotonic() - self.t0, 1)
        if e is not None and not isinstance(e, KeyboardInterrupt):
            entry["error"] = f"{type(e).__name__}: {e}"[:4000]
            print(f"    {self.name} FAILED: {entry['error']}", file=sys.stderr, flush=True)
            traceback.print_exception(e, file=sys.stderr)
            return True
        return False


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0–1) by linear interpolation; the whole sample for small N."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _r(x: float, nd: int = 2) -> float:
    return round(x, nd)


# ------------------------------------------------------------------ scenarios


def backlog(rig: Rig, run: Run, subs: list[workload.Submission]) -> float:
    """The whole corpus already in the mailbox when the daemon starts; fetch → last receipt. Returns the
    pipeline seconds (for the floor ratio)."""
    user = rig.dovecot.new_user()
    rig.multiappend(user, [(s.raw, s.received_at) for s in subs])
    daemon = rig.start_daemon(rig.config("backlog", user, idle=True, poll_seconds=60))
    wait_until(lambda: rig.proxy.first(user, "UID FETCH") is not None, 120, "first UID FETCH", daemon)
    t_fetch = rig.proxy.first(user, "UID FETCH") or 0.0
    ids = [s.message_id for s in subs]
    with Sampler(daemon) as smp:
        if not rig.receipts.wait(ids, timeout=60 + 30 * len(subs)):
            raise TimeoutError(f"{len(ids) - len(set(ids) & rig.receipts.at.keys())} receipts missing:\n"
                               f"{daemon.tail()}")
    t_end = max(rig.receipts.at[i] for i in ids)
    looks = _second_looks(rig.work / "backlog" / "var" / "ledger.db", daemon)
    daemon.stop()
    secs = t_end - t_fetch
    n = len(subs)
    run.metrics["second_look"] = Metric(f"after the backlog's last receipt: the second look at its {looks['messages']} "
                                        "messages with a sealed 申报表 scan beside the Word copy (OCR after the "
                                        "receipt), last receipt → all done", _r(looks["done_at"] - t_end), "s",
                                        note=f"waits {looks['quiet_seconds']:g} s without mail first")
    run.metrics["throughput_preloaded"] = Metric(f"throughput, backlog of {n} already in the mailbox "
                                                 "(first UID FETCH → last receipt at SMTP)",
                                                 _r(60 * n / secs, 1), "/min", 150, ">=")
    busy = smp.core_busy_pct
    run.metrics["cpu_core_min_busy"] = Metric("CPU during the backlog: least busy core (whole machine)",
                                              min(busy), "%", note="both cores busy")
    run.metrics["cpu_core_max_busy"] = Metric("CPU during the backlog: busiest core (whole machine)",
                                              max(busy), "%", note="both cores busy")
    run.metrics["daemon_cpu"] = Metric("CPU of the daemon's process tree during the backlog (200 % = both cores)",
                                       _r(100 * smp.tree_cpu_seconds / smp.seconds, 0), "%",
                                       note=f"up to {100 * (os.cpu_count() or 1)} %")
    run.details["backlog"] = {"messages": n, "seconds": _r(secs), "per_core_busy_pct": busy,
                              "tree_cpu_seconds": _r(smp.tree_cpu_seconds), "cpu_seconds_by_role": smp.cpu_by_role,
                              "peak_tree_rss_mb": _mb(smp.peak_rss),
                              "styles": sorted({s.style for s in subs})}
    return secs


def _second_looks(ledger: Path, daemon: harness.DaemonProc) -> dict[str, float]:
    """Wait until the daemon has done every second look the backlog left (the ledger's ``ocr_later``)."""
    import sqlite3

    def left() -> int:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COALESCE(SUM(ocr_later), 0) FROM message").fetchone()[0])

    messages = left()  # all of them: none starts before schedule.quiet_seconds without mail
    wait_until(lambda: left() == 0, 60 + 10 * max(messages, 1), "second looks done", daemon)
    from intake.config import ScheduleConfig

    return {"messages": messages, "done_at": time.monotonic(), "quiet_seconds": ScheduleConfig().quiet_seconds}


def live(rig: Rig, run: Run, subs: list[workload.Submission], rate_per_min: float) -> None:
    """The daemon waits in IDLE; submissions arrive one APPEND at a time at ``rate_per_min``."""
    user = rig.dovecot.new_user()
    daemon = rig.start_daemon(rig.config("live", user, idle=True, poll_seconds=60))
    _wait_idle(rig, user, daemon)
    gap = 60.0 / rate_per_min
    appended: dict[str, float] = {}
    start = time.monotonic()
    for i, s in enumerate(subs):
        delay = start + i * gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        appended[s.message_id] = rig.append(user, s.raw, s.received_at)
    if not rig.receipts.wait(appended, timeout=60 + 30 * len(subs)):
        raise TimeoutError(f"receipts missing:\n{daemon.tail()}")
    daemon.stop()
    t_first = min(appended.values())
    t_last = max(rig.receipts.at[i] for i in appended)
    lat = [rig.receipts.at[i] - t for i, t in appended.items()]
    n = len(subs)
    run.metrics["throughput_live"] = Metric(f"throughput, {n} arriving at {rate_per_min:g}/min while the daemon "
                                            "waits in IDLE (first APPEND → last receipt)",
                                            _r(60 * n / (t_last - t_first), 1), "/min", 120, ">=")
    run.details["live"] = {"messages": n, "arrival_per_min": rate_per_min, "seconds": _r(t_last - t_first),
                           "appending_seconds": _r(max(appended.values()) - t_first),
                           "latency_p50": _r(pct(lat, 0.5)), "latency_p95": _r(pct(lat, 0.95))}


def latency_idle(rig: Rig, run: Run, subs: list[workload.Submission]) -> None:
    """One submission at a time into an idle daemon (IDLE on): APPEND → receipt at the SMTP server."""
    user = rig.dovecot.new_user()
    daemon = rig.start_daemon(rig.config("latency-idle", user, idle=True, poll_seconds=60))
    _wait_idle(rig, user, daemon)
    lat = []
    for s in subs:
        t = rig.append(user, s.raw, s.received_at)
        if not rig.receipts.wait([s.message_id], timeout=120):
            raise TimeoutError(f"no receipt for {s.message_id}:\n{daemon.tail()}")
        lat.append(rig.receipts.at[s.message_id] - t)
        time.sleep(0.5)  # back in IDLE before the next one
    daemon.stop()
    n = len(lat)
    run.metrics["latency_idle_p50"] = Metric(f"APPEND → receipt at SMTP with IDLE, p50 of {n}", _r(pct(lat, 0.5)), "s")
    run.metrics["latency_idle_p95"] = Metric(f"APPEND → receipt at SMTP with IDLE, p95 of {n}", _r(pct(lat, 0.95)), "s",
                                             3.0, "<=")
    run.details["latency_idle"] = {"seconds": [_r(x) for x in lat], "styles": [s.style for s in subs]}


def latency_poll(rig: Rig, run: Run, subs: list[workload.Submission], poll: float) -> None:
    """IDLE off, polling every ``poll`` s. APScheduler's interval runs at fixed times (start + k·poll), so
    the i-th APPEND is placed at phase (i + ½)/n of an interval after the first observed poll: n samples
    then cover the uniform wait a sender really has."""
    user = rig.dovecot.new_user()
    daemon = rig.start_daemon(rig.config("latency-poll", user, idle=False, poll_seconds=poll))
    wait_until(lambda: rig.proxy.first(user, "UID SEARCH") is not None, 120, "first poll", daemon)
    anchor = rig.proxy.first(user, "UID SEARCH") or 0.0
    lat = []
    n = len(subs)
    for i, s in enumerate(subs):
        phase = (i + 0.5) / n * poll
        k = max(0, int((time.monotonic() - anchor - phase) // poll) + 1)
        at = anchor + k * poll + phase
        time.sleep(max(0.0, at - time.monotonic()))
        t = rig.append(user, s.raw, s.received_at)
        if not rig.receipts.wait([s.message_id], timeout=poll + 120):
            raise TimeoutError(f"no receipt for {s.message_id}:\n{daemon.tail()}")
        lat.append(rig.receipts.at[s.message_id] - t)
    daemon.stop()
    note = "" if poll == 60 else f" (poll {poll:g} s, not the default 60 s, to keep the run short)"
    run.metrics["latency_poll_p50"] = Metric(f"APPEND → receipt at SMTP polling every {poll:g} s, p50 of {n}{note}",
                                             _r(pct(lat, 0.5)), "s")
    run.metrics["latency_poll_p95"] = Metric(f"APPEND → receipt at SMTP polling every {poll:g} s, p95 of {n}{note}",
                                             _r(pct(lat, 0.95)), "s", poll + 3.0, "<=")
    run.details["latency_poll"] = {"poll_seconds": poll, "seconds": [_r(x) for x in lat]}


def idle_poll(rig: Rig, run: Run, size: str, messages: int, polls: int) -> None:
    """A polling daemon with ``messages`` already taken (resume point at the last UID) and nothing new:
    commands and milliseconds of each poll, from the wire."""
    from sqlmodel import Session

    from intake.config import load_config
    from intake.store.migrations import open_ledger
    from intake.store.rows import MailboxStateRow

    user = rig.dovecot.new_user()
    rig.multiappend(user, [(m, None) for m in workload.tiny_messages(messages)])
    c = rig.dovecot.client(user)
    try:
        info = c.select_folder("INBOX", readonly=True)
        last_uid = max(c.search(["ALL"]))
    finally:
        c.logout()
    conf = rig.config(f"idle-poll-{messages}", user, idle=False, poll_seconds=1.0)
    engine = open_ledger(load_config(conf))  # creates the ledger; the daemon has "already taken" the mail
    with Session(engine) as s:
        s.add(MailboxStateRow(source=f"imap:{user}@127.0.0.1/INBOX", uidvalidity=int(info[b"UIDVALIDITY"]),
                              last_uid=last_uid))
        s.commit()
    engine.dispose()
    daemon = rig.start_daemon(conf)
    wait_until(lambda: rig.proxy.first(user, "UID SEARCH") is not None, 120, "first poll", daemon)
    first = rig.proxy.first(user, "UID SEARCH") or 0.0
    time.sleep(polls + 1.5)
    daemon.stop()
    bursts = [b for b in rig.proxy.bursts(user, since=first + 0.5) if "LOGOUT" not in b[2]]
    if not bursts:
        raise RuntimeError("no idle poll seen on the wire")
    if rig.proxy.first(user, "UID FETCH") is not None:
        raise RuntimeError("the daemon fetched during the idle-poll run: the resume point was not taken")
    cmds = statistics.median(b[0] for b in bursts)
    ms = statistics.median(1000 * b[1] for b in bursts)
    run.metrics[f"idle_poll_commands_{size}"] = Metric(f"idle poll, {messages:,} messages in the mailbox: IMAP commands",
                                                       cmds, "", 2, "<=")
    flat = run.metrics.get("idle_poll_ms_small")
    run.metrics[f"idle_poll_ms_{size}"] = Metric(
        f"idle poll, {messages:,} messages in the mailbox: wall time on the wire", _r(ms, 1), "ms",
        None if flat is None else _r(2 * flat.value + 5, 1), "<=" if flat else "",
        note="" if flat else "flat from few to many messages")
    run.details[f"idle_poll_{size}"] = {"messages": messages, "polls": len(bursts),
                                        "commands": sorted({" ".join(b[2]) for b in bursts})}


def _one_big(rig: Rig, name: str, raw: bytes, mid: str, extra: str = "") -> tuple[str, DaemonProc, int, Sampler]:
    """A daemon started on a new mailbox (``extra``: more config), left idle, then sampled while it takes
    ``raw``: (user, daemon still running, idle tree RSS, the sampler)."""
    user = rig.dovecot.new_user()
    daemon = rig.start_daemon(rig.config(name, user, idle=True, poll_seconds=60, extra=extra))
    _wait_idle(rig, user, daemon)
    time.sleep(1.0)
    base = sum(p.memory_info().rss for p in daemon.tree())
    with Sampler(daemon, interval=0.05, pss=True) as one:
        rig.append(user, raw)
        if not rig.receipts.wait([mid], timeout=600):
            raise TimeoutError(f"no receipt for the big message:\n{daemon.tail()}")
    return user, daemon, base, one


def rss(rig: Rig, run: Run, sub: workload.Submission, attachments: int, mb: float, series: int) -> None:
    """Peak RSS of the daemon's tree on one big message, then on ``series`` of them in one fetch."""
    raw, mid = workload.big_message(sub, attachments=attachments, target_mb=mb)
    user, daemon, base, one = _one_big(rig, "rss", raw, mid)
    more = [raw.replace(mid.encode(), f"<big-{i}@example-zhixie.cn>".encode()) for i in range(series)]
    with Sampler(daemon, interval=0.05, pss=True) as many:
        rig.multiappend(user, [(m, None) for m in more])
        if not rig.receipts.wait([f"<big-{i}@example-zhixie.cn>" for i in range(series)], timeout=600 * series):
            raise TimeoutError(f"receipts for the big series missing:\n{daemon.tail()}")
    daemon.stop()
    label = f"{len(raw) / 2**20:.0f} MB message with {attachments} attachments"
    run.metrics["rss_big_message"] = Metric(f"peak RSS of the daemon (main + workers), one {label}",
                                            _mb(one.peak_rss), "MB", 300, "<=")
    run.metrics["rss_big_series"] = Metric(f"peak RSS of the daemon, {series} such messages in one fetch",
                                           _mb(many.peak_rss), "MB", 300, "<=")
    run.metrics["rss_big_main"] = Metric("peak RSS of the daemon's main process alone (fetch, unpack, ledger, "
                                         "receipts), the same messages", _mb(max(one.peak_main_rss, many.peak_main_rss)),
                                         "MB", 300, "<=")
    run.details["rss"] = {"message_mb": _r(len(raw) / 2**20, 1), "attachments": attachments, "idle_tree_mb": _mb(base),
                          "peak_single_process_mb": _mb(max(one.peak_single_rss, many.peak_single_rss)),
                          "peak_tree_pss_mb_one": _mb(one.peak_pss), "peak_tree_pss_mb_series": _mb(many.peak_pss),
                          "seconds_one": _r(one.seconds, 1), "seconds_series": _r(many.seconds, 1)}


#: the settings for a machine short of memory (config.example.toml): one reading process, no LibreOffice kept
LEAN = "[workers]\nprocesses = 1\nkeep_office_warm = false\n"


def rss_lean(rig: Rig, run: Run, sub: workload.Submission, attachments: int, mb: float) -> None:
    """Peak RSS of the daemon's tree on the same big message with :data:`LEAN`: what those two settings buy."""
    raw, mid = workload.big_message(sub, attachments=attachments, target_mb=mb, tag="lean")
    _user, daemon, base, one = _one_big(rig, "rss-lean", raw, mid, extra=LEAN)
    daemon.stop()
    run.metrics["rss_lean_message"] = Metric(
        "peak RSS of the daemon, the same message, `[workers] processes = 1, keep_office_warm = false`",
        _mb(one.peak_rss), "MB", 300, "<=")
    run.details["rss_lean"] = {"idle_tree_mb": _mb(base), "peak_main_mb": _mb(one.peak_main_rss),
                               "peak_tree_pss_mb": _mb(one.peak_pss), "seconds": _r(one.seconds, 1)}


def reprocess_runs(run: Run, n: int) -> None:
    import reprocess

    for key, units in (("reprocess_one_unit", 1), ("reprocess_40_units", 40)):
        r = reprocess.measure(n, units)
        where = "in one unit" if units == 1 else f"over {units} units"
        run.metrics[key] = Metric(f"rules-only `intake reprocess` of {r['messages']:,} messages {where}",
                                  float(r["seconds"]), "s", 10.0 * n / 2000, "<=")
        run.details[key] = r


def floor_run(run: Run, subs: list[workload.Submission], pipeline_secs: float | None,
              before: dict[str, Any] | None = None, later: set[str] | None = None) -> None:
    """The floor after the backlog; with ``before`` (the floor measured just before the backlog, on the same
    twin scans ``later``) the ratios use the mean of the two runs, which halves the error of a machine
    whose speed drifts during the minutes between them."""
    raws = [s.raw for s in subs]
    after: dict[str, Any] = dict(floor.measure(raws, later=later if later is not None else floor.twin_scans(raws)))
    runs = [before, after] if before is not None else [after]
    f: dict[str, Any] = {**after, "seconds": _r(sum(float(r["seconds"]) for r in runs) / len(runs)),
         "cpu_seconds": _r(sum(float(r["cpu_seconds"]) for r in runs) / len(runs)),
         "runs": [{"seconds": r["seconds"], "cpu_seconds": r["cpu_seconds"]} for r in runs]}
    each = " / ".join(f"{float(r['seconds']):g}" for r in runs)
    run.metrics["floor_seconds"] = Metric(f"bare-library floor: the same {len(subs)} messages' {f['documents']} "
                                          f"attachments read by the libraries on {f['processes']} processes"
                                          + (" (mean of a run just before and one just after the backlog)"
                                             if before is not None else ""),
                                          float(f["seconds"]), "s", note=f"runs: {each} s" if before else "")
    run.details["floor"] = f
    if pipeline_secs is not None:
        run.metrics["pipeline_seconds"] = Metric("pipeline: the backlog above, fetch → last receipt", _r(pipeline_secs),
                                                 "s")
        run.metrics["pipeline_floor_ratio"] = Metric("pipeline / floor", _r(pipeline_secs / float(f["seconds"])), "×",
                                                     1.3, "<=")
    run.metrics["floor_cpu_seconds"] = Metric("bare-library floor: CPU seconds (its workers, LibreOffice, its main "
                                              "process)", float(f["cpu_seconds"]), "s")
    tree_cpu = run.details.get("backlog", {}).get("tree_cpu_seconds")
    if pipeline_secs is not None and tree_cpu:
        run.metrics["pipeline_cpu_seconds"] = Metric("pipeline: CPU seconds of the daemon's process tree during the "
                                                     "backlog (the mail servers not counted)", _r(tree_cpu), "s")
        run.metrics["pipeline_floor_cpu_ratio"] = Metric(
            "pipeline / floor in CPU seconds (steadier than wall seconds on a machine whose speed swings)",
            _r(tree_cpu / float(f["cpu_seconds"])), "×")


def _wait_idle(rig: Rig, user: str, daemon: harness.DaemonProc) -> None:
    """Until the daemon has done its first pass and sits in IDLE."""
    wait_until(lambda: rig.proxy.first(user, "IDLE") is not None, 120, "IDLE", daemon)
    time.sleep(0.3)


def _mb(b: int) -> float:
    return round(b / 2**20, 0)


# ------------------------------------------------------------------ report


def table(run: Run) -> str:
    """The README table: every measure beside its target, and by how much a missed one misses."""
    meta = run.details["meta"]
    rows = ["| measure | measured | target | |", "|---|---|---|---|"]
    for key in METRICS:
        m = run.metrics.get(key)
        if m is None:
            rows.append(f"| {key} | not measured (see `load.*.error` in the JSON) | | |")
            continue
        unit = m.unit if m.unit in ("%", "×", "") else f" {m.unit}"
        value = f"{m.value:g}{unit}"
        if m.target is not None:
            target = f"{'≥' if m.op == '>=' else '≤'} {m.target:g}{unit}"
        else:
            target = m.note or "—"
        mark = {True: "met", False: f"**missed**: {m.miss}", None: ""}[m.met]
        rows.append(f"| {m.label} | {value} | {target} | {mark} |")
    head = _when(meta.get("earlier") or meta)
    for again in _reruns(meta):
        head += (f" {', '.join(again['partial_rerun'])} measured again (`--only`) {again['date']}, commit "
                 f"{again['commit']}{' + uncommitted changes' if again['dirty'] else ''}, load average "
                 f"{again['load_start'][0]:g} at start, {again['load_end'][0]:g} at end.")
    return head + "\n\n" + "\n".join(rows)


def _reruns(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The partial reruns since the full run, oldest first, each kept only while a later one has not measured
    all of its scenarios again."""
    chain = [*meta.get("reruns", []), meta] if meta.get("partial_rerun") else []
    return [m for i, m in enumerate(chain)
            if not any(set(m["partial_rerun"]) <= set(later["partial_rerun"]) for later in chain[i + 1:])]


def _when(meta: dict[str, Any]) -> str:
    return (f"`{meta['command']}` — {meta['date']}, commit {meta['commit']}"
            f"{' + uncommitted changes' if meta['dirty'] else ''}, {meta['cores']} cores, load average "
            f"{meta['load_start'][0]:g} at start, {meta['load_end'][0]:g} at end (max 1-min load during the run "
            f"{meta['load_max']:g}).")


def _merge(run: Run, earlier: dict[str, Any], rerun: list[str]) -> None:
    """Keep the earlier run's metrics, details and loads that this partial run did not measure again."""
    fields = {f for f in Metric.__dataclass_fields__}
    for k, m in earlier.get("metrics", {}).items():
        run.metrics.setdefault(k, Metric(**{f: v for f, v in m.items() if f in fields}))
    for k, v in earlier.get("details", {}).items():
        if k != "meta":
            run.details.setdefault(k, v)
    for k, v in earlier.get("load", {}).items():
        run.load.setdefault(k, v)
    meta = run.details["meta"]
    meta["partial_rerun"] = rerun
    before = earlier.get("meta", {})
    if before.get("partial_rerun"):  # the earlier file is itself a partial rerun: keep its full run as "earlier"
        meta["reruns"] = [*before.get("reruns", []), {k: v for k, v in before.items() if k not in ("earlier", "reruns")}]
        before = before.get("earlier", {})
    meta["earlier"] = before
    meta["command"] = before.get("command", meta["command"])


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small N, a few minutes: a smoke test, not a measurement")
    ap.add_argument("--n", type=int, help="submissions in the backlog and the live run (60; quick 6)")
    ap.add_argument("--rate", type=float, default=240.0, help="live arrivals per minute (twice the 120/min target)")
    ap.add_argument("--latency-samples", type=int, help="APPEND → receipt samples per mode (20 IDLE, 10 polling)")
    ap.add_argument("--poll-seconds", type=float, help="poll interval for the polling latency (30; quick 3)")
    ap.add_argument("--only", default="", help="comma-separated scenarios (backlog,live,latency,poll,idle,rss,"
                                               "reprocess,floor)")
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "rush.json")
    ap.add_argument("--no-cache", action="store_true", help="generate the corpus again")
    ap.add_argument("--keep-work", action="store_true",
                    help="keep the work dir (daemon logs, ledgers) also when every scenario passed")
    args = ap.parse_args(argv)
    q = args.quick
    n = args.n or (6 if q else 60)
    k_idle = args.latency_samples or (3 if q else 20)
    k_poll = args.latency_samples or (2 if q else 10)
    poll = args.poll_seconds or (3.0 if q else 30.0)
    only = {s for s in args.only.split(",") if s}

    def want(name: str) -> bool:
        return not only or name in only

    run = Run(q, {"n": n, "rate": args.rate, "latency_samples_idle": k_idle, "latency_samples_poll": k_poll,
                  "poll_seconds": poll})
    load_start = load_average()
    t_start = time.monotonic()
    print(f"generating {max(n, k_idle, k_poll)} submissions …", file=sys.stderr, flush=True)
    subs = workload.submissions(max(n, k_idle, k_poll), cache=not args.no_cache)
    work = Path(tempfile.mkdtemp(prefix="bench-rush-"))
    rig = harness.start_rig(work)
    pipeline_secs: float | None = None
    before: dict[str, Any] | None = None
    later: set[str] | None = None
    try:
        if want("backlog") and want("floor"):  # the floor on both sides of the backlog (see floor_run)
            with run.scenario("floor_before"):
                raws = [s.raw for s in subs[:n]]
                later = floor.twin_scans(raws)
                before = floor.measure(raws, later=later)
        if want("backlog"):
            with run.scenario("backlog"):
                pipeline_secs = backlog(rig, run, subs[:n])
        if want("floor"):
            with run.scenario("floor"):
                floor_run(run, subs[:n], pipeline_secs, before, later)
        if want("live"):
            with run.scenario("live"):
                live(rig, run, subs[:n], args.rate)
        if want("latency"):
            with run.scenario("latency_idle"):
                latency_idle(rig, run, subs[:k_idle])
        if want("poll"):
            with run.scenario("latency_poll"):
                latency_poll(rig, run, subs[:k_poll], poll)
        if want("idle"):
            for size, count in (("small", 100), ("large", 2000 if q else 10000)):
                with run.scenario(f"idle_poll_{size}"):
                    idle_poll(rig, run, size, count, polls=4 if q else 8)
        if want("rss"):
            with run.scenario("rss"):
                rss(rig, run, subs[0], attachments=30 if q else 100, mb=8 if q else 54, series=2 if q else 3)
            with run.scenario("rss_lean"):
                rss_lean(rig, run, subs[0], attachments=30 if q else 100, mb=8 if q else 54)
        if want("reprocess"):
            with run.scenario("reprocess"):
                reprocess_runs(run, 200 if q else 2000)
    finally:
        harness.stop_rig(rig)
        failed = any("error" in v for v in run.load.values())
        if args.keep_work or failed or sys.exc_info()[0] is not None:
            print(f"work dir kept (the daemons' logs and ledgers): {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)  # ledgers and stores of every scenario: 0.3–0.5 GB
    load_end = load_average()
    loads = [x for v in run.load.values() for x in (v["before"][0], v.get("after", [0])[0])]
    cmd = ".venv/bin/python bench/rush.py" + (" --quick" if q else "")
    run.details["meta"] = {
        "command": cmd, "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": _git("rev-parse", "--short",
                                                                                                  "HEAD"),
        # the code measured differs from the commit (the results of an earlier run do not count)
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")),
        "cores": os.cpu_count(),
        "load_start": load_start, "load_end": load_end, "load_max": max([load_start[0], load_end[0], *loads]),
        "seconds": round(time.monotonic() - t_start, 1), "quick": q,
    }
    if only and args.out.exists():  # a partial rerun updates its scenarios in the earlier results
        _merge(run, json.loads(args.out.read_text(encoding="utf-8")), sorted(only))
    out = {"meta": run.details.pop("meta"), "args": run.args,
           "metrics": {k: {**asdict(m), "met": m.met, "miss": m.miss} for k, m in run.metrics.items()},
           "details": run.details, "load": run.load}
    run.details["meta"] = out["meta"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))
    print("\n" + table(run))
    print(f"\nwritten: {args.out}", file=sys.stderr)
    return 0 if not any("error" in v for v in run.load.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
