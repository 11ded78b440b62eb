"""Stage 2 of recording: take a ``stored`` message through the pipeline and record the result.

Each message from the ledger (never from the mailbox), so a message left ``stored`` by a crash
or a kill is simply processed at the next pass. The expensive stage (:meth:`Processor.read`:
unpack, read, extract) touches neither the ledger nor the mailbox, so the next messages of a
backlog are read while the current one is recorded (:mod:`intake.record.ahead`); judging and
recording stay in arrival order, one transaction per message. A failure is recorded on the row
(``failed`` with the error and the time of the next try, :func:`retry_delay`), never raised: one
bad message must not stop the pass, and it is tried again by itself.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.config import Config
from intake.pipeline import ReadMessage, judge, message_info, read_message, receipt_time
from intake.record.recording import documents_from_rows, message_info_of, problem_json, problems_of, record
from intake.record.roster import Roster
from intake.store.objects import Store
from intake.store.rows import DocumentRow, MessageRow, utcnow
from intake.unpack import Part
from intake.workers import ReadingPool
from rules import Campaign

log = logging.getLogger(__name__)

RETRY_FIRST = timedelta(minutes=2)  # a failed message is tried again after 2, 8, 32 … minutes
RETRY_MAX = timedelta(hours=6)
MAX_RETRIES = 6  # then it waits for staff (`intake reprocess --failed-only`); `intake status` lists it


def retry_delay(attempts: int) -> timedelta:
    """Growing delays: a transient trouble (disk, converter) clears by itself, a real bug is not hammered."""
    return min(RETRY_FIRST * (4 ** max(attempts - 1, 0)), RETRY_MAX)


@dataclass
class Read:
    """A message after the expensive stages: what :meth:`Processor.read` hands to the recording step."""

    message: ReadMessage
    blobs: list[str | None]  # where each part's bytes were stored, in the parts' order


@dataclass
class Processor:
    """What processing needs: the config, the ledger, the campaign, the object store and the readers."""

    cfg: Config
    engine: Engine
    campaign: Campaign
    store: Store
    pool: ReadingPool
    roster: Roster = field(default_factory=Roster)
    #: when a set, units are not re-evaluated per message but their keys collected here (reprocess)
    defer_units: set[str] | None = None
    #: the daemon's receipts do not wait for the OCR of a sealed 申报表 scan beside its Word copy: it is
    #: read after the receipt (:mod:`intake.record.second_look`); ``intake reprocess`` reads it at once
    twins_later: bool = False

    def process(self, pk: int, ahead: Future[Read] | None = None) -> bool:
        """Read, judge and record one stored message; a failure is recorded, never raised.

        ``ahead``: the message's reading, already started (:mod:`intake.record.ahead`); its
        exception, if any, is this message's failure like any other.
        """
        if not self._begin(pk):
            return False
        try:
            with Session(self.engine) as s:
                msg = s.get(MessageRow, pk)
                if msg is None:
                    return False
                read = ahead.result() if ahead is not None else self.read(msg.sha256)
                self.judge_record(s, msg, read)
                s.commit()
                log.info("message %s processed: %s", pk, msg.status)
            return True
        except Exception as e:
            log.exception("message %s failed", pk)
            with Session(self.engine) as s:
                failed = s.get(MessageRow, pk)
                if failed is not None:
                    failed.state = "failed"
                    failed.error = f"{type(e).__name__}: {e}\n" + traceback.format_exc(limit=-6)[-4000:]
                    failed.processed_at = utcnow()
                    failed.attempts = (failed.attempts or 0) + 1
                    failed.retry_at = (utcnow() + retry_delay(failed.attempts)
                                       if failed.attempts < MAX_RETRIES else None)
                    s.add(failed)
                    s.commit()
            return False

    def recheck(self, pks: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """Judge processed messages again from their stored fields with the current rules (no reading);
        their (state, status) after it. One transaction for all of ``pks`` and two queries to load them:
        a rules-only ``intake reprocess`` does this for a whole campaign, and one session, lookup and
        commit per message was most of its time. (Safe as one transaction: nothing is read or sent, and a
        re-run judges the same rows again.)"""
        if not pks:
            return {}
        with Session(self.engine) as s:
            msgs = {m.id: m for m in s.exec(select(MessageRow).where(col(MessageRow.id).in_(pks))).all()}
            rows: dict[int, list[DocumentRow]] = {pk: [] for pk in pks}
            for r in s.exec(select(DocumentRow).where(col(DocumentRow.message_pk).in_(pks))).all():
                rows[r.message_pk].append(r)
            after = {}
            # one flush at the commit, not one per message: the messages' updates and findings go in batches
            with s.no_autoflush:
                for pk in pks:
                    msg = msgs[pk]
                    mine = sorted(rows[pk], key=lambda r: r.position)
                    old = msg.result or {}
                    docs = documents_from_rows(mine, old.get("documents") or [])
                    result = judge(self.campaign, message_info_of(old), docs, msg.received_at, problems_of(old)).to_json()
                    result["message_problems"] = old.get("message_problems", [])
                    record(s, self.cfg, self.campaign, msg, docs, [r.blob_path for r in mine], result, unpacked=None,
                           receipt=False, roster=self.roster, defer_units=self.defer_units, documents_changed=False)
                    after[pk] = (msg.state, msg.status)
            s.commit()
        return after

    def _begin(self, pk: int) -> bool:
        """True when message ``pk`` exists and may be processed (any state: reprocess re-reads processed ones).

        A process that was killed from outside while it had a message in hand (a SIGKILL, a restart,
        the machine going down) says nothing about the message, so it is simply processed again:
        nothing is set aside for it. A file that kills its *reader* cannot take the daemon down any
        more — each document is read in a worker process (intake/workers.py) and a worker that dies
        or passes its limits gives that document a finding — so there is no poison message to guard
        against here.
        """
        with Session(self.engine) as s:
            return s.get(MessageRow, pk) is not None

    def read(self, sha256: str, raw: bytes | None = None) -> Read:
        """The expensive stages for the stored raw message ``sha256``: no ledger, no mailbox, so it may
        run in another thread while earlier messages are recorded; each part's bytes are stored as
        they come (content-addressed, atomic writes). ``raw``: the bytes just fetched and stored (not
        read back from the store: one copy of a large message in memory, not two)."""
        raw = raw if raw is not None else self.store.get(sha256)
        blobs: list[str | None] = []

        def on_part(part: Part) -> None:
            blobs.append(str(self.store.put(part.data)[1]))

        limits = self.cfg.limits
        rm = read_message(raw, self.pool, limits.to_limits(), limits.read_timeout_seconds, on_part=on_part,
                          ocr=limits.ocr(), twins_later=self.twins_later)
        return Read(rm, blobs)

    def judge_record(self, s: Session, msg: MessageRow, read: Read, receipt: bool = True) -> None:
        """Judge what was read and record it all (the message, documents, findings, unit, receipt);
        uncommitted. ``receipt=False``: the second look, whose message has had its receipt."""
        rm = read.message
        when = receipt_time(rm.unpacked, msg.received_at)
        info = message_info(rm.unpacked, when, self.campaign)
        result = judge(self.campaign, info, rm.documents, when, rm.unpacked.problems).to_json()
        result["message_problems"] = [problem_json(p) for p in rm.unpacked.problems]
        msg.received_at = when
        msg.message_id = rm.unpacked.message_id or msg.message_id
        msg.from_addr = rm.unpacked.from_addr or msg.from_addr
        msg.subject = rm.unpacked.subject if rm.unpacked.subject is not None else msg.subject
        msg.defects = list(rm.unpacked.defects)
        msg.ocr_later = rm.ocr_later
        record(s, self.cfg, self.campaign, msg, rm.documents, read.blobs, result, rm.unpacked, receipt=receipt,
               roster=self.roster, defer_units=self.defer_units)
