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
    #: "unit" (the default: the receipt tells the sender) or "staff" (our own trouble, e.g.
    #: document.internal_error: the receipt only says staff will look at the file)
    audience: str = "unit"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "form": self.form,
            "document": self.document,
            "field": self.field,
            "message": self.message,
        }
        if self.audience != "unit":  # an added key (the contract allows additions)
            out["audience"] = self.audience
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Finding:
        return cls(d["rule"], d["severity"], d["message"], d.get("form"), d.get("document"), d.get("field"),
                   d.get("audience", "unit"))


def status_of(findings: list[Finding], late: bool) -> str:
    """Contract status: late beats everything; any error makes it incomplete."""
    if late:
        return "late"
    if any(f.severity == "error" for f in findings):
        return "incomplete"
    return "complete"
