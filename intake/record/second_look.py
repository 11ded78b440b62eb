"""Stage 4 of recording, after the receipt: OCR the sealed 申报表 scans that came beside their Word copies.

Why after: the notice asks for the 申报表 twice, as Word and as a sealed PDF — usually a scan. The
field rules read the Word copy; the scan is OCR'd only to compare its 企业名称/小组名称/课题名称 with
it (certificates are printed from those). That OCR costs ~2 s of a core a page, more than everything
else of a typical submission together, and what it finds is a 人工核对 warning for staff, never a
reason to refuse: so a receipt does not wait for it. The message is recorded with the scan unread
(``MessageRow.ocr_later``), its receipt goes, and when no mail has come for a while
(``schedule.quiet_seconds``; ``intake run --once``: after the pass) the message is read again with
the scan OCR'd and re-judged — its findings, status and unit updated in the ledger, no second
receipt (one per message, as for ``intake reprocess``).

A message whose second look fails keeps its first result: the failure is logged for staff and the
message is not tried again by itself (``intake reprocess --reparse`` reads it whole).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from intake.store.rows import MessageRow

if TYPE_CHECKING:  # light to import: `intake status` counts what is pending
    from intake.record.process import Processor

log = logging.getLogger(__name__)


def pending(engine: Engine, limit: int | None = None) -> list[int]:
    """Messages waiting for their second look, oldest first."""
    with Session(engine) as s:
        q = (select(MessageRow.id).where(col(MessageRow.ocr_later).is_(True), MessageRow.state == "processed")
             .order_by(col(MessageRow.id)))
        return [pk for pk in s.exec(q.limit(limit) if limit else q).all() if pk is not None]


def pending_count(s: Session) -> int:
    """How many messages wait for their second look (``intake status``, the staff page)."""
    return int(s.exec(select(func.count()).select_from(MessageRow)
                      .where(col(MessageRow.ocr_later).is_(True), MessageRow.state == "processed")).one())


def look_again(processor: Processor, pk: int, lock: threading.Lock | None = None) -> bool:
    """Read message ``pk`` again with its twin scans OCR'd and record the new result (no receipt).

    The reading happens outside ``lock`` (the daemon's pass lock: a pass may record meanwhile); the
    recording inside it, in one transaction. True when it was recorded."""
    with Session(processor.engine) as s:
        msg = s.get(MessageRow, pk)
        if msg is None or not msg.ocr_later:
            return False
        sha = msg.sha256
    try:
        read = processor.read(sha, twins_later=False)
        with lock or threading.Lock(), Session(processor.engine) as s:
            msg = s.get(MessageRow, pk)
            if msg is None or not msg.ocr_later or msg.state != "processed":
                return False  # reprocessed or failed meanwhile: nothing to add
            processor.judge_record(s, msg, read, receipt=False)
            s.commit()
        log.info("message %s: second look done (%s)", pk, msg.status)
        return True
    except Exception:
        log.exception("message %s: second look failed; its first result stands", pk)
        with Session(processor.engine) as s:
            msg = s.get(MessageRow, pk)
            if msg is not None:
                msg.ocr_later = False
                s.add(msg)
                s.commit()
        return False


def second_looks(processor: Processor, lock: threading.Lock | None = None,
                 stop: Callable[[], bool] = lambda: False) -> int:
    """Every pending second look, oldest first, until ``stop()`` says mail is waiting; how many were done."""
    done = 0
    for pk in pending(processor.engine):
        if stop():
            break
        done += look_again(processor, pk, lock)
    return done
