"""``range``: a number within min..max (inclusive). A value that is not a number is left to staff:
the extractor already read numbers leniently, so guessing further would only make false errors."""

from __future__ import annotations

from typing import Any

from rules.paths import as_number

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"min": ((int, float), False), "max": ((int, float), False)}
SKIPS_EMPTY = True


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    n = as_number(value)
    if n is None:
        return None
    lo, hi = rule.params.get("min"), rule.params.get("max")
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        return {"min": lo, "max": hi}
    return None
PLACEHOLDERS: tuple[str, ...] = ()
