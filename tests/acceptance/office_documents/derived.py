"""Cases that need LibreOffice, rendering or image work: PDFs saved from Word, scans with a red seal,
rotated pages, .xls/.doc/.wps saved "as 97-2003", spreadsheets with cached formula values, photos.

:func:`build_all` makes every case with one soffice run per target format.
"""

from __future__ import annotations

import io
from dataclasses import replace

import openpyxl
import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from tests.acceptance.office_documents import builders as B
from tests.acceptance.office_documents import lo


def _app_html(a: dict) -> str:
    """An application table as a web system or an old Word would export it (for .doc / .wps)."""
    members = "".join(f"<td>{i + 1} {a['members'][i] if i < len(a['members']) else ''}</td>" for i in range(10))
    return f"""<html><head><meta charset="utf-8"></head><body>
<p align="center">全国优秀质量管理小组申报表</p>
<p>推荐省市、行业：{a['recommender']}</p>
<table border="1">
<tr><td>企业名称<br>（公章为准）</td><td colspan="5">{a['company']}</td></tr>
<tr><td>QC小组名称</td><td colspan="5">{a['group_name']}</td></tr>
<tr><td>课题名称</td><td colspan="5">{a['topic']}</td></tr>
<tr><td>课题类型</td><td colspan="5">■问题解决型 □创新型</td></tr>
<tr><td>详细通信地址</td><td colspan="3">{a['address']}</td><td>邮编</td><td>{a['postcode']}</td></tr>
<tr><td>小组联系部门</td><td>{a['contact_dept']}</td><td>直接联系人</td><td>{a['contact_person']}</td>
<td>手机</td><td>{a['mobile']}</td></tr>
<tr><td colspan="6">小组成员名单</td></tr>
<tr>{members[: members.index('<td>6 ')]}<td></td></tr>
<tr>{members[members.index('<td>6 '):]}<td></td></tr>
<tr><td colspan="6">QC小组简介和主要活动过程及效果：<br>{a['intro']}<br><br>单位盖章：<br>2020年9月1日</td></tr>
</table></body></html>"""


def _stats_with_formulas() -> bytes:
    """A 统计表 whose 本年度 numbers are formulas (sums of city rows) — cached values only after LO saves."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["质量管理小组活动统计表"])
    ws.merge_cells("A1:C1")
    ws.append(["推荐省市、行业：江苏省质量协会"])
    ws.append(["统计项目", "单位", "数量"])
    ws.append(["历年来累计已登记注册QC小组数", "万个", 52.3])
    ws.append(["本年度已登记注册QC小组数", "万个", "=1.2+1.9"])
    ws.append(["本年度QC小组普及率=参加QC小组人数/职工总数×100%", "百分数", "=E5/F5"])
    ws["E5"], ws["F5"] = 45, 100
    ws.cell(6, 3).number_format = "0%"
    ws.append(["本年度坚持活动的QC小组数", "万个", 2.8])
    ws.append(["历年来累计QC小组创可计算的经济效益", "万元", 1250000])
    ws.append(["本年度QC小组创可计算的经济效益", "万元", "=80000+6000"])
    ws.append(["本年度QC小组成果率=取得成果小组数/QC小组注册数×100%", "百分数", "62.5%"])
    ws.append(["本年度企业对QC小组活动经费投入(培训、交流、书籍等费用)", "万元", 1200])
    ws.append(["本年度企业对QC小组活动奖励费用", "万元", 860])
    ws.append(["是否组织发表会", "□是 ■否"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rotate(pdf_bytes: bytes, degrees: int) -> bytes:
    pdf = pdfium.PdfDocument(pdf_bytes)
    for page in pdf:
        page.set_rotation(degrees)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def _scan(pdf_bytes: bytes, seal: bool, dpi: int = 100) -> bytes:
    """Print, stamp, scan: every page rasterised, a red seal drawn on the last, saved as image PDF."""
    pdf = pdfium.PdfDocument(pdf_bytes)
    images = []
    for i, page in enumerate(pdf):
        img = page.render(scale=dpi / 72).to_pil().convert("RGB")
        if seal and i == len(pdf) - 1:
            d = ImageDraw.Draw(img)
            cx, cy, r = int(img.width * 0.7), int(img.height * 0.6), int(dpi * 0.8)
            for w in range(4):
                d.ellipse((cx - r + w, cy - r + w, cx + r - w, cy + r - w), outline=(220, 30, 30))
            d.polygon([(cx, cy - 25), (cx + 8, cy - 5), (cx + 26, cy - 5), (cx + 12, cy + 7), (cx + 18, cy + 27),
                       (cx, cy + 15), (cx - 18, cy + 27), (cx - 12, cy + 7), (cx - 26, cy - 5), (cx - 8, cy - 5)],
                      fill=(220, 30, 30))
        images.append(img)
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def _photo(color: tuple[int, int, int]) -> Image.Image:
    img = Image.new("RGB", (640, 480), color)
    d = ImageDraw.Draw(img)
    for i in range(0, 640, 40):
        d.line((i, 0, 640 - i, 480), fill=(200, 200, 200), width=3)
    return img


def _jpg() -> bytes:
    buf = io.BytesIO()
    _photo((90, 120, 160)).save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def _photo_pdf() -> bytes:
    buf = io.BytesIO()
    a, b = _photo((90, 120, 160)), _photo((160, 120, 90))
    a.save(buf, format="PDF", save_all=True, append_images=[b], resolution=72)
    return buf.getvalue()


def _two_page_app() -> tuple[B.Case, bytes]:
    long_intro = (B.APP["intro"] + "\n") * 14
    a = dict(B.APP, intro=long_intro.strip())
    d = B.K.new()
    B._title(d)
    d.add_paragraph(f"推荐省市、行业：{a['recommender']}")
    B._grid_form(d, a, B._wingdings_ticks, B._members_grid(a["members"]))
    # a PDF has no paragraph marks inside a cell: the paragraphs come back joined (normalize.unwrap)
    expected = dict(B.APP, intro=a["intro"].replace("\n", ""))
    return B.Case("pdf_two_pages", "全国优秀QC小组申报表（盖章版）.pdf", "pdf", b"", "application", expected), \
        B.K.save(d)


def build_all() -> list[B.Case]:
    """Every derived case, converted in as few soffice runs as possible."""
    inline, tabs, table_w, roles = (B.app_inline_cells(), B.app_tabs_paragraphs(), B.app_member_table_wingdings(),
                                    B.app_roles_in_brackets_w2())
    two_pages, two_src = _two_page_app()
    rec, stats, review = B.rec_one_sheet(), B.stats_qty_before_unit(), B.review_scores_with_unit()
    html = _app_html(B.APP).encode("utf-8")
    summary = B.summary_numbered_headings()
    jobs = [
        (inline.data, "docx", "pdf"), (tabs.data, "docx", "pdf"), (table_w.data, "docx", "pdf"),
        (roles.data, "docx", "pdf"), (two_src, "docx", "pdf"),
        (rec.data, "xlsx", "xls"), (stats.data, "xlsx", "xls"), (review.data, "xlsx", "xls"),
        (_stats_with_formulas(), "xlsx", "xlsx"),
        (html, "html", "doc"),
        (summary.data, "docx", "pdf"),
    ]
    out = lo.convert_many(jobs)
    p_inline, p_tabs, p_table, p_roles, p_two, x_rec, x_stats, x_review, x_formula, d_app, p_summary = out
    d_summary = lo.convert_many([(summary.data, "docx", "doc")])[0]  # separate run: no HTML filter
    cases = [
        replace(inline, name="pdf_inline_cells", filename="1.申报表-南京金陵变压器.pdf", fmt="pdf", data=p_inline),
        replace(tabs, name="pdf_text_only", filename="扫描全能王 2020-09-01.pdf", fmt="pdf", data=p_tabs),
        replace(table_w, name="pdf_member_table", filename="附件1申报表.pdf", fmt="pdf", data=p_table),
        replace(roles, name="pdf_roles", filename="攀登QC小组.pdf", fmt="pdf", data=p_roles),
        replace(two_pages, data=p_two),
        replace(table_w, name="pdf_rotated", filename="申报表（盖章）.pdf", fmt="pdf", data=_rotate(p_table, 90)),
        B.Case("pdf_scanned_seal", "申报表盖章扫描件.pdf", "pdf", _scan(p_table, seal=True), "application", {}),
        replace(rec, name="xls_recommendation", filename="推荐汇总表.xls", fmt="xls", data=x_rec),
        replace(stats, name="xls_statistics", filename="附件3.xls", fmt="xls", data=x_stats),
        replace(review, name="xls_review", filename="评审汇总.xls", fmt="xls", data=x_review),
        B.Case("xlsx_formula_cache", "统计表.xlsx", "xlsx", x_formula, "statistics",
               {"recommender": "江苏省质量协会", "groups_registered_year": 3.1, "participation_rate": 45,
                "benefit_year": 86000, "achievement_rate": 62.5, "meeting_held": False}),
        B.Case("doc_from_html", "2020申报表.doc", "doc", d_app, "application", dict(B.APP)),
        B.Case("wps_same_bytes", "申报表.wps", "wps", d_app, "application", dict(B.APP)),
        # the PDF shows Word's tab after the list number as a gap: layout, closed in the headings
        replace(summary, name="pdf_summary_numbered", filename="2020年QC活动总结.pdf", fmt="pdf", data=p_summary),
        replace(summary, name="doc_summary_numbered", filename="2020年QC活动总结-江苏省质协.doc", fmt="doc",
                data=d_summary),
        B.Case("jpg_photo", "活动照片1.jpg", "image", _jpg(), "evidence", {}),
        B.Case("pdf_of_photos", "活动照片.pdf", "pdf", _photo_pdf(), "evidence", {}),
    ]
    return cases
