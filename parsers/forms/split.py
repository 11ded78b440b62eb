"""One file, several forms: where a document holds more than one form, and which parts they are.

Offices save the notice's forms together: one workbook whose sheets are the 统计表, 推荐表 and
评审汇总表; one .docx with the 申报表 of three groups one after another; one scanned PDF of all the
forms. Each of those forms must be judged as the form it is, or the receipt says "未收到" for forms
that arrived. The readers mark the file's natural divisions (:class:`parsers.model.Division`:
sheets, pages, Word sections); repeated form titles add more. This module decides which of those
divisions begin a new form.

Conservative, because splitting a form that is one is as bad as not splitting three: most files
are one form (a 申报表 over two pages, a 成果报告 with a page break per chapter, a 统计表 beside an
empty Sheet2 or a 说明 sheet). A division begins a new part only when

- it is, by its own content, another form than the part before it, that form's title is at its
  top and the form's extractor reads real fields from it; or
- it is another 申报表 (the one form sent once per group) with a group name or topic of its own,
  different from the one before.

Everything else goes on the part before it. A file that ends as one part is returned whole, with
``part`` None; otherwise each part says where it is (the sheet name, ``第2页``, ``第3–4页``,
``第2部分``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.forms.classify import UNKNOWN, classify, title_at_top
from parsers.forms.normalize import squash
from parsers.model import Block, Division, Document

#: Forms that may begin a part of their own. A 成果报告 or 证实性材料 page inside another file is
#: its appendix more often than a form sent with it (a report quotes its 活动记录), so never.
STARTERS = ("application", "statistics", "recommendation", "review", "summary")
#: Forms of which one file may hold several instances (one per group).
REPEATED = ("application",)
MIN_FIELDS = 2  # non-empty fields a division must give to count as a form of its own
#: The notice's form titles, as a line of their own begins each form (附件N and a year before them allowed).
TITLES = frozenset({"全国优秀质量管理小组申报表", "质量管理小组申报表", "质量管理小组活动统计表", "全国优秀质量管理小组推荐表",
                    "质量管理小组推荐表", "质量管理小组成果评审汇总表", "成果评审汇总表", "质量管理小组活动工作总结"})
_TITLE_PREFIX = re.compile(r"^(附件[0-9一二三四五]?[:：.、]?)?(\d{4}年度?)?(全国)?")
_ANNEX = re.compile(r"^附件[0-9一二三四五]?[:：.、]?$")


@dataclass
class Piece:
    """One form of a file: its own blocks, and where in the file it is (None: the file is one form)."""

    doc: Document
    part: str | None = None
    form: str = UNKNOWN


@dataclass
class _Segment:
    start: int
    end: int
    kind: str
    label: str
    pages: list[int] = field(default_factory=list)  # the PDF pages it covers (none for other files)


@dataclass
class _Part:
    segments: list[_Segment] = field(default_factory=list)
    form: str = UNKNOWN
    key: str = ""  # the group name or topic of an application part, to tell a second one


def is_title(text: str) -> bool:
    """A line that is one of the notice's form titles (``附件1``, a year or a note in brackets aside)."""
    s = squash(text)
    if len(s) > 40:
        return False
    s = re.sub(r"[（(][^）)]*[）)]$", "", s)
    s = _TITLE_PREFIX.sub("", s)
    return s in TITLES or ("全国" + s) in TITLES


def split(doc: Document, fmt: str) -> list[Piece]:
    """The forms ``doc`` holds, in file order; ``[Piece(doc)]`` for a document that is one form."""
    whole = [Piece(doc)]
    if not doc.text_trusted or not doc.blocks:
        return whole
    segments = _segments(doc)
    if sum(1 for s in segments if s.end > s.start) < 2:
        return whole
    parts = _parts(doc, segments, fmt)
    if len(parts) < 2:
        return whole
    return [Piece(_sub(doc, p, first=i == 0), _label(p, i), p.form) for i, p in enumerate(parts)]


def _segments(doc: Document) -> list[_Segment]:
    """The reader's divisions plus a division at every form title that is not at one already."""
    n = len(doc.blocks)
    marks: dict[int, Division] = {}
    for d in doc.divisions:
        if 0 <= d.start <= n:
            marks.setdefault(d.start, d)
    for i, b in enumerate(doc.blocks):
        if i and isinstance(b, str) and is_title(b):
            before = doc.blocks[i - 1]
            at = i - 1 if isinstance(before, str) and _ANNEX.match(squash(before)) else i
            if at and at not in marks and i not in marks:
                marks[at] = Division(at, "section")
    if 0 not in marks:
        marks[0] = Division(0, doc.divisions[0].kind if doc.divisions else "section")
    starts = sorted(marks)
    out = [_Segment(s, starts[i + 1] if i + 1 < len(starts) else n, marks[s].kind, marks[s].label)
           for i, s in enumerate(starts)]
    pages = sorted((d for d in doc.divisions if d.kind == "page"), key=lambda d: d.start)
    for i, d in enumerate(pages):
        empty = (i + 1 < len(pages) and pages[i + 1].start == d.start) or d.start >= n
        at = d.start - 1 if empty and d.start > 0 else d.start  # a page that only goes on with a table
        seg = next((x for x in out if x.start <= at < x.end), out[-1])
        if d.label.isdigit():
            seg.pages.append(int(d.label))
    return out


def _doc_of(doc: Document, segments: list[_Segment]) -> Document:
    blocks: list[Block] = [b for s in segments for b in doc.blocks[s.start:s.end]]
    return Document(blocks=blocks, text_trusted=doc.text_trusted, meta=dict(doc.meta))


def _fields(form: str, doc: Document) -> dict:
    from parsers.forms import EXTRACTORS  # the registry imports this module's neighbours

    module = EXTRACTORS.get(form)
    return module.extract(doc) if module is not None else {}


def _filled(fields: dict) -> int:
    return sum(1 for v in fields.values() if v not in (None, "", [], {}))


def _key(fields: dict) -> str:
    for k in ("group_name", "topic"):
        v = fields.get(k)
        if isinstance(v, str) and squash(v):
            return re.sub(r"[\"'“”‘’「」()（）]", "", squash(v)).lower()
    return ""


def _parts(doc: Document, segments: list[_Segment], fmt: str) -> list[_Part]:
    parts: list[_Part] = []
    for seg in segments:
        sub = _doc_of(doc, [seg])
        form = classify(sub, "", fmt) if seg.end > seg.start else UNKNOWN
        if not parts:
            parts.append(_Part([seg], form, _key(_fields(form, sub)) if form in REPEATED else ""))
            continue
        cur = parts[-1]
        if form in STARTERS and form != cur.form and title_at_top(sub, form):
            fields = _fields(form, sub)
            if _filled(fields) >= MIN_FIELDS:
                parts.append(_Part([seg], form, _key(fields) if form in REPEATED else ""))
                continue
        elif form in REPEATED and form == cur.form:
            key = _key(_fields(form, sub))
            if key and cur.key and key != cur.key:
                parts.append(_Part([seg], form, key))
                continue
            cur.key = cur.key or key
        cur.segments.append(seg)
    # a leading part that is no form (a cover page, a 说明 sheet) belongs to the form after it
    while len(parts) > 1 and parts[0].form == UNKNOWN:
        parts[1].segments[:0] = parts[0].segments
        del parts[0]
    for p in parts:  # the form as the whole part reads, a continuation included
        p.form = classify(_doc_of(doc, p.segments), "", fmt)
    return parts


def _sub(doc: Document, part: _Part, first: bool) -> Document:
    """The part as a document of its own; the file's problems go with its first part only (once), and a
    PDF part is sealed when one of its own pages is (each 申报表 of a file carries its own seal)."""
    sub = _doc_of(doc, part.segments)
    sub.problems = list(doc.problems) if first else []
    sealed = doc.meta.get("seal_pages")
    pages = [p for s in part.segments for p in s.pages]
    if isinstance(sealed, list) and pages and max(pages) <= len(sealed):
        sub.meta["seal_detected"] = any(sealed[p - 1] for p in pages)
    return sub


def _label(part: _Part, index: int) -> str:
    """Where the part is: its sheet name(s), its page(s), else its place among the parts."""
    segs = part.segments
    if all(s.kind == "sheet" for s in segs):
        names = [s.label for s in segs if s.end > s.start and s.label]
        if names:
            return "、".join(names)
    pages = [p for s in segs for p in s.pages]
    if pages:
        first, last = min(pages), max(pages)
        return f"第{first}页" if first == last else f"第{first}–{last}页"
    return f"第{index + 1}部分"
