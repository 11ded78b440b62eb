"""The date written at a form's stamp line (``单位盖章：2020年9月10日``, ``推荐质协章 年 月 日``).

Only a date next to the stamp (or a ``日期：`` label) is the form's date: the notes of every
form also carry a date (the deadline), which must never be taken for it. A spreadsheet's
signature row often drops the stamp words (an Excel file cannot be stamped): ``填表人： | 王某 |
电话： | 0571… | 2020年9月10日``; a short date among the few cells after 填表人 is the date too.
"""

from __future__ import annotations

import re

from parsers.forms.labels import texts
from parsers.forms.normalize import find_date, squash
from parsers.model import Document

_ANCHOR = re.compile(r"盖\s*章|质\s*协\s*章|日\s*期\s*[:：]|^\s*(填\s*表\s*)?日\s*期\s*$")
_SIGNATURE = re.compile(r"^\s*填\s*表\s*人")
#: How many short texts after 填表人 may hold the date (name, 电话 label, phone number).
SIGNATURE_SPAN = 4


def stamp_date(doc: Document) -> str | None:
    """The first date after a stamp/date anchor, in the same text or the one right after it."""
    pending = 0  # how many more non-empty texts may still hold the date
    for t in texts(doc):
        m = _ANCHOR.search(t)
        if m:
            d = find_date(t[m.start():]) or find_date(t)
            if d:
                return d
            pending = 1
            continue
        if _SIGNATURE.search(t):
            pending = max(pending, SIGNATURE_SPAN)
            continue
        if pending:
            d = find_date(t)
            if d and len(squash(t)) <= 20:
                return d
            if squash(t):
                pending = pending - 1 if len(squash(t)) <= 20 else 0
    return None
