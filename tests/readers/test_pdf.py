"""pdf reader: tables as grids in page order, merged cells, scanned, cid, encrypted, truncated, seal."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.model import Table
from parsers.readers import read, seal
from tests.fixtures import office as build

needs_fonts = pytest.mark.skipif(
    not (Path(build.WQY).exists() and Path(build.DEJAVU).exists()), reason="fonts-wqy-zenhei / DejaVu missing"
)


@pytest.fixture(scope="module")
def cid_doc():
    return read(build.pdf_form(), "pdf", "申报表.pdf")


def test_label_above_table_keeps_its_place(cid_doc):
    kinds = ["T" if isinstance(b, Table) else b for b in cid_doc.blocks]
    assert kinds == ["全国优秀质量管理小组申报表（第1页）", "T", "盖章日期：2020年9月10日"]
    assert cid_doc.meta["pages"] == 1 and cid_doc.meta["scanned"] is False
    assert cid_doc.problems == [] and cid_doc.text_trusted


def test_table_text_not_repeated_as_paragraphs(cid_doc):
    assert not any("某某集团" in p for p in cid_doc.paragraphs)


def test_pdf_merged_cells_filled(cid_doc):
    t = cid_doc.tables[0]
    assert t.grid[0] == ["企业名称"] + ["某某集团有限公司"] * 3
    assert t.cell(1, 0) == t.cell(2, 0) == "小组成员"
    assert t.grid[2][1:] == ["王五", "赵六", "孙七"]
    assert t.right_of(3, 2) == (3, 3) and t.cell(3, 3) == "13812345678"


def test_cid_font_drops_ballot_box_but_keeps_white_square(cid_doc):
    cell = cid_doc.tables[0].cell(3, 1)
    assert "问题解决型" in cell and "□创新型" in cell and "\x00" not in cell


@needs_fonts
def test_embedded_font_keeps_ticks():
    doc = read(build.pdf_form(embedded=True), "pdf", "申报表.pdf")
    assert doc.tables[0].cell(3, 1) == "☑问题解决型 ☐创新型"


def test_pages_in_order():
    doc = read(build.pdf_form(pages=3), "pdf", "x.pdf")
    assert doc.meta["pages"] == 3
    heads = [p for p in doc.paragraphs if p.startswith("全国")]
    assert heads == [f"全国优秀质量管理小组申报表（第{n}页）" for n in (1, 2, 3)]
    assert len(doc.tables) == 3


@needs_fonts
def test_scanned_pdf():
    doc = read(build.pdf_scanned(), "pdf", "扫描件.pdf")
    assert [p.rule for p in doc.problems] == ["document.scanned"]
    assert doc.text_trusted is False and doc.meta["scanned"] is True and doc.meta["scanned_pages"] == [1]


def test_cid_text_not_trusted():
    doc = read(build.pdf_cid(), "pdf", "x.pdf")
    assert [p.rule for p in doc.problems] == ["document.cid_text"]
    assert doc.text_trusted is False


def test_encrypted_pdf():
    doc = read(build.pdf_page(encrypt="pw"), "pdf", "加密.pdf")
    assert [p.rule for p in doc.problems] == ["document.encrypted"]


@pytest.mark.parametrize("cut", [200, 1500, -40])
def test_truncated_or_damaged_pdf_unreadable_not_crash(cut):
    data = build.pdf_form()
    doc = read(data[:cut], "pdf", "x.pdf")
    rules = [p.rule for p in doc.problems]
    # a PDF cut near its end may still be recoverable by pdfminer; cut early it must be unreadable
    assert rules == ["document.unreadable"] or (cut < 0 and doc.tables)


def test_seal_detected_only_on_sealed_page():
    assert read(build.pdf_page(seal=True), "pdf", "x.pdf").meta["seal_detected"] is True
    assert read(build.pdf_page(), "pdf", "x.pdf").meta["seal_detected"] is False


def test_red_heading_is_not_a_seal():
    plain = read(build.pdf_page(red_heading=True), "pdf", "x.pdf")
    assert plain.meta["red_pixels"][0] > seal.SEAL_MIN_PIXELS  # as many red pixels as a seal ...
    assert plain.meta["seal_detected"] is False  # ... but heading-shaped
    both = read(build.pdf_page(seal=True, red_heading=True), "pdf", "x.pdf")
    assert both.meta["seal_detected"] is True


@needs_fonts
def test_seal_on_scanned_page():
    assert read(build.pdf_scanned(seal=True), "pdf", "x.pdf").meta["seal_detected"] is True
    assert read(build.pdf_scanned(), "pdf", "x.pdf").meta["seal_detected"] is False


def test_red_pixel_count_reads_rgb_order():
    from PIL import Image

    red, blue = Image.new("RGB", (10, 10), (230, 20, 20)), Image.new("RGB", (10, 10), (20, 20, 230))
    assert seal.red_pixels_of(red) == 100 and seal.red_pixels_of(blue) == 0


def test_red_is_read_in_the_channel_order_of_the_bitmap():
    """pdfium renders BGR (or BGRA/BGRX, or grey): the mask must follow the bitmap's mode."""
    import numpy as np

    px = np.zeros((4, 5, 4), np.uint8)
    px[..., :3] = (20, 20, 230)  # red in B, G, R order
    assert np.count_nonzero(seal.red_of(px[..., :3], "BGR")) == 20
    assert np.count_nonzero(seal.red_of(px[..., :3], "RGB")) == 0  # the same bytes read as RGB are blue
    assert np.count_nonzero(seal.red_of(px, "BGRA")) == 20 and np.count_nonzero(seal.red_of(px, "BGRX")) == 20
    assert np.count_nonzero(seal.red_of(px[..., 0], "L")) == 0  # a grey render has no red


def test_seal_blobs_are_grouped_and_sized_in_page_pixels():
    import numpy as np

    mask = np.zeros((842, 595), np.uint8)
    mask[600:700, 371:471] = 255  # a 100 px square: seal-sized
    mask[620:650, 410:420] = 0  # a gap inside it does not split it
    mask[50:60, 100:500] = 255  # a red rule: far wider than tall
    blobs = sorted(seal.red_blobs(mask), key=lambda b: b.box[1])
    assert [(b.box, b.seal_like) for b in blobs] == [((100, 50, 500, 60), False), ((371, 600, 471, 700), True)]
    assert blobs[1].pixels == 100 * 100 - 30 * 10
    assert seal.red_blobs(np.zeros((842, 595), np.uint8)) == []


def test_the_seal_check_is_done_only_for_files_that_may_be_a_shenbaobiao(monkeypatch):
    """Rendering every page for the seal is for the 申报表 (the one form whose rules look at it): a 证实性材料 or
    工作总结 PDF is read without it, a 申报表 — known by its content or only by its name — with it."""
    from parsers.read_file import read_forms
    from parsers.readers import pdf
    from tests.fixtures.data import make_unit
    from tests.fixtures.form_backends import scanned_pdf
    from tests.fixtures.forms import render

    checked: list[int] = []
    real = pdf.seal_meta
    monkeypatch.setattr(pdf, "seal_meta", lambda data: checked.append(len(data)) or real(data))
    unit = make_unit(45, n_groups=1)
    group = unit.groups[0]

    def sealed(form: str, name: str, **kw: object) -> bool:
        checked.clear()
        docs = read_forms(render(form, unit, "pdf", 0, *([group] if form != "summary" else [])), name, "pdf", **kw)
        return bool(checked) and docs[0].form is not None

    assert not sealed("evidence", "证实性材料.pdf") and not sealed("summary", "工作总结.pdf")
    assert sealed("application", "攀登QC小组.pdf")  # by its content
    assert sealed("evidence", "附件1 申报表.pdf")  # its name says 申报表: the name may decide
    assert not sealed("evidence", "附件1 申报表.pdf", named=False)  # a name we made up says nothing
    [app] = read_forms(render("application", unit, "pdf", 0, group), "申报表.pdf", "pdf")
    assert app.form == "application" and isinstance(app.fields["seal_detected"], bool)  # checked, not None
    [scan] = read_forms(scanned_pdf(render("application", unit, "pdf", 0, group), seal_text=group.company[:8]),
                        "扫描件.pdf", "pdf")
    assert scan.fields.get("seal_detected") is True  # a scan: its content is OCR'd, its seal seen
