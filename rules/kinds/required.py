"""``required``: the field must be filled (text not blank, list not empty, bool not null)."""

from __future__ import annotations

from typing import Any

from rules.paths import is_empty

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {}
SKIPS_EMPTY = False


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    return {} if is_empty(value) else None
PLACEHOLDERS: tuple[str, ...] = ()
