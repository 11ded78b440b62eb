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


def test_forms_inside_outlook_containers_are_all_read(campaign) -> None:
    """The whole submission inside a winmail.dat (variant 1) or one attached Outlook item (variant 2)."""
    for variant in (1, 2):
        result, expected = _check(campaign, make_unit(16 + variant, 1), style="outlook", variant=variant)
        assert result["status"] == "complete", [f["message"] for f in result["findings"]]
        head = expected["documents"][0]
        assert head["format"] in ("tnef", "msg")
        got = match_documents(expected["documents"], result["documents"])
        for e, g in zip(expected["documents"][1:], got[1:], strict=True):
            assert g is not None and g["container"] == head["filename"], e["filename"]
            assert g["form"] == e["form"], e["filename"]


def test_sealed_scans_of_the_summary_forms_are_read_by_ocr(campaign) -> None:
    """统计表, 推荐表 (sealed) and 评审汇总表 printed and scanned at 200 dpi, no Excel copy: read by OCR, the
    message complete, and what OCR reads is what was written (key fields)."""
    result, expected = _check(campaign, make_unit(19, 2), style="scans", variant=1)
    assert result["status"] == "complete", [f["message"] for f in result["findings"] if f["severity"] == "error"]
    got = match_documents(expected["documents"], result["documents"])
    scanned = [(e, g) for e, g in zip(expected["documents"], got, strict=True) if e.get("ocr")]
    assert {e["form"] for e, _ in scanned} == {"statistics", "recommendation", "review"}
    for e, g in scanned:
        assert g is not None and g["read_by"] == "ocr" and g["form"] == e["form"]
    rec = next(g for e, g in scanned if e["form"] == "recommendation")
    want = next(e for e, _ in scanned if e["form"] == "recommendation")["fields"]
    assert [x["group_name"] for x in rec["fields"]["groups"]] == [x["group_name"] for x in want["groups"]]
    assert [x["certificate_no"] for x in rec["fields"]["judges"]] == [x["certificate_no"] for x in want["judges"]]
