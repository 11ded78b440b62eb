"""Which copy a document is: the Word copy (editable, read for fields) or the PDF copy (sealed)."""

from __future__ import annotations

from parsers.result import DocumentResult

WORD_FORMATS = ("docx", "doc", "wps")
PDF_FORMATS = ("pdf", "image")


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
