"""The pipeline from raw message bytes to a contract result: unpack → read → classify/extract → check.

Pure: no ledger, mailbox or SMTP here; reading happens in killable worker processes
(:mod:`intake.workers`). ``intake check`` calls :func:`check_message` directly;
the daemon calls the same function and then records what it returns. Splitting
:func:`read_message` from :func:`judge` is what lets ``intake reprocess`` re-check stored
fields without re-reading any file.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from intake.contract import CheckResult, MessageInfo
from intake.unpack import Limits, Part, Unpacked, unpack_message
from intake.unpack.types import NOTICE_ONLY
from intake.workers import Job, ReadingPool, WorkerLimits
from parsers import forms
from parsers.formats import WORD_FORMATS
from parsers.model import Problem
from parsers.result import DocumentResult
from rules import Campaign, evaluate
from rules.findings import status_of

if TYPE_CHECKING:
    from parsers.readers.ocr_options import OcrOptions


@dataclass
class ReadMessage:
    """A message after the expensive stages (unpack, read, extract), before rules."""

    unpacked: Unpacked
    documents: list[DocumentResult]
    #: same order as documents, for storing the bytes: a file holding several forms is listed once per
    #: form (the same Part each time; its bytes are stored once, content-addressed)
    parts: list[Part]
    #: a sealed 申报表 scan beside its Word copy was left for the second look (``twins_later``)
    ocr_later: bool = False


def part_job(part: Part, read_timeout: float, ocr: OcrOptions | None = None) -> Job:
    """What a reading worker needs for one part: its bytes and the result unpacking began.

    A name we made up (``part.named`` False: ``未命名附件4``) must not classify the file: the job says
    so (``named``), and the worker classifies it by its content alone.
    """
    result = DocumentResult(
        filename=part.filename,
        container=part.container,
        format=part.format,
        problems=list(part.problems),
        sha256=hashlib.sha256(part.data).hexdigest(),
        size=len(part.data),
    )
    read = all(p.rule in NOTICE_ONLY for p in part.problems)  # notices (unsafe name) still get read
    return Job(part.data, result, read=read, timeout=read_timeout, named=part.named, ocr=ocr)


def read_message(
    raw: bytes,
    pool: ReadingPool,
    limits: Limits | None = None,
    read_timeout: float = 60.0,
    on_part: Callable[[Part], None] | None = None,
    ocr: OcrOptions | None = None,
    twins_later: bool = False,
) -> ReadMessage:
    """Unpack, then read every part in the pool's workers; a part may give several documents (one file,
    several forms: :mod:`parsers.forms.split`). ``on_part`` lets the daemon store each document's part,
    in the documents' order: a file of three forms is handed over three times (a content-addressed
    store keeps its bytes once). ``ocr``: the OCR limits for scans and images (``[limits]`` ocr_*; None:
    the defaults). ``twins_later``: the sealed scans of 申报表 beside their Word copies are not OCR'd now
    (the daemon's receipt does not wait for them; :mod:`intake.record.second_look` reads them after).

    Two batches when the message has PDF/image files named as 申报表 (and, with ``twins_later``, PDFs and images
    named without a clue beside Word files): the other files first, then those, once the first batch has said
    (by content, whatever their names) how many Word copies of 申报表 came (:func:`ocr_word_twins`,
    :func:`defer_twins`). Keeps no state of its own: several threads may read messages at once."""
    unpacked = unpack_message(raw, limits)
    jobs = [part_job(part, read_timeout, ocr) for part in unpacked.parts]
    scans = application_scans(jobs)
    has_words = any(j.result.format in WORD_FORMATS for j in jobs)
    clueless = unnamed_scans(jobs) if twins_later and has_words else []
    second = scans + clueless
    first = [j for j in jobs if all(j is not s for s in second)]
    convert_legacy(jobs, read_timeout)
    started = time.monotonic()
    read = dict(zip(map(id, first), pool.read_each(first), strict=True))
    later = False
    if second:
        words = word_copies([d for docs in read.values() for d in docs])
        ocr_word_twins(scans, words, ocr)
        if twins_later:
            later = defer_twins(scans, clueless, words, ocr)
        read.update(zip(map(id, second), pool.read_each(second, spent=time.monotonic() - started), strict=True))
        if clueless:
            later = _reread_excess_probes(pool, clueless, read, words - len(scans), ocr, started) or later
    documents: list[DocumentResult] = []
    parts: list[Part] = []
    for part, job in zip(unpacked.parts, jobs, strict=True):
        for doc in read[id(job)]:
            if on_part is not None:
                on_part(part)
            documents.append(doc)
            parts.append(part)
    forms.pair_documents(documents)
    return ReadMessage(unpacked, documents, parts, ocr_later=later)


#: the problem detail of a twin scan left for the second look (shown to staff until it has been read)
LATER = "OCR'd after the receipt (the 申报表's Word copy came with it; names compared by the second look)"


def word_copies(read: list[DocumentResult]) -> int:
    """How many Word copies of 申报表 came (classified by their content, whatever their names)."""
    return sum(1 for d in read if d.format in WORD_FORMATS and d.form == "application")


def ocr_word_twins(scans: list[Job], words: int, ocr: OcrOptions | None) -> bool:
    """The sealed PDF copies of 申报表 (``scans``: :func:`application_scans`) whose Word copies came too
    (``words`` of them, :func:`word_copies`) are OCR'd on their first page only: the notice's normal
    pair, whose fields are read from the Word copy (the field rules check that copy), so OCR of every
    page would cost seconds a page for little; but certificates are printed from 企业名称/小组名称/课题名称,
    so those (on the first page) are read from the scan too and compared with the Word copy
    (``cross.application.copies_mismatch``; a difference found only through OCR is a warning). Only
    when there are no more such scans than Word copies; otherwise every scan is read whole (one of them
    is a 申报表's only copy). True when some were set so."""
    from parsers.readers.ocr_options import OcrOptions

    if not scans or len(scans) > words:
        return False
    base = ocr or OcrOptions()
    for j in scans:
        if base.twin_pages > 0:
            j.ocr = twin_ocr(base)
        else:
            j.ocr = OcrOptions(0, base.seconds_per_page, "not OCR'd: the 申报表's Word copy came with it "
                               "([limits] ocr_twin_pages = 0)")
    return True


def defer_twins(scans: list[Job], clueless: list[Job], words: int, ocr: OcrOptions | None) -> bool:
    """The daemon's receipt does not wait for the OCR of twin scans (:func:`ocr_word_twins`): they are read
    after it, in the second look (:mod:`intake.record.second_look`). Scans (PDF or image) named without a
    clue (``扫描件002.pdf``, ``IMG_2031.jpg``), while Word copies are left over, get a title probe: the top
    of their first page is OCR'd down to the title (~0.36 s; :func:`parsers.readers.ocr.read_title`) and,
    when it says 申报表, the rest waits for the second look too; any other title, or none read, and the scan
    is OCR'd whole now, as before. True when something was deferred."""
    from parsers.forms.classify import title_words
    from parsers.readers.ocr_options import OcrOptions

    base = ocr or OcrOptions()
    if base.twin_pages <= 0 or base.max_pages <= 0:
        return False
    deferred = bool(scans) and len(scans) <= words
    for j in scans if deferred else []:
        j.ocr = OcrOptions(0, base.seconds_per_page, LATER)
    spare = words - (len(scans) if deferred else 0)
    for j in clueless if spare > 0 and (deferred or not scans) else []:
        j.ocr = OcrOptions(base.max_pages, base.seconds_per_page, LATER, title_probe=title_words("application"),
                           probe_form="application")
    return deferred


def _reread_excess_probes(pool: ReadingPool, clueless: list[Job], read: dict[int, list[DocumentResult]],
                          spare: int, ocr: OcrOptions | None, started: float) -> bool:
    """More scans said 申报表 by their titles than Word copies were left over: one of them is a 申报表's only
    copy, so they are all OCR'd whole now (rare: a unit sending a sealed copy twice). True when the
    probed ones that stay deferred are some."""
    probed = [j for j in clueless if any(_left_for_later(d) for d in read[id(j)])]
    if not probed:
        return False
    if len(probed) <= spare:
        return True
    from parsers.readers.ocr_options import OcrOptions

    for j in probed:
        j.ocr = ocr or OcrOptions()
    read.update(zip(map(id, probed), pool.read_each(probed, spent=time.monotonic() - started), strict=True))
    return False


def _left_for_later(doc: DocumentResult) -> bool:
    return any(LATER in (p.detail or "") for p in doc.problems)


def twin_ocr(base: OcrOptions) -> OcrOptions:
    """The OCR of a twin scan: ``base``'s limits, its first ``twin_pages`` pages only."""
    from parsers.readers.ocr_options import OcrOptions

    return OcrOptions(base.max_pages, base.seconds_per_page, base.reason, first_pages=base.twin_pages)


def application_scans(jobs: list[Job]) -> list[Job]:
    """The PDF/image files named as 申报表 (a sealed copy, or the only one): read after the others, when
    it is known whether their Word copies came (:func:`ocr_word_twins`)."""
    from parsers.forms.classify import name_scores

    def by_name(job: Job) -> str | None:
        scores = name_scores(job.result.filename) if job.named else {}
        return max(scores, key=lambda f: scores[f]) if scores else None

    return [j for j in jobs if j.read and j.result.format in ("pdf", "image") and by_name(j) == "application"]


def unnamed_scans(jobs: list[Job]) -> list[Job]:
    """The PDF and image files whose names say no form (``扫描件002.pdf``, a scanner's ``DOC0001.pdf``, a
    phone's ``IMG_2031.jpg``): if they are scans, only their content says what they are
    (:func:`defer_twins` gives them a title probe)."""
    from parsers.forms.classify import name_scores

    return [j for j in jobs if j.read and j.result.format in ("pdf", "image")
            and not (j.named and name_scores(j.result.filename))]


def convert_legacy(jobs: list[Job], timeout: float) -> None:
    """Convert every file LibreOffice must see first with ONE soffice run per target format, before the workers.

    Why here: LibreOffice's start-up dominates (one file ~0.9 s, ten files ~1.3 s), so converting a
    message's .doc/.wps/.et files one by one inside the workers was most of a legacy message's time.
    Which files (:func:`parsers.readers.conversion_target`): legacy and WPS files (OLE, or Office XML
    under a legacy name), RTF, .odt/.ods, and .xlsx whose formulas have no cached values (LibreOffice
    computes them). A file LibreOffice cannot convert keeps its own bytes: its worker tries once more
    on its own and reports what went wrong (unreadable, timeout, converter missing).
    """
    from parsers.readers import conversion_target, office

    groups: dict[str, list[Job]] = {}
    for job in jobs:
        target = conversion_target(job.data, job.result.format) if job.read and job.read_as is None else None
        if target:
            groups.setdefault(target, []).append(job)
    for target, group in groups.items():
        try:
            converted = office.convert_many([(j.data, j.result.format) for j in group], target, timeout, warm=True)
        except (office.ConverterMissing, office.ConversionTimeout, OSError):
            continue  # each worker converts (and reports) on its own
        for job, data in zip(group, converted, strict=True):
            if data:
                job.data, job.read_as = data, target


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
    ocr: OcrOptions | None = None,
) -> CheckResult:
    """The whole pipeline on one message, without side effects (``intake check``).

    Without a ``pool`` one is started for this message and stopped after it.
    """
    if pool is None:
        with ReadingPool(WorkerLimits(read_timeout=read_timeout)) as own:
            return check_message(raw, campaign, received_at, limits, read_timeout, own, ocr)
    rm = read_message(raw, pool, limits, read_timeout, ocr=ocr)
    when = receipt_time(rm.unpacked, received_at)
    info = message_info(rm.unpacked, when, campaign)
    return judge(campaign, info, rm.documents, when, rm.unpacked.problems)
