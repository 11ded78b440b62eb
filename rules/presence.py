"""Missing forms: the checklist diff between what the notice requires and what arrived.

Rule ids: ``<form>.missing`` for a form required once per submission (or per group with a single
copy), ``<form>.<copy>.missing`` for a per-group form with several copies (application word/pdf).
A missing form has ``form`` set and ``document`` null, as the contract says. Evidence is only
recommended: one warning per submission when none arrived at all (evidence files rarely say which
group they belong to, so a per-group warning would mostly guess).
"""

from __future__ import annotations

from intake.contract import DocumentResult, Finding
from rules.campaign import Campaign
from rules.copies import copy_of
from rules.groups import Group, assign, groups_of


def missing_id(spec_form: str, copies: list[str], copy: str | None) -> str:
    return f"{spec_form}.{copy}.missing" if copy and len(copies) > 1 else f"{spec_form}.missing"


def _finding(campaign: Campaign, rule_id: str, form: str, severity: str, **values: object) -> Finding:
    text = campaign.message(rule_id, **values) if rule_id in campaign.messages else None
    if text is None:
        key = "form.missing_group" if values.get("group") else "form.missing"
        text = campaign.message(key, **values)
    return Finding(rule_id, severity, text, form=form)


def check_presence(campaign: Campaign, documents: list[DocumentResult]) -> list[Finding]:
    findings: list[Finding] = []
    groups: list[Group] | None = None
    for form, spec in campaign.forms.items():
        present = [d for d in documents if d.form == form]
        names = {"form_name": spec.name}
        if spec.required == "submission":
            if not present:
                findings.append(_finding(campaign, f"{form}.missing", form, spec.severity, **names))
        elif spec.required == "recommended":
            if not present:
                findings.append(_finding(campaign, f"{form}.missing", form, spec.severity, **names))
        elif spec.required == "per_group":
            if groups is None:
                groups = groups_of(documents)
            for copy in spec.copies or [None]:
                docs = [d for d in present if copy is None or copy_of(d) == copy]
                rule_id = missing_id(form, spec.copies, copy)
                copy_name = campaign.copy_names.get(copy or "", "")
                if not groups:
                    # no recommendation rows and no readable application: only "none at all" is certain
                    if not docs:
                        findings.append(_finding(campaign, rule_id, form, spec.severity, copy_name=copy_name,
                                                 **names))
                    continue
                for group, mine in zip(groups, assign(groups, docs), strict=True):
                    if not mine:
                        findings.append(_finding(campaign, rule_id, form, spec.severity, group=group.title,
                                                 copy_name=copy_name, **names))
    return findings
