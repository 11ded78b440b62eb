"""``unique``: no two items of a list are the same (one group recommended twice in the 推荐表 gets
two certificates, or crowds out another group). ``keys`` lists the item-key combinations that
make two items the same, e.g. ``[["company", "group_name"]]``: same company and same group name.
The group name alone is not enough — two companies may each have a “攀登”QC小组. Compared on the
loose key (white space, full-width forms, quotes and punctuation ignored); an item with one of the
keys empty never matches on that combination (the ``required`` rules report the gap)."""

from __future__ import annotations

from typing import Any

from rules.names import loose_key

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"keys": (list, True)}
SKIPS_EMPTY = True
PLACEHOLDERS: tuple[str, ...] = ("duplicates",)


def validate(params: dict[str, Any]) -> str | None:
    keys = params["keys"]
    if not keys or not all(isinstance(k, list) and k and all(isinstance(x, str) for x in k) for k in keys):
        return 'keys must be a non-empty list of item-key lists, e.g. [["company", "group_name"]]'
    return None


def _row(item: dict[str, Any], position: int) -> str:
    seq = item.get("seq")
    return str(seq).strip() if seq not in (None, "") else str(position)


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    if not isinstance(value, list):
        return None
    items = [(i, item) for i, item in enumerate(value, start=1) if isinstance(item, dict)]
    seen: dict[tuple, list[int]] = {}  # a duplicate set -> positions, in order of first appearance
    taken: set[int] = set()
    for combo in rule.params["keys"]:
        groups: dict[tuple, list[int]] = {}
        for i, item in items:
            key = tuple(loose_key(item.get(k)) for k in combo)
            if all(key):
                groups.setdefault((tuple(combo), key), []).append(i)
        for k, positions in groups.items():
            if len(positions) > 1 and not set(positions) <= taken:
                seen[k] = positions
                taken |= set(positions)
    if not seen:
        return None
    by_pos = dict(items)
    parts = []
    for positions in seen.values():
        first = by_pos[positions[0]]
        name = "".join(str(first.get(k) or "") for k in ("company", "group_name", "name") if first.get(k))
        rows = "、".join(f"第{_row(by_pos[p], p)}行" for p in positions)
        parts.append(f"{rows}（{name}）" if name else rows)
    return {"duplicates": "；".join(parts)}
