"""Stage 3 of recording: write what processing found, in ONE transaction with the unit and the receipt.

Documents, findings, the message's status, its unit's re-evaluation and the queued receipt
are added to the caller's session and committed together, so a receipt exists exactly when
the processing it reports exists. Also the way back: stored rows → :class:`DocumentResult`,
so ``intake reprocess`` re-checks the ledger without re-reading any file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, delete

from intake.config import Config
from intake.contract import MessageInfo
from intake.record.roster import Roster
from intake.record.units import UnitSummary, update_unit
from intake.reply.suppress import no_receipt_reason
from intake.store.rows import DocumentRow, FindingRow, MessageRow, utcnow
from intake.unpack import Unpacked
from parsers.model import Problem
from parsers.result import DocumentResult
from rules import Campaign

log = logging.getLogger(__name__)

REPLIES_DISABLED = "replies disabled (reply.enabled = false)"


def record(s: Session, cfg: Config, campaign: Campaign, msg: MessageRow, documents: Sequence[DocumentResult],
           blobs: Sequence[str | None], result: dict[str, Any], unpacked: Unpacked | None,
           receipt: bool = True, roster: Roster | None = None, defer_units: set[str] | None = None,
           documents_changed: bool = True) -> None:
    """Documents (with their stored copies ``blobs``), findings, status, unit and receipt; uncommitted.

    ``documents_changed=False`` (a rules-only re-check) keeps the stored document rows as they are."""
    assert msg.id is not None
    if documents_changed:
        s.exec(delete(DocumentRow).where(col(DocumentRow.message_pk) == msg.id))
    # no session sync: findings are never loaded into a recording session, and matching the delete against
    # every object in it made a re-check of many messages in one transaction quadratic
    s.exec(delete(FindingRow).where(col(FindingRow.message_pk) == msg.id).execution_options(synchronize_session=False))
    for i, (d, blob) in enumerate(zip(documents, blobs, strict=True) if documents_changed else ()):
        s.add(DocumentRow(message_pk=msg.id, position=i, filename=d.filename, container=d.container,
                          format=d.format, form=d.form, sha256=d.sha256, size=d.size, blob_path=blob,
                          text_trusted=d.text_trusted, fields=d.fields,
                          problems=[problem_json(p) for p in d.problems], part=d.part))
    for f in result.get("findings", []):
        s.add(FindingRow(message_pk=msg.id, rule=f["rule"], severity=f["severity"], form=f.get("form"),
                         document=f.get("document"), field=f.get("field"), message=f.get("message", "")))
    msg.result = result
    msg.status = result.get("status")
    msg.recommender = result.get("recommender")
    msg.state, msg.error, msg.processed_at = "processed", None, utcnow()
    if unpacked is not None:
        msg.no_receipt_reason = no_receipt(cfg, unpacked)
    s.add(msg)
    # Auto-replies, bounces and list mail are recorded but are not submissions: they join
    # no unit (a stranger's out-of-office must not appear as an "incomplete unit").
    automatic = msg.no_receipt_reason is not None and msg.no_receipt_reason != REPLIES_DISABLED
    unit = None
    if automatic:
        msg.unit_key = msg.claimed_unit = None
    else:
        # None: held as 待确认 (the receipt speaks for this mail only), or deferred by reprocess
        unit = update_unit(s, campaign, msg, roster, defer_units)
    if receipt and unpacked is not None:
        # a 新地址 sender learns about its own mail only, not about what others of the unit sent
        queue_receipt(s, cfg, campaign, msg, unpacked, result, None if unit is not None and unit.new_address else unit)


def own_addresses(cfg: Config) -> set[str]:
    """The intake mailbox's own addresses: mail from them never gets a receipt (no loops)."""
    return {a.lower() for a in (cfg.reply.from_addr, cfg.source.imap.username) if "@" in a}


def no_receipt(cfg: Config, unpacked: Unpacked) -> str | None:
    """Why this message must get no receipt (RFC 3834 etc., or replies switched off)."""
    reason = no_receipt_reason(unpacked, own_addresses(cfg))
    if reason is None and not cfg.reply.enabled:
        reason = REPLIES_DISABLED
    return reason


def queue_receipt(s: Session, cfg: Config, campaign: Campaign, msg: MessageRow, unpacked: Unpacked,
                  result: dict[str, Any], unit: UnitSummary | None) -> None:
    """Compose and enqueue the receipt in the caller's transaction, unless it must not go."""
    if msg.no_receipt_reason is not None:
        log.info("message %s: no receipt (%s)", msg.id, msg.no_receipt_reason)
        return
    from intake.reply.authenticity import doubtful_sender
    from intake.reply.outbox import enqueue
    from intake.reply.receipt import compose_receipt

    assert msg.id is not None
    doubt = doubtful_sender(unpacked.headers or [], cfg.source.authserv_id)
    if doubt:  # recorded and checked as usual; the receipt only says that it arrived
        log.warning("message %s: sender not confirmed (%s): receipt without details", msg.id, doubt)
        msg.result = {**(msg.result or {}), "sender_doubt": doubt}
        s.add(msg)
    enqueue(s, msg.id, compose_receipt(cfg, campaign, unpacked, result, unit, doubtful=doubt))


def documents_from_rows(rows: Sequence[DocumentRow], stored: Sequence[dict[str, Any]] = ()) -> list[DocumentResult]:
    """Stored fields back into DocumentResults (in message order), so rules re-check without reading;
    a file that holds several forms comes back as its several rows, each with its ``part``.

    ``stored``: the message's contract ``documents`` (same order), for what the rows do not keep:
    ``read_by`` and ``confidence`` (an OCR'd document must stay one, or its errors would count again).
    """
    docs = [DocumentResult.from_json({"filename": r.filename, "container": r.container, "format": r.format,
                                      "form": r.form, "fields": r.fields or {}, "problems": r.problems or [],
                                      "sha256": r.sha256, "size": r.size, "text_trusted": r.text_trusted,
                                      "part": r.part})
            for r in sorted(rows, key=lambda r: r.position)]
    if len(stored) == len(docs):
        for doc, old in zip(docs, stored, strict=True):
            if isinstance(old, dict) and old.get("sha256") == doc.sha256:
                doc.read_by, doc.confidence = old.get("read_by"), old.get("confidence")
    return docs


def message_info_of(result: dict[str, Any]) -> MessageInfo:
    m = (result or {}).get("message", {})
    return MessageInfo(m.get("message_id"), m.get("from"), m.get("subject"), m.get("received_at"))


def problems_of(result: dict[str, Any]) -> list[Problem]:
    return [Problem(p["rule"], p.get("detail", ""), p.get("field"))
            for p in (result or {}).get("message_problems", [])]


def problem_json(p: Problem) -> dict[str, Any]:
    return {"rule": p.rule, "detail": p.detail, "field": p.field}
