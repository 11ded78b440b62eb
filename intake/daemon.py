"""The daemon: fetch → store → ledger → process → receipt → mark, then send the outbox.

Order is the whole point. The raw bytes are stored and the ``Message`` row committed (state
``stored``) before any parsing, so a crash or a reader bug never loses a message. The processed
state, the findings, the unit and the queued receipt are committed in ONE transaction, so a
receipt exists exactly when the processing it reports exists. Only after that is the mailbox
told (``Source.done``: ``\\Seen`` / move, resume point advanced). A pass repeated after a crash
therefore re-does only what was not committed, and sends nothing twice (one outbox row per
message, unique in the ledger).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import logging
import re
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from intake.config import Config
from intake.contract import DocumentResult, Finding, MessageInfo
from intake.ledger import Document, FindingRow, MailboxState, Message, Unit, utcnow
from intake.mailbox import Incoming, Source, open_source
from intake.migrations import open_ledger
from intake.store import Store
from intake.unpack import Part, Unpacked
from parsers.model import Problem

log = logging.getLogger("intake.daemon")

REPLIES_DISABLED = "replies disabled (reply.enabled = false)"
MAX_CRASHES = 3  # attempts that killed the process before a stored message is set aside as failed
_INTERRUPTED = re.compile(r"processing interrupted (\d+) time")


@dataclass
class PassStats:
    fetched: int = 0
    duplicates: int = 0
    processed: int = 0
    failed: int = 0
    sent: int = 0

    def __str__(self) -> str:
        return (f"fetched {self.fetched}, duplicates {self.duplicates}, processed {self.processed}, "
                f"failed {self.failed}, receipts sent {self.sent}")


class Daemon:
    """One mailbox source, one ledger, one campaign. Passes never overlap (``self.lock``)."""

    def __init__(self, cfg: Config, engine: Engine | None = None, source: Source | None = None,
                 campaign: Any = None) -> None:
        from rules import load_campaign

        self.cfg = cfg
        self.engine = engine or open_ledger(cfg)
        self.campaign = campaign if campaign is not None else load_campaign(cfg.rules_path)
        self.store = Store(cfg.data_dir / "objects")
        self.source = source or open_source(cfg, self.engine)
        self.lock = threading.Lock()
        self.own_addresses = {a.lower() for a in (cfg.reply.from_addr, cfg.source.imap.username) if "@" in a}

    # -- the pass ---------------------------------------------------------------------------

    def poll(self, stats: PassStats | None = None) -> PassStats:
        """Fetch and process everything new; messages left ``stored`` by a crash first.

        Raises when the mailbox or the disk fails; ``stats`` (if given) still counts what was done.
        """
        stats = stats if stats is not None else PassStats()
        with self.lock:
            self._note_poll(error=None, started=True)
            try:
                for pk in self._stored_pks():
                    self._count(stats, self.process(pk))
                for item in self.source.fetch():
                    stats.fetched += 1
                    pk = self.ingest(item)
                    if pk is None:
                        stats.duplicates += 1
                    else:
                        self._count(stats, self.process(pk))
                    self.source.done(item)
            except Exception as e:
                # Mailbox or disk trouble: stop this pass (the resume point has not moved past
                # anything unrecorded), say so, and try again at the next poll.
                log.error("poll of %s stopped: %s: %s", self.source.name, type(e).__name__, e)
                self._note_poll(error=f"{type(e).__name__}: {e}")
                raise
            self._note_poll(error=None)
        return stats

    def send(self) -> int:
        """Deliver due receipts from the outbox."""
        from intake.reply import send_pending

        return send_pending(self.cfg, self.engine)

    def run_pass(self) -> PassStats:
        """``intake run --once``: one poll, then the outbox."""
        stats = PassStats()
        try:
            self.poll(stats)
        except Exception:  # logged and recorded in MailboxState by poll(); the outbox still goes
            pass
        stats.sent = self.send()
        log.info("pass done: %s", stats)
        return stats

    def close(self) -> None:
        try:
            self.source.close()
        finally:
            self.engine.dispose()

    @staticmethod
    def _count(stats: PassStats, ok: bool) -> None:
        if ok:
            stats.processed += 1
        else:
            stats.failed += 1

    def _stored_pks(self) -> list[int]:
        with Session(self.engine) as s:
            return list(s.exec(select(Message.id).where(Message.state == "stored").order_by(Message.id)).all())

    def _note_poll(self, error: str | None, started: bool = False) -> None:
        with Session(self.engine) as s:
            st = s.get(MailboxState, self.source.name) or MailboxState(source=self.source.name)
            now = utcnow()
            if started:
                st.last_poll_at = now
            elif error is None:
                st.last_ok_at, st.last_error = now, None
            else:
                st.last_error = error[:2000]
            s.add(st)
            s.commit()

    # -- stage 1: store + ledger row ---------------------------------------------------------

    def ingest(self, item: Incoming) -> int | None:
        """Store the raw bytes and commit a ``stored`` row; None when it is a duplicate."""
        sha = hashlib.sha256(item.raw).hexdigest()
        head = _headers(item.raw)
        with Session(self.engine) as s:
            if s.exec(select(Message.id).where(Message.sha256 == sha)).first() is not None:
                log.info("duplicate (same bytes) %s from %s skipped", item.ref, self.source.name)
                return None
            if head.get("message_id") and self._same_body(s, head["message_id"], item.raw):
                log.info("duplicate (same Message-ID and body) %s skipped", item.ref)
                return None
            _, path = self.store.put(item.raw)
            msg = Message(sha256=sha, source=self.source.name, source_ref=item.ref,
                          raw_path=str(path.relative_to(self.cfg.data_dir)) if path.is_relative_to(
                              self.cfg.data_dir) else str(path),
                          received_at=item.internal_date, **head)
            s.add(msg)
            try:
                s.commit()
            except IntegrityError:  # another process recorded the same bytes first
                s.rollback()
                return None
            log.info("stored message %s (%s) from %s", msg.id, item.ref, self.source.name)
            return msg.id

    def _same_body(self, s: Session, message_id: str, raw: bytes) -> bool:
        """Same Message-ID and same bytes after the header block: a re-delivery, not a resend."""
        body = _body(raw)
        for sha in s.exec(select(Message.sha256).where(Message.message_id == message_id)).all():
            try:
                if _body(self.store.get(sha)) == body:
                    return True
            except (OSError, ValueError):
                continue
        return False

    # -- stage 2: process --------------------------------------------------------------------

    def process(self, pk: int) -> bool:
        """Read, judge and record one stored message; a failure is recorded, never raised."""
        if not self._begin_attempt(pk):
            return False
        try:
            with Session(self.engine) as s:
                msg = s.get(Message, pk)
                if msg is None:
                    return False
                raw = self.store.get(msg.sha256)
                unpacked, documents, result = self.read_and_judge(msg, raw)
                self.record(s, msg, documents, result, unpacked)
                s.commit()
                log.info("message %s processed: %s, %d document(s)", pk, msg.status, len(documents))
            return True
        except Exception as e:
            log.exception("message %s failed", pk)
            with Session(self.engine) as s:
                msg = s.get(Message, pk)
                if msg is not None:
                    msg.state = "failed"
                    msg.error = f"{type(e).__name__}: {e}\n" + traceback.format_exc(limit=-6)[-4000:]
                    msg.processed_at = utcnow()
                    s.add(msg)
                    s.commit()
            return False

    def _begin_attempt(self, pk: int) -> bool:
        """Count attempts on a ``stored`` message; give up after ones that killed the process.

        A message that crashes the whole process (out of memory, a converter taking the
        interpreter down) would otherwise be retried at every start and block everything behind
        it — Mailman's shunt rule (reference-systems §D): after MAX_CRASHES it is set aside as
        failed, kept, and ``intake reprocess`` can try again.
        """
        with Session(self.engine) as s:
            msg = s.get(Message, pk)
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

    def read_and_judge(self, msg: Message, raw: bytes) -> tuple[Unpacked, list[DocumentResult], dict]:
        """The expensive stages; each part's bytes are stored as they come (``on_part``)."""
        from intake.pipeline import judge, message_info, read_message, receipt_time

        blobs: list[str] = []

        def on_part(part: Part) -> None:
            blobs.append(str(self.store.put(part.data)[1]))

        limits = self.cfg.limits
        rm = read_message(raw, limits.to_limits(), limits.read_timeout_seconds, on_part=on_part)
        when = receipt_time(rm.unpacked, msg.received_at)
        info = message_info(rm.unpacked, when, self.campaign)
        checked = judge(self.campaign, info, rm.documents, when, rm.unpacked.problems)
        result = checked.to_json()
        result["message_problems"] = [_problem_json(p) for p in rm.unpacked.problems]
        for doc, blob in zip(rm.documents, blobs, strict=False):
            doc.blob_path = blob  # type: ignore[attr-defined] - carried to the Document row
        msg.received_at = when
        msg.message_id = rm.unpacked.message_id or msg.message_id
        msg.from_addr = rm.unpacked.from_addr or msg.from_addr
        msg.subject = rm.unpacked.subject if rm.unpacked.subject is not None else msg.subject
        msg.defects = list(rm.unpacked.defects)
        return rm.unpacked, rm.documents, result

    def record(self, s: Session, msg: Message, documents: list[DocumentResult], result: dict,
               unpacked: Unpacked | None, receipt: bool = True) -> None:
        """Documents, findings, status, unit and (unless suppressed) the receipt, uncommitted."""
        assert msg.id is not None
        s.exec(delete(Document).where(col(Document.message_pk) == msg.id))
        s.exec(delete(FindingRow).where(col(FindingRow.message_pk) == msg.id))
        for i, d in enumerate(documents):
            s.add(Document(message_pk=msg.id, position=i, filename=d.filename, container=d.container,
                           format=d.format, form=d.form, sha256=d.sha256, size=d.size,
                           blob_path=getattr(d, "blob_path", None), text_trusted=d.text_trusted,
                           fields=d.fields, problems=[_problem_json(p) for p in d.problems]))
        for f in result.get("findings", []):
            s.add(FindingRow(message_pk=msg.id, rule=f["rule"], severity=f["severity"], form=f.get("form"),
                             document=f.get("document"), field=f.get("field"), message=f.get("message", "")))
        msg.result = result
        msg.status = result.get("status")
        msg.recommender = result.get("recommender")
        msg.state, msg.error, msg.processed_at = "processed", None, utcnow()
        if unpacked is not None:
            msg.no_receipt_reason = self.no_receipt(unpacked)
        s.add(msg)
        s.flush()
        # Auto-replies, bounces and list mail are recorded but are not submissions: they join
        # no unit (a stranger's out-of-office must not appear as an "incomplete unit").
        automatic = msg.no_receipt_reason is not None and msg.no_receipt_reason != REPLIES_DISABLED
        unit = None
        if automatic:
            msg.unit_key = None
        else:
            unit = self.update_unit(s, msg)
        if receipt and unpacked is not None:
            self.queue_receipt(s, msg, unpacked, result, unit)

    # -- stage 3: the unit -------------------------------------------------------------------

    def update_unit(self, s: Session, msg: Message) -> Any:
        """Re-evaluate the recommending unit over all its processed messages (latest copy wins).

        Lateness follows :mod:`intake.units`: the unit is late when something it currently has
        arrived after the deadline (``unit_received_at``). The per-message status is unchanged.
        """
        from intake.contract import status_of
        from intake.receipt import UnitSummary
        from intake.units import merge_unit, unit_key, unit_received_at
        from rules import evaluate

        key = unit_key(msg.recommender, msg.from_addr)
        if not msg.recommender and msg.from_addr:
            # A message without a readable 推荐单位 joins the unit its sender already belongs to.
            for u in s.exec(select(Unit).where(col(Unit.recommender).is_not(None))).all():
                if msg.from_addr in (u.addresses or []):
                    key = u.key
                    break
        msg.unit_key = key
        s.add(msg)
        s.flush()
        members = s.exec(select(Message).where(Message.unit_key == key, Message.state == "processed")).all()
        members = sorted(members, key=lambda m: (_aware(m.received_at or m.stored_at), m.id or 0))
        history = [(m.received_at, [DocumentResult.from_json(d) for d in (m.result or {}).get("documents", [])])
                   for m in members]
        merged = merge_unit(history)
        when = unit_received_at(history)
        findings = evaluate(self.campaign, merged, when, [])
        status = status_of(findings, self.campaign.is_late(when))
        unit = s.get(Unit, key) or Unit(key=key)
        unit.recommender = next((m.recommender for m in reversed(members) if m.recommender), unit.recommender)
        addrs = list(unit.addresses or [])
        for m in members:
            if m.from_addr and m.from_addr not in addrs:
                addrs.append(m.from_addr)
        unit.addresses = addrs
        unit.status, unit.findings = status, [f.to_json() for f in findings]
        unit.last_message_pk, unit.updated_at = msg.id, utcnow()
        s.add(unit)
        return UnitSummary(recommender=unit.recommender, status=status, findings=findings,
                           message_count=len(members), documents=merged)

    # -- stage 4: the receipt ----------------------------------------------------------------

    def no_receipt(self, unpacked: Unpacked) -> str | None:
        """Why this message must get no receipt (RFC 3834 etc., or replies switched off)."""
        from intake.autoreply import no_receipt_reason

        reason = no_receipt_reason(unpacked, self.own_addresses)
        if reason is None and not self.cfg.reply.enabled:
            reason = REPLIES_DISABLED
        return reason

    def queue_receipt(self, s: Session, msg: Message, unpacked: Unpacked, result: dict, unit: Any) -> None:
        """Compose and enqueue the receipt in the caller's transaction, unless it must not go."""
        if msg.no_receipt_reason is not None:
            log.info("message %s: no receipt (%s)", msg.id, msg.no_receipt_reason)
            return
        from intake.receipt import compose_receipt
        from intake.reply import enqueue

        receipt = compose_receipt(self.cfg, self.campaign, unpacked, result, unit)
        assert msg.id is not None
        enqueue(s, msg.id, receipt)


def documents_from_rows(rows: list[Document]) -> list[DocumentResult]:
    """Stored fields back into DocumentResults, so rules re-check without re-reading files."""
    out = []
    for r in sorted(rows, key=lambda r: r.position):
        d = DocumentResult.from_json({"filename": r.filename, "container": r.container, "format": r.format,
                                      "form": r.form, "fields": r.fields or {}, "problems": r.problems or [],
                                      "sha256": r.sha256, "size": r.size, "text_trusted": r.text_trusted})
        d.blob_path = r.blob_path  # type: ignore[attr-defined]
        out.append(d)
    return out


def message_info_of(result: dict) -> MessageInfo:
    m = (result or {}).get("message", {})
    return MessageInfo(m.get("message_id"), m.get("from"), m.get("subject"), m.get("received_at"))


def problems_of(result: dict) -> list[Problem]:
    return [Problem(p["rule"], p.get("detail", ""), p.get("field"))
            for p in (result or {}).get("message_problems", [])]


def findings_of(result: dict) -> list[Finding]:
    return [Finding.from_json(f) for f in (result or {}).get("findings", [])]


def _problem_json(p: Problem) -> dict:
    return {"rule": p.rule, "detail": p.detail, "field": p.field}


def _aware(dt: datetime) -> datetime:
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _headers(raw: bytes) -> dict[str, Any]:
    """Best-effort Message-ID / From / Subject for the ``stored`` row, before any real parsing."""
    out: dict[str, Any] = {}
    try:
        h = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        mid = str(h.get("Message-ID") or "").strip()
        out["message_id"] = mid or None
        frm = h.get("From")
        addrs = getattr(frm, "addresses", None) if frm is not None else None
        if addrs:
            out["from_addr"] = (addrs[0].addr_spec or "").lower() or None
        subj = h.get("Subject")
        out["subject"] = str(subj) if subj is not None else None
    except Exception:  # noqa: BLE001 - any header garbage: the real parse decides later
        pass
    return out


def _body(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = raw.find(sep)
        if i >= 0:
            return raw[i + len(sep):]
    return b""


def setup_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("intake").setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl" at every start is noise


def run(cfg: Config, once: bool = False) -> PassStats | None:
    """``intake run``: one pass (``once``) or the scheduler until SIGTERM/SIGINT."""
    setup_logging()
    daemon = Daemon(cfg)
    try:
        if once:
            return daemon.run_pass()
        from intake.scheduler import serve

        serve(cfg, daemon)
        return None
    finally:
        daemon.close()


__all__ = ["Daemon", "PassStats", "documents_from_rows", "run", "setup_logging"]
