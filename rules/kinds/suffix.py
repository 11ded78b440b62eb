"""``suffix``: a name must not end in one of ``words`` (a 企业名称 ending in 车间/班组/科 names a
department, not the enterprise certificates are printed for). ``except`` lists endings that look like
one of the words but are fine (俱乐部, 总部). Compared after white space, full-width forms, quotes and
brackets are ignored, so ``XX有限公司（质检科）`` ends in 科 too."""

from __future__ import annotations

from typing import Any

from rules.names import loose_key

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"words": (list, True), "except": (list, False)}
SKIPS_EMPTY = True
PLACEHOLDERS: tuple[str, ...] = ("suffix",)


def validate(params: dict[str, Any]) -> str | None:
    for key in ("words", "except"):
        items = params.get(key, [])
        if not all(isinstance(w, str) and loose_key(w) for w in items):
            return f"{key} must be a list of non-empty texts"
    if not params["words"]:
        return "words must not be empty"
    return None


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    key = loose_key(value)
    if any(key.endswith(loose_key(w)) for w in rule.params.get("except", [])):
        return None
    # the longest matching word is the one to quote (项目部 rather than 部)
    hits = [w for w in rule.params["words"] if key.endswith(loose_key(w)) and len(key) > len(loose_key(w))]
    return {"suffix": max(hits, key=len)} if hits else None
