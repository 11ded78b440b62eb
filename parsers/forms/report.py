"""小组成果报告 and 证实性材料 → who and what they are about, and how long they are.

These are free documents without a fixed layout; the cover usually names the group, the
company and the topic (``课题名称：…``, ``小组名称：…``). When the group is not labelled, a short
line near the top ending in ``QC小组`` is taken as its name.
"""

from __future__ import annotations

import re
from typing import Any

from parsers.forms.labels import Label, LabelSet, value_of
from parsers.forms.normalize import clean_text, one_line, squash
from parsers.model import Document

KEYS: tuple[str, ...] = ("group_name", "company", "topic", "char_count")

LABELS = LabelSet([
    Label("group_name", ("QC小组名称", "质量管理小组名称", "小组名称", "发表小组")),
    Label("company", ("企业名称", "单位名称", "发布单位", "发表单位", "所在单位", "单位")),
    Label("topic", ("课题名称", "成果名称", "课题")),
])

_GROUP_LINE = re.compile(r"(QC|ＱＣ|质量管理)\s*小组$", re.IGNORECASE)
_COVER_LINES = 12


def extract(doc: Document) -> dict[str, Any]:
    out: dict[str, Any] = {k: one_line(value_of(doc, LABELS, k)) for k in ("group_name", "company", "topic")}
    if out["group_name"] is None:
        out["group_name"] = _group_line(doc)
    out["char_count"] = len(squash(doc.text()))
    return out


def _group_line(doc: Document) -> str | None:
    for p in doc.paragraphs[:_COVER_LINES]:
        t = clean_text(p)
        if t and len(t) <= 40 and _GROUP_LINE.search(t):
            return t
    return None
