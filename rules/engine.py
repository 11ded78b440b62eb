"""evaluate(): the campaign's rules applied to one message's (or one unit's) documents.

Order of findings: message problems, deadline, then per document (its problems, then its field
rules), then missing forms, then cross-document checks. Field rules run only where their result
can be trusted: on a document whose text is trusted, that has some content, and of the copy the
rule names (the application's fields are required on the Word copy only).

Values read by OCR are never the basis of an error on their own (:mod:`rules.ocr`): a field rule's
error on an OCR'd document, and a missing-form or cross-document error that only the OCR'd values
make, are warnings asking for a manual check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parsers.model import Problem
from parsers.result import DocumentResult
from rules.campaign import Campaign, Rule
from rules.copies import copy_of
from rules.cross import CHECKS
from rules.findings import Finding
from rules.groups import distinct, groups_of
from rules.kinds import KINDS
from rules.ocr import collective, downgraded, ocr_read
from rules.paths import Located, is_empty, leaf, quote, values_at
from rules.presence import check_presence
from rules.problems import UNTRUSTED, document_problems, problem_finding
from rules.schema import META_FIELDS

# A file whose reading failed has no fields worth judging; its problem finding says why.
BLOCKING = ("document.unreadable", "document.encrypted", "document.timeout", "converter.missing",
            "document.empty", "document.unsupported", *UNTRUSTED,
            # an archive member that could not be extracted: no content, and a readable copy of the
            # same form makes it a warning like any broken file
            "archive.corrupt", "archive.encrypted", "archive.too_large", "archive.bomb")


def evaluate(
    campaign: Campaign,
    documents: list[DocumentResult],
    received_at: datetime | None,
    message_problems: list[Problem],
) -> list[Finding]:
    findings: list[Finding] = []
    for p in message_problems:
        if (f := problem_finding(campaign, p, None)) is not None:
            findings.append(f)
    if received_at is not None and campaign.is_late(received_at):
        findings.append(deadline_finding(campaign, received_at))
    for doc in documents:
        found = document_findings(campaign, doc)
        if any(f.severity == "error" and f.rule in BLOCKING for f in found) and redundant(campaign, doc, documents):
            for f in found:
                if f.rule in BLOCKING:
                    f.severity = "warning"  # another readable copy of the form arrived
        findings.extend(found)
    findings.extend(collective(lambda docs: submission_findings(campaign, docs), documents))
    return _dedupe(findings)


def submission_findings(campaign: Campaign, documents: list[DocumentResult]) -> list[Finding]:
    """Missing forms, then the cross-document checks."""
    findings = check_presence(campaign, documents)
    for rule in campaign.rules:
        if rule.kind == "cross":
            findings.extend(CHECKS[rule.params["check"]].check(campaign, rule, documents))
    return findings


def redundant(campaign: Campaign, doc: DocumentResult, documents: list[DocumentResult]) -> bool:
    """A broken file is only a warning when the form it was meant to be arrived readable anyway:
    another copy of a per-submission form, or enough copies of a per-group form for every group."""
    spec = campaign.forms.get(doc.form)
    if spec is None:
        return False
    others = [d for d in documents if d is not doc and d.form == doc.form and judgeable(d)
              and (spec.required != "per_group" or copy_of(d) == copy_of(doc))]
    if spec.required != "per_group":
        return bool(others)
    groups = distinct(groups_of(documents))
    return bool(groups) and len(others) >= len(groups)


def deadline_finding(campaign: Campaign, received_at: datetime) -> Finding:
    text = campaign.message("deadline.late", received=campaign.format_time(received_at),
                            deadline=campaign.deadline_text)
    spec = campaign.messages.get("deadline.late")
    return Finding("deadline.late", spec.severity if spec else "error", text)


def judgeable(doc: DocumentResult) -> bool:
    """Field rules apply: trusted text, read without a blocking problem, and some content found."""
    if doc.form == "unknown" or not doc.text_trusted or not isinstance(doc.fields, dict):
        return False
    if any(p.rule in BLOCKING for p in doc.problems):
        return False
    return any(not is_empty(v) for k, v in doc.fields.items() if k not in META_FIELDS)


def document_findings(campaign: Campaign, doc: DocumentResult) -> list[Finding]:
    out = document_problems(campaign, doc)
    if doc.form == "unknown":
        if not doc.problems and doc.format in UNRECOGNISED_FORMATS:
            out.append(_simple(campaign, "document.unrecognised", doc))
        return out
    if judgeable(doc):
        for rule in campaign.rules:
            if rule.kind != "cross" and rule.form == doc.form and _applies(rule, doc):
                found = apply_rule(campaign, rule, doc)
                out.extend([downgraded(f) for f in found] if ocr_read(doc) else found)
    elif doc.text_trusted and not out and not any(p.rule in BLOCKING for p in doc.problems):
        # trusted but nothing could be read: a layout the extractor does not know — not a pile of
        # "field missing" errors, one request for staff to look (only where rules would have run)
        if any(r.kind != "cross" and r.form == doc.form and _applies(r, doc) for r in campaign.rules):
            out.append(_simple(campaign, "document.no_fields", doc))
    return out


UNRECOGNISED_FORMATS = ("docx", "doc", "wps", "xlsx", "xls", "et", "pdf", "rtf", "odt", "ods")


def _simple(campaign: Campaign, rule_id: str, doc: DocumentResult) -> Finding:
    f = problem_finding(campaign, Problem(rule_id), doc)
    assert f is not None
    return f


def _applies(rule: Rule, doc: DocumentResult) -> bool:
    if rule.copy is not None and copy_of(doc) != rule.copy:
        return False
    if rule.when:
        value = doc.fields.get(rule.when["field"])
        if "equals" in rule.when and value != rule.when["equals"]:
            return False
        if rule.when.get("filled") is True and is_empty(value):
            return False
    return True


def apply_rule(campaign: Campaign, rule: Rule, doc: DocumentResult) -> list[Finding]:
    kind = KINDS[rule.kind]
    out = []
    for loc in _locate(rule, doc.fields):
        if kind.SKIPS_EMPTY and is_empty(loc.value):
            continue
        hit = kind.check(rule, loc.value, doc.fields)
        if hit is None:
            continue
        values = _values(campaign, rule, doc, loc, hit)
        out.append(Finding(rule.id, rule.severity, campaign.message(rule.id, **values), rule.form,
                           doc.filename, leaf(rule.field)))
    return out


def _locate(rule: Rule, fields: dict[str, Any]) -> list[Located]:
    path = rule.field
    assert path is not None, f"field rule {rule.id} has no field"  # the loader requires one
    if rule.kind == "count":  # counts the list itself, even for a path written as groups[]
        return [Located(fields.get(path.split("[]")[0]))]
    return list(values_at(fields, path))


def _values(campaign: Campaign, rule: Rule, doc: DocumentResult, loc: Located, hit: dict) -> dict[str, Any]:
    values: dict[str, Any] = {
        "value": quote(loc.value),
        "label": campaign.label(rule.form, rule.field),
        "form_name": campaign.form_names.get(rule.form, rule.form) if rule.form is not None else None,
        "filename": doc.display_name,  # with the part when the file holds several forms (附件.xlsx（统计表）)
        "row": loc.row or "",
        "group": doc.fields.get("group_name") or "",
    }
    if loc.item is not None:
        values["item_name"] = loc.item.get("group_name") or loc.item.get("name") or ""
    other = rule.params.get("other")
    if other:
        values["other_label"] = campaign.label(rule.form, other)
    for k, v in hit.items():
        values[k] = quote(v) if k == "other_value" else v
    for k in ("min", "max"):
        v = values.get(k, rule.params.get(k))
        values[k] = int(v) if isinstance(v, float) and v.is_integer() else v
    return values


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple] = set()
    out = []
    for f in findings:
        key = (f.rule, f.severity, f.form, f.document, f.field, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
