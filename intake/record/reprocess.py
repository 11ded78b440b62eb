"""``intake reprocess``: re-check the ledger after a rule change, or re-read after a reader fix.

Default: every processed message is re-judged from its stored DocumentRow fields with the current
rule file (no file is read again — seconds for a whole campaign); messages that failed or were
left ``stored`` are re-read from their stored raw bytes, since they have no fields yet.
``--reparse`` re-reads every message; ``--failed-only`` touches only failed/stored ones. Processed messages
are re-judged ``RECHECK_CHUNK`` to a transaction and units once at the end (linear in the ledger's size);
an interrupted run leaves committed chunks re-judged and units as they were: run it again.

Receipts: a message that never had one (it failed before) gets its first receipt once it is
processed. A message that already had a receipt never gets a second one, even when its status
changed — the ledger keeps exactly one receipt per message, staff see the change in the report
and in ``intake ledger`` and decide whether to write to the unit. (Deliberate: a rule-file fix
must not mail every unit in the country.)
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlmodel import Session, col, select

from intake.config import Config
from intake.record.ahead import ReadAhead, depth_for
from intake.record.units import evaluate_unit
from intake.run.daemon import Daemon
from intake.store.rows import MessageRow, UnitRow

log = logging.getLogger("intake.record.reprocess")

RECHECK_CHUNK = 200  # processed messages re-checked in one transaction (the bar moves per chunk)


@dataclass
class Change:
    key: int | str  # message id, or unit key
    before: str | None
    after: str | None

    @property
    def message_pk(self) -> int | str:
        return self.key


@dataclass
class Report:
    checked: int = 0
    messages: list[Change] = field(default_factory=list)  # messages whose state/status changed
    units: list[Change] = field(default_factory=list)  # units whose status changed
    failed: list[int] = field(default_factory=list)  # still (or newly) failed


def _label(state: str, status: str | None) -> str:
    return status if state == "processed" and status else state


def reprocess(cfg: Config, reparse: bool = False, failed_only: bool = False, progress: bool = True,
              daemon: Daemon | None = None) -> Report:
    """Re-check (or re-read) the ledger; returns what changed."""
    own = daemon is None
    daemon = daemon or Daemon(cfg)
    report = Report()
    try:
        with Session(daemon.engine) as s:
            q = select(MessageRow.id, MessageRow.state, MessageRow.status).order_by(col(MessageRow.id))
            if failed_only:
                q = q.where(col(MessageRow.state).in_(["failed", "stored"]))
            todo = list(s.exec(q).all())
            units_before = {u.key: u.status for u in s.exec(select(UnitRow)).all()}
        # units are evaluated once each at the end, not once per message (linear, not quadratic)
        touched: set[str] = set()
        daemon.processor.defer_units = touched
        # staff asked for the ledger to be right now: twin scans are OCR'd in the reading, not after it
        twins_later, daemon.processor.twins_later = daemon.processor.twins_later, False

        def note(pk: int, before: str, ok: bool | None, now: tuple[str, str | None] | None = None) -> None:
            """One message done: count it, advance the bar, note a change of state. ``now``: its (state,
            status) when the caller has them (a re-check), else read from the ledger (a read)."""
            report.checked += 1
            bar.advance(task)
            if now is None:
                with Session(daemon.engine) as s:
                    m = s.get(MessageRow, pk)
                    assert m is not None
                    now = (m.state, m.status)
            after = _label(*now)
            if now[0] == "failed":
                report.failed.append(pk)
            if before != after:
                report.messages.append(Change(pk, before, after))

        chunk: list[tuple[int, str]] = []  # processed messages waiting to be re-checked together

        def recheck_chunk() -> None:
            if not chunk:  # nothing waits: the read-ahead goes on (--reparse reads on all cores)
                return
            ahead.finish()  # in ledger order: what is being read is recorded first
            done = daemon.processor.recheck([pk for pk, _ in chunk])
            for pk, before in chunk:
                note(pk, before, None, done[pk])
            chunk.clear()

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      disable=not progress, transient=True) as bar:
            task = bar.add_task("重新检查" if not reparse else "重新读取", total=len(todo))
            with ReadAhead(daemon.processor, depth_for(daemon.pool.limits.size)) as ahead:  # --reparse: all cores
                for pk, state, status in todo:
                    assert pk is not None  # a row read from the ledger has its primary key
                    if reparse or state != "processed":
                        recheck_chunk()
                        ahead.add(pk, functools.partial(note, pk, _label(state, status)))
                    else:
                        chunk.append((pk, _label(state, status)))
                        if len(chunk) >= RECHECK_CHUNK:
                            recheck_chunk()
                recheck_chunk()
                ahead.finish()
        daemon.processor.defer_units = None
        daemon.processor.twins_later = twins_later
        with Session(daemon.engine) as s:
            for key in sorted(touched):
                evaluate_unit(s, daemon.campaign, key, daemon.roster)
            s.commit()
        with Session(daemon.engine) as s:
            for u in s.exec(select(UnitRow).order_by(col(UnitRow.key))).all():
                if units_before.get(u.key) != u.status:
                    report.units.append(Change(u.key, units_before.get(u.key), u.status))
    finally:
        if own:
            daemon.close()
    return report



def print_report(report: Report, console: Console | None = None) -> None:
    con = console or Console()
    con.print(f"检查了 {report.checked} 封邮件；状态变化 {len(report.messages)} 封，单位状态变化 {len(report.units)} 个。")
    for c in report.messages:
        con.print(f"  邮件 {c.key}: {c.before} → {c.after}")
    for c in report.units:
        con.print(f"  单位 {c.key}: {c.before or '（新）'} → {c.after}")
    if report.failed:
        con.print(f"[red]仍然处理失败[/red]: {', '.join(map(str, report.failed))}（intake show ID 查看原因）")
