"""What reading one file gives: its form, the fields read from it and the problems met.

The reader (:mod:`parsers.readers`) and the form extractors (:mod:`parsers.forms`) produce it
(see :func:`parsers.read_file.read_file`); the rules check a list of them; the daemon stores
it. It serialises to one entry of the contract's ``documents`` list
(../shared/contract/check-json.md), ``part`` included; the extra keys (``sha256``, ``size``, ``text_trusted``,
``problems``, ``read_by``, ``confidence``) are additions the contract allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parsers.model import Problem


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
    #: how the fields were read: "text" (the file's own text), "ocr" (from an image: a scan, a photo),
    #: None (nothing was read); the rules never base an error on OCR'd values alone
    read_by: str | None = None
    #: how sure the reader is of the fields as a whole (0–1; OCR's mean confidence), None when not known
    confidence: float | None = None
    #: where in the file this form is, when the file holds several (the sheet name, 第2页, 第3–4页,
    #: 第2部分): the file is then listed once per form (contract "One file, several forms"); None: one form
    part: str | None = None
    #: tracebacks of our own errors while reading it (document.internal_error): logged by the
    #: caller, never serialised, so a worker process can hand them back with the result
    traces: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "container": self.container,
            "format": self.format,
            "form": self.form,
            "fields": self.fields,
            "part": self.part,
            # additions to the contract (allowed: extend only by adding keys)
            "sha256": self.sha256,
            "size": self.size,
            "text_trusted": self.text_trusted,
            "problems": [{"rule": p.rule, "detail": p.detail, "field": p.field} for p in self.problems],
            "read_by": self.read_by,
            "confidence": self.confidence,
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
            read_by=d.get("read_by"),
            confidence=d.get("confidence"),
            part=d.get("part"),
        )

    @property
    def display_name(self) -> str:
        """The file's name as people are shown it: with the part when the file holds several forms."""
        return f"{self.filename}（{self.part}）" if self.part else self.filename

