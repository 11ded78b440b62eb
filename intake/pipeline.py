"""The pipeline from raw message bytes to a contract result: unpack → read → classify/extract → check.

Pure: no ledger, mailbox or SMTP here; reading happens in killable worker processes
(:mod:`intake.workers`). ``intake check`` calls :func:`check_message` directly;
the daemon calls the same function and then records what it returns. Splitting
:func:`read_message` from :func:`judge` is what lets ``intake reprocess`` re-check stored
fields without re-reading any file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from intake.contract import CheckResult, MessageInfo
from intake.unpack import Limits, Part, Unpacked, unpack_message
from intake.unpack.types import NOTICE_ONLY
from intake.workers import Job, ReadingPool, WorkerLimits
from parsers import forms
from parsers.model import Problem
from parsers.result import DocumentResult
from rules import Campaign, evaluate
from rules.findings import status_of


@dataclass
class ReadMessage:
    """A message after the expensive stages (unpack, read, extract), before rules."""

    unpacked: Unpacked
    documents: list[DocumentResult]
    parts: list[Part]  # same order as documents, for storing the bytes


def part_job(part: Part, read_timeout: float) -> Job:
    """What a reading worker needs for one part: its bytes and the result unpacking began.

    A name we made up (``part.named`` False: ``未命名附件4``) must not classify the file, and the
    worker classifies by ``result.filename``: the job carries no name then (content only), and
    :func:`read_message` puts the made-up name back for display (:func:`shown_names`).
    """
    result = DocumentResult(
        filename=part.filename if part.named else "",
        container=part.container,
        format=part.format,
        problems=list(part.problems),
        sha256=hashlib.sha256(part.data).hexdigest(),
        size=len(part.data),
    )
    read = all(p.rule in NOTICE_ONLY for p in part.problems)  # notices (unsafe name) still get read
    return Job(part.data, result, read=read, timeout=read_timeout)


def read_message(
    raw: bytes,
    pool: ReadingPool,
    limits: Limits | None = None,
    read_timeout: float = 60.0,
    on_part: Callable[[Part], None] | None = None,
) -> ReadMessage:
    """Unpack, then read every part in the pool's workers. ``on_part`` lets the daemon store each part."""
    unpacked = unpack_message(raw, limits)
    for part in unpacked.parts:
        if on_part is not None:
            on_part(part)
    documents = pool.read_all([part_job(part, read_timeout) for part in unpacked.parts])
    shown_names(documents, unpacked.parts)
    forms.pair_documents(documents)
    return ReadMessage(unpacked, documents, unpacked.parts)


def shown_names(documents: list[DocumentResult], parts: list[Part]) -> None:
    """After reading: every document shows its part's name, made-up ones included (the contract's
    ``filename``), once classification is done without them."""
    for doc, part in zip(documents, parts, strict=True):
        doc.filename = part.filename


def receipt_time(unpacked: Unpacked, override: datetime | None = None) -> datetime | None:
    """Contract rule: IMAP INTERNALDATE (passed as override), else topmost Received:, else Date:."""
    return override or unpacked.received or unpacked.date


def judge(
    campaign: Campaign,
    unpacked_info: MessageInfo,
    documents: list[DocumentResult],
    received_at: datetime | None,
    message_problems: list[Problem] | None = None,
) -> CheckResult:
    """Apply the campaign rules to already-read documents."""
    findings = evaluate(campaign, documents, received_at, message_problems or [])
    late = campaign.is_late(received_at)
    extra = {"recommender": forms.recommender_of(documents)}
    return CheckResult(unpacked_info, documents, findings, status_of(findings, late), extra)


def message_info(unpacked: Unpacked, received_at: datetime | None, campaign: Campaign) -> MessageInfo:
    when = received_at.astimezone(campaign.tz).isoformat() if received_at else None
    return MessageInfo(unpacked.message_id, unpacked.from_addr, unpacked.subject, when)


def check_message(
    raw: bytes,
    campaign: Campaign,
    received_at: datetime | None = None,
    limits: Limits | None = None,
    read_timeout: float = 60.0,
    pool: ReadingPool | None = None,
) -> CheckResult:
    """The whole pipeline on one message, without side effects (``intake check``).

    Without a ``pool`` one is started for this message and stopped after it.
    """
    if pool is None:
        with ReadingPool(WorkerLimits(read_timeout=read_timeout)) as own:
            return check_message(raw, campaign, received_at, limits, read_timeout, own)
    rm = read_message(raw, pool, limits, read_timeout)
    when = receipt_time(rm.unpacked, received_at)
    info = message_info(rm.unpacked, when, campaign)
    return judge(campaign, info, rm.documents, when, rm.unpacked.problems)
