"""Missing forms: per submission, per recommended group (with the group named), recommended only."""

from __future__ import annotations

from rules import evaluate
from tests.rules import builders as B


def _without(pred) -> list:
    return [d for d in B.submission() if not pred(d)]


def _by_rule(findings):
    out: dict[str, list] = {}
    for f in findings:
        out.setdefault(f.rule, []).append(f)
    return out


def test_missing_submission_forms(campaign):
    for form, name in (("statistics", "统计表"), ("summary", "工作总结"), ("recommendation", "推荐表"),
                       ("review", "评审汇总表")):
        findings = evaluate(campaign, _without(lambda d, form=form: d.form == form), None, [])
        f = [f for f in findings if f.rule == f"{form}.missing"]
        assert len(f) == 1, findings
        assert (f[0].severity, f[0].form, f[0].document, f[0].field) == ("error", form, None, None)
        assert name in f[0].message


def test_missing_pdf_copy_names_the_group(campaign):
    docs = _without(lambda d: d.form == "application" and d.format == "pdf" and "追梦" in d.filename)
    findings = evaluate(campaign, docs, None, [])
    assert [f.rule for f in findings] == ["application.pdf.missing"]
    f = findings[0]
    assert (f.severity, f.form, f.document) == ("error", "application", None)
    assert "追梦QC小组" in f.message and "PDF" in f.message


def test_missing_word_copy_and_report(campaign):
    docs = _without(lambda d: (d.form == "application" and d.format == "docx" and "攀登" in d.filename)
                    or (d.form == "report" and "追梦" in d.filename))
    rules = _by_rule(evaluate(campaign, docs, None, []))
    assert set(rules) == {"application.word.missing", "report.missing"}
    assert "攀登" in rules["application.word.missing"][0].message
    assert "追梦" in rules["report.missing"][0].message


def test_groups_from_applications_when_no_recommendation(campaign):
    docs = _without(lambda d: d.form == "recommendation" or (d.form == "report" and "追梦" in d.filename))
    rules = _by_rule(evaluate(campaign, docs, None, []))
    assert set(rules) == {"recommendation.missing", "report.missing"}
    assert "追梦" in rules["report.missing"][0].message


def test_scanned_pdf_without_group_name_counts_as_present(campaign):
    """A scanned, unpaired PDF copy carries no group name; it still fills the group without a PDF."""
    docs = [d for d in B.submission() if not (d.form == "application" and d.format == "pdf")]
    docs += [B.scanned_application_pdf(0), B.scanned_application_pdf(1)]
    for d in docs:
        if d.format == "pdf" and d.form == "application":
            d.filename = d.filename.replace("攀登", "扫描1").replace("追梦", "扫描2")
    assert evaluate(campaign, docs, None, []) == []


def test_evidence_missing_is_one_warning(campaign):
    findings = evaluate(campaign, _without(lambda d: d.form == "evidence"), None, [])
    assert [(f.rule, f.severity, f.form, f.document) for f in findings] == [
        ("evidence.missing", "warning", "evidence", None)]


def test_empty_message_lists_every_required_form(campaign):
    rules = _by_rule(evaluate(campaign, [], None, []))
    assert set(rules) == {"recommendation.missing", "statistics.missing", "summary.missing", "review.missing",
                          "application.word.missing", "application.pdf.missing", "report.missing",
                          "evidence.missing"}
    assert all(f.severity == "error" for r, fs in rules.items() for f in fs if r != "evidence.missing")
