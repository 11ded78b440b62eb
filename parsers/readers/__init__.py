"""Readers: each file format becomes one :class:`parsers.model.Document`.

Interface::

    read(data: bytes, fmt: str, filename: str, timeout: float = 60.0, ocr: OcrOptions | None = None) -> Document

``fmt`` is the sniffed contract format (docx doc xlsx xls pdf wps et txt image other).
Images, and PDFs without a text layer, are OCR'd (:mod:`parsers.readers.ocr`) within ``ocr``'s
limits (default :class:`OcrOptions`; ``max_pages = 0`` switches OCR off); the Document then says
``meta["read_by"] = "ocr"`` and ``meta["confidence"]``. Any other document read from its own text
says ``meta["read_by"] = "text"``.
Never raises for bad input: a corrupt, encrypted, truncated or unsupported file gives a
Document with a Problem (document.unreadable / document.encrypted / document.scanned /
document.cid_text / document.image / document.unsupported / document.timeout /
converter.missing / document.too_large). One module per format, registered by name in
:data:`READERS`. What a reader returns is cut to the limits of :mod:`parsers.readers.limits`,
so the form extractors after it do bounded work.

A reader raising is a bug of ours, not a bad file: it propagates, and the caller
(:func:`parsers.read_file.read_file`) reports it to staff as ``document.internal_error``.

Time limit: the caller runs ``read`` in a worker process that is killed at its limit
(``intake/workers.py``); no thread is started here. LibreOffice, the one external process,
gets ``timeout`` as a subprocess timeout and is killed with its process group.
"""

from __future__ import annotations

import functools
from typing import Protocol

from parsers.model import Document, Problem
from parsers.readers import docx, ocr, office, ole, pdf, text, xls, xlsx
from parsers.readers.limits import cap_document, package_problem
from parsers.readers.ocr import OcrOptions


class Reader(Protocol):
    """One format's reader: bytes → the neutral document (bad input gives a Problem, not an exception)."""

    def __call__(self, data: bytes, filename: str, timeout: float, /) -> Document: ...


READERS: dict[str, Reader] = {
    "docx": docx.read,
    "xlsx": xlsx.read,
    "xls": xls.read,
    "pdf": pdf.read,
    "doc": functools.partial(office.read, source="doc"),
    "wps": functools.partial(office.read, source="wps"),
    "et": functools.partial(office.read, source="et"),
    "txt": text.read,
}

_WORD_LIKE = {"doc", "wps"}
_SHEET_LIKE = {"xls", "et"}


def _failed(rule: str, detail: str) -> Document:
    return Document(problems=[Problem(rule, detail)], text_trusted=False)


def looks_convertible(data: bytes) -> bool:
    """Legacy files LibreOffice should see: OLE (Word 97–2003, Word 6.0/95, Excel, WPS), Word 2.0
    (no OLE container), RTF, or HTML/XML saved with a .doc/.xls name."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return (ole.is_ole(data) or ole.is_bare_word(data) or head.startswith((b"{\\rtf", b"<"))
            or b"<html" in head)


def _choose(data: bytes, fmt: str) -> tuple[str, Document | None]:
    """Fix the format from the bytes where the name lies (a .doc that is a docx, ...)."""
    if ole.is_encrypted_ooxml(data):
        return fmt, _failed("document.encrypted", f"{fmt}: password-protected Office file (EncryptedPackage)")
    if ole.is_zip(data) and fmt in _WORD_LIKE:
        return "docx", None
    if ole.is_zip(data) and fmt in _SHEET_LIKE:
        return "xlsx", None
    if fmt in (_WORD_LIKE | {"et"}) and not looks_convertible(data):
        return fmt, _failed("document.unreadable", f"{fmt}: not an OLE, RTF or HTML file")
    return fmt, None


def _xls(data: bytes, filename: str, timeout: float) -> Document:
    """xlrd first (fast); 'xls' files that are really HTML/XML/RTF exports (common from web systems)
    go to LibreOffice. A damaged real .xls (OLE) stays unreadable: LO would 'recover' an empty sheet."""
    doc = xls.read(data, filename, timeout)
    unreadable = any(p.rule == "document.unreadable" for p in doc.problems)
    if unreadable and not ole.is_ole(data) and looks_convertible(data) and office.soffice() is not None:
        converted = office.read(data, filename, timeout, source="xls")
        if not any(p.rule == "document.unreadable" for p in converted.problems):
            return converted
    return doc


def read(data: bytes, fmt: str, filename: str, timeout: float = 60.0, ocr: OcrOptions | None = None) -> Document:
    """Read one file into the neutral model; bad input gives a Problem (our own bugs raise)."""
    options = ocr if ocr is not None else OcrOptions()
    if fmt == "image":
        return _read_by(cap_document(_image(data, filename, timeout, options)))
    if not data:
        return _failed("document.unreadable", f"{fmt}: empty file")
    fmt, early = _choose(data, fmt)
    if early is not None:
        return early
    if fmt == "xls":
        reader: Reader | None = _xls
    elif fmt == "pdf":
        reader = functools.partial(pdf.read, ocr=options)
    else:
        reader = READERS.get(fmt)
    if reader is None:
        return _failed("document.unsupported", f"no reader for format {fmt!r}")
    if fmt in ("docx", "xlsx") and (too_large := package_problem(data, fmt)) is not None:
        return Document(problems=[too_large], text_trusted=False)
    doc = reader(data, filename, timeout)
    doc.meta.setdefault("format", fmt)
    return _read_by(cap_document(doc))


def _image(data: bytes, filename: str, timeout: float, options: OcrOptions) -> Document:
    """JPEG/PNG/TIFF/BMP/GIF/WebP attachments: OCR'd; ``document.image`` (manual review) when OCR is off,
    over its limits, or reads nothing useful."""
    doc = ocr.read_image(data, filename, timeout, options)
    doc.meta.setdefault("format", "image")
    return doc


def _read_by(doc: Document) -> Document:
    """``meta["read_by"]``: "ocr" (set by the OCR), "text" for any other document whose text is used."""
    if doc.text_trusted:
        doc.meta.setdefault("read_by", "text")
    else:
        doc.meta.pop("read_by", None)
    return doc
