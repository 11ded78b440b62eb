"""Missing forms: the checklist diff between what the notice requires and what arrived.

Rule ids: ``<form>.missing`` for a form required once per submission (or per group with a single
copy), ``<form>.<copy>.missing`` for a per-group form with several copies (application word/pdf).
A missing form has ``form`` set and ``document`` null, as the contract says. Evidence is only
recommended: one warning per submission when none arrived at all (evidence files rarely say which
group they belong to, so a per-group warning would mostly guess).

A broken file (corrupt, encrypted, empty: :func:`rules.copies.is_broken`) is never a copy of a
per-group form: it cannot say which group it is for, and counted it would fill some group's slot and
hide which group still lacks a usable Word (or PDF) copy; its own ``document.unreadable`` error
names the file, and ``<form>.<copy>.missing`` names the group. A broken file of a per-submission
form (``统计表.xlsx`` that will not open) still answers "did it arrive": the receipt says the
attached 统计表 is damaged, not that no 统计表 arrived.
"""

from __future__ import annotations

from parsers.result import DocumentResult
from rules.campaign import Campaign
from rules.copies import received_as
from rules.findings import Finding
from rules.groups import Group, assign, distinct, groups_of


def missing_id(spec_form: str, copies: list[str], copy: str | None) -> str:
    return f"{spec_form}.{copy}.missing" if copy and len(copies) > 1 else f"{spec_form}.missing"


def _finding(campaign: Campaign, rule_id: str, form: str, severity: str, **values: object) -> Finding:
    text = campaign.message(rule_id, **values) if rule_id in campaign.messages else None
    if text is None:
        key = "form.missing_group" if values.get("group") else "form.missing"
        text = campaign.message(key, **values)
    return Finding(rule_id, severity, text, form=form)


def _unclassified_scans(documents: list[DocumentResult]) -> list[DocumentResult]:
    """Scanned PDFs/images nobody could classify (no text, no telling file name, e.g. 扫描件002.pdf):
    each may well be a missing PDF copy, so it turns one "missing PDF copy" error into a warning."""
    return [d for d in documents if d.form == "unknown" and d.format in ("pdf", "image")
            and (not d.text_trusted or any(p.rule in ("document.scanned", "document.image") for p in d.problems))]


def check_presence(campaign: Campaign, documents: list[DocumentResult]) -> list[Finding]:
    findings: list[Finding] = []
    groups: list[Group] | None = None
    scans = _unclassified_scans(documents)
    for form, spec in campaign.forms.items():
        present = [d for d in documents if d.form == form]
        names = {"form_name": spec.name, "copy_name": ""}
        if spec.required in ("submission", "recommended"):
            if not present:
                findings.append(_finding(campaign, f"{form}.missing", form, spec.severity, **names))
            continue
        if groups is None:
            groups = distinct(groups_of(documents))
        wanted: list[str | None] = [*spec.copies] or [None]  # None: any copy
        for copy in wanted:
            docs = [d for d in present if received_as(d, copy)]
            rule_id = missing_id(form, spec.copies, copy)
            values = {**names, "copy_name": campaign.copy_names.get(copy or "", "")}
            lacking: list[Group | None]
            if not groups:
                # no recommendation rows and no readable application: only "none at all" is certain
                lacking = [None] if not docs else []
            else:
                lacking = [g for g, mine in zip(groups, assign(groups, docs), strict=True) if not mine]
            for group in lacking:
                extra: dict[str, str] = {"group": group.title} if group is not None else {}
                if copy == "pdf" and scans:
                    scan = scans.pop(0)
                    f = _finding(campaign, "form.unconfirmed", form, "warning", filename=scan.filename,
                                 **extra, **values)
                    f.rule = f"{rule_id.removesuffix('.missing')}.unconfirmed"
                    findings.append(f)
                else:
                    findings.append(_finding(campaign, rule_id, form, spec.severity, **extra, **values))
    return findings
