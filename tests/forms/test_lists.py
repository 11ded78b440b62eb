"""推荐表 and 评审汇总表: header-found columns, layouts with one or two tables, blank rows."""

from __future__ import annotations

from parsers import forms
from parsers.model import Document, Table

GROUPS = [
    {"seq": "1", "company": "甲电力公司", "group_name": "甲QC小组", "topic_type": "问题解决型"},
    {"seq": "2", "company": "乙化工公司", "group_name": "乙QC小组", "topic_type": "创新型"},
]
JUDGES = [
    {"seq": "1", "name": "张三", "employer": "江苏省质量协会", "certificate_no": "QC2018-001",
     "mobile": "13800001111"},
]


def rec(*blocks):
    return forms.extract("recommendation", Document(list(blocks)), "docx")


def review(*blocks):
    return forms.extract("review", Document(list(blocks)), "docx")


def test_recommendation_two_tables_notice_layout():
    f = rec(
        "附件4", "全国优秀质量管理小组推荐表", "一、全国优秀质量管理小组",
        Table([["序号", "企业名称（以公章为准）", "小组名称", "课题类型"],
               ["1", "甲电力公司", "甲QC小组", "问题解决型"],
               ["２", "乙化工公司", "乙QC小组", "☑创新型"],
               ["3", "", "", ""], ["", "", "", ""]]),
        "二、评委名单",
        Table([["序号", "姓名", "工作单位", "评委证书编号", "手机"],
               ["1", "张三", "江苏省质量协会", "ＱＣ2018-001", "138 0000 1111"],
               ["2", "", "", "", ""]]),
        "填表人：李四    电话：025-84561234    推荐质协章    2020 年 9 月 10 日",
        "注：1. 此表为推荐单位的正式汇总材料，于 2020 年 9 月 15 日前发送至中国质协。",
    )
    assert f == {"recommender": None, "groups": GROUPS, "judges": JUDGES, "filled_by": "李四",
                 "phone": "025-84561234", "date": "2020-09-10"}


def test_recommendation_one_table_reordered_extra_columns_merged_title_rows():
    t = Table([
        ["一、全国优秀质量管理小组"] * 6,
        ["序号", "小组名称", "企业名称", "备注", "课题类型", "课题类型"],
        ["序号", "小组名称", "企业名称", "备注", "问题解决型", "创新型"],
        ["1", "甲QC小组", "甲电力公司", "", "√", ""],
        ["", "", "", "", "", ""],
        ["2", "乙QC小组", "乙化工公司", "新成立", "", "√"],
        ["二、评委名单"] * 6,
        ["姓名", "序号", "评委证书编号", "工作单位", "手机号码", "手机号码"],
        ["张三", "1", "QC2018-001", "江苏省质量协会", "13800001111", "13800001111"],
        ["填表人：李四", "填表人：李四", "电话：025-84561234", "推荐质协章", "2020年9月10日", "2020年9月10日"],
    ])
    f = rec("推荐单位：江苏省质量协会", t)
    assert f["groups"] == GROUPS
    assert f["judges"] == JUDGES
    assert f["recommender"] == "江苏省质量协会"
    assert f["filled_by"] == "李四"
    assert f["phone"] == "025-84561234"
    assert f["date"] == "2020-09-10"


def test_recommendation_two_sheets_and_topic_type_as_written():
    groups = Table([["序号", "企业名称", "小组名称", "课题类型"], ["1", "丙公司", "丙小组", "现场型"],
                    ["2", "丁公司", "丁小组", "其他"]])
    judges = Table([["序号", "姓名", "工作单位", "评委证书编号", "手机"]])
    f = rec(groups, judges, "推荐质协章：浙江省质量协会  2020年9月9日")
    assert [g["topic_type"] for g in f["groups"]] == ["问题解决型", "其他"]
    assert f["judges"] == []
    assert f["recommender"] == "浙江省质量协会"
    assert f["date"] == "2020-09-09"


def test_recommendation_blank_template():
    f = rec("全国优秀质量管理小组推荐表", Table([["序号", "企业名称（以公章为准）", "小组名称", "课题类型"],
                                       ["", "", "", ""]]),
            "填表人：    电话：    推荐质协章     年  月  日")
    assert f == {"recommender": None, "groups": [], "judges": [], "filled_by": None, "phone": None, "date": None}


def test_review_notice_layout():
    f = review(
        "附件5", "质量管理小组成果评审汇总表", "省市、行业 江苏省质量协会",
        Table([["序号", "企业/小组名称", "成果评价（优势/不足之处，限 300 字）", "分数"],
               ["1", "甲电力公司/甲QC小组", "优势：数据翔实。不足：对策表欠规范。", "92.5"],
               ["2", "乙化工公司/乙QC小组", "程序规范。", "８８分"],
               ["", "", "", ""]]),
        "填表人：__王五__ 电话：__025-12345678__ 推荐质协章 ____ 2020年9月12日",
        "注：请各省市、行业质协将此表于 2020 年 9 月 15 日前发送。",
        "电话：(010) 66073178；68416388 邮箱：66073178@163.com",
    )
    assert f == {
        "recommender": "江苏省质量协会",
        "entries": [
            {"seq": "1", "name": "甲电力公司/甲QC小组", "evaluation": "优势：数据翔实。不足：对策表欠规范。",
             "score": 92.5},
            {"seq": "2", "name": "乙化工公司/乙QC小组", "evaluation": "程序规范。", "score": 88},
        ],
        "filled_by": "王五",
        "phone": "025-12345678",
        "date": "2020-09-12",
    }


def test_a_review_score_written_as_none_is_no_score_not_zero():
    """"无" means zero in a count cell, but a 分数 of "无" was never given: it must reach the required check
    (review.entries.score.required), not pass the 0–100 range check as a 0."""
    t = Table([["序号", "企业/小组名称", "成果评价", "分数"],
               ["1", "甲电力公司/甲QC小组", "好", "无"], ["2", "乙化工公司/乙QC小组", "好", "0"]])
    assert [e["score"] for e in review(t)["entries"]] == [None, 0]


def test_review_separate_company_and_group_columns_reordered():
    t = Table([["分数", "小组名称", "企业名称", "序号", "评价"],
               ["90", "甲QC小组", "甲电力公司", "1", "好"]])
    f = review(t)
    assert f["entries"] == [{"seq": "1", "name": "甲电力公司/甲QC小组", "evaluation": "好", "score": 90}]
    assert f["recommender"] is None and f["date"] is None
