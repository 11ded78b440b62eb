"""Stage 2 of recording: take a ``stored`` message through the pipeline and record the result.

One message at a time, from the ledger (never from the mailbox), so a message left ``stored``
by a crash is simply processed at the next pass. A failure is recorded on the row
(``failed`` with the error), never raised: one bad message must not stop the pass.
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.config import Config
from intake.pipeline import judge, message_info, read_message, receipt_time
from intake.record.recording import documents_from_rows, message_info_of, problem_json, problems_of, record
from intake.record.roster import Roster
from intake.store.objects import Store
from intake.store.rows import DocumentRow, MessageRow, utcnow
from intake.unpack import Part
from intake.workers import ReadingPool
from rules import Campaign

log = logging.getLogger(__name__)

MAX_CRASHES = 3  # attempts that killed the process before a stored message is set aside as failed
_INTERRUPTED = re.compile(r"processing interrupted (\d+) time")


@dataclass
class Processor:
    """What processing needs: the config, the ledger, the campaign, the object store and the readers."""

    cfg: Config
    engine: Engine
    campaign: Campaign
    store: Store
    pool: ReadingPool
    roster: Roster = field(default_factory=Roster)

    def process(self, pk: int) -> bool:
        """Read, judge and record one stored message; a failure is recorded, never raised."""
        if not self._begin_attempt(pk):
            return False
        try:
            with Session(self.engine) as s:
                msg = s.get(MessageRow, pk)
                if msg is None:
                    return False
                self._read_judge_record(s, msg)
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
                    s.add(failed)
                    s.commit()
            return False

    def recheck(self, pk: int) -> None:
        """Judge a processed message again from its stored fields with the current rules (no reading)."""
        with Session(self.engine) as s:
            msg = s.get(MessageRow, pk)
            assert msg is not None
            rows = sorted(s.exec(select(DocumentRow).where(DocumentRow.message_pk == pk)).all(),
                          key=lambda r: r.position)
            docs = documents_from_rows(rows)
            old = msg.result or {}
            result = judge(self.campaign, message_info_of(old), docs, msg.received_at, problems_of(old)).to_json()
            result["message_problems"] = old.get("message_problems", [])
            record(s, self.cfg, self.campaign, msg, docs, [r.blob_path for r in rows], result, unpacked=None,
                   receipt=False, roster=self.roster)
            s.commit()

    def _begin_attempt(self, pk: int) -> bool:
        """Count attempts on a ``stored`` message; give up after ones that killed the process.

        A message that crashes the whole process (out of memory, a converter taking the
        interpreter down) would otherwise be retried at every start and block everything behind
        it — Mailman's shunt rule (docs/reference-systems.md §D): after MAX_CRASHES it is set aside
        as failed, kept, and ``intake reprocess`` can try again.
        """
        with Session(self.engine) as s:
            msg = s.get(MessageRow, pk)
            if msg is None or msg.state != "stored":
                return msg is not None
            m = _INTERRUPTED.match(msg.error or "")
            crashes = int(m.group(1)) if m else 0
            if crashes >= MAX_CRASHES:
                msg.state = "failed"
                msg.error = f"gave up: processing was interrupted {crashes} times (the process died while reading it)"
                msg.processed_at = utcnow()
                log.error("message %s: %s", pk, msg.error)
            else:
                msg.error = f"processing interrupted {crashes + 1} time(s)"  # cleared when it finishes
            s.add(msg)
            s.commit()
            return msg.state == "stored"

    def _read_judge_record(self, s: Session, msg: MessageRow) -> None:
        """The expensive stages; each part's bytes are stored as they come, then all is recorded."""
        raw = self.store.get(msg.sha256)
        blobs: list[str | None] = []

        def on_part(part: Part) -> None:
            blobs.append(str(self.store.put(part.data)[1]))

        limits = self.cfg.limits
        rm = read_message(raw, self.pool, limits.to_limits(), limits.read_timeout_seconds, on_part=on_part)
        when = receipt_time(rm.unpacked, msg.received_at)
        info = message_info(rm.unpacked, when, self.campaign)
        result = judge(self.campaign, info, rm.documents, when, rm.unpacked.problems).to_json()
        result["message_problems"] = [problem_json(p) for p in rm.unpacked.problems]
        msg.received_at = when
        msg.message_id = rm.unpacked.message_id or msg.message_id
        msg.from_addr = rm.unpacked.from_addr or msg.from_addr
        msg.subject = rm.unpacked.subject if rm.unpacked.subject is not None else msg.subject
        msg.defects = list(rm.unpacked.defects)
        record(s, self.cfg, self.campaign, msg, rm.documents, blobs, result, rm.unpacked, roster=self.roster)
