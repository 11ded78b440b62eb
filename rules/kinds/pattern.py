"""``pattern``: text must match a regular expression (``re.fullmatch`` after stripping spaces)."""

from __future__ import annotations

import re
from typing import Any

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"pattern": (str, True)}
SKIPS_EMPTY = True


def validate(params: dict[str, Any]) -> str | None:
    try:
        re.compile(params["pattern"])
    except re.error as e:
        return f"bad regular expression {params['pattern']!r}: {e}"
    return None


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"[\s\u3000]", "", str(value))
    return None if re.fullmatch(rule.params["pattern"], text) else {}
PLACEHOLDERS: tuple[str, ...] = ()
