"""``length``: characters of a text (white space not counted) or items of a list, within min..max."""

from __future__ import annotations

import re
from typing import Any

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"min": (int, False), "max": (int, False)}
SKIPS_EMPTY = True


def measure(value: Any) -> int:
    if isinstance(value, list | tuple):
        return len(value)
    return len(re.sub(r"[\s\u3000]", "", str(value)))


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    n = measure(value)
    lo, hi = rule.params.get("min"), rule.params.get("max")
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        return {"length": n, "min": lo, "max": hi}
    return None
PLACEHOLDERS: tuple[str, ...] = ("length",)
