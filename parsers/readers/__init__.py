"""Readers: each file format becomes one :class:`parsers.model.Document`.

Interface::

    read(data: bytes, fmt: str, filename: str, timeout: float = 60.0) -> Document

``fmt`` is the sniffed contract format (docx doc xlsx xls pdf wps et txt image other).
Never raises for bad input: a corrupt, encrypted, truncated or unsupported file gives a
Document with a Problem (document.unreadable / document.encrypted / document.scanned /
document.unsupported / document.timeout / converter.missing).
"""

from __future__ import annotations

from parsers.model import Document, Problem


def read(data: bytes, fmt: str, filename: str, timeout: float = 60.0) -> Document:
    """STUB — replaced by the readers work."""
    return Document(problems=[Problem("document.unsupported", fmt)])
