"""docx reader: order, merged cells on the grid, nested tables, checkboxes, text boxes, bad files."""

from __future__ import annotations

import pytest

from parsers.model import Table
from parsers.readers import read
from tests.fixtures import office as build


@pytest.fixture(scope="module")
def doc():
    return read(build.docx_form(), "docx", "申报表.docx")


def test_blocks_in_reading_order(doc):
    kinds = ["T" if isinstance(b, Table) else b for b in doc.blocks]
    assert kinds[0] == "全国优秀质量管理小组申报表"
    assert kinds[1:3] == ["T", "T"]  # outer table, then its nested table right after
    assert kinds[-1] == "盖章日期：2020年9月10日"
    assert doc.problems == [] and doc.text_trusted


def test_horizontal_merge_repeats_text_once_per_position(doc):
    t = doc.tables[0]
    assert t.n_cols == 4
    assert t.grid[0] == ["企业名称"] + ["某某集团有限公司"] * 3
    assert t.right_of(0, 0) == (0, 1)
    assert t.right_of(0, 1) is None


def test_vertical_merge_fills_continued_rows(doc):
    t = doc.tables[0]
    assert t.cell(1, 0) == t.cell(2, 0) == "小组成员"
    assert [t.cell(2, c) for c in range(1, 4)] == ["王五", "赵六", "孙七"]
    assert t.below(1, 0) == (3, 0)


def test_nested_table_listed_and_excluded_from_parent_cell(doc):
    outer, inner = doc.tables[0], doc.tables[1]
    assert outer.nested == [inner]
    assert inner.grid == [["序号", "姓名"], ["1", "周八"]]
    assert outer.cell(1, 3) == "外层文字"


def test_typed_symbols_kept(doc):
    assert doc.tables[0].cell(3, 1) == "☑问题解决型 □创新型 ■√✓✔☒"


def test_w14_content_control_checkboxes_rendered_in_place(doc):
    assert doc.tables[0].cell(3, 2) == "同意☑不同意☐"


def test_legacy_form_field_checkboxes(doc):
    # first: default off but checked on; second: default off, no checked element
    assert doc.tables[0].cell(3, 3) == "已盖章☑未盖章☐"


def test_symbol_fonts_and_text_box_once(doc):
    assert "勾选：☑□结束" in doc.paragraphs  # Wingdings 2 "R" and w:sym Wingdings F0A8
    assert doc.paragraphs.count("文本框内容") == 1  # DrawingML choice read, VML fallback skipped
    assert doc.text().count("文本框内容") == 1


def test_truncated_docx_is_unreadable():
    data = build.docx_form()
    doc = read(data[: len(data) // 2], "docx", "x.docx")
    assert [p.rule for p in doc.problems] == ["document.unreadable"]
    assert doc.blocks == [] and not doc.text_trusted


def test_zip_without_word_part_is_unreadable():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    doc = read(buf.getvalue(), "docx", "x.docx")
    assert [p.rule for p in doc.problems] == ["document.unreadable"]


def test_encrypted_docx():
    pytest.importorskip("msoffcrypto")
    doc = read(build.encrypt_ooxml(build.docx_form()), "docx", "加密.docx")
    assert [p.rule for p in doc.problems] == ["document.encrypted"]
    # the sniffer may call it "doc" (it is an OLE file): still encrypted, and no LibreOffice run
    doc = read(build.encrypt_ooxml(build.docx_form()), "doc", "加密.doc")
    assert [p.rule for p in doc.problems] == ["document.encrypted"]


def test_docx_bytes_named_doc_use_the_docx_reader():
    doc = read(build.docx_simple(["第一段", "第二段"]), "doc", "其实是docx.doc")
    assert doc.paragraphs == ["第一段", "第二段"]
    assert "converted_from" not in doc.meta


def test_grid_before_and_bad_span_values():
    """A row starting later on the grid (gridBefore) and a garbage gridSpan do not break the grid."""
    import io

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    t = d.add_table(rows=2, cols=3)
    for c, v in enumerate(["甲", "乙", "丙"]):
        t.cell(0, c).text = v
    t.cell(1, 1).text = "丁"
    tr = t.rows[1]._tr
    for tc in list(tr.findall("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tc"))[:1]:
        tr.remove(tc)
    tr.insert(0, parse_xml(f'<w:trPr {nsdecls("w")}><w:gridBefore w:val="1"/></w:trPr>'))
    tcs = tr.findall("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tc")
    tcs[0].get_or_add_tcPr().append(parse_xml(f'<w:gridSpan {nsdecls("w")} w:val="x"/>'))
    buf = io.BytesIO()
    d.save(buf)
    grid = read(buf.getvalue(), "docx", "x.docx").tables[0].grid
    assert grid[0] == ["甲", "乙", "丙"]
    assert grid[1][0] == "" and grid[1][1] == "丁" and len(grid[1]) == 3


def test_a_style_based_on_a_numbered_style_carries_its_list():
    """Heading styles linked to a list (一、) pass it to the styles based on them, a few levels down; styles
    outside such a chain carry none."""
    from lxml import etree

    from parsers.readers import numbering

    w = numbering.W
    num = etree.fromstring(
        f'<w:numbering xmlns:w="{w}"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        f'<w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl></w:abstractNum>'
        f'<w:num w:numId="3"><w:abstractNumId w:val="0"/></w:num></w:numbering>')

    def style(sid: str, based: str | None = None, num_id: str | None = None, ilvl: int | None = None) -> str:
        level = f'<w:ilvl w:val="{ilvl}"/>' if ilvl is not None else ""
        ppr = f'<w:pPr><w:numPr>{level}<w:numId w:val="{num_id}"/></w:numPr></w:pPr>' if num_id else ""
        parent = f'<w:basedOn w:val="{based}"/>' if based else ""
        return f'<w:style w:type="paragraph" w:styleId="{sid}">{parent}{ppr}</w:style>'

    styles = etree.fromstring(
        f'<w:styles xmlns:w="{w}">{style("Normal")}{style("Heading1", "Normal", "3", 0)}'
        f'{style("MyHeading", "Heading1")}{style("MyHeading2", "MyHeading")}{style("Body", "Normal")}</w:styles>')
    n = numbering.load(num, styles)
    assert n is not None
    assert n.style_num == {"Heading1": ("3", 0), "MyHeading": ("3", 0), "MyHeading2": ("3", 0)}
    plain = etree.fromstring(f'<w:styles xmlns:w="{w}">{style("Normal")}{style("Body", "Normal")}</w:styles>')
    assert numbering.load(num, plain).style_num == {}  # type: ignore[union-attr]
