"""Field rule kinds, one small module each, registered by name (Mailman's rules/ idea).

Each kind module provides ``PARAMS`` (parameter name → (type or tuple of types, required?)) for
validating the rule file, and ``check(rule, value, fields) -> dict | None``: None when the value
is fine, else the template values for the finding's message (``value`` is filled in by the
engine). ``SKIPS_EMPTY`` says whether the engine should not call ``check`` on an absent value —
absence is the ``required`` kind's business, so other kinds never double-report it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from rules.kinds import (
    compare,
    contains,
    count,
    length,
    one_of,
    parent_prefix,
    pattern,
    range_,
    required,
    suffix,
    unique,
)

if TYPE_CHECKING:
    from rules.campaign import Rule


class Kind(Protocol):
    """What a kind module provides (each module in this package is one)."""

    PARAMS: dict[str, tuple[type | tuple[type, ...], bool]]
    SKIPS_EMPTY: bool
    PLACEHOLDERS: tuple[str, ...]

    def check(self, rule: Rule, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None: ...


KINDS: dict[str, Kind] = {
    "required": required,
    "pattern": pattern,
    "one_of": one_of,
    "length": length,
    "range": range_,
    "count": count,
    "compare": compare,
    "contains": contains,
    "suffix": suffix,
    "parent_prefix": parent_prefix,
    "unique": unique,
}
