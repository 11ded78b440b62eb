"""Files as a provincial secretary types them: own label wording, own column order, own layout.

Word files with python-docx, Excel files with openpyxl, legacy/PDF copies through LibreOffice
(batched: one soffice call per target format for the whole session), the sealed scan through
pypdfium2 + PIL. Every builder returns bytes.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl
from docx import Document as new_docx
from docx.shared import Pt

from tests.acceptance.independent_submissions.data import Group, Submission, evaluation, filler

TICK, BOX = "☑", "□"


def _save(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _cell(table, r: int, c: int, text: str) -> None:
    table.cell(r, c).text = text


def _ticks(g: Group) -> str:
    a = g.tick == "both" or (g.tick == "one" and g.topic_type == "问题解决型")
    b = g.tick == "both" or (g.tick == "one" and g.topic_type == "创新型")
    return f"{TICK if a else BOX}问题解决型    {TICK if b else BOX}创新型"


def application_docx(sub: Submission, g: Group, style: int = 0) -> bytes:
    """附件1 retyped: 6-column grid, the secretary's own labels; style 1 lists members in a
    序号/姓名/职务 sub-table and puts 邮政编码 on its own row."""
    d = new_docx()
    d.add_paragraph("附件1")
    d.add_paragraph("全国优秀质量管理小组申报表")
    d.add_paragraph(f"推荐省市、行业：{sub.recommender}")
    y, m, dd = g.date.split("-")
    if style == 2:
        pass
    elif style == 0:
        t = d.add_table(rows=10, cols=6)
        t.style = "Table Grid"
        rows = [("企业名称（以公章为准）", g.company), ("QC小组名称", g.group_name), ("课题名称", g.topic),
                ("课题类型", _ticks(g))]
        for r, (lab, val) in enumerate(rows):
            _cell(t, r, 0, lab)
            t.cell(r, 1).merge(t.cell(r, 5)).text = val
        _cell(t, 4, 0, "详细通讯地址")
        t.cell(4, 1).merge(t.cell(4, 3)).text = g.address
        _cell(t, 4, 4, "邮政编码")
        _cell(t, 4, 5, g.postcode)
        for c, txt in enumerate(["小组联系部门", g.contact_dept, "直接联系人", g.contact_person, "联系人手机",
                                 g.mobile]):
            _cell(t, 5, c, txt)
        t.cell(6, 0).merge(t.cell(6, 5)).text = "小组成员名单"
        per_row = 5 if len(g.members) <= 10 else 6
        for k in range(2):
            for c in range(per_row):
                idx = k * per_row + c
                name = g.members[idx] if idx < len(g.members) else ""
                _cell(t, 7 + k, c, f"{idx + 1} {name}".strip())
        t.cell(9, 0).merge(t.cell(9, 5)).text = (
            f"QC小组简介和主要活动过程及效果：\n{g.intro}\n\n单位盖章：\n{y}年{int(m)}月{int(dd)}日")
    else:
        t = d.add_table(rows=8, cols=4)
        t.style = "Table Grid"
        rows = [("企业名称", g.company), ("小组名称", g.group_name), ("课题名称", g.topic), ("课题类型", _ticks(g))]
        for r, (lab, val) in enumerate(rows):
            _cell(t, r, 0, lab)
            t.cell(r, 1).merge(t.cell(r, 3)).text = val
        _cell(t, 4, 0, "详细通信地址")
        _cell(t, 4, 1, g.address)
        _cell(t, 4, 2, "邮编")
        _cell(t, 4, 3, g.postcode)
        _cell(t, 5, 0, "联系部门")
        _cell(t, 5, 1, g.contact_dept)
        _cell(t, 5, 2, "联系人")
        _cell(t, 5, 3, g.contact_person)
        _cell(t, 6, 0, "手机")
        t.cell(6, 1).merge(t.cell(6, 3)).text = g.mobile
        _cell(t, 7, 0, "小组成员")
        inner = t.cell(7, 1).merge(t.cell(7, 3))
        inner.text = "、".join(f"{n}（组长）" if i == 0 else n for i, n in enumerate(g.members))
        d.add_paragraph("QC小组简介和主要活动过程及效果：")
        d.add_paragraph(g.intro)
        d.add_paragraph("单位盖章：")
        d.add_paragraph(f"{y}年{int(m)}月{int(dd)}日")
    if style == 2:
        _application_style2(d, sub, g)
    d.add_paragraph("注：申报材料统一交与推荐质协或部门。")
    return _save(d)


CN_DIGITS = "〇一二三四五六七八九"


def cn_date(iso: str) -> str:
    """二〇二〇年九月八日, as a stamp line is often typed."""
    y, m, d = (int(x) for x in iso.split("-"))

    def small(n: int) -> str:
        if n < 10:
            return CN_DIGITS[n]
        return ("" if n // 10 == 1 else CN_DIGITS[n // 10]) + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return "".join(CN_DIGITS[int(c)] for c in str(y)) + f"年{small(m)}月{small(d)}日"


def _application_style2(d, sub: Submission, g: Group) -> None:
    """Labels left, values right, one per row; members in a 序号/姓名/职务 table; mobile typed with
    dashes; the stamp date in Chinese numerals."""
    mob = f"{g.mobile[:3]}-{g.mobile[3:7]}-{g.mobile[7:]}"
    t = d.add_table(rows=9, cols=2)
    t.style = "Table Grid"
    for r, (lab, val) in enumerate([
            ("企业名称（公章为准）", g.company), ("QC小组名称", g.group_name), ("课题名称", g.topic),
            ("课题类型", _ticks(g)), ("详细通信地址", g.address), ("邮 编", g.postcode),
            ("小组联系部门", g.contact_dept), ("直接联系人", g.contact_person), ("手 机", mob)]):
        _cell(t, r, 0, lab)
        _cell(t, r, 1, val)
    d.add_paragraph("小组成员名单")
    m = d.add_table(rows=1 + len(g.members), cols=3)
    m.style = "Table Grid"
    for c, h in enumerate(["序号", "姓名", "职务"]):
        _cell(m, 0, c, h)
    for r, n in enumerate(g.members, 1):
        for c, v in enumerate([str(r), n, "组长" if r == 1 else "成员"]):
            _cell(m, r, c, v)
    d.add_paragraph("QC小组简介和主要活动过程及效果：")
    for part in (g.intro[:200], g.intro[200:]):
        d.add_paragraph(part)
    d.add_paragraph("单位盖章：")
    d.add_paragraph(cn_date(g.date))


def report_docx(g: Group) -> bytes:
    d = new_docx()
    d.add_paragraph(f"{g.topic}")
    d.add_paragraph(f"{g.company}{g.group_name}成果报告")
    for h in ["一、小组概况", "二、选题理由", "三、现状调查", "四、设定目标", "五、原因分析", "六、要因确认",
              "七、制定对策", "八、对策实施", "九、效果检查", "十、巩固措施", "十一、总结和下一步打算"]:
        d.add_paragraph(h)
        d.add_paragraph("".join(filler(120, start=len(h)))[:150])
    return _save(d)


def evidence_docx(g: Group) -> bytes:
    d = new_docx()
    d.add_paragraph(f"{g.group_name}活动记录")
    t = d.add_table(rows=4, cols=2)
    t.style = "Table Grid"
    for r, (a, b) in enumerate([("活动时间", "2020年3月12日"), ("活动地点", "二车间会议室"),
                                ("参加人员", "、".join(g.members)), ("记录人", g.members[-1])]):
        _cell(t, r, 0, a)
        _cell(t, r, 1, b)
    d.add_paragraph("会议内容：讨论现状调查数据，确定主要症结。")
    return _save(d)


def summary_paragraphs(sub: Submission) -> list[str]:
    body = filler(sub.summary_chars)
    n = len(sub.summary_sections) or 1
    per = max(1, len(body) // n)
    out = [f"{sub.recommender}2020年质量管理小组活动工作总结", f"推荐省市、行业：{sub.recommender}"]
    for i, head in enumerate(sub.summary_sections):
        out.append(head)
        chunk = body[i * per:(i + 1) * per] if i < n - 1 else body[i * per:]
        out.extend(chunk)
    if not sub.summary_sections:
        out.extend(body)
    return out


def summary_docx(sub: Submission) -> bytes:
    d = new_docx()
    for p in summary_paragraphs(sub):
        para = d.add_paragraph(p)
        para.runs[0].font.size = Pt(12)
    return _save(d)


def summary_html(sub: Submission) -> bytes:
    """For the .doc copy: LibreOffice keeps structure only when going HTML → DOC (env-facts §4)."""
    ps = "".join(f"<p>{p}</p>" for p in summary_paragraphs(sub))
    return f"<html><head><meta charset='utf-8'></head><body>{ps}</body></html>".encode()


STAT_ROWS = [
    ("历年来累计已登记注册QC小组数", "万个", "groups_registered_total"),
    ("本年度已登记注册QC小组数", "万个", "groups_registered_year"),
    ("本年度QC小组普及率=参加QC小组人数/职工总数×100%", "百分数", "participation_rate"),
    ("本年度坚持活动的QC小组数", "万个", "groups_active_year"),
    ("历年来累计QC小组创可计算的经济效益", "万元", "benefit_total"),
    ("本年度QC小组创可计算的经济效益", "万元", "benefit_year"),
    ("本年度QC小组成果率=取得成果小组数/QC小组注册数×100%", "百分数", "achievement_rate"),
    ("本年度企业对QC小组活动经费投入（培训、交流、书籍等费用）", "万元", "funding_year"),
    ("本年度企业对QC小组活动奖励费用", "万元", "reward_year"),
]


def statistics_xlsx(sub: Submission) -> bytes:
    """附件3 in Excel: 序号 column first, 数量 before 单位 (the secretary's order)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "统计表"
    c = sub.stats.cells
    ws.append(["质量管理小组活动统计表"])
    ws.merge_cells("A1:F1")
    ws.append(["（2019年6月至2020年8月）"])
    ws.append([f"推荐省市、行业：{sub.recommender}"])
    ws.append(["序号", "统计项目", None, None, "数量", "单位"])
    for i, (label, unit, key) in enumerate(STAT_ROWS, 1):
        typed = c[key][0]
        ws.append([i, label, None, None, typed, unit])
        r = ws.max_row
        ws.merge_cells(f"B{r}:D{r}")
        if isinstance(typed, float) and unit == "百分数" and typed < 1.5:
            ws.cell(r, 5).number_format = "0.0%"  # typed as 35% in Excel: stored 0.35
    ws.append(["是否组织发表会", sub.stats.meeting_held, "发表会报名小组数", c["meeting_signups"][0], "发表小组数",
               c["meeting_presented"][0]])
    ws.append(["发表会时间", c["meeting_time"][0], "发表会地点", c["meeting_place"][0], "参会人数",
               c["meeting_attendees"][0]])
    ws.append(["QC小组工作归口部门及负责人：", c["responsible"][0]])
    ws.append(["联系人：", c["contact_person"][0], "手机：", c["mobile"][0], "邮箱：", c["email"][0]])
    ws.append(["通信地址：", c["address"][0], None, None, "邮编：", c["postcode"][0]])
    ws.append(["注：1.本统计表信息来自企业统计数据资料。"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def recommendation_docx(sub: Submission) -> bytes:
    """附件4 in Word; group columns reordered (小组名称 before 企业名称), judges' 手机 before 证书编号."""
    d = new_docx()
    d.add_paragraph("附件4")
    d.add_paragraph("全国优秀质量管理小组推荐表")
    d.add_paragraph(f"推荐单位：{sub.recommender}")
    d.add_paragraph("一、全国优秀质量管理小组")
    rows = sub.recommendation_groups or [(g.company, g.group_name, g.topic_type) for g in sub.groups]
    t = d.add_table(rows=1 + len(rows), cols=4)
    t.style = "Table Grid"
    for c, h in enumerate(["序号", "小组名称", "企业名称（以公章为准）", "课题类型"]):
        _cell(t, 0, c, h)
    for r, (co, gn, tt) in enumerate(rows, 1):
        for c, v in enumerate([str(r), gn, co, tt]):
            _cell(t, r, c, v)
    d.add_paragraph("二、评委名单")
    t = d.add_table(rows=1 + len(sub.judges), cols=5)
    t.style = "Table Grid"
    for c, h in enumerate(["序号", "姓名", "工作单位", "手机", "评委证书编号"]):
        _cell(t, 0, c, h)
    for r, j in enumerate(sub.judges, 1):
        for c, v in enumerate([str(r), j.name, j.employer, j.mobile, j.certificate_no]):
            _cell(t, r, c, v)
    d.add_paragraph(f"填表人：{sub.filled_by}        电话：{sub.phone}        推荐质协章        {sub.form_date}")
    return _save(d)


def recommendation_xlsx(sub: Submission) -> bytes:
    """附件4 in Excel: both lists on one sheet, numbers as numbers, the title merged."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "推荐表"
    ws.append(["全国优秀质量管理小组推荐表"])
    ws.merge_cells("A1:E1")
    ws.append([f"推荐省市、行业：{sub.recommender}"])
    ws.append(["一、全国优秀质量管理小组"])
    ws.append(["序号", "企业名称（以公章为准）", "小组名称", "课题类型"])
    rows = sub.recommendation_groups or [(g.company, g.group_name, g.topic_type) for g in sub.groups]
    for i, (co, gn, tt) in enumerate(rows, 1):
        ws.append([i, co, gn, tt])
    ws.append([])
    ws.append(["二、评委名单"])
    ws.append(["序号", "姓名", "工作单位", "评委证书编号", "手机"])
    for i, j in enumerate(sub.judges, 1):
        ws.append([i, j.name, j.employer, j.certificate_no, int(j.mobile)])
    ws.append([])
    ws.append(["填表人：", sub.filled_by, "电话：", sub.phone, sub.form_date])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def review_docx(sub: Submission) -> bytes:
    """附件5 in Word: 分数 before 成果评价, evaluations in two paragraphs (优势 / 不足)."""
    d = new_docx()
    d.add_paragraph("附件5")
    d.add_paragraph("质量管理小组成果评审汇总表")
    d.add_paragraph(f"省市、行业：{sub.recommender}")
    names = sub.review_names if sub.review_names is not None else [review_name(g) for g in sub.groups]
    t = d.add_table(rows=1 + len(names), cols=4)
    t.style = "Table Grid"
    for c, h in enumerate(["序号", "企业/小组名称", "分数", "成果评价（优势/不足之处，限300字）"]):
        _cell(t, 0, c, h)
    for i, name in enumerate(names, 1):
        g = next((x for x in sub.groups if review_name(x) == name), sub.groups[0])
        text = evaluation(g.evaluation_len, i)
        cut = text.find("不足") if "不足" in text else len(text) // 2
        _cell(t, i, 0, str(i))
        _cell(t, i, 1, name)
        _cell(t, i, 2, f"{g.score:g}")
        cell = t.cell(i, 3)
        cell.text = text[:cut]
        cell.add_paragraph(text[cut:])
    d.add_paragraph(f"填表人：{sub.filled_by}    电话：{sub.phone}    推荐质协章    {sub.form_date}")
    return _save(d)


def review_name(g: Group) -> str:
    return f"{g.company}/{g.group_name}"


def review_xlsx(sub: Submission) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "评审汇总"
    ws.append(["质量管理小组成果评审汇总表"])
    ws.append([f"省市、行业：{sub.recommender}"])
    ws.append(["序号", "企业/小组名称", "成果评价（优势/不足之处，限300字）", "分数"])
    names = sub.review_names if sub.review_names is not None else [review_name(g) for g in sub.groups]
    for i, name in enumerate(names, 1):
        g = next((x for x in sub.groups if review_name(x) == name), sub.groups[0])
        ws.append([i, name, evaluation(g.evaluation_len, i), g.score])
    ws.append([f"填表人：{sub.filled_by}", None, f"电话：{sub.phone}", sub.form_date])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- conversions ---------------------------------------------------------------------------------

class Converter:
    """Collects (name, bytes, target) jobs and runs one soffice call per target format."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.jobs: dict[str, list[tuple[str, bytes]]] = {}

    def add(self, name: str, data: bytes, target: str) -> str:
        self.jobs.setdefault(target, []).append((name, data))
        return name

    def run(self) -> dict[tuple[str, str], bytes]:
        out: dict[tuple[str, str], bytes] = {}
        profile = self.workdir / "lo-profile"
        for target, jobs in self.jobs.items():
            src = self.workdir / f"in-{target.split(':')[0]}"
            dst = self.workdir / f"out-{target.split(':')[0]}"
            src.mkdir(exist_ok=True)
            dst.mkdir(exist_ok=True)
            paths = []
            for name, data in jobs:
                p = src / name
                p.write_bytes(data)
                paths.append(str(p))
            cmd = ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
                   "--outdir", str(dst), *paths]
            if target.startswith("doc"):
                cmd[3:3] = ["--infilter=HTML (StarWriter)"]
            subprocess.run(cmd, check=True, capture_output=True, timeout=300,
                           env={**os.environ, "HOME": str(self.workdir)})
            ext = target.split(":")[0]
            for name, _ in jobs:
                stem = Path(name).stem
                out[(name, ext)] = (dst / f"{stem}.{ext}").read_bytes()
        return out


def sealed_scan(pdf: bytes) -> bytes:
    """The 盖章 PDF as offices make it: print, stamp, scan — an image-only PDF with a red circle."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    pages = []
    doc = pdfium.PdfDocument(pdf)
    for i in range(len(doc)):
        img = doc[i].render(scale=100 / 72).to_pil().convert("RGB")
        if i == len(doc) - 1:
            w, h = img.size
            dr = ImageDraw.Draw(img)
            cx, cy, r = int(w * 0.7), int(h * 0.55), 70
            for k in range(4):
                dr.ellipse([cx - r + k, cy - r + k, cx + r - k, cy + r - k], outline=(220, 30, 30))
            dr.regular_polygon((cx, cy, 22), 5, fill=(220, 30, 30))
        pages.append(img)
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:], resolution=100)
    return buf.getvalue()


def have_soffice() -> bool:
    return shutil.which("soffice") is not None


def temp_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="secondlook-"))
