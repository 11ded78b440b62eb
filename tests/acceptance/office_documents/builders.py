"""Realistic submissions typed the way associations and companies really fill the notice's forms.

Written apart from tests/fixtures (a different hand, different habits): values glued to labels,
tab-separated lines, member tables with 职务 columns, symbol-font ticks, merged title rows,
second sheets, numbers stored as text, automatic numbering. Each builder returns a :class:`Case`
with the bytes, the name a sender would give it, the expected form and the expected fields.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from docx.enum.text import WD_ALIGN_PARAGRAPH

from tests.acceptance.office_documents import docx_kit as K


@dataclass
class Case:
    name: str  # test id
    filename: str
    fmt: str
    data: bytes
    form: str
    fields: dict[str, Any] = field(default_factory=dict)
    convert_to: str | None = None  # 'pdf' / 'xls' / 'doc' / 'xlsx': via LibreOffice before reading


# --- the values a real group wrote -------------------------------------------------------------

APP = {
    "recommender": "江苏省质量协会",
    "company": "南京金陵变压器制造有限公司",
    "group_name": "攀登QC小组",
    "topic": "降低干式变压器装配返工率",
    "topic_type": "问题解决型",
    "address": "江苏省南京市江宁区将军大道88号",
    "postcode": "211106",
    "contact_dept": "质量管理部",
    "contact_person": "王丽华",
    "mobile": "13812345678",
    "members": ["陈建国", "刘洋", "张敏", "李强", "赵磊", "周婷"],
    "intro": "本小组成立于2018年3月，由生产、技术、质检人员组成。2019年针对装配返工率偏高的问题，"
             "按PDCA循环开展活动，返工率由4.8%降至1.2%，年节约成本36万元。",
    "date": "2020-09-01",
}
ROLES = ["组长", "副组长", "组员", "组员", "组员", "组员"]


def _title(d, text: str = "全国优秀质量管理小组申报表") -> None:
    p = d.add_paragraph(text)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def app_inline_cells() -> Case:
    """Each row one wide cell holding 'label：value' (people type into the label cell)."""
    d = K.new()
    d.add_paragraph("附件1")
    _title(d)
    d.add_paragraph(f"推荐省市、行业：{APP['recommender']}")
    a = APP
    K.table(d, [
        [f"企业名称（公章为准）：{a['company']}"],
        [f"QC小组名称：{a['group_name']}"],
        [f"课题名称：{a['topic']}"],
        ["课题类型：☑问题解决型  □创新型"],
        [f"详细通信地址：{a['address']}      邮编：{a['postcode']}"],
        [f"小组联系部门：{a['contact_dept']}    直接联系人：{a['contact_person']}    手机：{a['mobile']}"],
        ["小组成员名单：" + "、".join(a["members"])],
        [f"QC小组简介和主要活动过程及效果：\n{a['intro']}\n单位盖章：\n2020年9月1日"],
    ])
    return Case("app_inline_cells", "1.申报表-南京金陵变压器.docx", "docx", K.save(d), "application", dict(APP))


def app_tabs_paragraphs() -> Case:
    """No table at all: label, tabs / runs of spaces, value (typed in a blank document)."""
    d = K.new()
    _title(d)
    a = APP
    for line in [
        f"推荐省市、行业\t{a['recommender']}",
        f"企业名称\t\t\t{a['company']}",
        f"QC小组名称        {a['group_name']}",
        f"课题名称\t{a['topic']}",
        "课题类型\t问题解决型",
        f"详细通信地址\t{a['address']}",
        "邮编\t２１１１０６",
        f"小组联系部门\t{a['contact_dept']}",
        f"直接联系人\t{a['contact_person']}",
        "手机\t+86 138-1234-5678",
        "小组成员名单\t" + "  ".join(a["members"]),
        "QC小组简介和主要活动过程及效果",
        a["intro"],
        "单位盖章",
        "2020 年 9 月 1 日",
    ]:
        d.add_paragraph(line)
    return Case("app_tabs_paragraphs", "新建 Microsoft Word 文档.docx", "docx", K.save(d), "application", dict(APP))


def _grid_form(d, a: dict, tick_cell: Callable[[Any], None] | None, members_rows: list[list[str | None]],
               intro_in_table: bool = True, split_label: bool = False, date_text: str = "2020年9月1日") -> Any:
    rows: list[list[str | None]] = []
    if split_label:
        rows += [["企业名称", a["company"], None, None, None, None], ["（公章为准）", a["company"], None, None, None, None]]
    else:
        rows += [["企业名称\n（公章为准）", a["company"], None, None, None, None]]
    rows += [
        ["QC小组名称", a["group_name"], None, None, None, None],
        ["课题名称", a["topic"], None, None, None, None],
        ["课题类型", "", None, None, None, None],
        ["详细通信地址", a["address"], None, None, "邮编", a["postcode"]],
        ["小组联系部门", a["contact_dept"], "直接联系人", a["contact_person"], "手机", a["mobile"]],
    ]
    rows += members_rows
    if intro_in_table:
        rows += [[f"QC小组简介和主要活动过程及效果：\n{a['intro']}\n\n单位盖章：\n{date_text}",
                  None, None, None, None, None]]
    t = K.table(d, rows)
    if split_label:
        K.merge_down(t, 1, 0, 1)
        t.cell(0, 1).paragraphs[0].text = a["company"]
        for p in t.cell(0, 1).paragraphs[1:]:
            p.text = ""
    type_row = 3 + (1 if split_label else 0)
    if tick_cell is not None:
        cell = t.cell(type_row, 1)
        tick_cell(cell.paragraphs[0])
    return t


def _members_grid(names: list[str]) -> list[list[str | None]]:
    """The notice's 1–10 grid, names after the numbers in the same cell."""
    cells = [f"{i + 1} {names[i]}" if i < len(names) else str(i + 1) for i in range(10)]
    return [["小组成员名单", None, None, None, None, None], cells[:5] + [""], cells[5:] + [""]]


def _members_table(names: list[str]) -> list[list[str | None]]:
    rows: list[list[str | None]] = [["小组成员名单", None, None, None, None, None],
                                    ["序号", "姓名", "性别", "文化程度", "职务", "组内分工"]]
    for i, n in enumerate(names):
        rows.append([str(i + 1), n, "男" if i % 2 == 0 else "女", "本科", "工程师", ROLES[i]])
    return rows


def _wingdings_ticks(p) -> None:
    K.sym(p, "Wingdings", "F0FE")
    p.add_run("问题解决型   ")
    K.sym(p, "Wingdings", "F0A8")
    p.add_run("创新型")


def _wingdings2_letters(p) -> None:
    K.font_run(p, "£", "Wingdings 2")
    p.add_run("问题解决型  ")
    K.font_run(p, "R", "Wingdings 2")
    p.add_run("创新型")


def _w14(p) -> None:
    K.w14_checkbox(p, True)
    p.add_run("问题解决型 ")
    K.w14_checkbox(p, False)
    p.add_run("创新型")


def _plain_word(p) -> None:
    p.add_run("问题解决型")


def app_member_table_wingdings() -> Case:
    d = K.new()
    d.add_paragraph("附件一")
    _title(d)
    d.add_paragraph(f"推荐省市、行业： {APP['recommender']}")
    _grid_form(d, APP, _wingdings_ticks, _members_table(APP["members"]))
    return Case("app_member_table_wingdings", "附件一：全国优秀QC小组申报表.docx", "docx", K.save(d), "application",
                dict(APP))


def app_roles_in_brackets_w2() -> Case:
    """Members written 陈建国（组长）; 创新型 ticked with a Wingdings 2 'R'."""
    d = K.new()
    _title(d)
    d.add_paragraph(f"推荐省市、行业：{APP['recommender']}")
    names = [f"{n}（{r}）" if r != "组员" else n for n, r in zip(APP["members"], ROLES, strict=True)]
    _grid_form(d, APP, _wingdings2_letters, _members_grid(names))
    return Case("app_roles_in_brackets_w2", "申报表（攀登QC小组）.docx", "docx", K.save(d), "application",
                dict(APP, topic_type="创新型"))


def app_split_label_w14_cn_date() -> Case:
    """企业名称 / （公章为准） in two rows, w14 checkboxes, date in Chinese numerals, intro after the table."""
    d = K.new()
    K.text_box(d.add_paragraph(), "全国优秀质量管理小组申报表")
    d.add_paragraph(f"推荐省市、行业：{APP['recommender']}")
    _grid_form(d, APP, _w14, _members_grid(APP["members"]), intro_in_table=False, split_label=True)
    d.add_paragraph("QC小组简介和主要活动过程及效果：")
    d.add_paragraph(APP["intro"])
    d.add_paragraph("单位盖章：")
    d.add_paragraph("二〇二〇年九月一日")
    return Case("app_split_label_w14_cn_date", "蓝天申报表.docx", "docx", K.save(d), "application", dict(APP))


def app_plain_type_intro_table() -> Case:
    """课题类型 written as plain text; the intro in its own one-cell table; spaced date."""
    d = K.new()
    d.sections[0].header.paragraphs[0].text = "全国优秀质量管理小组申报表"
    d.add_paragraph(f"推荐省市、行业：{APP['recommender']}")
    _grid_form(d, APP, _plain_word, _members_table(APP["members"]), intro_in_table=False)
    d.add_paragraph()
    K.table(d, [["QC小组简介和主要活动过程及效果"], [APP["intro"]], ["单位盖章：\n2020 年 9 月 1 日"]])
    return Case("app_plain_type_intro_table", "新建 Microsoft Word 文档 (2).docx", "docx", K.save(d),
                "application", dict(APP))


APPLICATION_DOCX = [app_inline_cells, app_tabs_paragraphs, app_member_table_wingdings, app_roles_in_brackets_w2,
                    app_split_label_w14_cn_date, app_plain_type_intro_table]


# --- Excel forms -------------------------------------------------------------------------------

GROUPS = [
    ("1", "南京金陵变压器制造有限公司", "攀登QC小组", "问题解决型"),
    ("2", "江苏恒瑞医药股份有限公司", "精益求精QC小组", "创新型"),
    ("3", "苏州轨道交通集团有限公司", "畅行QC小组", "问题解决型"),
]
JUDGES = [
    ("1", "孙志强", "江苏省质量协会", "QCZ2018-0123", "13905171234"),
    ("2", "吴芳", "南京工业大学", "QCP2019-0456", "13770612345"),
]


def _wb_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rec_one_sheet() -> Case:
    """Title merged A1:F1, header on row 3, extra columns, both lists on one sheet, padded cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "全国优秀质量管理小组推荐表"
    ws.merge_cells("A1:F1")
    ws["A2"] = "推荐单位：江苏省质量协会"
    ws.merge_cells("A2:F2")
    ws.append(["一、全国优秀质量管理小组"])
    ws.merge_cells("A3:F3")
    ws.append(["序号", "企业名称（以公章为准）", "小组名称", "课题类型", "联系人", "备注"])
    for s, c, g, t in GROUPS:
        ws.append([int(s), f" {c} ", f"{g}\n", t, "王丽华", ""])
    ws.append([])
    ws.append(["二、评委名单"])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=6)
    ws.append(["序号", "姓名", "工作单位", "评委证书编号", "手机"])
    for s, n, e, no, m in JUDGES:
        ws.append([int(s), n, e, no, int(m)])
    ws.append([])
    ws.append(["填表人：王丽华", "", "电话：025-84561234", "", "推荐质协章", "2020年9月10日"])
    ws.column_dimensions["G"].hidden = True
    return Case("rec_one_sheet", "推荐汇总表.xlsx", "xlsx", _wb_bytes(wb), "recommendation", _rec_expected())


def _rec_expected() -> dict:
    return {
        "recommender": "江苏省质量协会",
        "groups": [{"seq": s, "company": c, "group_name": g, "topic_type": t} for s, c, g, t in GROUPS],
        "judges": [{"seq": s, "name": n, "employer": e, "certificate_no": no, "mobile": m} for s, n, e, no, m in JUDGES],
        "filled_by": "王丽华",
        "phone": "025-84561234",
        "date": "2020-09-10",
    }


def rec_two_sheets() -> Case:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "推荐小组"
    ws.append(["全国优秀质量管理小组推荐表"])
    ws.merge_cells("A1:D1")
    ws.append(["推荐省市、行业：", "江苏省质量协会"])
    ws.append(["序号", "企业名称", "QC小组名称", "课题类型"])
    for s, c, g, t in GROUPS:
        ws.append([s, c, g, t])
    ws.append(["填表人：", "王丽华", "电话：", "025-84561234"])
    ws.append(["推荐质协章", "", "日期：", "2020-09-10"])
    ws2 = wb.create_sheet("评委名单")
    ws2.append(["序号", "姓名", "工作单位", "评委证书编号", "手机号码"])
    for s, n, e, no, m in JUDGES:
        ws2.append([s, n, e, no, m])
    return Case("rec_two_sheets", "附件4 推荐表（江苏）.xlsx", "xlsx", _wb_bytes(wb), "recommendation",
                _rec_expected())


STATS = {
    "recommender": "江苏省质量协会",
    "groups_registered_total": 52.3,
    "groups_registered_year": 3.1,
    "participation_rate": 45,
    "groups_active_year": 2.8,
    "benefit_total": 1250000,
    "benefit_year": 86000,
    "achievement_rate": 62.5,
    "funding_year": 1200,
    "reward_year": 860,
    "meeting_held": True,
    "meeting_signups": 320,
    "meeting_presented": 280,
    "meeting_place": "南京国际会议中心",
    "meeting_attendees": 650,
    "contact_person": "王丽华",
    "mobile": "13812345678",
    "email": "qc@jsqa.org.cn",
    "postcode": "210008",
}
_ITEMS = [
    ("历年来累计已登记注册QC小组数", "万个", "52.3"),
    ("本年度已登记注册QC小组数", "万个", "3.1"),
    ("本年度QC小组普及率=参加QC小组人数/职工总数×100%", "百分数", 0.45),
    ("本年度坚持活动的QC小组数", "万个", "2.8"),
    ("历年来累计QC小组创可计算的经济效益", "万元", "1,250,000"),
    ("本年度QC小组创可计算的经济效益", "万元", 86000),
    ("本年度QC小组成果率=取得成果小组数/QC小组注册数×100%", "百分数", "62.5%"),
    ("本年度企业对QC小组活动经费投入(培训、交流、书籍等费用)", "万元", "1200"),
    ("本年度企业对QC小组活动奖励费用", "万元", 860),
]


def stats_qty_before_unit() -> Case:
    """数量 column before 单位, numbers stored as text, 45% stored as 0.45 with a percent format."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "质量管理小组活动统计表"
    ws.merge_cells("A1:F1")
    ws["A2"] = "（2019年6月至2020年8月）"
    ws.merge_cells("A2:F2")
    ws["A3"] = "推荐省市、行业：江苏省质量协会"
    ws.merge_cells("A3:F3")
    ws.append(["统计项目", None, None, None, "数量", "单位"])
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=4)
    for label, unit, qty in _ITEMS:
        ws.append([label, None, None, None, qty, unit])
        r = ws.max_row
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        if isinstance(qty, float) and qty < 1:
            ws.cell(r, 5).number_format = "0%"
    ws.append(["是否组织发表会", "☑是 □否", "发表会报名小组数", "320", "发表小组数", "280"])
    ws.append(["发表会时间", "2020年8月18日", "发表会地点", "南京国际会议中心", "参会人数", "650人"])
    ws.append(["QC小组工作归口部门及负责人：江苏省质量协会 张伟"])
    ws.append(["联系人：", "王丽华", "手机：", "138 1234 5678", "邮箱：", "qc@jsqa.org.cn"])
    ws.append(["通信地址：", "南京市鼓楼区北京西路15号", "邮编：", "210008"])
    return Case("stats_qty_before_unit", "统计表（江苏）.xlsx", "xlsx", _wb_bytes(wb), "statistics",
                dict(STATS, meeting_time="2020年8月18日", address="南京市鼓楼区北京西路15号",
                     responsible="江苏省质量协会 张伟"))


REVIEW = [("1", "南京金陵变压器制造有限公司/攀登QC小组", "课题选择合理，数据充分；对策实施不足。", 92.5),
          ("2", "江苏恒瑞医药股份有限公司/精益求精QC小组", "创新点突出，效果显著。", 88)]


def review_scores_with_unit() -> Case:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "质量管理小组成果评审汇总表"
    ws.merge_cells("A1:D1")
    ws["A2"] = "省市、行业：江苏省质量协会"
    ws.merge_cells("A2:D2")
    ws.append(["序号", "企业/小组名称", "成果评价（优势/不足之处，限300字）", "分数"])
    for s, n, e, sc in REVIEW:
        ws.append([s, n, e, f"{sc:g}分"])
    ws.append(["填表人：王丽华", "电话：025-84561234", "推荐质协章", "2020年9月10日"])
    return Case("review_scores_with_unit", "附件5：成果评审汇总.xlsx", "xlsx", _wb_bytes(wb), "review",
                {"recommender": "江苏省质量协会",
                 "entries": [{"seq": s, "name": n, "evaluation": e, "score": sc} for s, n, e, sc in REVIEW],
                 "filled_by": "王丽华", "phone": "025-84561234", "date": "2020-09-10"})


EXCEL = [rec_one_sheet, rec_two_sheets, stats_qty_before_unit, review_scores_with_unit]


# --- free documents ----------------------------------------------------------------------------

SUMMARY_SECTIONS = ["一、基本情况", "二、推进经验和做法", "三、存在问题及改进方向"]
_PARA = ("全省各级质协围绕《质量管理小组活动准则》的宣贯，组织企业开展培训与诊断，推动小组活动向基层延伸，"
         "小组注册数与成果数稳步增长，活动质量持续提高。")


def summary_numbered_headings() -> Case:
    """Headings in Heading 1 style with automatic 一、 numbering: the text itself has no 一、."""
    d = K.new()
    num = K.enable_numbering(d)
    d.add_paragraph("2020年质量管理小组活动工作总结", style="Title")
    d.add_paragraph("推荐省市、行业：江苏省质量协会")
    for head in ("基本情况", "推进经验和做法", "存在问题及改进方向"):
        K.numbered(d, head, 0, num, style="Heading 1")
        for sub in range(2):
            K.numbered(d, f"第{sub + 1}方面的工作", 1, num)
            for _ in range(6):
                d.add_paragraph(_PARA)
    d.add_paragraph("江苏省质量协会")
    d.add_paragraph("2020年9月10日")
    return Case("summary_numbered_headings", "2020年QC活动总结-江苏省质协.docx", "docx", K.save(d), "summary",
                {"recommender": "江苏省质量协会", "sections": SUMMARY_SECTIONS})


def summary_typed_headings() -> Case:
    d = K.new()
    d.add_paragraph("江苏省2020年QC小组活动总结")
    d.add_paragraph("推荐单位：江苏省质量协会")
    for head in SUMMARY_SECTIONS:
        d.add_paragraph(head, style="Heading 2")
        d.add_paragraph("（一）" + _PARA)
        for _ in range(5):
            d.add_paragraph(_PARA)
    return Case("summary_typed_headings", "工作总结.docx", "docx", K.save(d), "summary",
                {"recommender": "江苏省质量协会", "sections": SUMMARY_SECTIONS})


def report_by_group_name() -> Case:
    d = K.new()
    d.add_paragraph("降低干式变压器装配返工率")
    d.add_paragraph("南京金陵变压器制造有限公司")
    d.add_paragraph("攀登QC小组")
    d.add_paragraph("2020年8月")
    for h in ("一、小组概况", "二、选题理由", "三、现状调查", "四、设定目标", "五、原因分析", "六、要因确认",
              "七、制定对策", "八、对策实施", "九、效果检查", "十、巩固措施", "十一、总结和下一步打算"):
        d.add_paragraph(h, style="Heading 1")
        d.add_paragraph("小组成员通过现场调查收集数据，绘制排列图，找出主要症结并制定对策。")
    return Case("report_by_group_name", "攀登小组.docx", "docx", K.save(d), "report",
                {"group_name": "攀登QC小组"})


def evidence_record_docx() -> Case:
    d = K.new()
    d.add_paragraph("攀登QC小组活动记录")
    K.table(d, [["活动时间", "2020年3月12日", "活动地点", "三车间会议室"],
                ["参加人员", "陈建国、刘洋、张敏、李强", None, None],
                ["活动内容", "讨论现状调查数据，绘制排列图，确定症结。", None, None],
                ["记录人", "刘洋", None, None]])
    return Case("evidence_record_docx", "小组活动记录.docx", "docx", K.save(d), "evidence", {})


def evidence_signin_xlsx() -> Case:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["攀登QC小组活动签到表"])
    ws.append(["日期", "2020-03-12"])
    ws.append(["序号", "姓名", "部门", "签名"])
    for i, n in enumerate(APP["members"]):
        ws.append([i + 1, n, "三车间", n])
    return Case("evidence_signin_xlsx", "签到表.xlsx", "xlsx", _wb_bytes(wb), "evidence", {})


FREE = [summary_numbered_headings, summary_typed_headings, report_by_group_name, evidence_record_docx,
        evidence_signin_xlsx]

ALL_NATIVE = APPLICATION_DOCX + EXCEL + FREE


# --- round 2: the Word versions of the list forms, grids and odd spellings -------------------

def stats_word_notice_layout() -> Case:
    """The 统计表 filled in the notice's own Word table (items over three merged columns)."""
    d = K.new()
    d.add_paragraph("附件3")
    _title(d, "质量管理小组活动统计表")
    d.add_paragraph("（2019年6月至2020年8月）")
    d.add_paragraph("推荐省市、行业：江苏省质量协会")
    rows: list[list[str | None]] = [["统 计 项 目", None, None, None, "单 位", "数 量"]]
    for label, unit, qty in _ITEMS:
        shown = "45%" if isinstance(qty, float) and qty < 1 else str(qty)
        rows.append([label, None, None, None, unit, shown])
    rows += [
        ["是否组织发表会", "■是  □否", "发表会报名小组数", "320", "发表小组数", "280"],
        ["发表会时间", "2020年8月18日", "发表会地点", "南京国际会议中心", "参会人数", "650"],
        ["QC小组工作归口部门及负责人：江苏省质量协会 张伟", None, None, None, None, None],
        ["联系人：王丽华", None, "手机：13812345678", None, "邮箱：qc@jsqa.org.cn", None],
        ["通信地址：南京市鼓楼区北京西路15号", None, None, None, "邮编：210008", None],
    ]
    K.table(d, rows)
    d.add_paragraph("注：1.本统计表信息来自企业统计数据资料。")
    d.add_paragraph("电话：(010) 66073178；68416388 邮箱：66073178@163.com 邮编：100048")
    return Case("stats_word_notice_layout", "质量管理小组活动统计表.docx", "docx", K.save(d), "statistics",
                dict(STATS, meeting_time="2020年8月18日", address="南京市鼓楼区北京西路15号",
                     responsible="江苏省质量协会 张伟"))


def rec_word_tick_columns() -> Case:
    """推荐表 in Word: 课题类型 split into 问题解决型 | 创新型 tick columns, judges without 序号."""
    d = K.new()
    _title(d, "全国优秀质量管理小组推荐表")
    d.add_paragraph("推荐单位（盖章）：江苏省质量协会")
    d.add_paragraph("一、全国优秀质量管理小组")
    rows: list[list[str | None]] = [["序号", "企业名称（以公章为准）", "小组名称", "课题类型", None],
                                    ["序号", "企业名称（以公章为准）", "小组名称", "问题解决型", "创新型"]]
    for s, c, g, t in GROUPS:
        rows.append([s, c, g, "√" if t == "问题解决型" else "", "√" if t == "创新型" else ""])
    t = K.table(d, rows)
    for col in (0, 1, 2):
        K.merge_down(t, col, 0, 1)
        t.cell(0, col).paragraphs[0].text = rows[0][col] or ""
        for p in t.cell(0, col).paragraphs[1:]:
            p.text = ""
    d.add_paragraph("二、评委名单")
    K.table(d, [["姓名", "性别", "工作单位", "评委证书编号", "手机"]] +
            [[n, "男", e, no, f"{m[:3]} {m[3:7]} {m[7:]}"] for _s, n, e, no, m in JUDGES])
    d.add_paragraph("填表人：王丽华        电话：025-84561234")
    d.add_paragraph("推荐质协章                2020年9月10日")
    exp = _rec_expected()
    exp["judges"] = [dict(j, seq=None) for j in exp["judges"]]
    return Case("rec_word_tick_columns", "推荐表.docx", "docx", K.save(d), "recommendation", exp)


def review_word_two_name_columns() -> Case:
    d = K.new()
    d.add_paragraph("附件5")
    _title(d, "质量管理小组成果评审汇总表")
    d.add_paragraph("省市、行业：江苏省质量协会")
    rows: list[list[str | None]] = [["序号", "企业名称", "小组名称", "成果评价（优势/不足之处，限300字）", "分数"]]
    for s, n, e, sc in REVIEW:
        company, group = n.split("/")
        rows.append([s, company, group, e, f"{sc:g}"])
    K.table(d, rows)
    d.add_paragraph("填表人：王丽华    电话：025-84561234    推荐质协章    2020年9月10日")
    return Case("review_word_two_name_columns", "新建 Microsoft Word 文档.docx", "docx", K.save(d), "review",
                {"recommender": "江苏省质量协会",
                 "entries": [{"seq": s, "name": n, "evaluation": e, "score": sc} for s, n, e, sc in REVIEW],
                 "filled_by": "王丽华", "phone": "025-84561234", "date": "2020-09-10"})


def app_numbers_row_names_below() -> Case:
    """Member grid with the numbers 1–5 in one row and the names in the row below; underscores; dotted date."""
    d = K.new()
    _title(d)
    d.add_paragraph(f"推荐省市、行业：__{APP['recommender']}__")
    names = APP["members"] + ["", "", "", ""]
    members: list[list[str | None]] = [["小组成员名单", None, None, None, None, None],
                                       ["1", "2", "3", "4", "5", ""], names[:5] + [""],
                                       ["6", "7", "8", "9", "10", ""], names[5:10] + [""]]
    _grid_form(d, APP, _plain_word, members, date_text="2020.9.1")
    return Case("app_numbers_row_names_below", "附件1.docx", "docx", K.save(d), "application", dict(APP))


def app_in_excel() -> Case:
    """Some companies fill the 申报表 in Excel: labels in column A, values merged B:F."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "全国优秀质量管理小组申报表"
    ws.merge_cells("A1:F1")
    ws.append(["推荐省市、行业", APP["recommender"]])
    a = APP
    for label, value in [("企业名称（公章为准）", a["company"]), ("QC小组名称", a["group_name"]),
                         ("课题名称", a["topic"]), ("课题类型", "问题解决型√  创新型")]:
        ws.append([label, value])
        ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=6)
    ws.append(["详细通信地址", a["address"], None, None, "邮编", int(a["postcode"])])
    ws.append(["小组联系部门", a["contact_dept"], "直接联系人", a["contact_person"], "手机", int(a["mobile"])])
    ws.append(["小组成员名单", "、".join(a["members"])])
    ws.append(["QC小组简介和主要活动过程及效果", a["intro"]])
    ws.append(["单位盖章", None, None, None, "日期", "2020/09/01"])
    return Case("app_in_excel", "申报表.xlsx", "xlsx", _wb_bytes(wb), "application", dict(APP))


def stats_no_name_hint() -> Case:
    """A 统计表 saved as 新建 XLSX 工作表.xlsx with a 2-row header (统计项目 / 单位 / 数量 over 本年度)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["质量管理小组活动统计表"])
    ws.append(["推荐省市、行业", "江苏省质量协会"])
    ws.append(["序号", "统计项目", "单位", "数量"])
    for i, (label, unit, qty) in enumerate(_ITEMS):
        ws.append([i + 1, label, unit, "45" if isinstance(qty, float) and qty < 1 else qty])
    ws.append(["", "是否组织发表会", "是"])
    return Case("stats_no_name_hint", "新建 XLSX 工作表.xlsx", "xlsx", _wb_bytes(wb), "statistics",
                {k: STATS[k] for k in ("recommender", "groups_registered_total", "groups_registered_year",
                                       "participation_rate", "groups_active_year", "benefit_total", "benefit_year",
                                       "achievement_rate", "funding_year", "reward_year", "meeting_held")})


def report_cover_labels() -> Case:
    d = K.new()
    d.add_paragraph("QC小组成果报告")
    d.add_paragraph(f"课题名称：{APP['topic']}")
    d.add_paragraph(f"小组名称：{APP['group_name']}")
    d.add_paragraph(f"发布单位：{APP['company']}")
    d.add_paragraph("发 布 人：陈建国")
    for h in ("一、选题理由", "二、现状调查", "三、原因分析", "四、要因确认", "五、对策实施", "六、效果检查"):
        d.add_paragraph(h)
        d.add_paragraph("通过调查表收集数据，小组找出了主要问题，制定并实施了对策。")
    return Case("report_cover_labels", "成果报告-攀登QC小组.docx", "docx", K.save(d), "report",
                {"group_name": APP["group_name"], "company": APP["company"], "topic": APP["topic"]})


ROUND2 = [stats_word_notice_layout, rec_word_tick_columns, review_word_two_name_columns, app_numbers_row_names_below,
          app_in_excel, stats_no_name_hint, report_cover_labels]
ALL_NATIVE += ROUND2
