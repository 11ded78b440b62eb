"""工作总结, 成果报告 and 证实性材料: counts, headings, cover fields."""

from __future__ import annotations

from parsers import forms
from parsers.model import Document, Table


def summary(*blocks):
    return forms.extract("summary", Document(list(blocks)), "docx")


def test_summary_sections_count_and_recommender():
    f = summary(
        "附件2",
        "江苏省2020年质量管理小组活动工作总结",
        "推荐省市、行业：江苏省质量协会",
        "一、基本情况",
        "全省注册小组 3 万个。",          # 10 non-space characters
        "（一）年度整体情况",              # 9, a sub-heading, not a section
        "二、推进经验和做法：我们坚持标准引领。",  # 19
        Table([["项目", "数量"], ["发表会", "3"]]),  # 项目 数量 发表会 3 → 2+2+3+1 = 8
        "三 、存在问题及改进方向",           # 11
        "四、 下一步工作打算",
    )
    assert f["recommender"] == "江苏省质量协会"
    assert f["sections"] == ["一、基本情况", "二、推进经验和做法", "三、存在问题及改进方向", "四、下一步工作打算"]
    assert f["char_count"] == 6 + 10 + 9 + 19 + 8 + 11 + 9


def test_summary_title_not_counted_but_later_mentions_are():
    d1 = summary("2020年质量管理小组活动工作总结", "正文一二三。")
    d2 = summary("正文一二三。", "工作总结")
    assert d1["char_count"] == 6
    assert d2["char_count"] == 10
    assert d1["recommender"] is None and d1["sections"] == []


def test_summary_long_heading_line_cut_at_first_stop():
    f = summary("一、基本情况。" + "今年全省共开展活动" * 10)
    assert f["sections"] == ["一、基本情况"]


def test_report_cover_labels_and_char_count():
    d = Document(["降低焊接不良率", "课题名称：降低焊接不良率", "小组名称：攻坚QC小组", "发布单位：江苏某某电力有限公司",
                  "一、小组概况", "二、选题理由"])
    f = forms.extract("report", d, "docx")
    assert f == {"group_name": "攻坚QC小组", "company": "江苏某某电力有限公司", "topic": "降低焊接不良率",
                 "char_count": len("降低焊接不良率课题名称：降低焊接不良率小组名称：攻坚QC小组发布单位：江苏某某电力有限公司一、小组概况二、选题理由")}


def test_evidence_group_from_cover_line_and_missing_fields():
    d = Document(["江苏某某电力有限公司", "攻坚 QC小组", "活动记录", Table([["时间", "2020年3月1日"]])])
    f = forms.extract("evidence", d, "pdf")
    assert f["group_name"] == "攻坚 QC小组"
    assert f["company"] is None and f["topic"] is None
    assert f["char_count"] == len("江苏某某电力有限公司攻坚QC小组活动记录时间2020年3月1日")


def test_untrusted_free_text_is_all_none():
    f = forms.extract("summary", Document(["(cid:12)"], text_trusted=False), "pdf")
    assert f == {"recommender": None, "char_count": None, "sections": None}
