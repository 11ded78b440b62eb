"""Each judge's 评委证书编号 is in the office's register, under that judge's name (a warning: the
register may lag behind; staff decide). Silent when no register is configured."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from parsers.result import DocumentResult
from rules.findings import Finding
from rules.groups import recommendation_of
from rules.paths import leaf

FORM = "recommendation"
FIELD = "judges[].certificate_no"
PLACEHOLDERS: tuple[str, ...] = ("row", "value", "name", "other_value")
PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {}


def _key(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).upper()


def check(campaign: Any, rule: Any, documents: list[DocumentResult]) -> list[Finding]:
    register: dict[str, str] | None = getattr(campaign, "judges_register", None)
    recs = [d for d in documents if d.form == "recommendation" and d.text_trusted and isinstance(d.fields, dict)]
    rec = recommendation_of(documents) or (recs[0] if recs else None)
    if register is None or rec is None:
        return []
    out = []
    for i, judge in enumerate(rec.fields.get("judges") or [], start=1):
        if not isinstance(judge, dict) or not judge.get("certificate_no"):
            continue
        registered = register.get(_key(judge["certificate_no"]))
        name = _key(judge.get("name"))
        if registered is not None and (not name or _key(registered) == name):
            continue
        text = campaign.message(rule.id, row=judge.get("seq") or i, value=judge["certificate_no"],
                                name=judge.get("name"),
                                other_value=f"在名册中登记为“{registered}”" if registered is not None else None)
        out.append(Finding(rule.id, rule.severity, text, rule.form or FORM, rec.filename, leaf(rule.field or FIELD)))
    return out
