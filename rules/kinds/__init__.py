"""Field rule kinds, one small module each, registered by name (Mailman's rules/ idea).

Each kind module provides ``PARAMS`` (parameter name → (type or tuple of types, required?)) for
validating the rule file, and ``check(rule, value, fields) -> dict | None``: None when the value
is fine, else the template values for the finding's message (``value`` is filled in by the
engine). ``SKIPS_EMPTY`` says whether the engine should not call ``check`` on an absent value —
absence is the ``required`` kind's business, so other kinds never double-report it.
"""

from __future__ import annotations

from types import ModuleType

from rules.kinds import compare, contains, count, length, one_of, pattern, range_, required

KINDS: dict[str, ModuleType] = {
    "required": required,
    "pattern": pattern,
    "one_of": one_of,
    "length": length,
    "range": range_,
    "count": count,
    "compare": compare,
    "contains": contains,
}
