"""附件3 质量管理小组活动统计表 → contract numbers and the 发表会 / contact part.

The upper part is rows of ``统计项目 | 单位 | 数量``. Item labels are long and overlap
(``本年度QC小组成果率=取得成果小组数/QC小组注册数×100%`` mentions 注册), so each item is a set of
words that must all appear (and words that must not), and a row goes to the item whose words
match the most characters. The quantity is in the ``数量`` column when there is a header,
otherwise the last cell of the row that is not the unit.
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
from parsers.forms.normalize import clean_text, nfkc, normalize_phone, parse_number, squash
from parsers.model import Document, Table

KEYS: tuple[str, ...] = ("recommender", "groups_registered_total", "groups_registered_year", "participation_rate",
        "groups_active_year", "benefit_total", "benefit_year", "achievement_rate", "funding_year", "reward_year",
        "meeting_held", "meeting_signups", "meeting_presented", "meeting_time", "meeting_place",
        "meeting_attendees", "responsible", "contact_person", "mobile", "email", "address", "postcode")

#: item key → (words that must all appear, words that must not)
ITEMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "groups_registered_total": (("累计", "注册"), ("效益",)),
    "groups_registered_year": (("本年度", "登记注册"), ("累计", "率")),
    "participation_rate": (("普及率",), ()),
    "groups_active_year": (("坚持活动",), ()),
    "benefit_total": (("累计", "效益"), ()),
    "benefit_year": (("本年度", "效益"), ("累计",)),
    "achievement_rate": (("成果率",), ()),
    "funding_year": (("经费",), ("奖励",)),
    "reward_year": (("奖励",), ()),
}
_UNIT_WORDS = re.compile(r"^(万?个|万?元|亿元|百分数|百分比|%|人|人次|项|家)$")

LABELS = LabelSet([
    RECOMMENDER,
    Label("meeting_held", ("是否组织发表会", "是否组织成果发表会", "是否召开发表会")),
    Label("meeting_signups", ("发表会报名小组数", "报名小组数")),
    Label("meeting_presented", ("发表小组数",)),
    Label("meeting_time", ("发表会时间",)),
    Label("meeting_place", ("发表会地点",)),
    Label("meeting_attendees", ("参会人数",)),
    Label("responsible", ("QC小组工作归口部门及负责人", "小组工作归口部门及负责人", "工作归口部门及负责人",
                          "归口部门及负责人", "归口部门")),
    Label("contact_person", ("联系人",)),
    Label("mobile", ("手机号码", "手机")),
    Label("email", ("电子邮箱", "邮箱", "E-mail", "Email")),
    Label("address", ("通信地址", "通讯地址")),
    Label("postcode", ("邮政编码", "邮编")),
    Label("header", ("统计项目", "单位", "数量")),
])
_TEXT_KEYS = ("recommender", "meeting_time", "meeting_place", "responsible", "contact_person", "address")
_NUMBER_KEYS = ("meeting_signups", "meeting_presented", "meeting_attendees")


def extract(doc: Document) -> dict[str, Any]:
    out: dict[str, Any] = {k: value_of(doc, LABELS, k) for k in _TEXT_KEYS}
    out.update(_items(doc))
    for k in _NUMBER_KEYS:
        out[k] = parse_number(value_of(doc, LABELS, k))
    out["meeting_held"] = _meeting_held(doc)
    out["mobile"] = normalize_phone(value_of(doc, LABELS, "mobile"))
    email = value_of(doc, LABELS, "email")
    out["email"] = re.sub(r"\s", "", nfkc(email)) if email else None
    postcode = value_of(doc, LABELS, "postcode")
    out["postcode"] = re.sub(r"\s", "", nfkc(postcode)) if postcode else None
    return {k: out.get(k) for k in KEYS}


def item_of(label: str) -> tuple[str | None, int]:
    """The item a row label names and how many characters of it matched (0: none)."""
    s = squash(label).upper()
    best: tuple[str | None, int] = (None, 0)
    for key, (need, never) in ITEMS.items():
        if all(w in s for w in need) and not any(w in s for w in never):
            score = sum(len(w) for w in need)
            if score > best[1]:
                best = (key, score)
    return best


#: Header words of the quantity and unit columns (the notice says 数量 and 单位; units retype them).
QTY_HEADERS = ("数量", "数值", "数据", "填报数", "填报数据", "统计数", "统计数据", "指标值", "本年度数据")
UNIT_HEADERS = ("单位", "计量单位", "单位名称")


def _columns(t: Table) -> tuple[int | None, int | None]:
    """Columns of the 数量 and 单位 headers, when the table has them (in any order, among other columns
    such as 序号 or 备注, so a note is never read as the quantity)."""
    for row in t.grid:
        names = [norm_label(x) for x in row]
        qty = next((i for i, n in enumerate(names) if n in QTY_HEADERS), None)
        if qty is not None:
            return qty, next((i for i, n in enumerate(names) if n in UNIT_HEADERS), None)
    return None, None


def _items(doc: Document) -> dict[str, Any]:
    out: dict[str, Any] = {k: None for k in ITEMS}
    scores: dict[str, int] = {}
    for b in body_blocks(doc):
        if not isinstance(b, Table):
            continue
        qty_col, unit_col = _columns(b)
        for row in b.grid:
            # the item label is the cell naming an item (a 序号 column may come first)
            label, (key, score) = max(((x, item_of(x)) for x in row if x.strip()), key=lambda p: p[1][1],
                                      default=("", (None, 0)))
            if key is None or score <= scores.get(key, 0):
                continue
            value, unit = _row_value(row, label, qty_col, unit_col)
            if value is None and key in scores:
                continue
            scores[key] = score
            out[key] = parse_number(value, unit)
    for text in (x for x in body_blocks(doc) if isinstance(x, str)):
        # '历年来累计已登记注册QC小组数：3.2万个' typed as a line
        head, sep, rest = nfkc(text).partition(":")
        key, _ = item_of(head) if sep else (None, 0)
        if key and out[key] is None:
            out[key] = parse_number(rest)
    return out


def _row_value(row: list[str], label: str, qty_col: int | None, unit_col: int | None) -> tuple[str | None, str]:
    unit = row[unit_col] if unit_col is not None and unit_col < len(row) else ""
    if qty_col is not None and qty_col < len(row) and row[qty_col] != label:
        return clean_text(row[qty_col]), unit
    after = row[row.index(label) + 1:] if label in row else row  # not a 序号 before the item
    cells = [x for x in after if x.strip() and x != label]
    units = [x for x in cells if _UNIT_WORDS.match(squash(x))]
    unit = unit or (units[0] if units else "")
    values = [x for x in cells if x not in units]
    return (clean_text(values[-1]) if values else None), unit


def _meeting_held(doc: Document) -> bool | None:
    """是 / 否 ticked, else the answer set off by highlighting or bold (Word) without a tick."""
    f = locate(doc, LABELS, "meeting_held")
    if f is None:
        return None
    text = f.text
    if f.table is not None and norm_label(f.table.cell(f.row, f.col)) in LABELS.by_key["meeting_held"].normed:
        text = row_after_label(f.table, f.row, f.col, LABELS) or f.text
    held = marks.yes_no(text)
    if held is None:
        choice = marks.emphasised_choice(text, emphasised_near(doc, f, LABELS), marks.YES_NO)
        held = None if choice is None else choice == "yes"
    return held
