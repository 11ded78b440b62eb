"""Small raw-XML helpers for building Word files the way people's Word/WPS actually saves them.

python-docx has no API for symbol-font ticks, w14 checkboxes, text boxes, automatic numbering
or merged label cells; these helpers write that XML directly. Independent of tests/fixtures.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"


def new() -> docx.document.Document:
    return docx.Document()


def save(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def sym(paragraph, font: str, code: str) -> None:
    """A ``w:sym`` glyph (Insert → Symbol in Word): ``code`` is hex like 'F0FE'."""
    paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:sym w:font="{font}" w:char="{code}"/></w:r>'))


def font_run(paragraph, text: str, font: str) -> None:
    """Text typed in a symbol font (``R`` in Wingdings 2 shows ☑)."""
    run = paragraph.add_run(text)
    rpr = run._r.get_or_add_rPr()
    rpr.append(parse_xml(f'<w:rFonts {nsdecls("w")} w:ascii="{font}" w:hAnsi="{font}"/>'))


def w14_checkbox(paragraph, checked: bool) -> None:
    glyph = "☒" if checked else "☐"
    paragraph._p.append(parse_xml(
        f'<w:sdt {nsdecls("w")} xmlns:w14="{W14}"><w:sdtPr><w14:checkbox>'
        f'<w14:checked w14:val="{int(checked)}"/></w14:checkbox></w:sdtPr>'
        f'<w:sdtContent><w:r><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>'))


def text_box(paragraph, text: str) -> None:
    """A text box anchored in ``paragraph`` (title typed into a box, common on cover pages)."""
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape>'
        f'<v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent></v:textbox>'
        '</v:shape></w:pict></w:r>'))


def merge_down(table, col: int, r0: int, r1: int) -> None:
    table.cell(r0, col).merge(table.cell(r1, col))


def table(d, rows: Sequence[Sequence[str | None]], spans: bool = True):
    """A table from rows; ``None`` continues the cell to its left (horizontal merge)."""
    width = max(len(r) for r in rows)
    t = d.add_table(rows=len(rows), cols=width)
    t.style = "Table Grid"
    for r, row in enumerate(rows):
        c = 0
        while c < width:
            text = row[c] if c < len(row) else ""
            end = c + 1
            while spans and end < width and end < len(row) and row[end] is None:
                end += 1
            if end - 1 > c:
                t.cell(r, c).merge(t.cell(r, end - 1))
            cell = t.cell(r, c)
            lines = (text or "").split("\n")
            cell.paragraphs[0].text = lines[0]
            for extra in lines[1:]:
                cell.add_paragraph(extra)
            c = end
    return t


def page_break(d) -> None:
    d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


# --- automatic numbering (一、 produced by Word, not typed) ----------------------------------

_NUMBERING = (
    '<w:numbering {ns}>'
    '<w:abstractNum w:abstractNumId="7"><w:multiLevelType w:val="multilevel"/>'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
    '<w:lvlText w:val="%1、"/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
    '<w:lvlText w:val="（%2）"/></w:lvl>'
    '</w:abstractNum>'
    '<w:num w:numId="3"><w:abstractNumId w:val="7"/></w:num>'
    '</w:numbering>'
)


def enable_numbering(d) -> int:
    """Install a 一、/（一） multilevel list in the document's numbering part; returns its numId."""
    part = d.part.numbering_part
    part._element = parse_xml(_NUMBERING.format(ns=nsdecls("w")))
    return 3


def numbered(d, text: str, level: int, num_id: int = 3, style: str | None = None):
    p = d.add_paragraph(text, style=style)
    ppr = p._p.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    return p


def set_east_asian_font(d, font: str = "宋体") -> None:
    style = d.styles["Normal"]
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f'<w:rFonts {nsdecls("w")}/>')
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)
