"""One file, several forms (contract "One file, several forms", parsers/forms/split.py) through the real
pipeline: a workbook whose sheets are the 统计表, 推荐表 and 评审汇总表, one .docx with three groups'
申报表, a PDF whose pages are different forms (also scanned and OCR'd) — each form listed with its
``part`` and its own fields, and the message complete (no false "未收到"). And the files that are one
form over several sheets, pages or sections stay one document with ``part`` null."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from bench.corpus_eval import KEY_FIELDS, flatten, generic_key, same
from intake.pipeline import check_message
from intake.workers import ReadingPool
from rules import Campaign, load_campaign
from tests.contract_schema import validate
from tests.fixtures import several
from tests.fixtures.data import Group, Unit, expected_fields, make_unit
from tests.fixtures.form_backends import scanned_pdf, to_pdf
from tests.fixtures.form_layout import Layout
from tests.fixtures.form_layouts import build
from tests.fixtures.forms import filename_for, render
from tests.fixtures.mail import build_message

UNIT = make_unit(9090, 3, recommender_index=2)


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign()


def _group_files(unit: Unit, word: bool = True, pdf: bool = True) -> list[tuple[str, bytes]]:
    """Each group's own items: the 申报表 (Word and PDF, unless left out), 成果报告, 证实性材料."""
    out: list[tuple[str, bytes]] = []
    for g in unit.groups:
        if word:
            out.append((filename_for("application", unit, "docx", 1, g), render("application", unit, "docx", 0, g)))
        if pdf:
            out.append((filename_for("application", unit, "pdf", 1, g), render("application", unit, "pdf", 0, g)))
        out.append((filename_for("report", unit, "docx", 0, g), render("report", unit, "docx", 0, g)))
        out.append((filename_for("evidence", unit, "docx", 0, g), render("evidence", unit, "docx", 0, g)))
    return out


def _summary(unit: Unit) -> tuple[str, bytes]:
    return filename_for("summary", unit, "docx", 1), render("summary", unit, "docx")


def _lists(unit: Unit, fmt: str = "xlsx") -> list[tuple[str, bytes]]:
    return [(filename_for(f, unit, fmt, 1), render(f, unit, fmt)) for f in ("statistics", "recommendation", "review")]


def _check(pool: ReadingPool, campaign: Campaign, attachments: list[tuple[str, bytes]]) -> dict:
    result = check_message(build_message(attachments, from_addr=UNIT.email, from_name=UNIT.recommender),
                           campaign, pool=pool).to_json()
    validate(result)
    json.dumps(result, ensure_ascii=False)
    return result


def _of(result: dict, filename: str) -> list[dict]:
    return [d for d in result["documents"] if d["filename"] == filename]


def _fields_right(doc: dict, form: str, group: Group | None = None) -> None:
    assert doc["form"] == form, doc
    expected = flatten(expected_fields(UNIT, form, group))
    got = flatten(doc.get("fields") or {})
    wrong = {p: (v, got.get(p)) for p, v in expected.items()
             if generic_key(p) in KEY_FIELDS.get(form, ()) and not same(p, v, got.get(p))}
    assert not wrong, f"key fields differ (expected, got): {wrong}"


def _complete(result: dict) -> None:
    missing = [f for f in result["findings"] if f["rule"].endswith(".missing") or "未收到" in f["message"]]
    assert missing == [], missing
    assert result["status"] == "complete", [f for f in result["findings"] if f["severity"] == "error"]


def test_workbook_of_three_forms_is_three_documents(pool, campaign) -> None:
    book = several.workbook([("统计表", render("statistics", UNIT, "xlsx")),
                             ("推荐表", render("recommendation", UNIT, "xlsx")),
                             ("评审汇总表", render("review", UNIT, "xlsx"))])
    name = "附件3-5 统计表、推荐表、评审汇总表.xlsx"
    result = _check(pool, campaign, [*_group_files(UNIT), _summary(UNIT), (name, book)])
    docs = _of(result, name)
    assert [(d["form"], d["part"]) for d in docs] == [
        ("statistics", "统计表"), ("recommendation", "推荐表"), ("review", "评审汇总表")]
    assert len({d["sha256"] for d in docs}) == 1 and all(d["container"] is None for d in docs)
    for d in docs:
        _fields_right(d, d["form"])
    assert [d["part"] for d in result["documents"] if d["filename"] != name] == [None] * (len(result["documents"]) - 3)
    _complete(result)


def test_docx_with_three_groups_applications_is_three_applications(pool, campaign) -> None:
    word = several.docx_of([build("application", UNIT, 0, g) for g in UNIT.groups], brk="page")
    name = f"{UNIT.short}三个小组申报表.docx"
    result = _check(pool, campaign, [(name, word), *_group_files(UNIT, word=False), _summary(UNIT), *_lists(UNIT)])
    docs = _of(result, name)
    assert [d["part"] for d in docs] == ["第1部分", "第2部分", "第3部分"]
    for d, g in zip(docs, UNIT.groups, strict=True):
        _fields_right(d, "application", g)
    _complete(result)


def test_word_and_pdf_files_of_three_applications_pair_by_group(pool, campaign) -> None:
    word = several.docx_of([build("application", UNIT, 0, g) for g in UNIT.groups], brk="section")
    pdf = several.pdf_of([render("application", UNIT, "pdf", 0, g) for g in reversed(UNIT.groups)])
    files = [("申报表.docx", word), ("申报表（盖章）.pdf", pdf), *_group_files(UNIT, word=False, pdf=False),
             _summary(UNIT), *_lists(UNIT)]
    result = _check(pool, campaign, files)
    assert [d["part"] for d in _of(result, "申报表（盖章）.pdf")] == ["第1页", "第2页", "第3页"]
    for d, g in zip(_of(result, "申报表（盖章）.pdf"), reversed(UNIT.groups), strict=True):
        _fields_right(d, "application", g)
        assert d["fields"]["paired_with"] == "申报表.docx"
    assert not [f for f in result["findings"] if f["rule"].startswith("cross.application")], result["findings"]
    _complete(result)


def test_each_application_of_one_pdf_has_its_own_seal(pool, campaign) -> None:
    unsealed = copy.deepcopy(UNIT)
    unsealed.groups[1].sealed = False
    pdf = several.pdf_of([render("application", unsealed, "pdf", 0, g) for g in unsealed.groups])
    word = several.docx_of([build("application", UNIT, 0, g) for g in UNIT.groups])
    result = _check(pool, campaign, [("申报表.docx", word), ("申报表（盖章）.pdf", pdf)])
    assert [d["fields"]["seal_detected"] for d in _of(result, "申报表（盖章）.pdf")] == [True, False, True]
    [seal] = [f for f in result["findings"] if f["rule"] == "application.seal.missing"]
    assert seal["document"] == "申报表（盖章）.pdf" and "申报表（盖章）.pdf（第2页）" in seal["message"], seal


def test_pdf_whose_pages_are_different_forms(pool, campaign) -> None:
    pdf = several.pdf_of([render(f, UNIT, "pdf") for f in ("statistics", "recommendation", "review")])
    name = "附件3-5（盖章）.pdf"
    result = _check(pool, campaign, [*_group_files(UNIT), _summary(UNIT), (name, pdf)])
    docs = _of(result, name)
    assert [(d["form"], d["part"]) for d in docs] == [
        ("statistics", "第1页"), ("recommendation", "第2页"), ("review", "第3页")]
    for d in docs:
        _fields_right(d, d["form"])
    _complete(result)


def test_scanned_pdf_of_two_forms_is_read_by_ocr_as_two(pool, campaign) -> None:
    pdf = scanned_pdf(several.pdf_of([render(f, UNIT, "pdf") for f in ("statistics", "recommendation")]),
                      dpi=150, seal_text=None)
    result = _check(pool, campaign, [("扫描件.pdf", pdf)])
    docs = _of(result, "扫描件.pdf")
    assert [(d["form"], d["part"], d["read_by"]) for d in docs] == [
        ("statistics", "第1页", "ocr"), ("recommendation", "第2页", "ocr")]
    assert docs[1]["fields"]["groups"], docs[1]["fields"]


# ------------------------------------------------------------------ one form: must stay one


def _report_with_page_breaks(group: Group) -> bytes:
    """The 成果报告 with a page break before every chapter, as reports are written."""
    layout = build("report", UNIT, 0, group)
    chunks: list[Layout] = []
    current: list = []
    for block in layout.blocks:
        if getattr(block, "kind", None) == "heading" and current:
            chunks.append(dataclasses.replace(layout, blocks=current))
            current = []
        current.append(block)
    chunks.append(dataclasses.replace(layout, blocks=current))
    assert len(chunks) > 3
    return several.docx_of(chunks, brk="page")


def _application_over_pages(group: Group) -> tuple[bytes, bytes]:
    """One group's 申报表 over two pages, its notes on the second: in Word after a page break, and as PDF."""
    layout = build("application", UNIT, 0, group)
    at = next(i for i, b in enumerate(layout.blocks) if getattr(b, "text", "").startswith("注"))
    first, second = (dataclasses.replace(layout, blocks=layout.blocks[:at]),
                     dataclasses.replace(layout, blocks=layout.blocks[at:]))
    return several.docx_of([first, second], brk="page"), several.pdf_of([to_pdf(first), to_pdf(second)])


def test_files_of_one_form_stay_one_document(pool, campaign) -> None:
    g = UNIT.groups[0]
    word, pdf = _application_over_pages(g)
    files = [
        ("成果报告（分章）.docx", _report_with_page_breaks(g)),
        ("统计表.xlsx", several.workbook([("Sheet1", render("statistics", UNIT, "xlsx")), ("Sheet2", None),
                                         ("Sheet3", None)])),
        ("推荐表.xlsx", several.workbook([("推荐表", render("recommendation", UNIT, "xlsx")),
                                         ("填表说明", "填表说明\n1. 推荐表、统计表、评审汇总表请分别填写并加盖公章\n"
                                                      "2. 评委须持有评委证书")])),
        ("申报表（两页）.docx", word),
        ("申报表（多页）.pdf", pdf),
    ]
    result = _check(pool, campaign, files)
    got = [(d["filename"], d["form"], d["part"]) for d in result["documents"]]
    assert got == [("成果报告（分章）.docx", "report", None), ("统计表.xlsx", "statistics", None),
                   ("推荐表.xlsx", "recommendation", None), ("申报表（两页）.docx", "application", None),
                   ("申报表（多页）.pdf", "application", None)]
    by_name = {d["filename"]: d for d in result["documents"]}
    _fields_right(by_name["申报表（两页）.docx"], "application", g)
    _fields_right(by_name["统计表.xlsx"], "statistics")
