"""``count``: the number of items of a list field within min..max (an absent list counts 0)."""

from __future__ import annotations

from typing import Any

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"min": (int, False), "max": (int, False)}
SKIPS_EMPTY = False


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    n = len(value) if isinstance(value, list | tuple) else 0
    lo, hi = rule.params.get("min"), rule.params.get("max")
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        return {"count": n, "min": lo, "max": hi}
    return None
PLACEHOLDERS: tuple[str, ...] = ("count",)
