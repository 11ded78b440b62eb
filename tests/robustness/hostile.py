"""Hostile and huge inputs, generated in code: the cases of ``bench/stress.py`` and tests/robustness.

Each builder returns ``(filename, bytes)`` for one attachment or, for message-level cases,
raw message bytes. ``scale`` shrinks the sizes for the test suite (1.0 = the sizes a bench run
uses; the tests only need the shape of the attack, not its full size).

Public interface::

    DOC_CASES: dict[name, builder(scale) -> (filename, bytes)]
    MSG_CASES: dict[name, builder(scale) -> raw message bytes]
    cyclic_fat(cfb_bytes) -> bytes      # every ENDOFCHAIN in the FAT points at itself
    patch_zip(data, name, fn) -> bytes  # rewrite one member of a zip (docx/xlsx)
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable

from tests.fixtures.mail import build_message, make_zip

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _n(base: int, scale: float, least: int = 1) -> int:
    return max(least, int(base * scale))


# ---- zip / OOXML plumbing ----------------------------------------------------------------------


def patch_zip(data: bytes, name: str, fn: Callable[[bytes], bytes]) -> bytes:
    """The same zip with member ``name`` replaced by ``fn(old)`` (added when missing)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        names = zin.namelist()
        for n in names:
            z.writestr(n, fn(zin.read(n)) if n == name else zin.read(n))
        if name not in names:
            z.writestr(name, fn(b""))
    return out.getvalue()


def _docx_with_body(body: str | bytes) -> bytes:
    """A minimal valid .docx whose ``word/document.xml`` body is ``body`` (XML text)."""
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    raw = body.encode() if isinstance(body, str) else body
    xml = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ' + W_NS.encode() + b"><w:body>"
    return patch_zip(buf.getvalue(), "word/document.xml", lambda _old: xml + raw + b"</w:body></w:document>")


def _p(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def _tc(inner: str) -> str:
    return f"<w:tc>{inner}</w:tc>"


def docx_rows(scale: float) -> tuple[str, bytes]:
    rows = _n(5000, scale, 50)
    head = "<w:tr>" + "".join(_tc(_p(t)) for t in ("序号", "姓名", "小组名称", "分数", "成果评价")) + "</w:tr>"
    body = "".join(
        "<w:tr>" + "".join(_tc(_p(t)) for t in (str(i), f"张{i}", f"攀登{i}QC小组", "85", "良好")) + "</w:tr>"
        for i in range(rows)
    )
    return "评审汇总表.docx", _docx_with_body(_p("质量管理小组成果评审汇总表") + f"<w:tbl>{head}{body}</w:tbl>")


def docx_nested(scale: float) -> tuple[str, bytes]:
    depth = _n(10, scale, 10) if scale >= 1 else 10
    inner = _p("企业名称：某某公司")
    for level in range(depth):
        inner = f"<w:tbl><w:tr>{_tc(_p(f'第{level}层'))}{_tc(inner + _p(''))}</w:tr></w:tbl>"
    return "申报表.docx", _docx_with_body(_p("全国优秀质量管理小组申报表") + inner)


def docx_deep_xml(scale: float) -> tuple[str, bytes]:
    """Elements nested far deeper than any document (a stack-exhaustion attempt on the walker)."""
    depth = _n(5000, scale, 300)
    inner = "<w:sdt><w:sdtContent>" * depth + _p("申报表") + "</w:sdtContent></w:sdt>" * depth
    return "申报表.docx", _docx_with_body(inner)


def docx_xml_bomb(scale: float) -> tuple[str, bytes]:
    """A document.xml that inflates from ~1 MB to hundreds of MB (one endless text run)."""
    size = _n(400 << 20, scale, 4 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        base = zipfile.ZipFile(io.BytesIO(_docx_with_body(_p("x"))))
        for n in base.namelist():
            if n != "word/document.xml":
                z.writestr(n, base.read(n))
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?><w:document ' + W_NS.encode() + b"><w:body><w:p><w:r><w:t>")
            chunk = b"a" * (1 << 20)
            for _ in range(size >> 20):
                f.write(chunk)
            f.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return "工作总结.docx", buf.getvalue()


def docx_billion_laughs(scale: float) -> tuple[str, bytes]:
    ents = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>"
    xml = (f'<?xml version="1.0"?>{ents}<w:document {W_NS}><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p>'
           "</w:body></w:document>").encode()
    return "工作总结.docx", patch_zip(_docx_with_body(_p("x")), "word/document.xml", lambda _o: xml)


def _xlsx(fill: Callable) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    fill(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_cells(scale: float) -> tuple[str, bytes]:
    import openpyxl

    rows = _n(10000, scale, 100)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("统计表")
    ws.append(["统计项目", "数量", "单位"] + [f"列{c}" for c in range(17)])
    for r in range(rows):
        ws.append([f"项目{r}", r, "个"] + [r * c for c in range(17)])
    buf = io.BytesIO()
    wb.save(buf)
    return "统计表.xlsx", buf.getvalue()


def xlsx_far_cell(scale: float) -> tuple[str, bytes]:
    def fill(ws):
        ws["A1"] = "质量管理小组活动统计表"
        ws["B2"] = "统计项目"
        ws["XFD1048576"] = "x"
    return "统计表.xlsx", _xlsx(fill)


def xlsx_giant_merge(scale: float) -> tuple[str, bytes]:
    data = _xlsx(lambda ws: ws.__setitem__("A1", "质量管理小组活动统计表"))
    merge = b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'
    return "统计表.xlsx", patch_zip(data, "xl/worksheets/sheet1.xml", lambda d: d.replace(b"</sheetData>", merge))


def xlsx_column_merges(scale: float) -> tuple[str, bytes]:
    """Whole columns merged (A:A, B:B ...), something a person can do with two clicks."""
    data = _xlsx(lambda ws: [ws.__setitem__(f"{c}1", "统计项目") for c in "ABCDEFGH"])
    refs = b"".join(f'<mergeCell ref="{c}1:{c}1048576"/>'.encode() for c in "ABCDEFGH")
    merge = b'</sheetData><mergeCells count="8">' + refs + b"</mergeCells>"
    return "统计表.xlsx", patch_zip(data, "xl/worksheets/sheet1.xml", lambda d: d.replace(b"</sheetData>", merge))


def xlsx_dimension(scale: float) -> tuple[str, bytes]:
    data = _xlsx(lambda ws: (ws.__setitem__("A1", "统计项目"), ws.__setitem__("B2", "数量")))
    return "统计表.xlsx", patch_zip(data, "xl/worksheets/sheet1.xml",
                                  lambda d: d.replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1:XFD1048576"/>'))


def xlsx_shared_strings_oor(scale: float) -> tuple[str, bytes]:
    data = _xlsx(lambda ws: (ws.__setitem__("A1", "统计项目"), ws.__setitem__("B1", "数量")))
    return "统计表.xlsx", patch_zip(data, "xl/worksheets/sheet1.xml",
                                  lambda d: d.replace(b"<v>1</v>", b"<v>99999999</v>").replace(b"<v>0</v>", b"<v>-5</v>"))


def _pdf(pages: int, per_page: Callable, size: tuple[float, float] = (595, 842)) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=size)
    for i in range(pages):
        per_page(c, i)
        c.showPage()
    c.save()
    return buf.getvalue()


def _text_page(c, i: int) -> None:
    c.setFont("Helvetica", 10)
    for line in range(12):
        c.drawString(50, 800 - line * 60, f"Page {i + 1} line {line} quality control group report text")
    c.rect(50, 50, 400, 40)


def pdf_pages(scale: float) -> tuple[str, bytes]:
    """More pages than the detailed reader takes (the rest goes through pdfium's text layer)."""
    return "成果报告.pdf", _pdf(_n(100, scale, 52), _text_page)


def pdf_many_chars(scale: float) -> tuple[str, bytes]:
    n = _n(20000, scale, 2000)

    def page(c, _i):
        c.setFont("Helvetica", 2)
        for k in range(n):
            c.drawString(10 + (k % 200) * 2.8, 830 - (k // 200) * 3, "x")
    return "成果报告.pdf", _pdf(1, page)


def pdf_many_lines(scale: float) -> tuple[str, bytes]:
    """A dense ruled grid: the table finder's worst case (intersections grow as lines²)."""
    n = _n(400, scale, 60)

    def page(c, _i):
        c.setLineWidth(0.1)
        for k in range(n):
            y = 20 + k * 800 / n
            x = 20 + k * 555 / n
            c.line(20, y, 575, y)
            c.line(x, 20, x, 820)
    return "评审汇总表.pdf", _pdf(1, page)


def pdf_huge_page(scale: float) -> tuple[str, bytes]:
    """The largest page PDF allows (200 in square): rendering it at 72 dpi is 207 Mpx."""
    def page(c, _i):
        c.setFont("Helvetica", 40)
        c.drawString(100, 100, "application form")
        c.setFillColorRGB(1, 0, 0)
        c.circle(2000, 2000, 60, fill=1)
    return "申报表.pdf", _pdf(1, page, (14400, 14400))


def pdf_broken_xref(scale: float) -> tuple[str, bytes]:
    data = _pdf(_n(20, scale, 3), _text_page)
    i = data.rfind(b"xref")
    return "成果报告.pdf", data[:i] + b"xref\n0 999999\n" + b"garbage " * 50 + data[i + 200:]


def pdf_broken_objstm(scale: float) -> tuple[str, bytes]:
    """A cross-reference stream and object stream with nonsense offsets and a bad filter."""
    body = (b"%PDF-1.5\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
            b"2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
            b"3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 5 0 R>> endobj\n"
            b"4 0 obj <</Type/ObjStm/N 1000000/First 99999999/Filter/FlateDecode/Length 20>>stream\n"
            + zlib.compress(b"5 0 99999")[:10] + b"\nendstream endobj\n")
    xref = len(body)
    body += (b"6 0 obj <</Type/XRef/Size 7/W[1 4 2]/Index[0 7]/Root 1 0 R/Length 10>>stream\n"
             + random.Random(1).randbytes(10) + b"\nendstream endobj\nstartxref\n" + str(xref).encode() + b"\n%%EOF")
    return "成果报告.pdf", body


def png_bomb(scale: float) -> tuple[str, bytes]:
    """A PNG declaring 100,000 × 100,000 pixels in a few KB of zeros."""
    w = h = 100_000
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    raw = zlib.compress(b"\0" * (1 << 20), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return "小组合影.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def big_attachment(scale: float) -> tuple[str, bytes]:
    """40 MB: a PDF header over random bytes (the readers must give up, not chew on it for minutes)."""
    size = _n(40 << 20, scale, 1 << 20)
    return "成果报告.pdf", b"%PDF-1.4\n" + random.Random(7).randbytes(size)


def zip_many_empty(scale: float) -> tuple[str, bytes]:
    return "材料.zip", make_zip([(f"空{i}.txt", b"") for i in range(_n(10000, scale, 600))])


def zip_nested(scale: float) -> tuple[str, bytes]:
    data = make_zip([("申报表.txt", b"x")])
    for i in range(30):
        data = make_zip([(f"材料{i}.zip", data)])
    return "材料.zip", data


def zip_self(scale: float) -> tuple[str, bytes]:
    """A zip holding copies of itself (the quine idea without its math: same bytes at every level)."""
    inner = make_zip([("a.zip", b"PK\x05\x06" + b"\0" * 18)])
    for _ in range(6):
        inner = make_zip([("a.zip", inner), ("b.zip", inner)])
    return "材料.zip", inner


def cyclic_fat(data: bytes) -> bytes:
    """A Compound File whose FAT chains never end: every ENDOFCHAIN entry points at its own sector."""
    out = bytearray(data)
    if len(out) < 512 or out[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return data
    ss = 1 << struct.unpack_from("<H", out, 0x1E)[0]
    for k in range(min(109, struct.unpack_from("<I", out, 0x2C)[0])):
        sec = struct.unpack_from("<I", out, 0x4C + 4 * k)[0]
        base = (sec + 1) * ss
        for j in range(ss // 4):
            off = base + 4 * j
            if off + 4 <= len(out) and struct.unpack_from("<I", out, off)[0] == 0xFFFFFFFE:
                struct.pack_into("<I", out, off, k * (ss // 4) + j)
    return bytes(out)


def cfb_cyclic(scale: float) -> tuple[str, bytes]:
    from tests.unpack.cfbgen import make_cfb, workbook_stream

    return "统计表.xls", cyclic_fat(make_cfb({"Workbook": workbook_stream() * 4}))


DOC_CASES: dict[str, Callable[[float], tuple[str, bytes]]] = {
    "pdf-100-pages": pdf_pages,
    "pdf-20k-chars": pdf_many_chars,
    "pdf-dense-lines": pdf_many_lines,
    "pdf-huge-page": pdf_huge_page,
    "pdf-broken-xref": pdf_broken_xref,
    "pdf-broken-objstm": pdf_broken_objstm,
    "xlsx-200k-cells": xlsx_cells,
    "xlsx-far-cell": xlsx_far_cell,
    "xlsx-giant-merge": xlsx_giant_merge,
    "xlsx-column-merges": xlsx_column_merges,
    "xlsx-dimension": xlsx_dimension,
    "xlsx-sst-out-of-range": xlsx_shared_strings_oor,
    "docx-5000-rows": docx_rows,
    "docx-nested-10": docx_nested,
    "docx-deep-xml": docx_deep_xml,
    "docx-xml-bomb": docx_xml_bomb,
    "docx-billion-laughs": docx_billion_laughs,
    "png-bomb": png_bomb,
    "attachment-40mb": big_attachment,
    "zip-10000-empty": zip_many_empty,
    "zip-nested-30": zip_nested,
    "zip-self-copies": zip_self,
    "cfb-cyclic-fat": cfb_cyclic,
}


# ---- message-level cases ---------------------------------------------------------------------


def msg_many_attachments(scale: float) -> bytes:
    small = _docx_with_body(_p("证实性材料"))
    return build_message([(f"活动记录{i}.docx", small) for i in range(_n(300, scale, 30))])


def msg_huge_header(scale: float) -> bytes:
    size = _n(5 << 20, scale, 256 << 10)
    line = "X-Padding: " + "\r\n\t".join("a" * 70 for _ in range(size // 73))
    raw = build_message([("a.txt", b"x")])
    return line.encode() + b"\r\n" + raw


def msg_nested_multipart(scale: float) -> bytes:
    depth = 100
    body = b"Content-Type: text/plain\r\n\r\nhello\r\n"
    for i in range(depth):
        b = f"b{i}".encode()
        body = (b'Content-Type: multipart/mixed; boundary="' + b + b'"\r\n\r\n--' + b + b"\r\n" + body
                + b"\r\n--" + b + b"--\r\n")
    head = b"From: a@example.org\r\nTo: qc@example.org\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    return head + body


def msg_nested_rfc822(scale: float) -> bytes:
    raw = build_message([("a.txt", b"x")])
    for _ in range(50):
        raw = build_message(attached_messages=[raw])
    return raw


def msg_many_parts_no_boundary_end(scale: float) -> bytes:
    """Thousands of empty parts and no closing boundary."""
    n = _n(20000, scale, 2000)
    parts = b"".join(b"--x\r\nContent-Type: text/plain\r\n\r\n\r\n" for _ in range(n))
    return (b"From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n' + parts)


MSG_CASES: dict[str, Callable[[float], bytes]] = {
    "msg-300-attachments": msg_many_attachments,
    "msg-5mb-header": msg_huge_header,
    "msg-multipart-100-deep": msg_nested_multipart,
    "msg-rfc822-50-deep": msg_nested_rfc822,
    "msg-20000-empty-parts": msg_many_parts_no_boundary_end,
}


def as_message(filename: str, data: bytes) -> bytes:
    """One attachment in an otherwise ordinary submission message."""
    return build_message([(filename, data)])
