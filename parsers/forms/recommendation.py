"""附件4 全国优秀质量管理小组推荐表 → the recommended groups, the judges, and the signature line.

The two lists are found by their header rows (``序号 | 企业名称 | 小组名称 | 课题类型`` and
``序号 | 姓名 | 工作单位 | 评委证书编号 | 手机``), whether they are two tables, one table with a
``二、评委名单`` row in between, or two sheets.
"""

from __future__ import annotations

import re
from typing import Any

from parsers.forms import marks
from parsers.forms.labels import RECOMMENDER, Label, LabelSet, texts, value_of
from parsers.forms.normalize import (
    clean_text,
    landline_text,
    normalize_digits,
    normalize_phone,
    one_line,
    strip_dates,
)
from parsers.forms.rows import EMPHASIS, Column, ListSpec, cell_text, read_lists
from parsers.forms.stamp import stamp_date
from parsers.model import Document

KEYS: tuple[str, ...] = ("recommender", "groups", "judges", "filled_by", "phone", "date")

GROUPS = ListSpec([
    Column("seq", ("序号",)),
    Column("company", ("企业名称", "单位名称", "企业", "申报单位", "所在单位", "单位")),
    Column("group_name", ("QC小组名称", "质量管理小组名称", "小组名称")),
    Column("topic_type", ("课题类型", "类型")),
], required=("group_name",), min_found=3)

JUDGES = ListSpec([
    Column("seq", ("序号",)),
    Column("name", ("姓名", "评委姓名")),
    Column("employer", ("工作单位", "所在单位", "单位")),
    Column("certificate_no", ("评委证书编号", "证书编号", "证书号", "编号")),
    Column("mobile", ("手机号码", "手机号", "手机", "联系电话", "电话", "联系方式")),
], required=("name",), min_found=3)

STOP = ("填表人", "推荐质协章", "评委名单")
_SEAL_NAMED = re.compile(r"推\s*荐\s*质\s*协\s*章\s*[(（]\s*([^()（）]{4,40}?)\s*[)）]")

LABELS = LabelSet([
    RECOMMENDER,
    Label("filled_by", ("填表人",)),
    Label("phone", ("联系电话", "电话")),
    Label("seal", ("推荐质协章", "推荐单位盖章"), bare=True),
], stops=("年月日",))


def topic_type_cell(value: Any, emphasis: list[str] | None = None) -> str | None:
    """A 课题类型 cell: '问题解决型'/'创新型' when it says so (tick columns included; the template's
    ``问题解决型/创新型`` with the chosen one highlighted or bold in Word), else as written."""
    if isinstance(value, list):  # tick columns: [(option, cell)]; exactly one marked is the choice
        ticked = [opt for opt, cell in value if marks.ticked_cell(cell)]
        return marks.topic_type(ticked[0]) if len(ticked) == 1 else None
    text = clean_text(value)
    if text is None:
        return None
    return marks.topic_type(text) or marks.emphasised_choice(text, emphasis or []) or text


def extract(doc: Document) -> dict[str, Any]:
    lists = read_lists(doc, {"groups": GROUPS, "judges": JUDGES}, stop=STOP)
    # only 课题类型 may be tick columns; any other key spanning two columns is read as text
    marked = [g.pop(EMPHASIS, {}) for g in lists["groups"]]
    lists["groups"] = [{k: v if k == "topic_type" else cell_text(v) for k, v in g.items()} for g in lists["groups"]]
    lists["judges"] = [{k: cell_text(v) for k, v in j.items() if k != EMPHASIS} for j in lists["judges"]]
    groups = [
        {
            "seq": normalize_digits(g.get("seq")),
            "company": one_line(clean_text(g.get("company"))),
            "group_name": one_line(clean_text(g.get("group_name"))),
            "topic_type": topic_type_cell(g.get("topic_type"), m.get("topic_type")),
        }
        for g, m in zip(lists["groups"], marked, strict=True)
    ]
    judges = [
        {
            "seq": normalize_digits(j.get("seq")),
            "name": clean_text(j.get("name")),
            "employer": clean_text(j.get("employer")),
            "certificate_no": normalize_digits(j.get("certificate_no")),
            "mobile": normalize_phone(j.get("mobile")),
        }
        for j in lists["judges"]
    ]
    return {
        "recommender": recommender(doc),
        "groups": groups,
        "judges": judges,
        "filled_by": value_of(doc, LABELS, "filled_by"),
        "phone": landline_text(value_of(doc, LABELS, "phone")),
        "date": stamp_date(doc),
    }


def recommender(doc: Document) -> str | None:
    """推荐单位/推荐省市、行业 line, else what is written at the 推荐质协章 (when it is not a date)."""
    v = value_of(doc, LABELS, "recommender")
    if v:
        return v
    seal = value_of(doc, LABELS, "seal")
    if seal and clean_text(strip_dates(seal)):
        return clean_text(strip_dates(seal))
    for text in texts(doc):  # 推荐质协章（江苏省质量协会）: the unit written in the stamp's brackets
        m = _SEAL_NAMED.search(text)
        if m and not re.search(r"盖章|公章|章$", m.group(1)):
            return clean_text(m.group(1))
    return None
