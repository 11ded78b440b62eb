"""Huge and pathological input (tests/robustness/hostile.py, reduced sizes): every case ends in findings
that validate against the contract, never an exception. The full sizes with time and RSS are in
``bench/stress.py``; no timing is asserted here."""

from __future__ import annotations

import json
import random

import pytest

from intake.pipeline import check_message
from parsers import readers
from parsers.model import Document, Table
from parsers.readers import limits, seal
from parsers.readers.cells import sparse_grid
from tests.contract_schema import validate
from tests.robustness import hostile

# the reduced sizes still show the attack's shape; these cases are cheap even at full size
FULL = {"xlsx-far-cell", "xlsx-giant-merge", "xlsx-column-merges", "docx-nested-10", "pdf-huge-page",
        "png-bomb", "zip-nested-30", "zip-self-copies", "cfb-cyclic-fat", "msg-multipart-100-deep"}


def _check(raw: bytes, campaign) -> dict:
    result = check_message(raw, campaign, read_timeout=30.0).to_json()
    result = json.loads(json.dumps(result, ensure_ascii=False))
    validate(result)
    return result


@pytest.mark.parametrize("name", sorted(hostile.DOC_CASES))
def test_hostile_document_gives_findings(name: str, campaign) -> None:
    filename, data = hostile.DOC_CASES[name](1.0 if name in FULL else 0.05)
    result = _check(hostile.as_message(filename, data), campaign)
    assert any(d["filename"] == filename for d in result["documents"]), "the attachment is listed"
    # a finding on the file (or a file unpacked from it), or the file was recognised as a form
    about = [f for f in result["findings"] if f.get("document")]
    assert about or any(d["form"] != "unknown" for d in result["documents"]), result["findings"]


@pytest.mark.parametrize("name", sorted(hostile.MSG_CASES))
def test_hostile_message_gives_findings(name: str, campaign) -> None:
    result = _check(hostile.MSG_CASES[name](1.0 if name in FULL else 0.1), campaign)
    assert result["findings"]


def _rules(data: bytes, fmt: str, name: str) -> list[str]:
    return [p.rule for p in readers.read(data, fmt, name, timeout=30).problems]


def test_stray_far_cell_is_read_without_a_dense_grid() -> None:
    name, data = hostile.xlsx_far_cell(1.0)
    doc = readers.read(data, "xlsx", name, timeout=30)
    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert table.cell(0, 0) == "质量管理小组活动统计表" and table.n_rows * table.n_cols < 100


def test_whole_sheet_merge_is_clipped() -> None:
    name, data = hostile.xlsx_giant_merge(1.0)
    doc = readers.read(data, "xlsx", name, timeout=30)
    assert "document.too_large" in [p.rule for p in doc.problems]
    assert any(isinstance(b, Table) and b.cell(0, 0) == "质量管理小组活动统计表" for b in doc.blocks)


def test_inflating_docx_is_refused_before_opening(monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_XML_BYTES", 2 << 20)
    name, data = hostile.docx_xml_bomb(0.01)  # 4 MB of XML in a few KB
    assert _rules(data, "docx", name) == ["document.too_large"]


def test_declared_sizes_bound_what_is_inflated() -> None:
    """zipfile stops at the declared size (and fails the CRC), so the directory check is not bypassed
    by a member that lies about its size."""
    from tests.robustness.mutate import wrong_declared_size

    name, data = hostile.docx_xml_bomb(0.01)
    for k in range(6):
        assert readers.read(wrong_declared_size(random.Random(k), data), "docx", name, timeout=30) is not None


def test_document_is_cut_to_the_limits(monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_DOCUMENT_CELLS", 100)
    doc = Document(blocks=["标题", Table([[str(i), "x"] for i in range(80)]), Table([["a", "b"]] * 80), "尾"])
    out = limits.cap_document(doc)
    cells = sum(b.n_rows * b.n_cols for b in out.blocks if isinstance(b, Table))
    assert cells <= 100 and out.blocks[0] == "标题"
    assert [p.rule for p in out.problems] == ["document.too_large"]


def test_small_document_is_untouched() -> None:
    doc = Document(blocks=["标题", Table([["a", "b"], ["c", "d"]])])
    assert limits.cap_document(doc).problems == [] and len(doc.blocks) == 2


def test_sparse_grid_matches_the_dense_layout() -> None:
    values = {(1, 1): "企业名称", (1, 3): "某公司", (3, 1): "x"}
    grid, note = sparse_grid(values, [(1, 3, 2, 5)])  # 某公司 merged over two columns
    assert note is None
    assert grid == [["企业名称", "", "某公司", "某公司"], ["", "", "", ""], ["x", "", "", ""]]


def test_sparse_grid_compacts_a_huge_used_range() -> None:
    values = {(0, 0): "标题", (1_000_000, 16_000): "x"}
    grid, note = sparse_grid(values, [(0, 0, 1, 16_001)])
    assert note is None  # nothing left out: only empty rows and columns dropped
    assert grid[0][0] == "标题" and len(grid) == 2 and grid[1][-1] == "x"


def test_seal_render_is_capped_and_still_finds_the_seal(monkeypatch) -> None:
    _name, data = hostile.pdf_huge_page(1.0)
    seen: list[tuple[int, int]] = []
    real = seal.red_of

    def spy(pixels, order="RGB"):
        seen.append(pixels.shape[:2])
        return real(pixels, order)

    monkeypatch.setattr(seal, "red_of", spy)
    found, _counts = seal.seal_detected(data)
    assert seen and all(w * h <= seal.MAX_RENDER_PIXELS * 1.01 for w, h in seen)
    assert found  # the 120 pt red disc is seal-sized once its blob is scaled back to 72 dpi
