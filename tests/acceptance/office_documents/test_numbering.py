"""Word list numbers rendered as shown (parsers.readers.numbering): formats, levels, restarts, styles."""

from __future__ import annotations

from parsers.readers import docx as docx_reader
from parsers.readers.numbering import format_number
from tests.acceptance.office_documents import docx_kit as K


def test_formats():
    assert [format_number(n, "chineseCounting") for n in (1, 10, 11, 20, 23)] == ["一", "十", "十一", "二十", "二十三"]
    assert format_number(3, "ideographTraditional") == "丙"
    assert format_number(4, "decimalEnclosedCircle") == "④"
    assert (format_number(4, "upperRoman"), format_number(2, "lowerLetter")) == ("IV", "b")
    assert format_number(12, "taiwaneseCountingThousand") == "十二"
    assert format_number(5, "bullet") == ""


def test_levels_restart_under_a_new_heading():
    d = K.new()
    num = K.enable_numbering(d)
    for head in ("基本情况", "推进经验"):
        K.numbered(d, head, 0, num)
        K.numbered(d, "甲", 1, num)
        K.numbered(d, "乙", 1, num)
    d.add_paragraph("正文，没有编号")
    doc = docx_reader.read(K.save(d))
    assert doc.paragraphs == ["一、基本情况", "（一）甲", "（二）乙", "二、推进经验", "（一）甲", "（二）乙", "正文，没有编号"]
