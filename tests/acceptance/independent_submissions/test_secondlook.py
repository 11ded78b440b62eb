"""Second-look regression: whole submissions built independently, through the real pipeline.

For each scenario: every document gets the expected form, the key field values are exact, the
status is right, the planted finding is reported with its form/field/severity, and no other
error is reported.
"""

from __future__ import annotations

import pytest

from tests.acceptance.independent_submissions import scenarios

pytestmark = pytest.mark.libreoffice

NAMES = [sc.name for sc in scenarios.SCENARIOS]


def _doc(result: dict, filename: str) -> dict:
    hits = [d for d in result["documents"] if d["filename"].endswith(filename)]
    assert len(hits) == 1, f"{filename}: {[d['filename'] for d in result['documents']]}"
    return hits[0]


def _match_list(got: list, want: list, what: str) -> None:
    assert len(got) == len(want), f"{what}: {got}"
    for g, w in zip(got, want, strict=True):
        for k, v in w.items():
            assert g.get(k) == v, f"{what}.{k}: {g.get(k)!r} != {v!r}"


@pytest.mark.parametrize("name", NAMES)
def test_forms_and_fields(secondlook_results: dict, name: str) -> None:
    sc, sub, files, result = secondlook_results[name]
    for f in files:
        d = _doc(result, f.name)
        assert d["form"] == f.expect_form, f"{f.name}: {d['form']}"
        for key, want in f.expect_fields.items():
            got = d["fields"].get(key)
            if isinstance(want, list) and want and isinstance(want[0], dict):
                _match_list(got, want, f"{f.name}:{key}")
            elif isinstance(want, float):
                assert got == pytest.approx(want), f"{f.name}:{key}: {got!r}"
            else:
                assert got == want, f"{f.name}:{key}: {got!r} != {want!r}"


@pytest.mark.parametrize("name", NAMES)
def test_status_and_findings(secondlook_results: dict, name: str) -> None:
    sc, sub, files, result = secondlook_results[name]
    findings = result["findings"]
    got = {(f["rule"], f["form"], f["field"], f["severity"]) for f in findings}
    for want in sc.findings:
        assert want in got, f"missing {want}; got {sorted(got, key=str)}"
    expected_rules = {w[0] for w in sc.findings}
    stray = [f for f in findings if f["severity"] == "error" and f["rule"] not in expected_rules]
    assert not stray, f"unexpected errors: {[(f['rule'], f['message']) for f in stray]}"
    assert result["status"] == sc.status


def test_summary_counts_body(secondlook_results: dict) -> None:
    """char_count is the body text: within a few percent of what was typed, sections as headed."""
    for name in ("complete_zip", "complete_loose_legacy", "summary_short", "summary_missing_section"):
        sc, sub, files, result = secondlook_results[name]
        d = next(d for d in result["documents"] if d["form"] == "summary")
        typed = sum(len(p) for p in __import__("tests.acceptance.independent_submissions.build", fromlist=["x"]).summary_paragraphs(sub))
        assert abs(d["fields"]["char_count"] - typed) <= typed * 0.05, (name, d["fields"]["char_count"], typed)
        assert d["fields"]["sections"] == sub.summary_sections, name


def test_sealed_scans_are_paired(secondlook_results: dict) -> None:
    """The stamped scan carries no text; it is paired with its Word twin and its seal is seen."""
    sc, sub, files, result = secondlook_results["complete_zip"]
    for g in sub.groups:
        short = g.group_name.replace("QC小组", "")
        d = _doc(result, f"附件1 申报表-{short}（盖章）.pdf")
        assert d["fields"].get("group_name") == g.group_name
        assert d["fields"].get("seal_detected") is True
