"""Field paths: ``mobile`` is one value, ``groups[].company`` is one value per list item."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Located:
    """A value found at a path; ``row`` is the item's 序号 (or 1-based position) for list items."""

    value: Any
    row: str | None = None
    item: dict[str, Any] | None = None  # the whole list item, for messages naming the row


def values_at(fields: dict[str, Any], path: str) -> Iterator[Located]:
    """Every value a path addresses. A list path on a missing/empty list yields nothing."""
    if "[]." not in path:
        yield Located(fields.get(path))
        return
    key, _, sub = path.partition("[].")
    items = fields.get(key)
    if not isinstance(items, list):
        return
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            continue
        seq = item.get("seq")
        row = str(seq).strip() if seq not in (None, "") else str(i)
        yield Located(item.get(sub), row, item)


def is_empty(value: Any) -> bool:
    """The contract's "absent": None, blank text, or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


def as_number(value: Any) -> float | None:
    """A number, or None when the value is not one (bools are not numbers here)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").rstrip("%％")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def quote(value: Any, limit: int = 30) -> str:
    """A value as quoted in a Chinese message, cut short so a 350-character text stays readable."""
    if value is None:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list):
        text = "、".join(str(v) for v in value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def leaf(path: str | None) -> str | None:
    """The field a finding names: the key itself, or for a list item the item's key
    (``entries[].score`` → ``score``); the rule id and the message say which list and which row."""
    if path is None:
        return None
    return path.split("[].")[-1]
