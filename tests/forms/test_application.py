"""申报表 extraction over the layout variants people actually send."""

from __future__ import annotations

from parsers import forms
from parsers.model import Document, Table

KEYS = ["recommender", "company", "group_name", "topic", "topic_type", "address", "postcode", "contact_dept",
        "contact_person", "mobile", "members", "intro", "date"]


def notice_layout(company_label="企业名称 (公章为准)", type_cell="☑问题解决型  □创新型",
                  member_rows=None, intro="QC 小组简介和主要活动过程及效果: 本小组成立于2018年。\n"
                  "降低焊接不良率至1%。\n单位盖章：\n2020年9月10日") -> Table:
    w = 6
    rows = [
        [company_label] + ["江苏某某电力有限公司"] * (w - 1),
        ["QC 小组名称"] + ["攻坚QC小组"] * (w - 1),
        ["课题名称"] + ["降低焊接不良率"] * (w - 1),
        ["课题类型"] + [type_cell] * (w - 1),
        ["详细通信地址", "南京市鼓楼区中山路1号", "南京市鼓楼区中山路1号", "南京市鼓楼区中山路1号", "邮编", "２１００００"],
        ["小组联系部门", "质量管理部", "直接联系人", "张　三", "手机", "138-1234-5678"],
        ["小组成员名单"] * w,
    ]
    rows += member_rows or [["", "1 张三", "2 李四", "3 王五", "4", "5"], ["", "6", "7", "8", "9", "10"]]
    rows.append([intro] * w)
    return Table(rows)


def extract(*blocks, fmt="docx"):
    return forms.extract("application", Document(list(blocks)), fmt)


def test_notice_layout_all_fields():
    f = extract("附件1", "全国优秀质量管理小组申报表", "推荐省市、行业：江苏省质量协会", notice_layout(),
                "注：申报材料统一交与推荐质协或部门，具体要求如下：",
                "2. 企业名称（小组所在单位）、小组名称是制作证书的依据")
    assert list(f) == KEYS
    assert f == {
        "recommender": "江苏省质量协会",
        "company": "江苏某某电力有限公司",
        "group_name": "攻坚QC小组",
        "topic": "降低焊接不良率",
        "topic_type": "问题解决型",
        "address": "南京市鼓楼区中山路1号",
        "postcode": "210000",
        "contact_dept": "质量管理部",
        "contact_person": "张　三",
        "mobile": "13812345678",
        "members": ["张三", "李四", "王五"],
        "intro": "本小组成立于2018年。\n降低焊接不良率至1%。",
        "date": "2020-09-10",
    }


def test_spaced_labels_fullwidth_colon_and_underlined_recommender():
    t = Table([
        ["企 业 名 称（以公章为准）：  某某化工集团有限公司"],
        ["ＱＣ小组名称：“精益”QC小组"],
        ["课 题 名 称", "提高催化剂收率"],
        ["课题类型", "问题解决型（ ）   创新型（√）"],
        ["通信地址：上海市浦东新区1号", "邮政编码：200120"],
        ["联系部门：生产部", "联系人：李 四", "手机号码：13900001111"],
        ["小组成员名单：王一、赵二，孙三, 周四；吴五"],
        ["QC小组简介和主要活动过程及效果：", "本小组注册于2019年，开展活动12次。"],
        ["单位盖章", "二〇二〇年九月八日"],
    ])
    f = extract("推荐省市、行业__上海市质量协会______", t)
    assert f["recommender"] == "上海市质量协会"
    assert f["company"] == "某某化工集团有限公司"
    assert f["group_name"] == "“精益”QC小组"
    assert f["topic"] == "提高催化剂收率"
    assert f["topic_type"] == "创新型"
    assert f["address"] == "上海市浦东新区1号"
    assert f["postcode"] == "200120"
    assert f["contact_dept"] == "生产部"
    assert f["contact_person"] == "李 四"
    assert f["mobile"] == "13900001111"
    assert f["members"] == ["王一", "赵二", "孙三", "周四", "吴五"]
    assert f["intro"] == "本小组注册于2019年，开展活动12次。"
    assert f["date"] == "2020-09-08"


def test_members_number_cell_then_name_cell_and_padded_names():
    rows = [["", "1", "张 三", "2", "李四"], ["", "3", "王 五", "4", ""], ["", "5", "", "", ""]]
    f = extract(notice_layout(member_rows=rows))
    assert f["members"] == ["张三", "李四", "王五"]


def test_members_label_merged_down_the_first_column():
    t = Table([
        ["企业名称", "甲公司", "甲公司"],
        ["小组成员名单", "1.赵一", "2.钱二"],
        ["小组成员名单", "3.孙三", ""],
        ["课题名称", "降低能耗", "降低能耗"],
    ])
    f = extract(t)
    assert f["members"] == ["赵一", "钱二", "孙三"]
    assert f["topic"] == "降低能耗"


def test_tick_in_separate_cell_next_to_label():
    t = Table([["课题类型", "√", "问题解决型", "", "创新型"], ["企业名称", "甲", "甲", "甲", "甲"]])
    assert extract(t)["topic_type"] == "问题解决型"
    t = Table([["课题类型", "问题解决型", "", "创新型", "✓"]])
    assert extract(t)["topic_type"] == "创新型"


def test_both_or_neither_ticked_is_none():
    assert extract(notice_layout(type_cell="☑问题解决型 ☑创新型"))["topic_type"] is None
    assert extract(notice_layout(type_cell="□问题解决型 □创新型"))["topic_type"] is None


def test_header_row_layout_values_below():
    t = Table([
        ["企业名称", "QC小组名称", "课题名称", "直接联系人", "手机"],
        ["丙公司", "丙小组", "缩短停机时间", "周七", "13700001111"],
    ])
    f = extract(t)
    assert (f["company"], f["group_name"], f["topic"], f["contact_person"], f["mobile"]) == (
        "丙公司", "丙小组", "缩短停机时间", "周七", "13700001111")


def test_running_text_pdf_without_tables():
    f = extract(
        "全国优秀质量管理小组申报表",
        "推荐省市、行业 浙江省质量协会",
        "企业名称（公章为准） 杭州某某有限公司",
        "QC小组名称 飞跃QC小组",
        "课题名称 提高一次合格率",
        "课题类型 ■问题解决型 □创新型",
        "小组联系部门 技术部 直接联系人：钱八 手机：135 0000 2222",
        "小组成员名单 钱八、孙九",
        "QC小组简介和主要活动过程及效果：",
        "小组成立于2017年。",
        "活动取得显著效果。",
        "单位盖章： 2020年9月1日",
        fmt="pdf",
    )
    assert f["recommender"] == "浙江省质量协会"
    assert f["company"] == "杭州某某有限公司"
    assert f["group_name"] == "飞跃QC小组"
    assert f["topic_type"] == "问题解决型"
    assert f["contact_dept"] == "技术部"
    assert f["contact_person"] == "钱八"
    assert f["mobile"] == "13500002222"
    assert f["members"] == ["钱八", "孙九"]
    assert f["intro"] == "小组成立于2017年。活动取得显著效果。"  # PDF lines are unwrapped
    assert f["date"] == "2020-09-01"
    assert f["seal_detected"] is None


def test_empty_template_gives_nones_never_labels():
    f = extract("推荐省市、行业_____", notice_layout(
        company_label="企业名称 (公章为准)", type_cell="□ 问题解决型 □ 创新型",
        intro="QC 小组简介和主要活动过程及效果:\n单位盖章:\n年 月 日"))
    blank = Table([
        ["企业名称 (公章为准)", "", "", ""],
        ["QC 小组名称", "", "", ""],
        ["详细通信地址", "", "邮编", ""],
        ["小组联系部门", "", "直接联系人", "", "手机", ""],
        ["小组成员名单"] * 4,
        ["1", "2", "3", "4"],
        ["QC 小组简介和主要活动过程及效果:\n单位盖章:\n年 月 日"] * 4,
    ])
    g = extract("推荐省市、行业_____", blank)
    for k in KEYS:
        assert g[k] in (None, []), (k, g[k])
    assert g["members"] == []
    assert f["recommender"] is None and f["topic_type"] is None and f["intro"] is None and f["date"] is None


def test_untrusted_text_gives_all_none_and_seal():
    d = Document(["乱码"], text_trusted=False, meta={"seal_detected": True})
    f = forms.extract("application", d, "pdf")
    assert f == {k: None for k in KEYS} | {"seal_detected": True}


def test_seal_flag_only_for_pdf_copies():
    d = Document([notice_layout()], meta={"seal_detected": False})
    assert forms.extract("application", d, "pdf")["seal_detected"] is False
    assert "seal_detected" not in forms.extract("application", d, "docx")
