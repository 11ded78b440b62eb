"""统计表 extraction: item rows by words, the 数量 column by header, the 发表会/contact part."""

from __future__ import annotations

from parsers import forms
from parsers.model import Document, Table

ITEMS = [
    ("历年来累计已登记注册 QC 小组数", "万个", "３.２"),
    ("本年度已登记注册 QC 小组数", "万个", "0.8万个"),
    ("本年度 QC 小组普及率=参加 QC 小组人数/职工总数×100%", "百分数", "85%"),
    ("本年度坚持活动的 QC 小组数", "万个", "0.75"),
    ("历年来累计 QC 小组创可计算的经济效益", "万元", "1,234.5"),
    ("本年度 QC 小组创可计算的经济效益", "万元", "120"),
    ("本年度 QC 小组成果率=取得成果小组数/QC 小组注册数×100%", "百分数", "45.5"),
    ("本年度企业对 QC 小组活动经费投入(培训、交流、书籍等费用)", "万元", "300"),
    ("本年度企业对 QC 小组活动奖励费用", "万元", "１５０"),
]
EXPECTED_ITEMS = {
    "groups_registered_total": 3.2, "groups_registered_year": 0.8, "participation_rate": 85,
    "groups_active_year": 0.75, "benefit_total": 1234.5, "benefit_year": 120, "achievement_rate": 45.5,
    "funding_year": 300, "reward_year": 150,
}


def notice_table(items=ITEMS, held="☑是 □否") -> Table:
    rows = [["统 计 项 目"] * 3 + ["单 位", "数 量"]]
    rows += [[label] * 3 + [unit, qty] for label, unit, qty in items]
    rows += [
        ["是否组织发表会", held, "发表会报名小组数", "120", "发表小组数", "80"],
        ["发表会时间", "2020年8月20日", "发表会地点", "南京国际会议中心", "参会人数", "300人"],
        ["QC 小组工作归口部门及负责人: 省质协质量部 王五"] * 6,
        ["联系人: 赵六", "赵六", "手机: 139 0000 1111", "邮箱：qc@js.org"] + ["邮箱：qc@js.org"] * 2,
        ["通信地址: 南京市中山路1号"] * 3 + ["邮编: 210005"] * 3,
    ]
    return Table([r + [r[-1]] * (6 - len(r)) for r in rows])


def extract(*blocks):
    return forms.extract("statistics", Document(list(blocks)), "docx")


def test_notice_layout():
    f = extract("附件3", "质量管理小组活动统计表", "(2019 年 6 月至 2020 年 8 月)", "推荐省市、行业：江苏省质量协会",
                notice_table(), "注: 1. 本统计表信息来自企业统计数据资料。",
                "电话: (010) 66073178; 68416388 邮箱: 66073178@163.com", "邮编: 100048")
    assert f == EXPECTED_ITEMS | {
        "recommender": "江苏省质量协会", "meeting_held": True, "meeting_signups": 120, "meeting_presented": 80,
        "meeting_time": "2020年8月20日", "meeting_place": "南京国际会议中心", "meeting_attendees": 300,
        "responsible": "省质协质量部 王五", "contact_person": "赵六", "mobile": "13900001111",
        "email": "qc@js.org", "address": "南京市中山路1号", "postcode": "210005",
    }


def test_rows_reordered_unmerged_and_extra_column_without_header():
    rows = [[label, "", unit, qty] for label, unit, qty in reversed(ITEMS)]
    rows.insert(3, ["", "", "", ""])
    f = extract(Table(rows))
    assert {k: f[k] for k in EXPECTED_ITEMS} == EXPECTED_ITEMS


def test_quantity_column_found_by_header_even_with_a_notes_column():
    rows = [["统计项目", "单位", "数量", "说明"]]
    rows += [[label, unit, qty, "据企业统计"] for label, unit, qty in ITEMS]
    f = extract(Table(rows))
    assert {k: f[k] for k in EXPECTED_ITEMS} == EXPECTED_ITEMS


def test_numbers_already_numeric_text_and_unit_conversion():
    items = [(lbl, unit, qty) for lbl, unit, qty in ITEMS]
    items[0] = (items[0][0], "万个", "32000个")
    items[5] = (items[5][0], "万元", "1.2亿元")
    f = extract(Table([[a, b, c] for a, b, c in items]))
    assert f["groups_registered_total"] == 3.2
    assert f["benefit_year"] == 12000


def test_meeting_not_held_and_blank_form():
    f = extract(notice_table(held="□是 ■否"))
    assert f["meeting_held"] is False
    blank = [(lbl, unit, "") for lbl, unit, _ in ITEMS]
    g = extract(notice_table(items=blank, held="□是 □否"))
    assert all(g[k] is None for k in EXPECTED_ITEMS)
    assert g["meeting_held"] is None


def test_long_label_substrings_do_not_collide():
    # 发表小组数 is inside 发表会报名小组数 only as letters, not as a label
    t = Table([["是否组织发表会", "是（√） 否（ ）", "发表会报名小组数", "", "发表小组数", "15"]])
    f = extract(t)
    assert f["meeting_held"] is True
    assert f["meeting_signups"] is None
    assert f["meeting_presented"] == 15


def test_item_typed_as_a_line():
    f = extract("历年来累计已登记注册QC小组数：3.5万个", "本年度QC小组普及率：60%")
    assert f["groups_registered_total"] == 3.5
    assert f["participation_rate"] == 60
