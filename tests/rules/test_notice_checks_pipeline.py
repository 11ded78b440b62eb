"""The notice's implied checks through the real pipeline: generated Word/PDF/Excel forms in a message,
read, paired (parsers/forms/pairing.py) and checked — each check fires on the spoiled message and
not on the good one."""

from __future__ import annotations

import copy

import pytest

from intake.pipeline import check_message
from intake.workers import ReadingPool
from tests.fixtures.data import Unit, make_unit
from tests.fixtures.forms import filename_for, render
from tests.fixtures.mail import build_message

NEW_RULES = ("cross.application.copies_mismatch", "application.company.department", "application.company.parent",
             "recommendation.groups.duplicate", "recommendation.groups.company.department",
             "recommendation.groups.company.parent")


@pytest.fixture(scope="module")
def unit() -> Unit:
    return make_unit(2021, 1, recommender_index=0)


def _twins(word_unit: Unit, pdf_unit: Unit) -> list[tuple[str, bytes]]:
    """A 申报表 as Word and text PDF; both named after the Word copy's group, as senders name twins."""
    return [(filename_for("application", word_unit, "docx", 1), render("application", word_unit, "docx")),
            (filename_for("application", word_unit, "pdf", 1), render("application", pdf_unit, "pdf"))]


def _findings(pool: ReadingPool, campaign, attachments) -> list[dict]:
    return check_message(build_message(attachments), campaign, pool=pool).to_json()["findings"]


def test_twins_that_agree_raise_none_of_the_new_checks(pool, campaign, unit) -> None:
    found = _findings(pool, campaign, _twins(unit, unit) + [
        (filename_for("recommendation", unit, "xlsx"), render("recommendation", unit, "xlsx"))])
    assert [f for f in found if f["rule"] in NEW_RULES] == []


def test_pdf_copy_with_another_topic_is_an_error(pool, campaign, unit) -> None:
    other = copy.deepcopy(unit)
    other.groups[0].topic = "研制配电变压器在线监测装置"
    found = _findings(pool, campaign, _twins(unit, other))
    hits = [f for f in found if f["rule"] == "cross.application.copies_mismatch"]
    assert len(hits) == 1, found
    f = hits[0]
    assert (f["severity"], f["form"], f["field"]) == ("error", "application", "topic")
    assert unit.groups[0].topic in f["message"] and "研制配电变压器在线监测装置" in f["message"]


def test_department_as_company_is_an_error(pool, campaign, unit) -> None:
    spoiled = copy.deepcopy(unit)
    spoiled.groups[0].company = "南京恒通机械制造有限公司金工车间"
    found = _findings(pool, campaign, _twins(spoiled, spoiled) + [
        (filename_for("recommendation", spoiled, "xlsx"), render("recommendation", spoiled, "xlsx"))])
    rules = {f["rule"]: f for f in found}
    assert rules["application.company.department"]["severity"] == "error"
    assert rules["recommendation.groups.company.department"]["severity"] == "error"
    assert "车间" in rules["application.company.department"]["message"]


def test_group_listed_twice_in_the_recommendation_is_an_error(pool, campaign, unit) -> None:
    doubled = copy.deepcopy(unit)
    again = copy.deepcopy(doubled.groups[0])
    again.seq = 2
    doubled.groups.append(again)
    found = _findings(pool, campaign, [
        (filename_for("recommendation", doubled, "xlsx"), render("recommendation", doubled, "xlsx"))])
    hits = [f for f in found if f["rule"] == "recommendation.groups.duplicate"]
    assert len(hits) == 1 and hits[0]["severity"] == "error"
    assert "第1行、第2行" in hits[0]["message"]
