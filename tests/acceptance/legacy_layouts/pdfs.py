"""PDF builders (reportlab): a text 申报表 with or without a stamped seal image, and one whose
Chinese text has no Unicode map, so extraction gives ``(cid:NNN)``."""

from __future__ import annotations

import io
import re
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from tests.acceptance.legacy_layouts.build import App, cn_date, seal_png

CID_FONT = "STSong-Light"
ZENHEI = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def _font(embedded: bool) -> str:
    if embedded:
        if "ZenHei" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("ZenHei", str(ZENHEI), subfontIndex=0))
        return "ZenHei"
    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def application_pdf(a: App, *, seal: bool, embedded: bool = False) -> bytes:
    """The 申报表 drawn as Word prints it: title lines, a ruled 10-column grid, 单位盖章 at the bottom;
    ``seal`` stamps a red seal PNG over the 单位盖章 words."""
    font = _font(embedded)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0 if embedded else 1)
    w, h = A4
    c.setFont(font, 11)
    c.drawString(60, h - 60, "附件 1")
    c.setFont(font, 16)
    c.drawCentredString(w / 2, h - 90, "全国优秀质量管理小组申报表")
    c.setFont(font, 11)
    c.drawString(60, h - 115, f"推荐省市、行业：{a.recommender}")
    x0, x1 = 60, w - 60
    col = (x1 - x0) / 10
    rows = [
        [("企业名称（公章为准）", 0, 2), (a.company, 2, 10)],
        [("QC 小组名称", 0, 2), (a.group_name, 2, 10)],
        [("课题名称", 0, 2), (a.topic, 2, 10)],
        [("课题类型", 0, 2), ("■ 问题解决型  □ 创新型" if a.topic_type == "问题解决型" else "□ 问题解决型  ■ 创新型", 2, 10)],
        [("详细通信地址", 0, 2), (a.address, 2, 7), ("邮编", 7, 8), (a.postcode, 8, 10)],
        [("小组联系部门", 0, 2), (a.contact_dept, 2, 4), ("直接联系人", 4, 5), (a.contact_person, 5, 7),
         ("手机", 7, 8), (a.mobile, 8, 10)],
        [("小组成员名单", 0, 10)],
    ]
    names = a.members + [""] * (10 - len(a.members))
    for half in (0, 5):
        rows.append([(f"{half + i + 1} {names[half + i]}", i * 2, i * 2 + 2) for i in range(5)])
    y = h - 130
    rh = 26
    c.setFont(font, 9)
    for row in rows:
        for text, a0, a1 in row:
            c.rect(x0 + a0 * col, y - rh, (a1 - a0) * col, rh)
            c.drawString(x0 + a0 * col + 3, y - rh + 9, text)
        y -= rh
    intro_h = 300
    c.rect(x0, y - intro_h, x1 - x0, intro_h)
    c.drawString(x0 + 3, y - 16, "QC 小组简介和主要活动过程及效果：")
    for k in range(0, len(a.intro), 40):
        c.drawString(x0 + 3, y - 34 - (k // 40) * 14, a.intro[k:k + 40])
    c.drawString(x1 - 170, y - intro_h + 60, "单位盖章：")
    c.drawString(x1 - 170, y - intro_h + 40, cn_date(a.date))
    if seal:
        c.drawImage(ImageReader(io.BytesIO(seal_png())), x1 - 190, y - intro_h + 10, 115, 115, mask="auto")
    c.showPage()
    c.save()
    return buf.getvalue()


def without_unicode_map(pdf: bytes) -> bytes:
    """Drop every font's /ToUnicode reference (same length, so the xref stays right): what some
    printers-to-PDF and old WPS versions produce. Needs an uncompressed PDF with an embedded subset."""
    out, n = re.subn(rb"/ToUnicode \d+ 0 R", lambda m: b" " * len(m.group(0)), pdf)
    if not n:
        raise RuntimeError("no /ToUnicode in the PDF: cannot make a (cid:) copy")
    return out
