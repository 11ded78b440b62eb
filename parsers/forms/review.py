"""附件5 质量管理小组成果评审汇总表 → scored entries and the signature line."""

from __future__ import annotations

from typing import Any

from parsers.forms.labels import RECOMMENDER, Label, LabelSet, value_of
from parsers.forms.normalize import (
    NONE_WORDS,
    clean_text,
    landline_text,
    nfkc,
    normalize_digits,
    parse_number,
)
from parsers.forms.rows import EMPHASIS, Column, ListSpec, cell_text, read_lists
from parsers.forms.stamp import stamp_date
from parsers.model import Document

KEYS: tuple[str, ...] = ("recommender", "entries", "filled_by", "phone", "date")

ENTRIES = ListSpec([
    Column("seq", ("序号",)),
    Column("name", ("企业/小组名称", "企业、小组名称", "成果名称", "名称")),
    Column("company", ("企业名称", "单位名称")),
    Column("group", ("小组名称",)),
    Column("evaluation", ("成果评价", "评价", "评语", "评审意见", "意见")),
    Column("score", ("分数", "得分", "评分", "成绩")),
], required=("score",), min_found=3)

LABELS = LabelSet([
    RECOMMENDER,
    Label("filled_by", ("填表人",)),
    Label("phone", ("联系电话", "电话")),
], stops=("推荐质协章", "年月日"))


def _name(rec: dict) -> str | None:
    """企业/小组名称 in one column, or 企业名称 and 小组名称 in two columns joined with '/'."""
    if clean_text(cell_text(rec.get("name"))):
        return clean_text(cell_text(rec.get("name")))
    parts = [clean_text(cell_text(rec.get(k))) for k in ("company", "group")]
    joined = "/".join(p for p in parts if p)
    return joined or None


def _evaluation(value: Any) -> str | None:
    """成果评价 in one column, or over sub-columns (``优势 | 不足之处``): each part after its heading."""
    if isinstance(value, list):
        parts = [f"{opt.strip()}：{cell.strip()}" for opt, cell in value if str(cell).strip()]
        return clean_text("\n".join(parts))
    return clean_text(value)


def _score(text: str | None) -> int | float | None:
    """A 分数 as written; "无"/"没有" is no score (None: the required check reports it), never the 0 that the
    word means in a count cell (parse_number), which would pass the 0–100 range check unseen."""
    if text is not None and nfkc(str(text)).strip(" 。.") in NONE_WORDS:
        return None
    return parse_number(text)


def extract(doc: Document) -> dict[str, Any]:
    rows = read_lists(doc, {"entries": ENTRIES}, stop=("填表人", "推荐质协章"))["entries"]
    rows = [{k: v if k in ("name", "evaluation") else cell_text(v) for k, v in e.items() if k != EMPHASIS} for e in rows]
    entries = [
        {
            "seq": normalize_digits(e.get("seq")),
            "name": _name(e),
            "evaluation": _evaluation(e.get("evaluation")),
            "score": _score(e.get("score")),
        }
        for e in rows
    ]
    return {
        "recommender": value_of(doc, LABELS, "recommender"),
        "entries": entries,
        "filled_by": value_of(doc, LABELS, "filled_by"),
        "phone": landline_text(value_of(doc, LABELS, "phone")),
        "date": stamp_date(doc),
    }
