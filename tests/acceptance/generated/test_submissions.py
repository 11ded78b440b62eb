"""Whole submissions through the real pipeline: status, containers and planted defects."""

from __future__ import annotations

import pytest

from bench.corpus_eval import leaf, match_documents
from intake.pipeline import check_message
from tests.fixtures.data import make_unit
from tests.fixtures.form_submission import DEFECTS, submission_message


def _check(campaign, unit, **kw):
    raw, expected = submission_message(unit, **kw)
    return check_message(raw, campaign).to_json(), expected


@pytest.fixture(scope="module")
def complete(campaign):
    return _check(campaign, make_unit(11, 2, recommender_index=0), style="mixed", variant=0)


def test_complete_submission_is_complete(complete) -> None:
    result, expected = complete
    errors = [f for f in result["findings"] if f["severity"] == "error"]
    assert errors == []
    assert result["status"] == "complete"


def test_zip_members_are_listed_with_their_container(complete) -> None:
    result, expected = complete
    got = match_documents(expected["documents"], result["documents"])
    zipped = [(e, g) for e, g in zip(expected["documents"], got, strict=True) if e["container"]]
    assert zipped, "the mixed style zips the application copies"
    for e, g in zipped:
        assert g is not None, f"{e['filename']} from {e['container']} not listed"
        assert g["container"] == e["container"]
        assert g["form"] == "application"


def test_late_submission(campaign) -> None:
    result, expected = _check(campaign, make_unit(12, 1), style="late", variant=0)
    assert expected["status"] == "late"
    assert result["status"] == "late"
    assert result["message"]["received_at"].startswith("2020-09-16T10:00")


def test_incomplete_submission_names_the_missing_forms(campaign) -> None:
    result, expected = _check(campaign, make_unit(13, 2), style="incomplete", variant=0)
    assert result["status"] == "incomplete"
    missing = {(f["form"], f["severity"]) for f in result["findings"] if f["document"] is None}
    assert ("statistics", "error") in missing
    assert ("application", "error") in missing  # one group's PDF copy


@pytest.fixture(scope="module")
def all_defects(campaign):
    return _check(campaign, make_unit(14, 2, recommender_index=1), style="defects", variant=0,
                  defects=sorted(DEFECTS))


@pytest.mark.parametrize("kind", sorted(DEFECTS))
def test_planted_defect_is_found(all_defects, kind: str) -> None:
    result, _expected = all_defects
    _rule, form, field, severity = DEFECTS[kind]
    hits = [f for f in result["findings"] if f["form"] == form and leaf(f["field"]) == field]
    assert hits, f"no finding on {form}.{field}"
    assert any(f["severity"] == severity for f in hits)
    assert result["status"] == "incomplete"


def test_broken_attachment_is_a_finding_not_a_crash(campaign) -> None:
    result, expected = _check(campaign, make_unit(15, 1), style="broken", variant=0)
    assert result["status"] == "incomplete"
    assert any(f["form"] == "review" and f["severity"] == "error" for f in result["findings"])
