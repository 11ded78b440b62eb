"""Bad or odd input gives None/[] values, never an exception."""

from __future__ import annotations

import random

import pytest

from parsers import forms
from parsers.forms import EXTRACTORS
from parsers.model import Document, Table

WORDS = ["企业名称", "QC小组名称：", "课题类型", "☑", "□", "问题解决型", "创新型", "小组成员名单", "1", "张三",
         "单位盖章", "年 月 日", "2020年9月10日", "统计项目", "数量", "单位", "万个", "是否组织发表会", "序号",
         "姓名", "小组名称", "分数", "成果评价", "填表人：", "电话：", "推荐质协章", "推荐省市、行业", "注：",
         "一、基本情况", "", " ", "\n", "（", "）", ":", "：", "___", "(cid:12)", "３.２万个", "85%"]


def random_doc(rng: random.Random) -> Document:
    blocks: list = []
    for _ in range(rng.randint(0, 6)):
        if rng.random() < 0.5:
            blocks.append("".join(rng.choice(WORDS) for _ in range(rng.randint(0, 5))))
        else:
            rows = [[" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 2))) for _ in range(rng.randint(0, 6))]
                    for _ in range(rng.randint(0, 6))]  # ragged on purpose
            blocks.append(Table(rows))
    return Document(blocks)


@pytest.mark.parametrize("seed", range(150))
def test_random_documents_never_crash(seed):
    rng = random.Random(seed)
    doc = random_doc(rng)
    form = forms.classify(doc, rng.choice(["a.docx", "附件1.pdf", "", "成果.doc"]), rng.choice(["docx", "pdf", "xlsx"]))
    assert form in ("application", "report", "evidence", "summary", "statistics", "recommendation", "review",
                    "unknown")
    for name, module in EXTRACTORS.items():
        fields = forms.extract(name, doc, "pdf")
        assert set(module.KEYS) <= set(fields)


def test_empty_document_gives_empty_values():
    for name, module in EXTRACTORS.items():
        fields = forms.extract(name, Document(), "docx")
        assert list(fields) == list(module.KEYS)
        assert all(v in (None, [], 0) for v in fields.values()), (name, fields)


def test_unknown_form_extracts_nothing():
    assert forms.extract("unknown", Document(["企业名称：甲"]), "docx") == {}
