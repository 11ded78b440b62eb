"""Problems found before any rule (unreadable, encrypted, scanned, archive limits...) → findings.

A Problem's id becomes the finding's rule id; ``[messages]`` in the rule file gives its Chinese
text and severity. ``silent_for`` lists where a problem is normal and says nothing — above all a
scanned PDF copy of an application: the notice asks for a sealed PDF, which is usually a scan,
and its fields are read from the Word copy. Unknown problem ids use ``problem.unknown``.
"""

from __future__ import annotations

from parsers.model import Problem
from parsers.result import DocumentResult
from rules.campaign import Campaign
from rules.copies import copy_of
from rules.findings import Finding

# Problems that mean the document's text cannot be used (so it gets no field rules)
UNTRUSTED = ("document.scanned", "document.cid_text", "document.image")


def _where(doc: DocumentResult) -> set[str]:
    copy = copy_of(doc)
    return {doc.form, f"{doc.form}.{copy}"} if copy else {doc.form}


def problem_finding(campaign: Campaign, problem: Problem, doc: DocumentResult | None) -> Finding | None:
    spec = campaign.messages.get(problem.rule) or campaign.messages.get("problem.unknown")
    form = doc.form if doc is not None and doc.form != "unknown" else None
    if spec is not None and doc is not None and _where(doc) & set(spec.silent_for):
        return None
    severity = "warning"
    if spec is not None:
        severity = spec.severity_for.get(doc.form, spec.severity) if doc is not None else spec.severity
    text = campaign.message(
        problem.rule,
        filename=doc.display_name if doc is not None else "",
        form_name=campaign.form_names.get(doc.form, "附件") if doc is not None else "邮件",
        detail=problem.detail,
    )
    return Finding(problem.rule, severity, text, form=form, document=doc.filename if doc else None,
                   field=problem.field, audience=spec.audience if spec is not None else "unit")


def document_problems(campaign: Campaign, doc: DocumentResult) -> list[Finding]:
    """Findings for a document's own problems, plus one "manual review" warning for a document
    whose text cannot be trusted and whose problems said nothing (instead of field errors)."""
    out = [f for p in doc.problems if (f := problem_finding(campaign, p, doc)) is not None]
    untrusted = not doc.text_trusted or any(p.rule in UNTRUSTED for p in doc.problems)
    if untrusted and not out and doc.form != "unknown":
        silent = any(_where(doc) & set(campaign.messages[p.rule].silent_for)
                     for p in doc.problems if p.rule in campaign.messages)
        if not silent and not _normal_pdf_copy(campaign, doc):
            f = problem_finding(campaign, Problem("document.manual_review"), doc)
            if f is not None:
                out.append(f)
    return out


def _normal_pdf_copy(campaign: Campaign, doc: DocumentResult) -> bool:
    """An untrusted PDF copy of a form whose fields come from its Word copy: nothing to review."""
    spec = campaign.messages.get("document.scanned")
    return spec is not None and bool(_where(doc) & set(spec.silent_for))
