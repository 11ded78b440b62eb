"""One file → a :class:`DocumentResult` per form it holds: read it, classify it, extract each form's fields.

This is the unit of work a reading worker does (``intake/workers.py`` runs it in a killable
process). Two kinds of failure are kept apart, because they mean opposite things to the
sender:

- the *file* is bad (corrupt, encrypted, empty, too big): the reader says so with a Problem
  such as ``document.unreadable``, and the receipt asks the unit to check the file;
- *our code* raised: that is our bug, never the sender's. It becomes
  ``document.internal_error`` (a staff-only warning, "已转人工核对"), the traceback is kept in
  :attr:`DocumentResult.traces` for the caller to log, and the document is treated like one
  whose text cannot be trusted, so no rule blames the unit for fields we failed to read.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from parsers import forms, readers
from parsers.model import Document, Problem
from parsers.readers.ocr_options import OcrOptions
from parsers.result import DocumentResult

log = logging.getLogger(__name__)

T = TypeVar("T")

INTERNAL_ERROR = "document.internal_error"
#: Formats that are opened by the unpack stage, not read here: their members come as their own files.
CONTAINERS = frozenset({"zip", "rar", "7z", "eml", "msg", "tnef"})


def read_file(data: bytes, filename: str, fmt: str, **options: Any) -> DocumentResult:
    """The file's first form: :func:`read_forms` (which the workers call, for every form of it) with the
    same keyword options."""
    return read_forms(data, filename, fmt, **options)[0]


def read_forms(
    data: bytes,
    filename: str,
    fmt: str,
    *,
    timeout: float = 60.0,
    read: bool = True,
    result: DocumentResult | None = None,
    named: bool = True,
    read_as: str | None = None,
    ocr: OcrOptions | None = None,
) -> list[DocumentResult]:
    """Read, classify and extract one file; every failure is a Problem on the result, never raised.

    One result per form the file holds (:mod:`parsers.forms.split`): nearly always one, with
    ``part`` None; a workbook of three forms, or a .docx with three groups' 申报表, gives one per form,
    each with its ``part``, the file's name, format, size and hash, and the file's own problems on the
    first only.

    ``read=False`` (a part the unpack stage already refused) skips the reader but still
    classifies by name, so the receipt can say *which* form's file was bad. ``timeout`` is
    handed to LibreOffice (the one external process); the caller bounds the whole call.

    ``named=False``: ``filename`` is one the unpack stage made up (``未命名附件4``, which reads
    like the notice's 附件4); it is kept for display, but the file is classified by its content
    alone (else ``unknown``). The sender's own names are the only ones that count.

    ``read_as``: ``data`` was already converted by LibreOffice (a legacy .doc/.wps/.et converted with
    the other legacy files of its message in one run) and is read as that format; ``fmt`` stays the
    file's own format for the contract and the rules.

    ``ocr``: the OCR limits for scans and images (``[limits]`` ocr_max_pages, ocr_seconds_per_page).
    """
    res = result if result is not None else DocumentResult(filename=filename, container=None, format=fmt)
    if fmt in CONTAINERS:
        return [res]  # listed; its members follow as their own parts
    doc: Document | None = None
    if read:
        doc = _guarded(res, "read", lambda: readers.read(data, read_as or fmt, filename, timeout=timeout, ocr=ocr,
                                                         seals=False))
        if doc is not None and read_as is not None:
            doc.meta["converted_from"] = fmt
        if doc is not None and (read_as or fmt) == "pdf":
            _seals_if_application(doc, data, filename if named else "")
        if doc is not None:
            res.problems.extend(doc.problems)
            res.text_trusted = doc.text_trusted
            res.read_by = doc.meta.get("read_by") if doc.text_trusted else None
            res.confidence = doc.meta.get("confidence") if res.read_by == "ocr" else None
        elif res.traces:
            res.text_trusted = False
    pieces = _guarded(res, "split", lambda: forms.split(doc, fmt)) if doc is not None else None
    if pieces is None or len(pieces) < 2:
        _classify_extract(res, doc, filename if named else "", fmt)  # a name we invented says nothing
        return [res]
    out: list[DocumentResult] = []
    for i, piece in enumerate(pieces):
        part = dataclasses.replace(res, fields={}, problems=list(res.problems) if i == 0 else [],
                                   traces=res.traces if i == 0 else [], part=piece.part)
        _extract(part, piece.form, piece.doc, fmt)  # classified by its content alone: the name is the file's
        out.append(part)
    return out


def _seals_if_application(doc: Document, data: bytes, given: str) -> None:
    """A PDF's seal check (every page rendered) only when the file may be — or hold — a 申报表, the one form
    whose rules look at the seal: ~40 % of a backlog's PDFs (证实性材料, 统计表, 总结) need none."""
    try:
        needed = forms.may_be("application", doc, given, "pdf")
    except Exception:  # noqa: BLE001 - classify reports its own failure just after; check, to be safe
        needed = True
    if needed:
        doc.meta.update(readers.pdf.seal_meta(data))


def _classify_extract(res: DocumentResult, doc: Document | None, given: str, fmt: str) -> None:
    """The form of a file that is one form: its content first, the sender's file name second."""
    form = _guarded(res, "classify", lambda: forms.classify(doc, given, fmt))
    if form is None:  # our classifier failed: the sender's own file name is the next best witness
        form = _guarded(res, "classify by name", lambda: forms.classify(None, given, fmt)) or "unknown"
    _extract(res, form, doc, fmt)


def _extract(res: DocumentResult, form: str, doc: Document | None, fmt: str) -> None:
    res.form = form
    if doc is not None and form != "unknown":
        fields = _guarded(res, "extract", lambda: forms.extract(form, doc, fmt))
        if fields is not None:
            res.fields = fields
        else:
            res.text_trusted = False  # nothing read: no "field missing" errors for our failure
            res.read_by = res.confidence = None


def _guarded(res: DocumentResult, stage: str, fn: Callable[[], T]) -> T | None:
    """``fn()``; MemoryError → document.too_large, any other exception → document.internal_error."""
    try:
        return fn()
    except MemoryError:
        res.problems.append(Problem("document.too_large", f"{stage}: out of memory (worker memory limit)"))
        return None
    except Exception as e:  # noqa: BLE001 - our bug, reported to staff, never to the sender
        log.exception("internal error in %s of %r", stage, res.filename)
        res.problems.append(Problem(INTERNAL_ERROR, f"{stage}: {type(e).__name__}: {e}"[:300]))
        res.traces.append(f"{stage} of {res.filename!r}:\n{traceback.format_exc()[-6000:]}")
        return None
