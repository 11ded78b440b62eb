"""``compare``: field ``op`` other field, both numbers (本年度 ≤ 累计). Silent unless both are numbers."""

from __future__ import annotations

import operator
from typing import Any

from rules.paths import as_number

OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq}
PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"other": (str, True), "op": (str, True)}
SKIPS_EMPTY = True


def validate(params: dict[str, Any]) -> str | None:
    if params["op"] not in OPS:
        return f"op must be one of {', '.join(OPS)}, got {params['op']!r}"
    return None


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    a, b = as_number(value), as_number(fields.get(rule.params["other"]))
    if a is None or b is None:
        return None
    if OPS[rule.params["op"]](a, b):
        return None
    other = fields.get(rule.params["other"])
    return {"other_value": int(other) if isinstance(other, float) and other.is_integer() else other}
PLACEHOLDERS: tuple[str, ...] = ("other_value",)
