"""Form classification and extraction on the neutral document model.

Interface::

    classify(doc: Document | None, filename: str, fmt: str) -> str      # a contract form name
    extract(form: str, doc: Document, fmt: str) -> dict                  # contract field keys
    pair_documents(documents: list[DocumentResult]) -> None              # e.g. PDF 申报表 ↔ Word twin
    recommender_of(documents: list[DocumentResult]) -> str | None        # 推荐单位 of a submission
"""

from __future__ import annotations

from typing import Any

from parsers.model import Document


def classify(doc: Document | None, filename: str, fmt: str) -> str:
    """STUB — replaced by the forms work."""
    return "unknown"


def extract(form: str, doc: Document, fmt: str) -> dict[str, Any]:
    """STUB — replaced by the forms work."""
    return {}


def pair_documents(documents: list) -> None:
    """STUB."""


def recommender_of(documents: list) -> str | None:
    """STUB."""
    return None
