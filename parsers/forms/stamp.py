"""The date written at a form's stamp line (``单位盖章：2020年9月10日``, ``推荐质协章 年 月 日``).

Only a date next to the stamp (or a ``日期：`` label) is the form's date: the notes of every
form also carry a date (the deadline), which must never be taken for it.
"""

from __future__ import annotations

import re

from parsers.forms.labels import texts
from parsers.forms.normalize import find_date, squash
from parsers.model import Document

_ANCHOR = re.compile(r"盖\s*章|质\s*协\s*章|日\s*期\s*[:：]|^\s*(填\s*表\s*)?日\s*期\s*$")


def stamp_date(doc: Document) -> str | None:
    """The first date after a stamp/date anchor, in the same text or the one right after it."""
    pending = False
    for t in texts(doc):
        m = _ANCHOR.search(t)
        if m:
            d = find_date(t[m.start():]) or find_date(t)
            if d:
                return d
            pending = True
            continue
        if pending:
            d = find_date(t)
            if d and len(squash(t)) <= 20:
                return d
            if squash(t):
                pending = False
    return None
