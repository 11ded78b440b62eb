"""Third-look builders: the layouts and habits the first two red teams did not cover.

Written independently of the other generators. Every builder returns ``(bytes, source_ext)``;
formats LibreOffice must make (.doc, .wps, .xls, .et, Word-exported PDFs) are produced by the
session fixture in one soffice run per target (``conftest.py``). A .wps is what WPS writes with
its "WPS 文字" default: an OLE Word-97 file under another name, so it is made as a .doc.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from html import escape

import openpyxl
from docx import Document as DocxDocument
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from PIL import Image, ImageDraw

PROSE = [
    "本年度全省各级质协认真组织开展质量管理小组活动，参与企业覆盖机械、电力、化工、建筑等重点行业。",
    "我们坚持以《质量管理小组活动准则》为依据，组织诊断师深入企业现场开展辅导，帮助小组规范活动程序。",
    "通过举办成果发表赛和优秀成果巡回交流，一线员工参与质量改进的积极性显著提高，小组成果质量稳步提升。",
    "部分企业将小组活动与班组建设、技术创新相结合，形成了具有行业特色的推进模式，取得了良好的经济效益。",
    "同时也要看到，个别小组数据收集不够充分，统计工具运用不够恰当，成果的推广应用还有待加强。",
    "下一步我们将加强诊断师队伍建设，完善成果评价机制，推动优秀成果在行业内转化应用。",
]


def prose(n_chars: int, start: int = 0) -> list[str]:
    """Paragraphs of plausible text, at least ``n_chars`` non-space characters in total."""
    out, total, i = [], 0, start
    while total < n_chars:
        p = "".join(PROSE[(i + k) % len(PROSE)] for k in range(3))
        out.append(p)
        total += len(p)
        i += 1
    return out


@dataclass
class App:
    """One group's 申报表 values, as the secretary typed them."""

    recommender: str = "江苏省质量协会"
    company: str = "江苏恒信精密机械有限公司"
    group_name: str = "精益求精QC小组"
    topic: str = "降低齿轮箱壳体加工不良率"
    topic_type: str = "问题解决型"
    address: str = "江苏省南京市江宁区秣陵街道胜利路88号"
    postcode: str = "211100"
    contact_dept: str = "质量管理部"
    contact_person: str = "王海燕"
    mobile: str = "13812345678"
    members: list[str] = field(default_factory=lambda: ["张三", "李四", "王五", "赵六", "钱七", "孙八"])
    intro: str = "本小组成立于2018年3月，由生产、技术、质检人员组成。2019年选定课题后，按PDCA循环开展活动，" \
                 "壳体加工不良率由4.2%降至0.9%，年创经济效益36万元。"
    date: str = "2020-09-10"


def cn_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def _ticks(kind: str) -> str:
    a = "☑" if kind == "问题解决型" else "□"
    b = "☑" if kind == "创新型" else "□"
    return f"{a} 问题解决型 {b} 创新型"


# ---- 申报表 in the notice's exact 10-column layout, as HTML for LibreOffice --------------------------

def application_html(a: App, *, recommender_line: str | None = None, labels: dict[str, str] | None = None,
                     members_layout: str = "numbered", mobile: str | None = None,
                     postcode: str | None = None, company_value: str | None = None,
                     topic_value: str | None = None, recommender_cell: bool = False) -> bytes:
    """附件 1 / 全国优秀质量管理小组申报表 / 推荐省市、行业_____ above a 10-column merged table.

    ``labels`` overrides label texts (``企业名称:``, ``ＱＣ小组名称`` ...); ``members_layout`` is
    ``numbered`` (the notice's 1..10 cells with a name typed after the number), ``spaces`` (one cell,
    names separated by spaces) or ``lines`` (one cell, one name per line).
    """
    lb = {"company": "企业名称<br>（公章为准）", "group_name": "QC 小组名称", "topic": "课题名称",
          "topic_type": "课题类型", "address": "详细通信地址", "postcode": "邮编", "contact_dept": "小组联系部门",
          "contact_person": "直接联系人", "mobile": "手机", "members": "小组成员名单",
          "intro": "QC 小组简介和主要活动过程及效果："} | (labels or {})
    rec = recommender_line if recommender_line is not None else f"推荐省市、行业：<u>{escape(a.recommender)}</u>"

    def td(text: str, span: int = 1, rows: int = 1) -> str:
        attrs = (f' colspan="{span}"' if span > 1 else "") + (f' rowspan="{rows}"' if rows > 1 else "")
        return f"<td{attrs}>{text}</td>"

    rows = [td("推荐省市、行业", 2) + td(escape(a.recommender), 8)] if recommender_cell else []
    rows += [
        td(lb["company"], 2) + td(company_value or escape(a.company), 8),
        td(lb["group_name"], 2) + td(escape(a.group_name), 8),
        td(lb["topic"], 2) + td(topic_value or escape(a.topic), 8),
        td(lb["topic_type"], 2) + td(_ticks(a.topic_type), 8),
        td(lb["address"], 2) + td(escape(a.address), 5) + td(lb["postcode"]) + td(postcode or a.postcode, 2),
        td(lb["contact_dept"], 2) + td(escape(a.contact_dept), 2) + td(lb["contact_person"])
        + td(escape(a.contact_person), 2) + td(lb["mobile"]) + td(mobile or a.mobile, 2),
    ]
    names = a.members + [""] * (10 - len(a.members))
    if members_layout == "numbered":
        rows.append(td(lb["members"], 10))
        for half in (0, 5):
            rows.append("".join(td(str(half + i + 1)) + td(names[half + i]) for i in range(5)))
    else:
        sep = " " if members_layout == "spaces" else "<br>"
        rows.append(td(lb["members"], 2) + td(sep.join(a.members), 8))
    rows.append(td(f"{lb['intro']}<br>{escape(a.intro)}<br><br>单位盖章：<br>{cn_date(a.date)}", 10))
    body = "".join(f"<tr>{r}</tr>" for r in rows)
    html = (
        "<html><head><meta charset='utf-8'></head><body>"
        "<p>附件 1</p><p align='center'><b>全国优秀质量管理小组申报表</b></p>"
        f"<p>{rec}</p>"
        f"<table border='1' cellspacing='0' cellpadding='4'>{body}</table>"
        "<p>注：申报材料统一交与推荐质协或部门，具体要求如下：</p>"
        "<p>1. 小组申报表提交PDF电子版格式一份（加盖公章）和word文本电子版一份（不需盖章）。</p>"
        "<p>3. 材料提交截止时间：2020年9月15日前发送至中国质协质量活动推进部。</p>"
        "</body></html>"
    )
    return html.encode("utf-8")


# ---- 统计表 typed in Word ----------------------------------------------------------------------------

STAT_ITEMS = [
    ("历年来累计已登记注册 QC 小组数", "万个", "groups_registered_total", "3.62"),
    ("本年度已登记注册 QC 小组数", "万个", "groups_registered_year", "0.85"),
    ("本年度 QC 小组普及率=参加 QC 小组人数/职工总数×100%", "百分数", "participation_rate", "23.5%"),
    ("本年度坚持活动的 QC 小组数", "万个", "groups_active_year", "0.81"),
    ("历年来累计 QC 小组创可计算的经济效益", "万元", "benefit_total", "985,600"),
    ("本年度 QC 小组创可计算的经济效益", "万元", "benefit_year", "45200"),
    ("本年度 QC 小组成果率=取得成果小组数/QC 小组注册数×100%", "百分数", "achievement_rate", "61.2"),
    ("本年度企业对 QC 小组活动经费投入(培训、交流、书籍等费用)", "万元", "funding_year", "320"),
    ("本年度企业对 QC 小组活动奖励费用", "万元", "reward_year", "150.5"),
]
STAT_EXPECTED = {"groups_registered_total": 3.62, "groups_registered_year": 0.85, "participation_rate": 23.5,
                 "groups_active_year": 0.81, "benefit_total": 985600, "benefit_year": 45200,
                 "achievement_rate": 61.2, "funding_year": 320, "reward_year": 150.5, "meeting_held": True,
                 "meeting_signups": 86, "meeting_presented": 64, "meeting_time": "2020年7月22日",
                 "meeting_place": "南京国际会议中心", "meeting_attendees": 320,
                 "responsible": "江苏省质量协会 活动部 刘明", "contact_person": "陈静", "mobile": "13905171234",
                 "email": "jsqc@js-zhixie.cn", "address": "南京市鼓楼区北京西路15号", "postcode": "210024",
                 "recommender": "江苏省质量协会"}


def statistics_html() -> bytes:
    """The notice's 附件3 as a Word table: 统 计 项 目 | 单 位 | 数 量 (spaced), 4 columns, merged bottom."""
    e = STAT_EXPECTED

    def td(text: str, span: int = 1) -> str:
        return f"<td colspan='{span}'>{text}</td>" if span > 1 else f"<td>{text}</td>"

    rows = [td("统 计 项 目", 2) + td("单 位") + td("数 量")]
    rows += [td(label, 2) + td(unit) + td(value) for label, unit, _k, value in STAT_ITEMS]
    rows += [
        td("是否组织发表会") + td("☑是 □否") + td("发表会报名小组数") + td(str(e["meeting_signups"])),
        td("发表小组数") + td(str(e["meeting_presented"])) + td("发表会时间") + td(e["meeting_time"]),
        td("发表会地点") + td(e["meeting_place"]) + td("参会人数") + td(f"{e['meeting_attendees']}人"),
        td(f"QC 小组工作归口部门及负责人：{e['responsible']}", 4),
        td(f"联系人：{e['contact_person']}", 2) + td(f"手机：{e['mobile']}") + td(f"邮箱：{e['email']}"),
        td(f"通信地址：{e['address']}", 3) + td(f"邮编：{e['postcode']}"),
    ]
    body = "".join(f"<tr>{r}</tr>" for r in rows)
    return (
        "<html><head><meta charset='utf-8'></head><body><p>附件 3</p>"
        "<p align='center'><b>质量管理小组活动统计表</b></p><p align='center'>(2019 年 6 月至 2020 年 8 月)</p>"
        f"<p>推荐省市、行业：{e['recommender']}</p>"
        f"<table border='1' cellspacing='0'>{body}</table>"
        "<p>注: 1. 本统计表信息来自企业统计数据资料。</p>"
        "<p>电话: (010) 66073178; 68416388 邮箱: 66073178@163.com 邮编: 100048</p>"
        "</body></html>"
    ).encode()


def statistics_xlsx() -> bytes:
    """The same table in a spreadsheet (to become a WPS .et): spaced header words, merged label columns."""
    e = STAT_EXPECTED
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    ws.append(["质量管理小组活动统计表"])
    ws.merge_cells("A1:D1")
    ws.append(["推荐省市、行业：江苏省质量协会"])
    ws.append(["统 计 项 目", None, "单 位", "数 量"])
    ws.merge_cells("A3:B3")
    for label, unit, _k, value in STAT_ITEMS:
        ws.append([label, None, unit, value])
        ws.merge_cells(f"A{ws.max_row}:B{ws.max_row}")
    ws.append(["是否组织发表会", "☑是 □否", "发表会报名小组数", e["meeting_signups"]])
    ws.append(["发表小组数", e["meeting_presented"], "发表会时间", e["meeting_time"]])
    ws.append(["发表会地点", e["meeting_place"], "参会人数", e["meeting_attendees"]])
    ws.append([f"QC 小组工作归口部门及负责人：{e['responsible']}"])
    ws.append(["联系人：", e["contact_person"], "手机：", e["mobile"]])
    ws.append(["邮箱：", e["email"], "邮编：", e["postcode"]])
    ws.append(["通信地址：", e["address"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- 推荐表 / 评审汇总表 with two header rows ------------------------------------------------------

@dataclass
class Rec:
    groups: list[tuple[str, str, str]]  # company, group_name, topic_type
    judges: list[tuple[str, str, str, str]]  # name, employer, certificate_no, mobile


def many_groups(n: int) -> list[tuple[str, str, str]]:
    cities = ["南京", "苏州", "无锡", "常州", "徐州", "南通", "扬州", "镇江", "泰州", "盐城"]
    trades = ["精密机械", "电力设备", "化工材料", "建筑工程", "纺织印染"]
    out = []
    for i in range(n):
        company = f"{cities[i % 10]}{trades[i % 5]}有限公司{'' if i < 10 else f'第{i}分公司'}"
        out.append((company, f"{['攻坚', '创新', '启航', '匠心', '精益'][i % 5]}{i + 1}号QC小组",
                    "创新型" if i % 3 == 0 else "问题解决型"))
    return out


JUDGES = [("周建国", "江苏省质量协会", "QCPS-2016-0231", "13951800001"),
          ("吴晓梅", "南京工程学院", "QCPS-2018-1177", "13770600002")]


def recommendation_xlsx(rec: Rec) -> bytes:
    """推荐表 with two header rows: 课题类型 merged over 问题解决型 | 创新型 tick columns, and the other
    headings merged down over both rows; judges on the same sheet below a 二、评委名单 title row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["全国优秀质量管理小组推荐表"])
    ws.merge_cells("A1:E1")
    ws.append(["推荐单位（盖章）：江苏省质量协会"])
    ws.append(["一、全国优秀质量管理小组"])
    ws.merge_cells("A3:E3")
    ws.append(["序号", "企业名称（以公章为准）", "小组名称", "课题类型", None])
    ws.append([None, None, None, "问题解决型", "创新型"])
    ws.merge_cells("A4:A5")
    ws.merge_cells("B4:B5")
    ws.merge_cells("C4:C5")
    ws.merge_cells("D4:E4")
    for i, (company, name, kind) in enumerate(rec.groups, 1):
        ws.append([i, company, name, "√" if kind == "问题解决型" else None, "√" if kind == "创新型" else None])
    ws.append(["二、评委名单"])
    ws.merge_cells(f"A{ws.max_row}:E{ws.max_row}")
    ws.append(["序号", "姓名", "工作单位", "评委证书编号", "手机"])
    for i, j in enumerate(rec.judges, 1):
        ws.append([i, *j])
    ws.append(["填表人：", "陈静", "电话：025-86661234", "推荐质协章", "2020年9月11日"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


REVIEW_EVAL = "优势：选题紧扣生产实际，数据充分，对策有效；不足：目标可行性论证略简单。"


def review_xlsx(groups: list[tuple[str, str, str]]) -> bytes:
    """评审汇总表 with a two-row header: 企业/小组名称 split into 企业名称 | 小组名称 under one heading."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["质量管理小组成果评审汇总表"])
    ws.merge_cells("A1:E1")
    ws.append(["省市、行业：江苏省质量协会"])
    ws.append(["序号", "企业/小组名称", None, "成果评价（优势/不足之处，限300字）", "分数"])
    ws.append([None, "企业名称", "小组名称", None, None])
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:C3")
    ws.merge_cells("D3:D4")
    ws.merge_cells("E3:E4")
    for i, (company, name, _k) in enumerate(groups, 1):
        ws.append([i, company, name, REVIEW_EVAL, 80 + i % 15 + 0.5])
    ws.append(["填表人：陈静", None, "电话：025-86661234", "推荐质协章", "2020年9月11日"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def review_score(i: int) -> float:
    return 80 + i % 15 + 0.5


# ---- Word documents ---------------------------------------------------------------------------------

def _save(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def recommendation_docx(rec: Rec) -> bytes:
    """推荐表 in Word with so many groups that the table runs over two pages (header row repeated)."""
    d = DocxDocument()
    d.add_paragraph("附件 4")
    d.add_paragraph("全国优秀质量管理小组推荐表")
    d.add_paragraph("推荐省市、行业：江苏省质量协会")
    d.add_paragraph("一、全国优秀质量管理小组")
    t = d.add_table(rows=1, cols=4)
    t.style = "Table Grid"
    for c, h in enumerate(["序号", "企业名称（以公章为准）", "小组名称", "课题类型"]):
        t.cell(0, c).text = h
    _repeat_header(t.rows[0])
    for i, (company, name, kind) in enumerate(rec.groups, 1):
        cells = t.add_row().cells
        for c, v in enumerate([str(i), company, name, kind]):
            cells[c].text = v
    d.add_paragraph("二、评委名单")
    j = d.add_table(rows=1, cols=5)
    j.style = "Table Grid"
    for c, h in enumerate(["序号", "姓名", "工作单位", "评委证书编号", "手机"]):
        j.cell(0, c).text = h
    for i, row in enumerate(rec.judges, 1):
        cells = j.add_row().cells
        for c, v in enumerate([str(i), *row]):
            cells[c].text = v
    d.add_paragraph("填表人：陈静    电话：025-86661234    推荐质协章    2020年9月11日")
    d.add_paragraph("注：1. 此表为推荐单位的正式汇总材料，是制作证书的依据。请于 2020 年 9 月 15 日前发送。")
    return _save(d)


def review_docx(groups: list[tuple[str, str, str]]) -> bytes:
    """评审汇总表 in Word, long enough to continue on a second page (header repeated)."""
    d = DocxDocument()
    d.add_paragraph("附件 5")
    d.add_paragraph("质量管理小组成果评审汇总表")
    d.add_paragraph("省市、行业：江苏省质量协会")
    t = d.add_table(rows=1, cols=4)
    t.style = "Table Grid"
    for c, h in enumerate(["序号", "企业/小组名称", "成果评价（优势/不足之处，限 300 字）", "分数"]):
        t.cell(0, c).text = h
    _repeat_header(t.rows[0])
    for i, (company, name, _k) in enumerate(groups, 1):
        cells = t.add_row().cells
        for c, v in enumerate([str(i), f"{company}/{name}", REVIEW_EVAL, str(review_score(i))]):
            cells[c].text = v
    d.add_paragraph("填表人：陈静    电话：025-86661234    推荐质协章    2020年9月11日")
    return _save(d)


def statistics_docx() -> bytes:
    """附件3 typed in Word (python-docx): the notice's spaced header and a 4-column grid."""
    e = STAT_EXPECTED
    d = DocxDocument()
    d.add_paragraph("附件 3")
    d.add_paragraph("质量管理小组活动统计表")
    d.add_paragraph("(2019 年 6 月至 2020 年 8 月)")
    d.add_paragraph(f"推荐省市、行业 {e['recommender']}")
    rows = [["统 计 项 目", "统 计 项 目", "单 位", "数 量"]]
    rows += [[label, label, unit, value] for label, unit, _k, value in STAT_ITEMS]
    rows += [["是否组织发表会", "☑ 是  □ 否", "发表会报名小组数", str(e["meeting_signups"])],
             ["发表小组数", str(e["meeting_presented"]), "发表会时间", e["meeting_time"]],
             ["发表会地点", e["meeting_place"], "参会人数", str(e["meeting_attendees"])]]
    t = d.add_table(rows=len(rows) + 3, cols=4)
    t.style = "Table Grid"
    for r, row in enumerate(rows):
        if row[0] == row[1]:
            t.cell(r, 0).merge(t.cell(r, 1))
            t.cell(r, 0).text = row[0]
            t.cell(r, 2).text, t.cell(r, 3).text = row[2], row[3]
        else:
            for c, v in enumerate(row):
                t.cell(r, c).text = v
    n = len(rows)
    t.cell(n, 0).merge(t.cell(n, 3)).text = f"QC 小组工作归口部门及负责人: {e['responsible']}"
    t.cell(n + 1, 0).text = f"联系人: {e['contact_person']}"
    t.cell(n + 1, 1).merge(t.cell(n + 1, 2)).text = f"手机: {e['mobile']}"
    t.cell(n + 1, 3).text = f"邮箱: {e['email']}"
    t.cell(n + 2, 0).merge(t.cell(n + 2, 2)).text = f"通信地址: {e['address']}"
    t.cell(n + 2, 3).text = f"邮编: {e['postcode']}"
    d.add_paragraph("注: 1. 本统计表信息来自企业统计数据资料。")
    d.add_paragraph("电话: (010) 66073178; 68416388 邮箱: 66073178@163.com")
    return _save(d)


def _field(paragraph, instr: str) -> None:
    """A Word field (PAGE) inside a paragraph, as Word writes it."""
    run = paragraph.add_run()
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    run._r.addnext(fld)


SUMMARY_HEADINGS = ["一、 基本情况", "二、 推进经验和做法", "三、 存在问题及改进方向"]


def summary_docx(*, header_footer: bool = False, heading_space: bool = True, single_paragraph: bool = False,
                 chars: int = 3600, unit: str = "江苏省质量协会") -> bytes:
    """工作总结: headings ``一、 基本情况`` (space after 、) with ``（一）`` sub-items, optionally a header
    with the unit's name and a ``- N -`` footer on every page, or the whole text as one paragraph."""
    d = DocxDocument()
    if header_footer:
        sec = d.sections[0]
        sec.header.paragraphs[0].text = f"{unit}  2020年质量管理小组活动工作总结"
        fp = sec.footer.paragraphs[0]
        fp.add_run("- ")
        _field(fp, "PAGE")
        fp.add_run(" -")
    d.add_paragraph("附件 2")
    d.add_paragraph("2020年质量管理小组活动工作总结")
    d.add_paragraph(f"推荐省市、行业：{unit}")
    body = prose(chars)
    if single_paragraph:
        d.add_paragraph("".join(body))
        return _save(d)
    per = max(1, len(body) // 3)
    for k, h in enumerate(SUMMARY_HEADINGS):
        d.add_paragraph(h if heading_space else h.replace(" ", ""))
        for s, p in enumerate(body[k * per:(k + 1) * per if k < 2 else len(body)]):
            d.add_paragraph(f"（{'一二三四五六七八九'[s % 9]}）{p}")
    d.add_paragraph(unit)
    d.add_paragraph("2020年9月10日")
    return _save(d)


def summary_chars_expected(chars: int = 3600) -> tuple[int, int]:
    """Bounds of the body's character count: the prose plus headings and （一） markers."""
    body = sum(len(p) for p in prose(chars))
    return body, body + 60 + 3 * len(prose(chars))


def report_docx(a: App, *, cover_table: bool = True) -> bytes:
    """成果报告 with a cover page table (企业名称 / 小组名称 / 课题名称 / 发布人), then the report."""
    d = DocxDocument()
    d.add_paragraph("质量管理小组成果报告")
    if cover_table:
        t = d.add_table(rows=4, cols=2)
        t.style = "Table Grid"
        for r, (k, v) in enumerate([("企业名称", a.company), ("小组名称", a.group_name), ("课题名称", a.topic),
                                    ("发布人", a.members[0])]):
            t.cell(r, 0).text, t.cell(r, 1).text = k, v
    d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for h in ["一、小组概况", "二、选题理由", "三、现状调查", "四、设定目标", "五、原因分析", "六、要因确认",
              "七、制定对策", "八、对策实施", "九、效果检查", "十、巩固措施", "十一、总结和下一步打算"]:
        d.add_paragraph(h)
        d.add_paragraph("小组成员通过现场调查收集数据，运用排列图、因果图等工具分析问题，制定并实施对策。")
    return _save(d)


# ---- images and scans ---------------------------------------------------------------------------------

def photo(seed: int, fmt: str = "JPEG") -> bytes:
    """A photo-like image (gradient, a few shapes): no text layer whatever the format."""
    img = Image.new("RGB", (640, 480), (200, 210, 220))
    dr = ImageDraw.Draw(img)
    for k in range(12):
        x = (seed * 37 + k * 53) % 600
        y = (seed * 91 + k * 29) % 440
        dr.rectangle([x, y, x + 40, y + 30], fill=((k * 40) % 255, (seed * 60) % 255, 120))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def photos_zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i, n in enumerate(names):
            z.writestr(zipfile.ZipInfo(n, (2020, 8, 1, 10, 0, 0)), photo(i))
    return buf.getvalue()


def scanned_pdf(pages: int = 2) -> bytes:
    """Pages of a scanned activity record: images only, grey paper with dark strokes."""
    imgs = []
    for p in range(pages):
        img = Image.new("RGB", (827, 1169), (236, 236, 230))
        dr = ImageDraw.Draw(img)
        for line in range(30):
            y = 120 + line * 32
            dr.line([(90, y), (90 + (line * 97 + p * 31) % 640, y)], fill=(40, 40, 40), width=3)
        imgs.append(img)
    buf = io.BytesIO()
    imgs[0].save(buf, format="PDF", save_all=True, append_images=imgs[1:], resolution=100)
    return buf.getvalue()


def seal_png(size: int = 160) -> bytes:
    """A red company seal as a transparent PNG: ring, star and an inner ring."""
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    dr = ImageDraw.Draw(img)
    for k in range(6):
        dr.ellipse([k, k, size - 1 - k, size - 1 - k], outline=(225, 20, 25, 255))
    c = size // 2
    dr.regular_polygon((c, c, size // 7), 5, fill=(225, 20, 25, 255))
    dr.ellipse([18, 18, size - 19, size - 19], outline=(225, 20, 25, 255), width=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def recommendation_signed_docx(top: str | None, signature: str) -> bytes:
    """A one-group 推荐表 whose recommender is written only in ``top`` and/or at the stamp line."""
    d = DocxDocument()
    d.add_paragraph("全国优秀质量管理小组推荐表")
    if top:
        d.add_paragraph(top)
    for header, row in ((["序号", "企业名称（以公章为准）", "小组名称", "课题类型"], ["1", "某某公司", "某某QC小组", "创新型"]),
                        (["序号", "姓名", "工作单位", "评委证书编号", "手机"], ["1", "张三", "某协会", "A-1", "13800000000"])):
        t = d.add_table(rows=2, cols=len(header))
        for c, (h, v) in enumerate(zip(header, row, strict=True)):
            t.cell(0, c).text, t.cell(1, c).text = h, v
    d.add_paragraph(signature)
    return _save(d)
