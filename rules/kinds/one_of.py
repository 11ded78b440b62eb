"""``one_of``: the value must be one of ``values``; with ``allow_null = false`` an absent value is
a violation too (课题类型: none ticked or both ticked both read as null)."""

from __future__ import annotations

from typing import Any

from rules.paths import is_empty

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"values": (list, True), "allow_null": (bool, False)}
SKIPS_EMPTY = False


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    allowed = rule.params["values"]
    if is_empty(value):
        return None if rule.params.get("allow_null", True) else {"allowed": "、".join(map(str, allowed))}
    if isinstance(value, str):
        value = value.strip()
    return None if value in allowed else {"allowed": "、".join(map(str, allowed))}
PLACEHOLDERS: tuple[str, ...] = ("allowed",)
