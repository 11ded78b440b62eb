"""The shapes of ``intake check --json`` (../shared/contract/check-json.md) as dataclasses.

One result object per message: the ledger stores exactly what :meth:`CheckResult.to_json`
returns, so staff tooling, tests and outside checks all read one shape. Extra keys may be
added (the contract allows it); the required ones must never change meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parsers.model import Problem

FORMS = ("application", "report", "evidence", "summary", "statistics", "recommendation", "review", "unknown")
FORMATS = ("docx", "doc", "xlsx", "xls", "pdf", "wps", "et", "zip", "rar", "7z", "eml", "txt", "image", "other")
CONTAINER_FORMATS = ("zip", "rar", "7z", "eml")


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
class DocumentResult:
    """One attachment (or archive member) after reading and extraction."""

    filename: str
    container: str | None
    format: str
    form: str = "unknown"
    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sha256: str | None = None
    size: int = 0
    text_trusted: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "container": self.container,
            "format": self.format,
            "form": self.form,
            "fields": self.fields,
            # additions to the contract (allowed: extend only by adding keys)
            "sha256": self.sha256,
            "size": self.size,
            "text_trusted": self.text_trusted,
            "problems": [{"rule": p.rule, "detail": p.detail, "field": p.field} for p in self.problems],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DocumentResult:
        """Rebuild from the stored JSON, so rules can re-check without re-reading files."""
        return cls(
            filename=d["filename"],
            container=d.get("container"),
            format=d.get("format", "other"),
            form=d.get("form", "unknown"),
            fields=dict(d.get("fields") or {}),
            problems=[Problem(p["rule"], p.get("detail", ""), p.get("field")) for p in d.get("problems", [])],
            sha256=d.get("sha256"),
            size=d.get("size", 0),
            text_trusted=d.get("text_trusted", True),
        )


@dataclass
class Finding:
    rule: str
    severity: str  # "error" | "warning"
    message: str
    form: str | None = None
    document: str | None = None
    field: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "form": self.form,
            "document": self.document,
            "field": self.field,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Finding:
        return cls(d["rule"], d["severity"], d["message"], d.get("form"), d.get("document"), d.get("field"))


def status_of(findings: list[Finding], late: bool) -> str:
    """Contract status: late beats everything; any error makes it incomplete."""
    if late:
        return "late"
    if any(f.severity == "error" for f in findings):
        return "incomplete"
    return "complete"


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
