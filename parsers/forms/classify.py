"""Which form a document is: content first, file name second.

Every form scores points for the words it is made of; the title counts most, and more when it is
at the top of the document (the application form's notes mention 成果报告 and 证实性材料, a
summary may quote the 申报表 — one keyword must not decide). The file name adds a smaller score,
so it decides when the content is ambiguous, and alone when the text cannot be read (scanned PDF,
image, unreadable file).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from parsers.forms.normalize import squash
from parsers.model import Document

UNKNOWN = "unknown"

#: (word, points). Title words score TITLE_BONUS more when they appear in the first lines.
CONTENT: dict[str, list[tuple[str, float]]] = {
    "application": [("全国优秀质量管理小组申报表", 10), ("小组申报表", 4), ("申报表", 2), ("课题名称", 1.5),
                    ("小组成员名单", 2.5), ("QC小组简介", 3), ("主要活动过程及效果", 2), ("直接联系人", 1.5),
                    ("小组联系部门", 1.5), ("详细通信地址", 1), ("单位盖章", 0.5), ("企业名称", 0.5),
                    ("小组名称", 0.5), ("课题类型", 0.5)],
    "statistics": [("质量管理小组活动统计表", 10), ("统计表", 3), ("统计项目", 3), ("累计已登记注册", 3),
                   ("已登记注册", 1), ("普及率", 2), ("成果率", 2), ("是否组织发表会", 2), ("经济效益", 1),
                   ("坚持活动", 1)],
    "recommendation": [("全国优秀质量管理小组推荐表", 10), ("推荐表", 3), ("评委名单", 4), ("评委证书编号", 3), ("评委", 1.5), ("工作单位", 0.5),
                       ("推荐质协章", 1), ("填表人", 0.5)],
    "review": [("成果评审汇总表", 10), ("评审汇总表", 5), ("成果评价", 3), ("汇总表", 1), ("分数", 1),
               ("优势", 0.5), ("不足", 0.5)],
    "summary": [("活动工作总结", 8), ("活动总结", 5), ("工作总结", 4), ("总结要求", 2), ("推进经验", 3),
                ("基本情况", 2), ("存在问题", 1.5), ("改进方向", 1.5), ("推进工作", 1), ("发表会", 0.5)],
    "report": [("成果报告", 6), ("选题理由", 2), ("现状调查", 2), ("设定目标", 1), ("目标可行性", 1.5),
               ("原因分析", 2), ("要因确认", 3), ("制定对策", 2), ("对策实施", 2), ("效果检查", 2),
               ("巩固措施", 1.5), ("标准化", 1), ("遗留问题", 1), ("下一步打算", 1), ("小组概况", 1),
               ("课题", 0.5)],
    "evidence": [("证实性材料", 6), ("活动记录", 5), ("证明材料", 4), ("会议记录", 3), ("签到表", 3),
                 ("签到", 1.5), ("照片", 1.5), ("参加人员", 1), ("活动时间", 1), ("活动地点", 1),
                 ("记录人", 1)],
}
TITLE_BONUS = 6.0
TITLE_WORDS = {"全国优秀质量管理小组申报表", "小组申报表", "申报表", "质量管理小组活动统计表", "统计表",
               "全国优秀质量管理小组推荐表", "推荐表", "成果评审汇总表", "评审汇总表", "活动工作总结",
               "活动总结", "工作总结", "成果报告", "证实性材料", "活动记录", "会议记录", "签到表"}

#: File-name words (regexes on the squashed name) and their points.
NAME: dict[str, list[tuple[str, float]]] = {
    "application": [(r"附件一(?![0-9〇一二三四五六七八九十])|附件1(?!\d)", 2), (r"申报表|申报书", 4)],
    "summary": [(r"附件二|附件2(?!\d)", 2), (r"总结", 4)],
    "statistics": [(r"附件三|附件3(?!\d)", 2), (r"统计", 4)],
    "recommendation": [(r"附件四|附件4(?!\d)", 2), (r"推荐表|推荐名单|推荐汇总", 4)],
    "review": [(r"附件五|附件5(?!\d)", 2), (r"评审汇总|汇总表|评审表", 5)],
    "report": [(r"成果报告", 5), (r"成果", 2), (r"报告", 1)],
    "evidence": [(r"证实|活动记录|证明材料|佐证", 5), (r"照片|签到|记录", 2)],
}
NAME_WEIGHT = 1.0
MIN_CONTENT = 4.0  # below this the content says nothing reliable
HEAD_LINES = 6
LONG_TEXT = 1500  # characters: a long text with 基本情况 etc. is a summary


def name_scores(filename: str) -> dict[str, float]:
    """Points per form that a file (or archive) name earns; {} when the name says nothing."""
    stem = squash(PurePosixPath(filename.replace("\\", "/")).name)
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", stem).upper()
    out: dict[str, float] = {}
    for form, pats in NAME.items():
        s = sum(p for rx, p in pats if re.search(rx, stem))
        if s:
            out[form] = s
    return out


def _content_scores(doc: Document) -> dict[str, float]:
    lines = [squash(x) for x in doc.text().splitlines()]
    lines = [x for x in lines if x]
    head = "".join(lines[:HEAD_LINES]).upper()
    body = "".join(lines).upper()
    out: dict[str, float] = {}
    for form, words in CONTENT.items():
        s = 0.0
        for w, p in words:
            w = w.upper()
            if w in body:
                s += p
                if w in TITLE_WORDS and w in head:
                    s += TITLE_BONUS
        if s:
            out[form] = s
    if len(body) >= LONG_TEXT and out.get("summary", 0) >= 3.5 and out.get("summary", 0) >= out.get("report", 0):
        out["summary"] = out["summary"] + 3
    return out


def title_at_top(doc: Document, form: str) -> bool:
    """Whether one of ``form``'s title words is in the document's first lines (where a form's title is)."""
    lines = [squash(x) for x in doc.text().splitlines()]
    head = "".join([x for x in lines if x][:HEAD_LINES]).upper()
    return any(w in TITLE_WORDS and w.upper() in head for w, _p in CONTENT.get(form, ()))


def readable(doc: Document | None, fmt: str) -> bool:
    """Whether the content may be trusted for classification at all (an image only when OCR read it)."""
    if doc is None or not doc.text_trusted or (fmt == "image" and doc.meta.get("read_by") != "ocr"):
        return False
    text = doc.text()
    return len(squash(text[:64])) >= 4 or len(squash(text)) >= 4  # the whole text only when its start is blank


def title_words(form: str) -> tuple[str, ...]:
    """``form``'s title words (what its first lines say), longest first."""
    return tuple(sorted((w for w, _p in CONTENT.get(form, ()) if w in TITLE_WORDS), key=len, reverse=True))


def may_be(form: str, doc: Document | None, filename: str, fmt: str) -> bool:
    """Whether :func:`classify` could call ``doc`` — or a part :mod:`parsers.forms.split` cuts from it —
    ``form``: its content is unreadable (the name or a title probe decides), or it holds one of
    ``form``'s words, or its name says ``form``. False means no: without the form's words and name its
    score is 0, below whatever form its content or name does score. Why: work only that form needs
    (a 申报表's seal check, every PDF page rendered) is skipped for the others."""
    if not readable(doc, fmt) or name_scores(filename).get(form):
        return True
    assert doc is not None
    return bool(_content_scores(doc).get(form))


def classify(doc: Document | None, filename: str, fmt: str) -> str:
    names = name_scores(filename)
    if not readable(doc, fmt):
        if doc is not None and doc.meta.get("title_form"):  # only its title was OCR'd (a title probe)
            return str(doc.meta["title_form"])
        return max(names, key=lambda f: names[f]) if names else UNKNOWN
    assert doc is not None
    content = _content_scores(doc)
    best_content = max(content.values(), default=0.0)
    if best_content < MIN_CONTENT:
        return max(names, key=lambda f: names[f]) if names else UNKNOWN
    total = {f: content.get(f, 0.0) + NAME_WEIGHT * names.get(f, 0.0) for f in set(content) | set(names)}
    return max(total, key=lambda f: (total[f], content.get(f, 0.0)))
