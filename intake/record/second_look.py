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

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from intake.store.rows import DocumentRow, MessageRow

if TYPE_CHECKING:  # light to import: `intake status` counts what is pending
    from intake.record.process import Processor, Read

log = logging.getLogger(__name__)


def _waiting() -> tuple:
    """The ledger's condition for a message that waits for its second look."""
    return col(MessageRow.ocr_later).is_(True), MessageRow.state == "processed"


def pending(engine: Engine) -> list[int]:
    """Messages waiting for their second look, oldest first."""
    with Session(engine) as s:
        q = select(MessageRow.id).where(*_waiting()).order_by(col(MessageRow.id))
        return [pk for pk in s.exec(q).all() if pk is not None]


def pending_count(s: Session) -> int:
    """How many messages wait for their second look (``intake status``, the staff page)."""
    return int(s.exec(select(func.count()).select_from(MessageRow).where(*_waiting())).one())


def look_again(processor: Processor, pk: int, lock: threading.Lock | None = None) -> bool:
    """Read message ``pk`` again with its twin scans OCR'd and record the new result (no receipt).

    The reading happens outside ``lock`` (the daemon's pass lock: a pass may record meanwhile); the
    recording inside it, in one transaction. True when it was recorded."""
    with Session(processor.engine) as s:
        msg = s.get(MessageRow, pk)
        if msg is None or not msg.ocr_later:
            return False
        rows = sorted(s.exec(select(DocumentRow).where(DocumentRow.message_pk == pk)).all(), key=lambda r: r.position)
        stored = list((msg.result or {}).get("documents") or [])
        sha = msg.sha256
    try:
        read = twins_read(processor, sha, rows, stored)
        with lock or contextlib.nullcontext(), Session(processor.engine) as s:
            msg = s.get(MessageRow, pk)
            if msg is None or not msg.ocr_later or msg.state != "processed":
                return False  # reprocessed or failed meanwhile: nothing to add
            before = dict(msg.result or {})
            processor.judge_record(s, msg, read, receipt=False)
            # what the receipt's composition added (sender_doubt) is not made again without a receipt
            msg.result = {**{k: v for k, v in before.items() if k not in (msg.result or {})}, **(msg.result or {})}
            status = msg.status
            s.commit()
        log.info("message %s: second look done (%s)", pk, status)
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


def twins_read(processor: Processor, sha256: str, rows: list[DocumentRow], stored: list[dict]) -> Read:
    """The message as recorded, its twin scans now read with OCR: the other documents come from the
    ledger rows (as ``intake reprocess`` re-checks them), only the scans go to the reading workers —
    the message is unpacked again (cheap) to find them: the parts of the documents left unread."""
    from intake.pipeline import LATER, ReadMessage, application_scans, part_job, twin_ocr
    from intake.record.process import Read
    from intake.record.recording import documents_from_rows
    from intake.unpack import unpack_message
    from parsers import forms
    limits = processor.cfg.limits
    base = limits.ocr()
    unpacked = unpack_message(processor.store.get(sha256), limits.to_limits())
    recorded = documents_from_rows(rows, stored)
    unread = {d.sha256 for d in recorded if any(LATER in (p.detail or "") for p in d.problems)}
    jobs = [part_job(p, limits.read_timeout_seconds, base) for p in unpacked.parts]
    for j in application_scans(jobs):  # as intake check reads them: a scan named as 申报表 on its first
        j.ocr = twin_ocr(base)         # page(s); one named without a clue (title-probed) whole
    jobs = list({j.result.sha256: j for j in jobs if j.result.sha256 in unread}.values())
    fresh = {j.result.sha256: docs for j, docs in zip(jobs, processor.pool.read_each(jobs), strict=True)}
    documents, blobs = [], []
    done: set[str | None] = set()
    for doc, row in zip(recorded, rows, strict=True):
        if doc.sha256 in fresh:
            if doc.sha256 in done:
                continue  # a scan that was several documents: its new reading replaces them all at once
            done.add(doc.sha256)
            new = fresh[doc.sha256]
            documents += new
            blobs += [row.blob_path] * len(new)
        else:
            documents.append(doc)
            blobs.append(row.blob_path)
    forms.pair_documents(documents)  # the OCR'd scan's own names, where pairing lent it the Word copy's
    return Read(ReadMessage(unpacked, documents, [], ocr_later=False), blobs)


def second_looks(processor: Processor, lock: threading.Lock | None = None,
                 stop: Callable[[], bool] = lambda: False) -> int:
    """Every pending second look, oldest first, until ``stop()`` says mail is waiting; how many were done."""
    done = 0
    for pk in pending(processor.engine):
        if stop():
            break
        done += look_again(processor, pk, lock)
    return done
