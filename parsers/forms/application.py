"""附件1 全国优秀质量管理小组申报表 → contract fields.

One form per group. The values sit beside their labels in one table (Word), in a sheet
(Excel) or in running lines (a PDF without ruled tables); the recommender is usually a line
above the table.
"""

from __future__ import annotations

import re
from typing import Any

from parsers.forms import marks
from parsers.forms.labels import (
    RECOMMENDER,
    Label,
    LabelSet,
    body_blocks,
    emphasised_near,
    locate,
    norm_label,
    row_after_label,
    value_of,
)
from parsers.forms.normalize import clean_text, nfkc, normalize_phone, one_line, squash, strip_dates
from parsers.forms.stamp import stamp_date
from parsers.model import Document, Table

KEYS: tuple[str, ...] = ("recommender", "company", "group_name", "topic", "topic_type", "address", "postcode", "contact_dept",
        "contact_person", "mobile", "members", "intro", "date")

LABELS = LabelSet([
    RECOMMENDER,
    Label("company", ("企业名称", "单位名称", "企业（单位）名称")),
    Label("group_name", ("QC小组名称", "质量管理小组名称", "小组名称")),
    Label("topic", ("课题名称", "成果名称")),
    Label("topic_type", ("课题类型",)),
    Label("address", ("详细通信地址", "通信地址", "通讯地址", "地址")),
    Label("postcode", ("邮政编码", "邮编")),
    Label("contact_dept", ("小组联系部门", "联系部门")),
    Label("contact_person", ("直接联系人", "联系人")),
    Label("mobile", ("手机号码", "手机", "联系电话", "移动电话")),
    Label("members", ("小组成员名单", "小组成员", "成员名单")),
    Label("intro", ("QC小组简介和主要活动过程及效果", "小组简介和主要活动过程及效果", "QC小组简介", "小组简介")),
])

_SIMPLE = ("recommender", "company", "group_name", "topic", "address", "contact_dept", "contact_person")
#: Name-like fields: a line break inside their cell is wrapping typed to make the text fit.
_ONE_LINE = ("recommender", "company", "group_name", "topic", "address")
_STAMP = re.compile(r"(单\s*位\s*)?盖\s*章")
_NUMBER_ONLY = re.compile(r"^[\d\s.、，,)）(（]*$")
_LEADING_NO = re.compile(r"^\s*[(（]?\d{1,2}\s*[.、．)）:：]?\s*")
_NAME_SPLIT = re.compile(r"[、，,;；/\n]+")
#: A role or note after a name: 张三（组长）, 李四(副组长), 王五【顾问】.
_ROLE_NOTE = re.compile(r"\s*[(（\[【][^()（）\[\]【】]{1,8}[)）\]】]")
#: Roles written beside a name: 组长：张三, 组员：王五、赵六, 张三 组长, 副组长李四.
ROLE_WORDS = ("副组长", "组长", "组员", "成员", "顾问", "技术顾问", "质量顾问", "秘书", "联络员", "指导老师",
              "指导教师", "指导人", "辅导员", "负责人", "主持人")
_ROLES = "|".join(sorted(ROLE_WORDS, key=len, reverse=True))
_ROLE_LABEL = re.compile(rf"(?:{_ROLES})\s*[:：]")
_ROLE_TOKEN = re.compile(rf"^(?:{_ROLES})$")
_ROLE_GLUED = re.compile(rf"^(?:{_ROLES})(?=[\u4e00-\u9fff]{{2,4}}$)")
#: The name column of a member table (序号 | 姓名 | 性别 | 文化程度 | 职务 | 组内分工).
_NAME_HEADER = ("姓名", "成员姓名", "组员姓名", "小组成员姓名")


def extract(doc: Document) -> dict[str, Any]:
    out: dict[str, Any] = {k: value_of(doc, LABELS, k) for k in _SIMPLE}
    for k in _ONE_LINE:
        out[k] = one_line(out[k])
    postcode = value_of(doc, LABELS, "postcode")
    out["postcode"] = re.sub(r"\s", "", nfkc(postcode)) if postcode else None
    out["mobile"] = normalize_phone(value_of(doc, LABELS, "mobile"))
    out["topic_type"] = _topic_type(doc)
    out["members"] = _members(doc)
    out["intro"] = _intro(doc)
    out["date"] = stamp_date(doc)
    return {k: out.get(k) for k in KEYS}


def _topic_type(doc: Document) -> str | None:
    """The ticked type; without any tick, the one type set off by highlighting/bold/underline (Word)."""
    f = locate(doc, LABELS, "topic_type")
    if f is None:
        return None
    text = f.text
    if f.table is not None and norm_label(f.table.cell(f.row, f.col)) == norm_label("课题类型"):
        text = row_after_label(f.table, f.row, f.col, LABELS) or f.text
    return marks.topic_type(text) or marks.emphasised_choice(text, emphasised_near(doc, f, LABELS))


# --- members ---------------------------------------------------------------------------------

def split_names(text: str) -> list[str]:
    """Names from one cell: ``1 张三``, ``张三、李四``, ``张 三`` (a padded two-character name), with the
    roles people add dropped (``张三（组长）``, ``组长：张三``, ``张三 组长``): the list is names.

    White space separates names unless every piece is one character: ``张 三`` is one name,
    ``张三 李四`` two.
    """
    names: list[str] = []
    for chunk in _NAME_SPLIT.split(_ROLE_LABEL.sub(" ", _ROLE_NOTE.sub(" ", nfkc(text)))):
        chunk = _LEADING_NO.sub("", chunk).strip()
        if not chunk or _NUMBER_ONLY.match(chunk):
            continue
        parts = [p for p in re.split(r"\s+", chunk) if p and not _NUMBER_ONLY.match(p)]
        parts = [_LEADING_NO.sub("", p) if re.match(r"^\d", p) else p for p in parts]
        parts = [_ROLE_GLUED.sub("", p) for p in parts if p and not _ROLE_TOKEN.match(p)]
        if parts and all(len(p) == 1 for p in parts):
            names.append("".join(parts))
        else:
            names.extend(parts)
    return names


def _members(doc: Document) -> list[str]:
    f = locate(doc, LABELS, "members")
    if f is None:
        return []
    if f.table is None:  # a heading line; the names follow in its text or in a member table below
        return split_names(f.text) or _member_table_elsewhere(doc)
    t, r, c = f.table, f.row, f.col
    label_text = t.cell(r, c)
    if norm_label(label_text) not in LABELS.by_key["members"].normed:
        return split_names(f.text)  # '小组成员名单：张三、李四' in one cell
    names: list[str] = []
    names += _row_names(t, r, c + 1, label_text)
    name_col: int | None = None
    for rr in range(r + 1, t.n_rows):
        row = t.grid[rr]
        col = _name_column(row)
        if col is not None:  # a member table: 序号 | 姓名 | 性别 | … — only the 姓名 column is names
            name_col = col
            continue
        if any(x != label_text and LABELS.is_label(x) for x in row if x.strip()):
            break
        if any(x != label_text and LABELS.hits(x, start_only=True) for x in row if x.strip()):
            break
        if name_col is not None:
            names += split_names(row[name_col]) if name_col < len(row) else []
        else:
            names += _row_names(t, rr, 0, label_text)
    if not names:
        names = _member_table_elsewhere(doc)
    return names


def _name_column(row: list[str]) -> int | None:
    """The 姓名 column when ``row`` is a member table header (it has 姓名 and another heading)."""
    normed = [norm_label(x) for x in row]
    col = next((i for i, n in enumerate(normed) if n in _NAME_HEADER), None)
    if col is None:
        return None
    others = {"序号", "性别", "职务", "职称", "文化程度", "学历", "组内分工", "分工", "年龄", "部门"}
    return col if any(n in others for n in normed) else None


def _member_table_elsewhere(doc: Document) -> list[str]:
    """Names from a separate member table (header 序号 | 姓名 | …) when the label cell had none."""
    for t in doc.tables:
        for r, row in enumerate(t.grid):
            col = _name_column(row)
            if col is None:
                continue
            out: list[str] = []
            for rr in range(r + 1, t.n_rows):
                cell = t.cell(rr, col)
                if not cell.strip() or LABELS.is_label(cell):
                    break
                out += split_names(cell)
            if out:
                return out
    return []


def _row_names(t: Table, r: int, c0: int, label_text: str) -> list[str]:
    out: list[str] = []
    prev = None
    for c in range(c0, t.n_cols):
        txt = t.cell(r, c)
        if txt == prev or txt == label_text:
            prev = txt
            continue
        prev = txt
        out += split_names(txt)
    return out


# --- intro -----------------------------------------------------------------------------------

def _intro(doc: Document) -> str | None:
    f = locate(doc, LABELS, "intro", cut=False)
    if f is None:
        return None
    text = f.text
    if f.table is None and not text:
        text = _following_paragraphs(doc, f.row)
    elif f.table is not None and not _STAMP.search(text) and f.row == f.table.n_rows - 1:
        text = "\n".join(x for x in (text, _after_table(doc, f.table)) if x)
    m = _STAMP.search(text)
    if m:
        text = text[: m.start()]
    lines = [ln for ln in text.splitlines() if squash(strip_dates(ln)) or not squash(ln)]
    return clean_text("\n".join(lines).strip())


def _after_table(doc: Document, table: Table) -> str:
    """The rest of an intro cell that went on below its table: a row broken across PDF pages whose
    second half has no ruled box, or text typed under the form. Only up to the stamp line, and only
    when there is one (otherwise the lines after the table are not the intro's)."""
    blocks = list(body_blocks(doc))
    at = next((i for i, b in enumerate(blocks) if b is table), None)
    if at is None:
        return ""
    out: list[str] = []
    for b in blocks[at + 1:]:
        if isinstance(b, Table):
            return ""
        m = _STAMP.search(b)
        if m:
            out.append(b[: m.start()])
            return "\n".join(out)
        out.append(b)
    return ""


def _following_paragraphs(doc: Document, index: int) -> str:
    """Running-text intro (a PDF without ruled tables): the lines after the label, up to the stamp."""
    out: list[str] = []
    for b in list(body_blocks(doc))[index + 1:]:
        if isinstance(b, Table):
            break
        m = _STAMP.search(b)
        if m:
            out.append(b[: m.start()])
            break
        out.append(b)
    return "\n".join(out)
