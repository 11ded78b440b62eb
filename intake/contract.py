"""The JSON shape of one whole message, as ``intake check --json`` prints it (contract/check-json.md).

The parts it is made of live with their producers: a document's result next to the readers
(:class:`parsers.result.DocumentResult`), findings next to the rules
(:class:`rules.findings.Finding`). One result object per message: the ledger stores exactly what :meth:`CheckResult.to_json`
returns, so staff tooling, tests and outside checks all read one shape. Extra keys may be
added (the contract allows it); the required ones must never change meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parsers.result import DocumentResult
from rules.findings import Finding

FORMS = ("application", "report", "evidence", "summary", "statistics", "recommendation", "review", "unknown")
FORMATS = ("docx", "doc", "xlsx", "xls", "pdf", "wps", "et", "zip", "rar", "7z", "eml", "txt", "image", "rtf", "odt",
           "ods", "html", "csv", "msg", "tnef", "other")  # in the contract's order
CONTAINER_FORMATS = ("zip", "rar", "7z", "eml", "msg", "tnef")


@dataclass
class MessageInfo:
    message_id: str | None
    from_addr: str | None
    subject: str | None
    received_at: str | None  # ISO 8601 with offset, in the campaign time zone

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "from": self.from_addr,
            "subject": self.subject,
            "received_at": self.received_at,
        }


@dataclass
class CheckResult:
    message: MessageInfo
    documents: list[DocumentResult]
    findings: list[Finding]
    status: str
    extra: dict[str, Any] = field(default_factory=dict)  # added keys, e.g. "recommender", "defects"

    def to_json(self) -> dict[str, Any]:
        out = {
            "message": self.message.to_json(),
            "documents": [d.to_json() for d in self.documents],
            "findings": [f.to_json() for f in self.findings],
            "status": self.status,
        }
        out.update(self.extra)
        return out
