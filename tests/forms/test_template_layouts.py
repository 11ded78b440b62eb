"""Layouts people make from the template, as real files through the real reader and extractor
(``read_file``): values right of and below their labels in one 申报表, members with roles and every
separator, 课题类型 by glyph / highlighting / bold / underline / the word alone, dates in every
spelling, content controls showing their prompt, list tables with extra, reordered and two-row
headers (课题类型 as tick sub-columns) in the 推荐表, 评委名单, 评审汇总表 and 统计表."""

from __future__ import annotations

import pytest

from parsers.forms.normalize import normalize_phone
from parsers.read_file import read_file
from tests.fixtures import data
from tests.fixtures import template_layouts as tl
from tests.fixtures.form_backends import to_docx, to_pdf, to_xlsx

UNIT = data.make_unit(7, 3)
WRITERS = {"docx": to_docx, "xlsx": to_xlsx, "pdf": to_pdf}
NAMES = {"application": "申报表", "recommendation": "推荐表", "review": "评审汇总表", "statistics": "统计表"}


def _read(layout, fmt: str, form: str) -> dict:
    res = read_file(WRITERS[fmt](layout), f"附件-{NAMES[form]}.{fmt}", fmt)
    assert res.form == form, res.problems
    res.fields.pop("seal_detected", None)  # a PDF 申报表's seal guess, not a field of the layout
    return res.fields


def _group(i: int, topic_type: str | None = None) -> data.Group:
    g = UNIT.groups[i % len(UNIT.groups)]
    if topic_type:
        g = data.Group(**{**g.__dict__, "topic_type": topic_type})
    return g


# ------------------------------------------------------------------ 申报表

@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
def test_application_values_right_and_below_in_one_form(fmt):
    g = _group(0)
    fields = _read(tl.application_mixed(UNIT, g, mark="☑" if fmt != "pdf" else "■"), fmt, "application")
    assert fields == tl.expected_application_mixed(UNIT, g)


@pytest.mark.parametrize("style", tl.MEMBER_STYLES)
def test_application_members_with_roles_and_separators(style):
    g = _group(1)
    fields = _read(tl.application_mixed(UNIT, g, members=style), "docx", "application")
    assert fields["members"] == g.members


@pytest.mark.parametrize("chosen", ["问题解决型", "创新型"])
@pytest.mark.parametrize("mark", tl.TYPE_STYLES)
def test_application_topic_type_marks(mark, chosen):
    g = _group(2, chosen)
    fields = _read(tl.application_mixed(UNIT, g, mark=mark), "docx", "application")
    assert fields["topic_type"] == chosen


#: the fixture's CJK PDF fonts have no glyph for these ticks (the Word tests cover them)
NO_PDF_GLYPH = ("✔", "✓", "☑")


@pytest.mark.parametrize("mark", [m for m in tl.TYPE_STYLES if m not in tl.WORD_ONLY_STYLES and m not in NO_PDF_GLYPH])
def test_application_topic_type_marks_in_a_pdf(mark):
    g = _group(2, "创新型")
    assert _read(tl.application_mixed(UNIT, g, mark=mark), "pdf", "application")["topic_type"] == "创新型"


def test_application_formatting_of_both_words_is_no_choice():
    g = _group(0)
    layout = tl.application_mixed(UNIT, g)
    row = layout.blocks[2].rows[4]
    row[1] = tl.c(tl.Styled("问题解决型", bold=True), "  ", tl.Styled("创新型", bold=True), cs=3)
    assert _read(layout, "docx", "application")["topic_type"] is None


@pytest.mark.parametrize("style", tl.DATE_STYLES)
def test_application_date_spellings(style):
    g = _group(0)
    fields = _read(tl.application_mixed(UNIT, g, date_style=style), "docx", "application")
    assert fields["date"] == g.date.isoformat()


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_application_content_controls_showing_their_prompt_are_empty(fmt):
    g = _group(1)
    fields = _read(tl.application_mixed(UNIT, g, controls=True, mark="■"), fmt, "application")
    assert fields == tl.expected_application_mixed(UNIT, g, controls=True)


@pytest.mark.parametrize("mark", ["highlight", "underline", "only", "√after"])
def test_application_retyped_as_lines_marks_and_prompt(mark):
    g = _group(0, "创新型")
    res = read_file(tl.application_lines_docx(UNIT, g, mark), "申报表.docx", "docx")
    assert res.form == "application"
    exp = tl.expected_application_mixed(UNIT, g)
    exp["mobile"] = None  # the control's prompt
    assert res.fields == exp


# ------------------------------------------------------------------ 推荐表

def _expected_groups(mark_types: bool = True) -> list[dict]:
    return [{"seq": str(g.seq), "company": g.company, "group_name": g.group_name, "topic_type": g.topic_type}
            for g in UNIT.groups]


def _expected_judges() -> list[dict]:
    return [{"seq": str(j.seq), "name": j.name, "employer": j.employer, "certificate_no": j.certificate_no,
             "mobile": normalize_phone(j.mobile)} for j in UNIT.judges]


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
@pytest.mark.parametrize("style", tl.REC_STYLES)
def test_recommendation_tables_found_by_header_words(style, fmt):
    mark = "√" if fmt == "pdf" else "✔"
    fields = _read(tl.recommendation_variant(UNIT, style, mark), fmt, "recommendation")
    assert fields["groups"] == _expected_groups()
    assert fields["judges"] == _expected_judges()
    assert fields["recommender"] == UNIT.recommender
    assert fields["date"] == UNIT.date.isoformat()


def test_recommendation_topic_type_by_formatting_in_word():
    fields = _read(tl.recommendation_variant(UNIT, "formatted"), "docx", "recommendation")
    assert fields["groups"] == _expected_groups()


@pytest.mark.parametrize("mark", ["✔", "✓", "√", "■", "☑", "是"])
def test_recommendation_tick_sub_columns_any_mark(mark):
    fields = _read(tl.recommendation_variant(UNIT, "ticks", mark), "docx", "recommendation")
    assert [g["topic_type"] for g in fields["groups"]] == [g.topic_type for g in UNIT.groups]


# ------------------------------------------------------------------ 评审汇总表

@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize("style", tl.REVIEW_STYLES)
def test_review_tables_found_by_header_words(style, fmt):
    fields = _read(tl.review_variant(UNIT, style), fmt, "review")
    assert fields["entries"] == tl.expected_review_entries(UNIT, style)
    assert fields["date"] == UNIT.date.isoformat()


# ------------------------------------------------------------------ 统计表

@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize("style", tl.STAT_STYLES)
def test_statistics_columns_found_by_header_words(style, fmt):
    fields = _read(tl.statistics_variant(UNIT, style), fmt, "statistics")
    exp = data.expected_statistics(UNIT)
    exp["mobile"] = normalize_phone(exp["mobile"])
    assert fields == exp


@pytest.mark.parametrize("held_mark", ["highlight", "bold"])
@pytest.mark.parametrize("held", [True, False])
def test_statistics_meeting_held_by_formatting_in_word(held_mark, held):
    unit = data.make_unit(7, 3)
    unit.statistics.meeting_held = held
    fields = _read(tl.statistics_variant(unit, "reordered", held_mark), "docx", "statistics")
    assert fields["meeting_held"] is held
