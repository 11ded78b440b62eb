"""附件2 质量管理小组活动工作总结 → recommender, char_count, sections.

Decision on ``char_count`` (the notice asks for 3000 字以上): every non-white-space character of
the body — paragraphs and table cells (merged cells once) — *excluding* the document title (the
first short line that names the 总结), the attachment marker (``附件2``), the
``推荐省市、行业：…`` line (or one-row table) before the body, and a closing signature (the
unit's name and a date as the last lines): these frame the text, they are not what the unit wrote. Punctuation counts,
as it does in Word's character count without spaces.
"""

from __future__ import annotations

import re
from typing import Any

from parsers.forms.labels import RECOMMENDER, LabelSet, value_of
from parsers.forms.normalize import squash
from parsers.model import Document, Table

KEYS: tuple[str, ...] = ("recommender", "char_count", "sections")
LABELS = LabelSet([RECOMMENDER])

_HEADING = re.compile(r"^\s*[一二三四五六七八九十]{1,3}\s*[、.．]")
_ATTACHMENT = re.compile(r"^附件[0-9一二三四五]*$")
_HEADING_MAX = 40
_DATE_ONLY = re.compile(r"^[0-9〇一二三四五六七八九十年月日.\-/]{6,16}$")


def extract(doc: Document) -> dict[str, Any]:
    return {
        "recommender": value_of(doc, LABELS, "recommender"),
        "char_count": char_count(doc),
        "sections": sections(doc),
    }


def char_count(doc: Document) -> int:
    recommender = squash(value_of(doc, LABELS, "recommender") or "")
    counted: list[str] = []
    header = True  # still in the lines before the body: marker, title, recommender
    titled = False
    for b in doc.blocks:
        s = squash(b.text() if isinstance(b, Table) else b)
        if not s:
            continue
        if header:
            if _ATTACHMENT.match(s) or LABELS.inline(s, "recommender") is not None:
                continue
            if not titled and "总结" in s and len(s) <= _HEADING_MAX:
                titled = True
                continue
        header = False
        counted.append(s)
    # the signature at the end (the unit's name, the date) is not body either
    while counted and (counted[-1] == recommender or _DATE_ONLY.match(counted[-1])):
        counted.pop()
    return sum(len(s) for s in counted)


# White space around a heading's 、 is layout (Word's tab after an automatic number, a PDF's gap),
# not the writer's text: "三 、存在问题" and "一、 基本情况" are "三、存在问题" and "一、基本情况".
_MARKER_GAP = re.compile(r"^([一二三四五六七八九十]+)\s*([、.．])\s*")


def sections(doc: Document) -> list[str]:
    """Top-level headings as written (``一、基本情况``), the gap after the number closed; a heading
    run into its first sentence is cut at the first full stop or colon; a longer line is prose
    that happens to start with 一、."""
    out: list[str] = []
    for p in doc.paragraphs:
        for line in p.splitlines():
            if not _HEADING.match(line):
                continue
            h = line.strip().strip("\u3000")
            m = re.search(r"[。：:；;]", h)
            if m:
                h = h[: m.start()]
            if len(h) > _HEADING_MAX:
                continue
            h = _MARKER_GAP.sub(r"\1\2", h.rstrip("。：:；; \u3000"))
            if h and h not in out:
                out.append(h)
    return out
