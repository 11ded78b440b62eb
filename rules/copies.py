"""Which copy a document is: the Word copy (editable, read for fields) or the PDF copy (sealed).

:func:`copy_of` says which copy a file was *meant* to be (its format, or what the extractor saw);
:func:`received_as` says whether it *counts* as that copy on the checklist. A file the reader could
not open at all (corrupt, encrypted, empty) is the first but not the second: its own finding names
it ("附件“…”无法打开或已损坏"), and it must not hide which group still lacks a usable copy.
"""

from __future__ import annotations

from parsers.formats import PDF_FORMATS, WORD_FORMATS
from parsers.result import DocumentResult

__all__ = ["PDF_FORMATS", "WORD_FORMATS", "copy_of", "is_broken", "received_as"]

#: The file's own problems that leave nothing of it: the reader could not open it at all.
BROKEN = ("document.unreadable", "document.encrypted", "document.empty")


def copy_of(doc: DocumentResult) -> str | None:
    """``fields["copy"]`` when the extractor set it, else by format; None for e.g. a spreadsheet."""
    copy = doc.fields.get("copy") if isinstance(doc.fields, dict) else None
    if copy in ("word", "pdf"):
        return copy
    if doc.format in WORD_FORMATS:
        return "word"
    if doc.format in PDF_FORMATS:
        return "pdf"
    return None


def is_broken(doc: DocumentResult) -> bool:
    """The reader could not open the file (corrupt, encrypted, empty): nothing of it was read."""
    return any(p.rule in BROKEN for p in doc.problems)


def received_as(doc: DocumentResult, copy: str | None) -> bool:
    """``doc`` counts as ``copy`` (None: any copy) of its form: it is that copy and not broken."""
    return not is_broken(doc) and (copy is None or copy_of(doc) == copy)
