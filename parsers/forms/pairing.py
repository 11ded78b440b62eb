"""Post-passes over one message: pair an application's PDF copy with its Word copy, and find the
recommending unit the forms agree on.

The notice asks for each 申报表 twice: a stamped PDF (often a scan, so no text) and a Word file.
A scanned PDF gives no company or group name; its Word twin does, and the rules need both to say
which group a missing or unstamped copy belongs to.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from parsers.formats import PDF_FORMATS, WORD_FORMATS
from parsers.forms.classify import name_scores
from parsers.forms.normalize import squash

PDF_LIKE = PDF_FORMATS
WORD_LIKE = WORD_FORMATS
_NOISE = re.compile(r"附件[0-9一]?|全国优秀质量管理小组|质量管理小组|申报表|盖章版?|扫描件?|电子版|word版?|pdf版?|"
                    r"[（）()\[\]【】_\-—·.、,，\s]", re.IGNORECASE)
APPLICATION_KEYS = ("recommender", "company", "group_name", "topic", "topic_type", "address", "postcode",
                    "contact_dept", "contact_person", "mobile", "members", "intro", "date")
FORM_PRIORITY = ("recommendation", "statistics", "review", "summary", "application")


def _stem(filename: str) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)
    return _NOISE.sub("", squash(name))


def _similar(pdf: Any, word: Any) -> bool:
    a, b = _stem(pdf.filename), _stem(word.filename)
    short = min(a, b, key=len)
    distinctive = len(short) >= 4 or (len(short) >= 2 and re.search(r"[\u4e00-\u9fff]", short) is not None)
    if distinctive and (a in b or b in a):
        return True
    pdf_name = squash(pdf.filename)
    return any(v and squash(v) in pdf_name for v in (word.fields.get("group_name"), word.fields.get("company")))


def _same_group(pdf: Any, word: Any) -> bool:
    """Both copies read a group name, and it is the same one."""
    a, b = (_loose(d.fields.get("group_name")) for d in (pdf, word))
    return bool(a) and a == b


def _loose(value: Any) -> str:
    return re.sub(r"[\"'“”‘’「」()（）]", "", squash(value)).lower() if isinstance(value, str) else ""


def pair_documents(documents: list) -> None:
    _adopt_by_container(documents)
    for d in documents:
        if d.form == "unknown" and d.format in PDF_LIKE and "申报表" in squash(d.filename):
            d.form = "application"
            d.fields = _empty_application() | dict(d.fields or {})
    apps = [d for d in documents if d.form == "application"]
    for d in apps:
        d.fields["copy"] = "pdf" if d.format in PDF_LIKE else "word"
    pdfs = [d for d in apps if d.fields["copy"] == "pdf"]
    words = [d for d in apps if d.fields["copy"] == "word" and (d.fields.get("company") or d.fields.get("group_name"))]
    free = list(words)
    pending = []
    for p in pdfs:  # a PDF that names its own group is that group's copy first (one file of several 申报表)
        twin = next((w for w in free if _same_group(p, w)), None) or next((w for w in free if _similar(p, w)), None)
        if twin is None:
            pending.append(p)
            continue
        free.remove(twin)
        _pair(p, twin)
    if len(pending) == 1 and len(free) == 1 and len(pdfs) == 1 and len(words) == 1:
        _pair(pending[0], free[0])
        free = []
    _adopt_scans(documents, free)


def _adopt_by_container(documents: list) -> None:
    """Photos and scans named by a camera or scanner (``IMG_0001.jpg``, ``DSC00417.JPG``) inside an
    archive whose name says what they are (``小组活动照片.zip``): they are that form. Only for files
    without readable text whose own name says nothing, and only when the archive's name points to
    one form alone (``申报表、总结.zip`` decides nothing). A photo OCR read some words from (a banner, a
    whiteboard) but that is no form is still a photo of that archive."""
    from parsers.forms import EXTRACTORS  # the registry imports this module

    for d in documents:
        if d.form != "unknown" or not d.container or d.format not in PDF_LIKE or (d.text_trusted and d.read_by != "ocr"):
            continue
        if name_scores(d.filename):
            continue
        scores = name_scores(d.container)
        if len(scores) != 1:
            continue
        form = next(iter(scores))
        d.form = form
        d.fields = dict.fromkeys(EXTRACTORS[form].KEYS) | dict(d.fields or {})


def _adopt_scans(documents: list, unpaired_words: list) -> None:
    """Scanned PDFs with a name that says nothing (``扫描件002.pdf``) while Word applications lack
    their PDF copy: those scans are the stamped copies. Only when there are no more scans than
    copies missing, so a scanned 推荐表 in a message without such gaps stays unknown."""
    scans = [d for d in documents if d.form == "unknown" and d.format == "pdf"
             and any(p.rule == "document.scanned" for p in d.problems)]
    if not scans or len(scans) > len(unpaired_words):
        return
    for d in scans:
        d.form = "application"
        d.fields = _empty_application() | {"copy": "pdf"}
    if len(scans) == 1 and len(unpaired_words) == 1:
        _pair(scans[0], unpaired_words[0])


def _empty_application() -> dict[str, Any]:
    """Like extract() on an unreadable copy: every key, all None."""
    return dict.fromkeys(APPLICATION_KEYS)


def _pair(pdf: Any, word: Any) -> None:
    pdf.fields["paired_with"] = word.filename
    word.fields["paired_with"] = pdf.filename
    for k in ("company", "group_name"):
        if not pdf.fields.get(k):
            pdf.fields[k] = word.fields.get(k)


def recommender_of(documents: list) -> str | None:
    """The recommender most forms agree on (ties: the recommendation form's, then statistics …)."""
    votes: Counter[str] = Counter()
    written: dict[str, str] = {}
    rank: dict[str, int] = {}
    for d in documents:
        v = (d.fields or {}).get("recommender")
        if not isinstance(v, str) or not squash(v):
            continue
        key = squash(v)
        votes[key] += 1
        r = FORM_PRIORITY.index(d.form) if d.form in FORM_PRIORITY else len(FORM_PRIORITY)
        if key not in rank or r < rank[key]:
            rank[key] = r
            written[key] = v.strip()
    if not votes:
        return None
    best = max(votes, key=lambda k: (votes[k], -rank[k]))
    return written[best]
