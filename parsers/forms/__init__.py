"""Form classification and extraction on the neutral document model.

Interface::

    classify(doc: Document | None, filename: str, fmt: str) -> str      # a contract form name
    split(doc: Document, fmt: str) -> list[Piece]                        # the forms one file holds
    extract(form: str, doc: Document, fmt: str) -> dict                  # contract field keys
    pair_documents(documents: list[DocumentResult]) -> None              # e.g. PDF 申报表 ↔ Word twin
    recommender_of(documents: list[DocumentResult]) -> str | None        # 推荐单位 of a submission

One small module per form, registered by name in :data:`EXTRACTORS`; values are found by their
labels (:mod:`parsers.forms.labels`) and normalised by :mod:`parsers.forms.normalize`.
"""

from __future__ import annotations

from typing import Any, Protocol

from parsers.forms import application, recommendation, report, review, statistics, summary
from parsers.forms.classify import classify, may_be
from parsers.forms.normalize import unwrap
from parsers.forms.pairing import pair_documents, recommender_of
from parsers.forms.split import Piece, split
from parsers.model import Document

__all__ = ["classify", "may_be", "extract", "pair_documents", "recommender_of", "split", "Piece", "EXTRACTORS"]

class Extractor(Protocol):
    """What a form module provides: the contract keys it fills and the function that reads them."""

    KEYS: tuple[str, ...]

    def extract(self, doc: Document) -> dict[str, Any]: ...


#: form name → its extractor module; report and evidence share one reader.
EXTRACTORS: dict[str, Extractor] = {
    "application": application,
    "summary": summary,
    "statistics": statistics,
    "recommendation": recommendation,
    "review": review,
    "report": report,
    "evidence": report,
}


def _empty(form: str) -> dict[str, Any]:
    return {k: None for k in EXTRACTORS[form].KEYS}


def _unwrapped(value: Any) -> Any:
    """PDF cell text carries the page's line wraps; values are single lines (see normalize.unwrap)."""
    if isinstance(value, str):
        return unwrap(value)
    if isinstance(value, list):
        return [_unwrapped(v) for v in value]
    if isinstance(value, dict):
        return {k: _unwrapped(v) for k, v in value.items()}
    return value


def extract(form: str, doc: Document, fmt: str) -> dict[str, Any]:
    """The contract fields of ``form`` read from ``doc``; all None when its text is not trusted.

    Application copies from a PDF also carry ``seal_detected`` (the reader's red-seal guess),
    which the rules use for the stamped copy.
    """
    module = EXTRACTORS.get(form)
    if module is None:
        return {}
    fields = module.extract(doc) if doc.text_trusted else _empty(form)
    if fmt == "pdf" or doc.meta.get("read_by") == "ocr":  # cell text with the page's line wraps
        fields = {k: _unwrapped(v) for k, v in fields.items()}
    if form == "application" and fmt in ("pdf", "image"):
        fields["seal_detected"] = doc.meta.get("seal_detected")
    return fields
