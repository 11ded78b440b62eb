"""The Word copy and the sealed PDF copy of one 申报表 say the same 企业名称, 小组名称 and 课题名称:
certificates are printed from them, so two copies that disagree cannot both be right (an error).

Twins are the pair :mod:`parsers.forms.pairing` made (``paired_with`` on both); without that mark,
a Word and a PDF copy that alone carry one group name. Only PDF copies whose text was read take
part (a scan without OCR has no names; pairing lent it the Word copy's). Values are compared on the
loose key (white space, full-width forms, quotes and punctuation ignored). When one side was read
by OCR, values at least ``ocr_similarity`` alike are a misread character, not a disagreement; a
clearer difference is still reported, and :mod:`rules.ocr` makes it a 人工核对 warning because only
the OCR'd values make it.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from parsers.result import DocumentResult
from rules.copies import copy_of, is_broken
from rules.findings import Finding
from rules.names import loose_key, quoted
from rules.ocr import ocr_read
from rules.paths import is_empty, quote
from rules.schema import FIELDS

FORM = "application"
FIELD = "company"
PLACEHOLDERS: tuple[str, ...] = ("label", "value", "other_value", "word", "pdf", "group")
PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"compare": (list, True),
                                                           "ocr_similarity": ((int, float), False)}


def validate(params: dict[str, Any]) -> str | None:
    keys = params["compare"]
    bad = [k for k in keys if not isinstance(k, str) or k not in FIELDS["application"]]
    if not keys or bad:
        return f"compare must list application field keys (unknown: {bad})"
    if not 0 <= params.get("ocr_similarity", 0.8) <= 1:
        return "ocr_similarity must be between 0 and 1"
    return None


def _readable(doc: DocumentResult) -> bool:
    return (doc.form == "application" and doc.text_trusted and isinstance(doc.fields, dict)
            and not is_broken(doc))


def twins(documents: list[DocumentResult]) -> list[tuple[DocumentResult, DocumentResult]]:
    """(Word copy, PDF copy) pairs of one application, both read."""
    apps = [d for d in documents if _readable(d)]
    words = [d for d in apps if copy_of(d) == "word"]
    pdfs = [d for d in apps if copy_of(d) == "pdf"]
    out: list[tuple[DocumentResult, DocumentResult]] = []
    used: set[int] = set()
    for w in words:
        mark = w.fields.get("paired_with")
        hits = [p for p in pdfs if mark and p.filename == mark and id(p) not in used
                and p.fields.get("paired_with") in (None, w.filename)]
        if len(hits) > 1:  # one file holding several forms: its parts share the name, the group tells them apart
            key = loose_key(w.fields.get("group_name"))
            hits = [p for p in hits if key and loose_key(p.fields.get("group_name")) == key]
        if len(hits) == 1:
            out.append((w, hits[0]))
            used.add(id(hits[0]))
    paired = {id(d) for pair in out for d in pair}
    free_words = [w for w in words if id(w) not in paired and not w.fields.get("paired_with")]
    free_pdfs = [p for p in pdfs if id(p) not in paired and not p.fields.get("paired_with")]
    for w in free_words:
        key = loose_key(w.fields.get("group_name"))
        same_w = [x for x in free_words if key and loose_key(x.fields.get("group_name")) == key]
        same_p = [p for p in free_pdfs if key and loose_key(p.fields.get("group_name")) == key]
        if len(same_w) == 1 and len(same_p) == 1:
            out.append((w, same_p[0]))
    return out


def _differ(a: Any, b: Any, ocr: bool, similarity: float) -> bool:
    ka, kb = loose_key(a), loose_key(b)
    if ka == kb:
        return False
    return not ocr or SequenceMatcher(None, ka, kb).ratio() < similarity


def check(campaign: Any, rule: Any, documents: list[DocumentResult]) -> list[Finding]:
    similarity = float(rule.params.get("ocr_similarity", 0.8))
    out = []
    for word, pdf in twins(documents):
        ocr = ocr_read(word) or ocr_read(pdf)
        for key in rule.params["compare"]:
            a, b = word.fields.get(key), pdf.fields.get(key)
            if is_empty(a) or is_empty(b) or not _differ(a, b, ocr, similarity):
                continue
            text = campaign.message(rule.id, label=campaign.label("application", key), value=quote(a),
                                    other_value=quote(b), word=word.display_name, pdf=pdf.display_name,
                                    group=quoted(name) if (name := word.fields.get("group_name")) else None)
            out.append(Finding(rule.id, rule.severity, text, rule.form or FORM, word.filename, key))
    return out
