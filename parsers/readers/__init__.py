"""Readers: each file format becomes one :class:`parsers.model.Document`.

Interface::

    read(data: bytes, fmt: str, filename: str, timeout: float = 60.0, ocr: OcrOptions | None = None) -> Document

``fmt`` is the sniffed contract format (docx doc xlsx xls pdf wps et txt image rtf odt ods html csv other).
HTML and MHTML (``html``) and CSV are read directly; RTF and OpenDocument go through LibreOffice like
the legacy formats; Strict Open XML packages are renamed to transitional ones (:mod:`.strict`), and a
workbook whose formulas have no cached values is recalculated by LibreOffice before it is read.
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
import importlib
from types import ModuleType
from typing import Any, Protocol

from parsers.model import Document, Problem
from parsers.readers import csvfile, html, office, ole, strict, text
from parsers.readers.formulas import uncached_formulas
from parsers.readers.limits import cap_document, package_problem
from parsers.readers.ocr_options import OcrOptions

#: readers whose libraries are heavy (python-docx, openpyxl, xlrd, pdfplumber and pdfium, numpy and PIL):
#: imported at their first use, so that a process which only sniffs and converts — the daemon's main
#: process — does not carry them (~23 MB). The workers' fork server imports them all ahead
#: (:mod:`parsers.readers.preload`), so a worker never pays for the import.
_HEAVY = ("docx", "ocr", "pdf", "xls", "xlsx")


def __getattr__(name: str) -> ModuleType:
    """``parsers.readers.pdf`` and the other heavy readers as attributes, imported when first asked for."""
    if name in _HEAVY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Reader(Protocol):
    """One format's reader: bytes → the neutral document (bad input gives a Problem, not an exception)."""

    def __call__(self, data: bytes, filename: str, timeout: float, /) -> Document: ...


def _on_first_use(module: str) -> Reader:
    """``module``'s ``read``, its module imported at the first call (:data:`_HEAVY`)."""

    def read_with(data: bytes, filename: str, timeout: float, /) -> Document:
        reader: Any = importlib.import_module(f"{__name__}.{module}")
        return reader.read(data, filename, timeout)

    read_with.__qualname__ = read_with.__name__ = f"{module}.read"
    return read_with


READERS: dict[str, Reader] = {
    "docx": _on_first_use("docx"),
    "xlsx": _on_first_use("xlsx"),
    "xls": _on_first_use("xls"),
    "pdf": _on_first_use("pdf"),
    "doc": functools.partial(office.read, source="doc"),
    "wps": functools.partial(office.read, source="wps"),
    "et": functools.partial(office.read, source="et"),
    "txt": text.read,
    "rtf": functools.partial(office.read, source="rtf"),
    "odt": functools.partial(office.read, source="odt"),
    "ods": functools.partial(office.read, source="ods"),
    "html": html.read,
    "csv": csvfile.read,
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


def conversion_target(data: bytes, fmt: str) -> str | None:
    """What LibreOffice should turn this file into before it is read (docx/xlsx), or None.

    Legacy and WPS files (OLE, RTF or HTML/XML under a legacy name), RTF, OpenDocument, and an
    .xlsx whose formulas have no cached values (LibreOffice computes them on load). The pipeline
    converts a message's files with one soffice run per target (``intake.pipeline.convert_legacy``).
    """
    if fmt == "et" and _biff_workbook(data):
        return None  # xlrd reads it (:func:`_et`); LibreOffice only if xlrd cannot
    if fmt in ("doc", "wps", "et"):
        return office.TARGET[fmt] if looks_convertible(data) and not _direct_format(data) else None
    if fmt == "rtf":
        return "docx" if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf") else None
    if fmt in ("odt", "ods"):
        return office.TARGET[fmt] if ole.is_zip(data) else None
    if fmt == "xlsx" and ole.is_zip(data) and package_problem(data, "xlsx") is None \
            and uncached_formulas(strict.to_transitional(data) if strict.is_strict(data) else data):
        return "xlsx"
    return None


def _direct_format(data: bytes) -> str | None:
    """``html`` or ``rtf`` for bytes that are one whatever their name says (read here, not as a .doc)."""
    if html.is_mhtml(data) or html.is_html(data):
        return "html"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return "rtf"
    return None


def _biff_workbook(data: bytes) -> bool:
    """An OLE file with an Excel workbook stream: what WPS Spreadsheets saves as .et (its own streams
    beside a BIFF8 ``Workbook``), readable by xlrd like any .xls."""
    info = ole.inspect(data)
    return info is not None and info.kind == "excel"


def _choose(data: bytes, fmt: str) -> tuple[str, Document | None]:
    """Fix the format from the bytes where the name lies (a .doc that is a docx, ...)."""
    if fmt in (_WORD_LIKE | _SHEET_LIKE) and (direct := _direct_format(data)) is not None:
        return direct, None  # a caller that went by the name: HTML and RTF have readers of their own
    if ole.is_encrypted_ooxml(data):
        return fmt, _failed("document.encrypted", f"{fmt}: password-protected Office file (EncryptedPackage)")
    if ole.is_zip(data) and fmt in _WORD_LIKE:
        return "docx", None
    if ole.is_zip(data) and fmt in _SHEET_LIKE:
        return "xlsx", None
    if fmt in (_WORD_LIKE | {"et"}) and not looks_convertible(data):
        return fmt, _failed("document.unreadable", f"{fmt}: not an OLE, RTF or HTML file")
    if fmt == "rtf" and _direct_format(data) != "rtf":
        return fmt, _failed("document.unreadable", "rtf: no {\\rtf header")
    if fmt == "html" and _direct_format(data) != "html":
        return fmt, _failed("document.unreadable", "html: no HTML or MHTML in the file")
    if fmt == "csv" and b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return fmt, _failed("document.unreadable", "csv: binary data, not text")
    if fmt in ("odt", "ods") and not ole.is_zip(data):
        return fmt, _failed("document.unreadable", f"{fmt}: not an OpenDocument package")
    return fmt, None


def _xls(data: bytes, filename: str, timeout: float) -> Document:
    """xlrd first (fast); 'xls' files that are really HTML/XML/RTF exports (common from web systems)
    go to LibreOffice. A damaged real .xls (OLE) stays unreadable: LO would 'recover' an empty sheet."""
    return _xlrd_then_office(data, filename, timeout, "xls", office_for_ole=False)


def _xlrd_then_office(data: bytes, filename: str, timeout: float, source: str, office_for_ole: bool) -> Document:
    """xlrd's reading; when it finds the file unreadable, LibreOffice's, if that one can read it. For an OLE
    file only with ``office_for_ole`` (a WPS .et: LibreOffice's WPS filter knows more of the format)."""
    from parsers.readers import xls

    doc = xls.read(data, filename, timeout)
    unreadable = any(p.rule == "document.unreadable" for p in doc.problems)
    if unreadable and (office_for_ole or (not ole.is_ole(data) and looks_convertible(data))) \
            and office.soffice() is not None:
        converted = office.read(data, filename, timeout, source=source)
        if not any(p.rule == "document.unreadable" for p in converted.problems):
            return converted
    return doc


def read(data: bytes, fmt: str, filename: str, timeout: float = 60.0, ocr: OcrOptions | None = None,
         seals: bool = True) -> Document:
    """Read one file into the neutral model; bad input gives a Problem (our own bugs raise). ``seals=False``:
    a PDF's seal check is left to the caller (:func:`pdf.seal_meta`, for the files that may be a 申报表)."""
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
    elif fmt == "et" and _biff_workbook(data):
        reader = _et
    elif fmt == "pdf":
        from parsers.readers import pdf

        reader = functools.partial(pdf.read, ocr=options, seals=seals)
    else:
        reader = READERS.get(fmt)
    if reader is None:
        return _failed("document.unsupported", f"no reader for format {fmt!r}")
    if fmt in ("docx", "xlsx") and (too_large := package_problem(data, fmt)) is not None:
        return Document(problems=[too_large], text_trusted=False)
    was_strict = fmt in ("docx", "xlsx") and strict.is_strict(data)
    if was_strict:
        data = strict.to_transitional(data)
    if fmt == "xlsx" and uncached_formulas(data):
        doc = _recalculated(data, filename, timeout)
    else:
        doc = reader(data, filename, timeout)
    if was_strict:
        doc.meta["strict"] = True
    doc.meta.setdefault("format", fmt)
    return _read_by(cap_document(doc))


def _et(data: bytes, filename: str, timeout: float) -> Document:
    """A WPS .et with a BIFF8 workbook: read by xlrd as an .xls (milliseconds, where a LibreOffice
    conversion and the .xlsx reader cost ~80 ms warm and ~1 s cold). Only a workbook xlrd cannot
    read goes to LibreOffice; if that fails too, the xlrd problem is the one reported."""
    doc = _xlrd_then_office(data, filename, timeout, "et", office_for_ole=True)
    if "converted_from" not in doc.meta:
        doc.meta["read_as"] = "xls"
    return doc


def _recalculated(data: bytes, filename: str, timeout: float) -> Document:
    """An .xlsx with formulas but no cached values, read after LibreOffice computed them. Without
    LibreOffice those cells would be empty (never their formula text): the workbook goes to staff
    (``converter.missing``) rather than a "field missing" finding against the unit."""
    from parsers.readers import xlsx

    doc = office.read(data, filename, timeout, source="xlsx")
    if doc.problems and any(p.rule in ("converter.missing", "document.timeout", "document.unreadable")
                            for p in doc.problems):
        own = xlsx.read(data, filename, timeout)
        why = next(p for p in doc.problems if p.rule in ("converter.missing", "document.timeout", "document.unreadable"))
        rule = "document.timeout" if why.rule == "document.timeout" else "converter.missing"
        own.problems.append(Problem(rule, f"xlsx: formulas without cached values not recalculated: {why.detail}"))
        own.text_trusted = False
        return own
    doc.meta["recalculated"] = True
    doc.meta.pop("converted_from", None)
    return doc


def _image(data: bytes, filename: str, timeout: float, options: OcrOptions) -> Document:
    """JPEG/PNG/TIFF/BMP/GIF/WebP attachments: OCR'd; ``document.image`` (manual review) when OCR is off,
    over its limits, or reads nothing useful."""
    from parsers.readers import ocr

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
