"""The pass loop: fetch → ingest → process → mark, then send the outbox.

Order is the whole point. The raw bytes are stored and the row committed (``record.ingest``)
before any parsing, so a crash or a reader bug never loses a message. Processing commits the
findings, the unit and the queued receipt in ONE transaction (``record.process``). Only after
that is the mailbox told (``Source.done``: ``\\Seen`` / move, resume point advanced). A pass
repeated after a crash therefore re-does only what was not committed, and sends nothing twice
(one outbox row per message, unique in the ledger).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.config import Config
from intake.fetch import Incoming, Source, open_source
from intake.record.ahead import ReadAhead, depth_for
from intake.record.ingest import ingest
from intake.record.judges import configured_register
from intake.record.process import Processor
from intake.record.roster import load_roster
from intake.run.lock import DaemonLock
from intake.run.memory import hold_mmap_threshold
from intake.store.migrations import open_ledger
from intake.store.objects import Store
from intake.store.rows import MailboxStateRow, MessageRow, utcnow
from intake.workers import ReadingPool
from rules import Campaign, load_campaign

if TYPE_CHECKING:
    from intake.reply.transports import FolderTransport, SmtpTransport

log = logging.getLogger(__name__)


@dataclass
class PassStats:
    fetched: int = 0
    duplicates: int = 0
    processed: int = 0
    failed: int = 0
    sent: int = 0
    poll_ok: bool = True  # False when the mailbox or the disk failed during the poll
    second_looks: int = 0  # messages whose twin scans were OCR'd after their receipt

    def __str__(self) -> str:
        return (f"fetched {self.fetched}, duplicates {self.duplicates}, processed {self.processed}, "
                f"failed {self.failed}, receipts sent {self.sent}, second looks {self.second_looks}")


class Daemon:
    """One mailbox source, one ledger, one campaign, one reading pool. Passes never overlap (``self.lock``)."""

    def __init__(self, cfg: Config, engine: Engine | None = None, source: Source | None = None,
                 campaign: Campaign | None = None, pool: ReadingPool | None = None) -> None:
        self.cfg = cfg
        self.engine = engine or open_ledger(cfg)
        self.campaign = campaign if campaign is not None else load_campaign(cfg.rules_path)
        if self.campaign.judges_register is None:
            self.campaign.judges_register = configured_register(cfg)  # the 推荐表's certificate check
        self.store = Store(cfg.data_dir / "objects")
        self.source = source or open_source(cfg, self.engine)
        self.pool = pool or ReadingPool(cfg.workers.to_limits(cfg.limits.read_timeout_seconds))
        self.roster = load_roster(cfg.roster_path)
        self.processor = Processor(cfg, self.engine, self.campaign, self.store, self.pool, self.roster,
                                   twins_later=True)
        self.lock = threading.Lock()
        self.clock: Callable[[], datetime] = utcnow  # "now" for reminders and alerts (tests set it)
        #: set by SIGTERM/SIGINT: the message in hand is finished, nothing else is started
        self.stopping = threading.Event()
        #: called after each message is recorded: the scheduler wakes the outbox job with it, so a
        #: receipt leaves at once instead of at the next outbox interval
        self.on_recorded: Callable[[], None] | None = None
        #: when a pass last had mail (monotonic): the second look waits for ``schedule.quiet_seconds`` of none
        self.last_mail_at = 0.0
        #: the outbox's connection, kept between sends while receipts keep coming (see :meth:`end_sending`)
        self._transport: FolderTransport | SmtpTransport | None = None

    def poll(self, stats: PassStats | None = None) -> PassStats:
        """Fetch and process everything new; messages left ``stored`` by a crash first.

        Raises when the mailbox or the disk fails; ``stats`` (if given) still counts what was done.
        """
        stats = stats if stats is not None else PassStats()
        with self.lock:
            self._note_poll(error=None, started=True)
            with ReadAhead(self.processor, depth_for(self.pool.limits.size)) as ahead:
                try:
                    for pk in self._stored_pks():
                        if self.stopping.is_set():
                            break
                        ahead.add(pk, lambda ok: self._count(stats, bool(ok)))
                    incoming = iter(self.source.fetch())
                    while True:
                        ahead.make_room()  # a big message in hand is recorded before the next is fetched
                        item = next(incoming, None)
                        if item is None or self.stopping.is_set():  # stop between messages; the rest waits
                            break
                        stats.fetched += 1
                        new_pk = self.ingest(item)
                        if new_pk is None:
                            stats.duplicates += 1
                        # the mailbox is told later, in order; what it needs of the message is its reference
                        ahead.add(new_pk, self._then_done(stats, dataclasses.replace(item, raw=b"")),
                                  raw=item.raw if new_pk is not None else None)
                        del item
                    ahead.finish()  # what is in hand is finished, also when stopping
                    if stats.fetched or stats.processed or stats.failed:
                        self.last_mail_at = time.monotonic()
                except Exception as e:
                    # Mailbox or disk trouble: stop this pass (the resume point has not moved past
                    # anything unrecorded), say so, and try again at the next poll. Messages in hand
                    # stay ``stored`` and are processed first at the next pass.
                    log.error("poll of %s stopped: %s: %s", self.source.name, type(e).__name__, e)
                    self._note_poll(error=f"{type(e).__name__}: {e}")
                    self._check_alerts()
                    raise
            self._note_poll(error=None)
            self._check_alerts()
        return stats

    def _then_done(self, stats: PassStats, item: Incoming) -> Callable[[bool | None], None]:
        """After a fetched message is recorded (or found a duplicate): count it, tell the mailbox."""
        def then(ok: bool | None) -> None:
            if ok is not None:
                self._count(stats, ok)
            self.source.done(item)
        return then

    def ingest(self, item: Incoming) -> int | None:
        """Store and record one fetched message (see :mod:`intake.record.ingest`)."""
        return ingest(self.engine, self.store, self.cfg.data_dir, self.source.name, item)

    def process(self, pk: int) -> bool:
        """Process one stored message by itself (see :mod:`intake.record.process`; a pass reads ahead)."""
        return self.processor.process(pk)

    def send(self) -> int:
        """Deliver due receipts from the outbox, on the connection the last call left open."""
        from intake.reply.outbox import send_pending
        from intake.reply.transports import make_transport

        if self._transport is None:
            self._transport = make_transport(self.cfg)
        return send_pending(self.cfg, self.engine, transport=self._transport)

    def end_sending(self) -> None:
        """Close the outbox's connection: nothing was left to send, or the daemon stops. Not under a send."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    def remind(self) -> int:
        """Queue today's reminders when they are due (see :mod:`intake.staff.remind`); how many were queued."""
        from intake.staff.remind import queue_due

        try:
            return len(queue_due(self.cfg, self.engine, self.campaign, self.roster, self.clock()))
        except Exception:  # a reminder problem must never stop receipts
            log.exception("queueing reminders failed")
            return 0

    def quiet(self) -> bool:
        """No pass running and no mail for ``schedule.quiet_seconds``: time for the second look."""
        return (not self.lock.locked() and not self.stopping.is_set()
                and time.monotonic() - self.last_mail_at >= self.cfg.schedule.quiet_seconds)

    def second_look(self, when_quiet: bool = True) -> int:
        """OCR the sealed 申报表 scans left for after the receipt (:mod:`intake.record.second_look`); with
        ``when_quiet`` only while :meth:`quiet` (a new message's receipt never waits for it)."""
        from intake.record.second_look import second_looks

        stop = (lambda: not self.quiet()) if when_quiet else self.stopping.is_set
        return second_looks(self.processor, self.lock, stop)

    def run_pass(self) -> PassStats:
        """``intake run --once``: one poll, today's reminders if due, the outbox, then the second look."""
        stats = PassStats()
        try:
            self.poll(stats)
        except Exception:  # logged and recorded in MailboxStateRow by poll(); the outbox still goes
            stats.poll_ok = False
        self.remind()
        stats.sent = self.send()
        stats.second_looks = self.second_look(when_quiet=False)
        log.info("pass done: %s", stats)
        return stats

    def close(self) -> None:
        try:
            self.end_sending()
            self.source.close()
        finally:
            self.pool.close()
            self.engine.dispose()

    def _count(self, stats: PassStats, ok: bool) -> None:
        if ok:
            stats.processed += 1
            if self.on_recorded is not None:
                try:
                    self.on_recorded()
                except Exception:  # waking the sender early is a nicety; the interval still sends
                    log.exception("waking the outbox failed")
        else:
            stats.failed += 1

    def _stored_pks(self) -> list[int]:
        """Messages to process before fetching: left ``stored`` by a stop or a crash, and failed ones whose
        retry time has come (set back to ``stored`` here; :mod:`intake.record.process` sets the next one)."""
        with Session(self.engine) as s:
            due = s.exec(select(MessageRow).where(MessageRow.state == "failed", col(MessageRow.retry_at).is_not(None),
                                                  col(MessageRow.retry_at) <= utcnow())).all()
            for m in due:
                log.info("message %s: retry %d after %s", m.id, m.attempts + 1, (m.error or "").splitlines()[:1])
                m.state, m.retry_at = "stored", None
                s.add(m)
            s.commit()
            q = select(MessageRow.id).where(MessageRow.state == "stored").order_by(col(MessageRow.id))
            return [pk for pk in s.exec(q).all() if pk is not None]

    def _check_alerts(self) -> None:
        """Staff alert or recovery notice for this source (see :mod:`intake.staff.alerts`); never fails the poll."""
        from intake.staff.alerts import check_alerts

        try:
            check_alerts(self.cfg, self.engine, self.source.name, self.campaign, self.clock())
        except Exception:
            log.exception("alert check for %s failed", self.source.name)

    def _note_poll(self, error: str | None, started: bool = False) -> None:
        with Session(self.engine) as s:
            st = s.get(MailboxStateRow, self.source.name) or MailboxStateRow(source=self.source.name)
            now = utcnow()
            if started:
                st.last_poll_at = now
            elif error is None:
                st.last_ok_at, st.last_error = now, None
            else:
                st.last_error = error[:2000]
            s.add(st)
            s.commit()


def setup_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("intake").setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl" at every start is noise


def run(cfg: Config, once: bool = False, standby: bool = False) -> PassStats | None:
    """``intake run``: one pass (``once``, its stats) or the scheduler until SIGTERM/SIGINT (None).

    Holds the ledger's single-instance lock (:mod:`intake.run.lock`) from before the ledger is opened
    and migrated until the end: a second daemon refuses (:class:`LockHeld`) or, with ``standby``, waits.
    """
    setup_logging()
    hold_mmap_threshold()
    with DaemonLock(cfg, standby=standby):
        daemon = Daemon(cfg)
        try:
            if once:
                return daemon.run_pass()
            from intake.run.scheduler import serve

            serve(cfg, daemon)
            return None
        finally:
            daemon.close()


__all__ = ["Daemon", "PassStats", "run", "setup_logging"]
