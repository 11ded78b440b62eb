"""The fixtures themselves: varied, realistic and what they claim to be (so pipeline tests that use
them measure the pipeline, not a broken fixture)."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.fixtures import forms
from tests.fixtures.data import expected_fields, make_unit, summary_char_count
from tests.fixtures.form_layout import place
from tests.fixtures.form_layouts import build

UNIT = make_unit(77, 3, recommender_index=0)
ROOT = Path(__file__).resolve().parents[3]


def test_make_unit_is_seeded_and_realistic() -> None:
    assert make_unit(77, 3, recommender_index=0) == UNIT
    assert make_unit(78, 3) != UNIT
    for g in UNIT.groups:
        assert 1 <= len(g.members) <= 10 and len(set(g.members)) == len(g.members)
        assert len(g.mobile) == 11 and len(g.postcode) == 6
        assert g.topic_type in ("问题解决型", "创新型")
    assert summary_char_count(UNIT) >= 3000
    assert [h for h, _ in UNIT.summary_sections] == ["一、基本情况", "二、推进经验和做法", "三、存在问题及改进方向"]
    assert all(len(e.evaluation) <= 300 and 0 <= e.score <= 100 for e in UNIT.review)
    assert expected_fields(UNIT, "application", UNIT.groups[1])["company"] == UNIT.groups[1].company


def test_layout_spans_fill_a_rectangle() -> None:
    for form in ("application", "statistics", "recommendation", "review"):
        for v in range(4):
            for block in build(form, UNIT, v, UNIT.groups[0]).blocks:
                if hasattr(block, "rows"):
                    cells, n_rows, n_cols = place(block)
                    area = sum(c.rs * c.cs for _r, _c, c in cells)
                    assert area == n_rows * n_cols, f"{form} v{v}: ragged table"


def _docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    return "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)


def test_docx_variants_differ_and_carry_the_values() -> None:
    g = UNIT.groups[0]
    texts = [_docx_text(forms.render("application", UNIT, "docx", v, g)) for v in range(4)]
    assert len(set(texts)) == 4
    for t in texts:
        assert g.company in t and g.mobile in t
    assert "企 业 名 称" not in texts[0] and "推 荐 省 市 、 行 业" in texts[1]


def test_w14_checkbox_is_a_content_control() -> None:
    g = UNIT.groups[0]
    data = forms.render("application", UNIT, "docx", 3, g)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert xml.count("<w14:checkbox>") == 2
    assert 'w14:checked w14:val="1"' in xml and 'w14:checked w14:val="0"' in xml


def test_text_pdf_has_text_and_cid_pdf_has_no_embedded_font() -> None:
    import pdfplumber

    g = UNIT.groups[0]
    for fmt in ("pdf", "pdf-cid"):
        data = forms.render("application", UNIT, fmt, 0, g)
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            text = "".join(p.extract_text() or "" for p in pdf.pages)
            assert g.company in text and "申报表" in text
            assert pdf.pages[0].find_tables(), "table lines must be drawn"
    assert b"STSong-Light" in forms.render("application", UNIT, "pdf-cid", 0, g)


def test_scanned_pdf_is_image_only_with_a_red_seal() -> None:
    import pypdfium2 as pdfium

    data = forms.render("application", UNIT, "pdf-scanned", 0, UNIT.groups[0])
    page = pdfium.PdfDocument(data)[0]
    assert page.get_textpage().count_chars() == 0
    img = page.render(scale=1).to_pil().convert("RGB")
    px = img.tobytes()
    red = sum(1 for i in range(0, len(px), 3) if px[i] > 180 and px[i + 1] < 90 and px[i + 2] < 90)
    assert red > 300


def test_xlsx_keeps_merges_and_numbers() -> None:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(forms.render("statistics", UNIT, "xlsx", 0)))
    ws = wb.active
    assert ws.merged_cells.ranges
    values = [c.value for row in ws.iter_rows() for c in row]
    assert UNIT.statistics.participation_rate in values  # a real number, not text
    wb2 = load_workbook(io.BytesIO(forms.render("recommendation", UNIT, "xlsx", 2)))
    assert wb2.sheetnames == ["推荐小组", "评委名单"]


def test_renders_are_reproducible() -> None:
    for form, fmt in (("application", "docx"), ("review", "xlsx"), ("summary", "pdf"), ("application", "pdf-scanned")):
        assert forms.render(form, UNIT, fmt, 1, UNIT.groups[1]) == forms.render(form, UNIT, fmt, 1, UNIT.groups[1])


def test_broken_files_are_broken() -> None:
    name, data = forms.broken("truncated-docx")
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data)).testzip()
    _, data = forms.broken("random-pdf")
    assert not data.startswith(b"%PDF")
    _, data = forms.broken("encrypted-pdf")
    assert b"/Encrypt" in data
    _, data = forms.broken("password-zip")
    assert all(i.flag_bits & 1 for i in zipfile.ZipFile(io.BytesIO(data)).infolist())


@pytest.mark.libreoffice
def test_legacy_doc_keeps_its_tables(tmp_path: Path) -> None:
    """env-facts §4: a .doc exported from a python-docx file loses its tables; ours come from HTML,
    and LibreOffice must read the table back with every cell."""
    from docx import Document

    g = UNIT.groups[0]
    data = forms.render("application", UNIT, "doc", 0, g)
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # OLE2 compound file
    (tmp_path / "a.doc").write_bytes(data)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "docx", "--outdir", str(tmp_path), str(tmp_path / "a.doc")],
                   capture_output=True, timeout=120, check=True)
    doc = Document(str(tmp_path / "a.docx"))
    assert doc.tables, "the .doc lost its table"
    cells = {c.text for row in doc.tables[0].rows for c in row.cells}
    assert {g.company, g.mobile, g.postcode, g.contact_person, "小组成员名单"} <= cells


@pytest.mark.libreoffice
def test_example_inbox_matches_the_script(tmp_path: Path) -> None:
    import examples.make_inbox as mk

    mk.main(["--out", str(tmp_path), "--roster", str(tmp_path / "roster.csv")])
    assert (tmp_path / "roster.csv").read_bytes() == (ROOT / "examples" / "roster.csv").read_bytes()
    committed = sorted((ROOT / "examples" / "inbox").glob("*.eml"))
    assert [p.name for p in committed] == sorted(p.name for p in tmp_path.glob("*.eml"))
    for p in committed:
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), f"{p.name}: rerun python examples/make_inbox.py"
    assert sum(p.stat().st_size for p in committed) < 3 * 1024 * 1024
