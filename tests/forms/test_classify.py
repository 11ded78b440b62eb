"""classify(): content first (scored, not first keyword), file name when content is missing or unclear."""

from __future__ import annotations

import pytest

from parsers.forms import classify
from parsers.model import Document, Table

APPLICATION = Document([
    "附件1", "全国优秀质量管理小组申报表", "推荐省市、行业_____",
    Table([["企业名称（公章为准）", ""], ["QC小组名称", ""], ["课题名称", ""], ["小组成员名单", ""],
           ["QC小组简介和主要活动过程及效果：单位盖章：年 月 日", ""]]),
    "注：1. 小组申报表提交 PDF 电子版格式一份和 word 文本电子版一份；小组成果报告 word 文本电子版一份；"
    "小组活动记录等证实性材料（电子版）。",
])
STATISTICS = Document(["质量管理小组活动统计表", Table([["统计项目", "单位", "数量"],
                                                 ["历年来累计已登记注册QC小组数", "万个", ""]])])
RECOMMENDATION = Document(["全国优秀质量管理小组推荐表", Table([["序号", "企业名称", "小组名称", "课题类型"]]), "二、评委名单",
                           Table([["序号", "姓名", "工作单位", "评委证书编号", "手机"]])])
REVIEW = Document(["质量管理小组成果评审汇总表", Table([["序号", "企业/小组名称", "成果评价", "分数"]])])
SUMMARY = Document(["江苏省2020年质量管理小组活动工作总结", "一、基本情况", "全省" * 50, "二、推进经验和做法",
                    "三、存在问题及改进方向"])
REPORT = Document(["降低焊接不良率", "攻坚QC小组", "一、小组概况", "二、选题理由", "三、现状调查", "四、设定目标",
                   "五、原因分析", "六、要因确认", "七、制定对策", "八、对策实施", "九、效果检查", "十、巩固措施",
                   "十一、遗留问题及下一步打算"])
EVIDENCE = Document(["QC小组活动记录", Table([["活动时间", "2020年3月1日"], ["活动地点", "会议室"],
                                        ["参加人员", "张三"], ["记录人", "李四"]])])


@pytest.mark.parametrize(
    ("doc", "expected"),
    [(APPLICATION, "application"), (STATISTICS, "statistics"), (RECOMMENDATION, "recommendation"),
     (REVIEW, "review"), (SUMMARY, "summary"), (REPORT, "report"), (EVIDENCE, "evidence")],
)
def test_content_decides_whatever_the_name(doc, expected):
    assert classify(doc, "文件.docx", "docx") == expected
    assert classify(doc, "新建文档(2).docx", "docx") == expected


def test_content_beats_a_misleading_file_name():
    assert classify(RECOMMENDATION, "附件1 申报表.xlsx", "xlsx") == "recommendation"
    assert classify(APPLICATION, "成果报告.docx", "docx") == "application"


def test_spaced_title_and_fullwidth():
    d = Document(["全 国 优 秀 质 量 管 理 小 组 申 报 表", Table([["ＱＣ小组名称", ""]])])
    assert classify(d, "a.docx", "docx") == "application"


def test_recommendation_without_title_by_its_lists():
    d = Document([Table([["序号", "企业名称（以公章为准）", "小组名称", "课题类型"], ["1", "甲", "甲小组", "创新型"]]),
                  Table([["序号", "姓名", "工作单位", "评委证书编号", "手机"]])])
    assert classify(d, "Book1.xlsx", "xlsx") == "recommendation"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("附件1 全国优秀质量管理小组申报表（盖章）.pdf", "application"),
        ("附件１.pdf", "application"),
        ("申 报 表-攻坚QC小组.pdf", "application"),
        ("附件2：2020年工作总结.pdf", "summary"),
        ("附件3.pdf", "statistics"),
        ("统计表.pdf", "statistics"),
        ("附件4推荐表.pdf", "recommendation"),
        ("附件5 质量管理小组成果评审汇总表.pdf", "review"),
        ("攻坚QC小组成果报告.pdf", "report"),
        ("活动记录及证实材料.pdf", "evidence"),
        ("活动照片1.jpg", "evidence"),
        ("scan0001.pdf", "unknown"),
        ("附件10.pdf", "unknown"),
    ],
)
def test_untrusted_content_is_classified_by_name(name, expected):
    scanned = Document([], text_trusted=False, meta={"scanned": True})
    fmt = "image" if name.endswith(".jpg") else "pdf"
    assert classify(scanned, name, fmt) == expected
    assert classify(None, name, fmt) == expected


def test_scanned_application_by_name_even_with_junk_text():
    d = Document(["(cid:1)(cid:2)"], text_trusted=False)
    assert classify(d, "附件1-申报表-攻坚QC小组.pdf", "pdf") == "application"


def test_unrelated_readable_content_falls_back_to_name_then_unknown():
    d = Document(["各位领导：现将材料报送，请查收。"])
    assert classify(d, "附件3 统计表.docx", "docx") == "statistics"
    assert classify(d, "说明.docx", "docx") == "unknown"
