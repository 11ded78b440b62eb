"""The pipeline from raw message bytes to a contract result: unpack → read → classify/extract → check.

Pure: no ledger, mailbox or SMTP here. ``intake check`` calls :func:`check_message` directly;
the daemon calls the same function and then records what it returns. Splitting
:func:`read_message` from :func:`judge` is what lets ``intake reprocess`` re-check stored
fields without re-reading any file.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from intake.contract import CONTAINER_FORMATS, CheckResult, DocumentResult, MessageInfo, status_of
from intake.unpack import Limits, Part, Unpacked, unpack_message
from intake.unpack.types import NOTICE_ONLY
from parsers import forms, readers
from parsers.model import Document, Problem
from rules import Campaign, evaluate

T = TypeVar("T")


def bounded(fn: Callable[[], T], seconds: float, what: str) -> T:
    """``fn()`` in a daemon thread, given up after ``seconds`` (TimeoutError): the readers' time limit
    does not cover classification and extraction, and a document that reads in time can still make
    an extractor slow. A daemon thread never keeps ``intake check`` alive at exit."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller below
            box["error"] = e

    worker = threading.Thread(target=run, name=f"bounded-{what}", daemon=True)
    worker.start()
    worker.join(seconds if seconds and seconds > 0 else None)
    if worker.is_alive():
        raise TimeoutError(f"{what}: not done within {seconds:g}s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


@dataclass
class ReadMessage:
    """A message after the expensive stages (unpack, read, extract), before rules."""

    unpacked: Unpacked
    documents: list[DocumentResult]
    parts: list[Part]  # same order as documents, for storing the bytes


def read_part(part: Part, read_timeout: float = 60.0) -> DocumentResult:
    """Read one part and extract its form's fields; bad files become problems, never exceptions."""
    result = DocumentResult(
        filename=part.filename,
        container=part.container,
        format=part.format,
        problems=list(part.problems),
        sha256=hashlib.sha256(part.data).hexdigest(),
        size=len(part.data),
    )
    if part.format in CONTAINER_FORMATS:
        result.form = "unknown"  # containers are listed; their members follow as their own parts
        return result
    doc: Document | None = None
    if all(p.rule in NOTICE_ONLY for p in part.problems):  # notices (unsafe name) still get read
        try:
            doc = readers.read(part.data, part.format, part.filename, timeout=read_timeout)
        except Exception as e:  # a reader bug must not lose the message: report and go on
            doc = None
            result.problems.append(Problem("document.unreadable", f"{type(e).__name__}: {e}"))
    if doc is not None:
        result.problems.extend(doc.problems)
        result.text_trusted = doc.text_trusted
    try:
        result.form = bounded(lambda: forms.classify(doc, part.filename, part.format), read_timeout, "classify")
    except TimeoutError as e:
        result.form = "unknown"
        result.problems.append(Problem("document.timeout", str(e)))
        return result
    except Exception as e:
        result.form = "unknown"
        result.problems.append(Problem("document.unreadable", f"classify {type(e).__name__}: {e}"))
        return result
    if doc is not None and result.form != "unknown":
        form = result.form
        try:
            result.fields = bounded(lambda: forms.extract(form, doc, part.format), read_timeout, "extract")
        except TimeoutError as e:
            result.problems.append(Problem("document.timeout", str(e)))
        except Exception as e:
            result.problems.append(Problem("document.unreadable", f"extract {type(e).__name__}: {e}"))
    return result


def read_message(
    raw: bytes,
    limits: Limits | None = None,
    read_timeout: float = 60.0,
    on_part: Callable[[Part], None] | None = None,
) -> ReadMessage:
    """Unpack and read every part. ``on_part`` lets the daemon store each part's bytes."""
    unpacked = unpack_message(raw, limits)
    documents = []
    for part in unpacked.parts:
        if on_part is not None:
            on_part(part)
        documents.append(read_part(part, read_timeout))
    forms.pair_documents(documents)
    return ReadMessage(unpacked, documents, unpacked.parts)


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
) -> CheckResult:
    """The whole pipeline on one message, without side effects (``intake check``)."""
    rm = read_message(raw, limits, read_timeout)
    when = receipt_time(rm.unpacked, received_at)
    info = message_info(rm.unpacked, when, campaign)
    return judge(campaign, info, rm.documents, when, rm.unpacked.problems)
