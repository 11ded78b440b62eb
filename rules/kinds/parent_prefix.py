"""``parent_prefix``: a 企业名称 that strings a parent organisation before the company itself
(``中国石油天然气集团有限公司大庆油田有限责任公司``): the notice says 不要挂上级部门, 以公章为准.

Fires when the name is a complete parent name (ending in one of ``parent_endings``) followed by a
second complete company name (at least ``min_name`` characters, ending in one of ``company_endings``).
``company_endings`` are the endings of a legal person of its own (有限公司, 股份有限公司…): a branch
is legally named after its parent (``国网浙江省电力有限公司杭州供电公司``, ``…股份有限公司XX分公司``) and
carries no 有限, so a branch's full name never fires. Compared on the loose key (white space,
full-width forms, quotes and brackets ignored)."""

from __future__ import annotations

import re
from typing import Any

from rules.names import bare_key, loose_key

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "parent_endings": (list, True), "company_endings": (list, True), "min_name": (int, False)}
SKIPS_EMPTY = True
PLACEHOLDERS: tuple[str, ...] = ("parent", "company")


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(bare_key(w)) for w in sorted(words, key=len, reverse=True))


def validate(params: dict[str, Any]) -> str | None:
    for key in ("parent_endings", "company_endings"):
        items = params[key]
        if not items or not all(isinstance(w, str) and loose_key(w) for w in items):
            return f"{key} must be a non-empty list of texts"
    if params.get("min_name", 2) < 1:
        return "min_name must be at least 1"
    return None


def split(rule: Any, value: Any) -> tuple[str, str] | None:
    """(parent, company) when ``value`` is a parent name followed by a company name, else None."""
    key = bare_key(value)
    least = int(rule.params.get("min_name", 2))
    pattern = (rf"(?P<parent>.+?(?:{_alternatives(rule.params['parent_endings'])}))"
               rf"(?P<company>.{{{least},}}?(?:{_alternatives(rule.params['company_endings'])}))")
    m = re.fullmatch(pattern, key)
    return (m["parent"], m["company"]) if m else None


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    found = split(rule, value)
    return None if found is None else {"parent": found[0], "company": found[1]}
