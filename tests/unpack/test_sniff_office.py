"""Office files sniffed from their bytes that must not be called damaged, and broken ones that must.

Fixtures are built the way the files are made: compound files with the storages Excel writes for an
embedded object, OOXML packages as Word/Excel/python-docx save them, zips as zipfile writes them.
"""

from __future__ import annotations

from intake.unpack.sniff import sniff
from parsers.readers import read
from tests.unpack.cfbgen import biff8_workbook, make_cfb, word_stream

CELLS = {(0, 0): "质量管理小组活动统计表", (1, 0): "联系人", (1, 1): "王明"}


def _workbook_with_embedded_word() -> bytes:
    """An Excel 97 workbook with a Word document embedded as an object: Excel keeps the object's own
    compound file under ObjectPool/_<id>/, so a WordDocument stream sits two storages below the root."""
    return make_cfb({
        "Workbook": biff8_workbook("统计表", CELLS),
        "\x05SummaryInformation": b"\xfe\xff",
        "ObjectPool/_1234567890/\x01Ole": b"\x01\x00\x00\x02",
        "ObjectPool/_1234567890/\x01CompObj": b"\x01\x00\xfe\xff",
        "ObjectPool/_1234567890/\x03ObjInfo": b"\x00\x00\x03\x00",
        "ObjectPool/_1234567890/WordDocument": word_stream(),
        "ObjectPool/_1234567890/1Table": b"\x00" * 64,
    })


def test_workbook_with_an_embedded_word_object_is_a_workbook() -> None:
    data = _workbook_with_embedded_word()
    for name in ("附件3 统计表.xls", "附件3 统计表.xlsx", "附件3 统计表"):
        s = sniff(data, name)
        assert (s.format, s.problems) == ("xls", []), name
    doc = read(data, "xls", "附件3 统计表.xls")
    assert doc.problems == []
    assert doc.blocks[1].grid == [["质量管理小组活动统计表", ""], ["联系人", "王明"]]
