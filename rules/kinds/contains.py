"""``contains``: some item of a list of texts contains ``keyword`` (e.g. a 工作总结 heading 基本情况).

Matching by keyword, not exact text, because units number and word their headings freely
(``一、基本情况`` / ``（一）基本情况`` / ``一、2020年基本情况``). White space is ignored.
"""

from __future__ import annotations

import re
from typing import Any

PARAMS: dict[str, tuple[type | tuple[type, ...], bool]] = {"keyword": ((str, list), True)}
SKIPS_EMPTY = False


def _squash(text: Any) -> str:
    return re.sub(r"[\s\u3000]", "", str(text))


def check(rule: Any, value: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    if value is None or value == []:
        # No heading found at all: the extractor could not see the structure (headings written
        # as plain runs, a table layout...). Three "section missing" errors on a summary that may
        # well have them would be false errors; staff read it instead.
        return None
    keywords = rule.params["keyword"]
    keywords = [keywords] if isinstance(keywords, str) else keywords
    items = value if isinstance(value, list) else [value]
    found = any(_squash(k) in _squash(item) for item in items for k in keywords)
    return None if found else {"keyword": keywords[0]}
PLACEHOLDERS: tuple[str, ...] = ("keyword",)
