"""A whole real-world submission through ``intake.pipeline.check_message`` (what ``intake check --json`` runs)."""

from __future__ import annotations

import pytest

from intake.pipeline import check_message
from rules import load_campaign
from tests.acceptance.office_documents import builders as B
from tests.fixtures.mail import build_message, make_zip


@pytest.fixture(scope="module")
def campaign():
    return load_campaign()


def _by_name(result) -> dict:
    return {d["filename"]: d for d in result.to_json()["documents"]}


def test_submission_of_odd_word_and_excel_files(campaign):
    cases = [B.app_tabs_paragraphs(), B.app_member_table_wingdings(), B.summary_numbered_headings(),
             B.stats_no_name_hint(), B.rec_word_tick_columns(), B.review_scores_with_unit(), B.report_by_group_name(),
             B.evidence_signin_xlsx()]
    raw = build_message([(c.filename, c.data) for c in cases], name_encoding="rfc2047")
    docs = _by_name(check_message(raw, campaign))
    for c in cases:
        d = docs[c.filename]
        assert d["form"] == c.form, c.name
        for k, v in c.fields.items():
            assert d["fields"].get(k) == v, (c.name, k)


def test_zip_with_gbk_names_and_no_hints(campaign):
    cases = [B.app_inline_cells(), B.review_word_two_name_columns(), B.stats_qty_before_unit()]
    archive = make_zip([(c.filename, c.data) for c in cases])
    raw = build_message([("江苏省2020年QC材料.zip", archive)])
    out = check_message(raw, campaign).to_json()
    inner = {d["filename"].rsplit("/", 1)[-1]: d for d in out["documents"] if d["container"]}
    assert {c.filename: inner[c.filename]["form"] for c in cases} == {c.filename: c.form for c in cases}
    assert inner[B.app_inline_cells().filename]["fields"]["members"] == B.APP["members"]
