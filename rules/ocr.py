"""Values read by OCR are never the basis of an ``error`` on their own.

A scan or a photo read by OCR (``DocumentResult.read_by == "ocr"``) gives values that are usually
right but may be wrong by a character; a receipt must not refuse a submission over a misread digit.
So, in one place (:func:`rules.engine.evaluate`):

- a field rule's error on an OCR'd document becomes a warning, its message ending
  :data:`NOTE` (扫描件识别，请人工核对);
- the findings about the submission as a whole (missing forms, cross-document checks) are made twice:
  with the OCR'd values, and as before OCR, with those documents' values unread (a scan then gave no
  values). An error of the first kind that the second does not make too rests on OCR and becomes a
  warning with the note; an error the unread reading makes as well (no 申报表 at all arrived, …) stays
  an error. So a scanned, sealed 推荐表 without its Word copy still names the groups for the checks,
  and a mismatch only OCR saw asks staff to look instead of failing the submission.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable

from parsers.result import DocumentResult
from rules.findings import Finding
from rules.schema import META_FIELDS

NOTE = "（扫描件识别，请人工核对）"


def ocr_read(doc: DocumentResult) -> bool:
    return doc.read_by == "ocr"


def downgraded(f: Finding) -> Finding:
    """An error → a warning asking for a manual check (a warning stays as it is)."""
    if f.severity == "error":
        f.severity = "warning"
        if not f.message.endswith(NOTE):
            f.message += NOTE
    return f


def unread(documents: list[DocumentResult]) -> list[DocumentResult]:
    """The documents as they were before OCR: an OCR'd one has no values (its form, copy, seal guess and
    pairing kept); a PDF copy paired with its Word twin takes the twin's names, as pairing gave a scan."""
    words = {d.filename: d for d in documents if not ocr_read(d)}
    out = []
    for d in documents:
        if not ocr_read(d):
            out.append(d)
            continue
        fields = d.fields if isinstance(d.fields, dict) else {}
        blank = dict.fromkeys(fields) | {k: v for k, v in fields.items() if k in META_FIELDS}
        twin = words.get(fields.get("paired_with") or "")
        if twin is not None and isinstance(twin.fields, dict):
            blank |= {k: twin.fields.get(k) for k in ("company", "group_name")}
        out.append(dataclasses.replace(d, fields=blank, text_trusted=False, read_by=None, confidence=None))
    return out


def collective(findings: Callable[[list[DocumentResult]], list[Finding]],
               documents: list[DocumentResult]) -> list[Finding]:
    """``findings(documents)`` (presence and cross checks), its errors that rest on OCR alone downgraded."""
    found = findings(documents)
    if not any(ocr_read(d) for d in documents):
        return found
    base = findings(unread(documents))
    left: dict[tuple, int] = defaultdict(int)
    same: set[tuple] = set()
    for f in base:
        if f.severity == "error":
            left[_key(f)] += 1
            same.add((_key(f), f.message))
    # errors the unread reading makes with the very same message first, then others of the same rule
    # and place up to the number it makes; the rest rest on OCR
    kept: set[int] = set()
    for i, f in enumerate(found):
        if f.severity == "error" and (_key(f), f.message) in same and left[_key(f)] > 0:
            kept.add(i)
            left[_key(f)] -= 1
    for i, f in enumerate(found):
        if f.severity != "error" or i in kept:
            continue
        if left[_key(f)] > 0:
            left[_key(f)] -= 1
        else:
            downgraded(f)
    return found


def _key(f: Finding) -> tuple:
    return (f.rule, f.form, f.document, f.field)
