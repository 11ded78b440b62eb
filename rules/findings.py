"""Findings (what the rules report) and the status rule that follows from them.

A finding is one line of a receipt: a stable rule id, a severity (``error`` makes the
submission incomplete, ``warning`` only asks the unit to double-check) and the Chinese message
from the campaign's rule file. Its JSON is one entry of the contract's ``findings`` list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
