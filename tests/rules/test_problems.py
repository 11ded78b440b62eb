"""Document and message problems become findings with the problem's id; scans need no field rules."""

from __future__ import annotations

from parsers.model import Problem
from parsers.result import DocumentResult
from rules import evaluate
from tests.rules import builders as B


def test_scanned_application_pdf_says_nothing(campaign):
    docs = [d for d in B.submission() if not (d.form == "application" and d.format == "pdf" and "攀登" in d.filename)]
    docs.append(B.scanned_application_pdf(0))
    assert evaluate(campaign, docs, None, []) == []


def test_cid_application_pdf_says_nothing(campaign):
    pdf = B.scanned_application_pdf(0)
    pdf.problems = [Problem("document.cid_text")]
    docs = [d for d in B.submission() if not (d.form == "application" and d.format == "pdf" and "攀登" in d.filename)]
    assert evaluate(campaign, [*docs, pdf], None, []) == []


def test_scanned_statistics_is_one_manual_review_warning(campaign):
    st = DocumentResult("附件3 统计表.pdf", None, "pdf", "statistics", dict.fromkeys(B.statistics().fields),
                        [Problem("document.scanned")], text_trusted=False)
    docs = [st if d.form == "statistics" else d for d in B.submission()]
    findings = evaluate(campaign, docs, None, [])
    assert [(f.rule, f.severity, f.form, f.document) for f in findings] == [
        ("document.scanned", "warning", "statistics", "附件3 统计表.pdf")]
    assert "人工核对" in findings[0].message


def test_untrusted_without_problem_is_manual_review_not_field_errors(campaign):
    app = B.application(0, company=None, mobile=None, members=[])
    app.text_trusted = False
    findings = evaluate(campaign, B.replace(B.submission(), app), None, [])
    assert [(f.rule, f.severity) for f in findings] == [("document.manual_review", "warning")]


def test_trusted_document_with_no_fields_is_one_warning(campaign):
    app = B.application(0)
    app.fields = dict.fromkeys(app.fields) | {"copy": "word", "members": []}
    findings = evaluate(campaign, B.replace(B.submission(), app), None, [])
    assert [(f.rule, f.severity, f.document) for f in findings] == [("document.no_fields", "warning", app.filename)]


def test_unreadable_required_form_is_an_error_evidence_a_warning(campaign):
    st = DocumentResult("附件3 统计表.xlsx", None, "xlsx", "statistics", {}, [Problem("document.unreadable", "bad zip")])
    ev = DocumentResult("活动记录.pdf", None, "pdf", "evidence", {}, [Problem("document.encrypted")])
    docs = [st if d.form == "statistics" else ev if d.form == "evidence" else d for d in B.submission()]
    findings = evaluate(campaign, docs, None, [])
    got = {(f.rule, f.severity, f.form, f.document) for f in findings}
    assert got == {("document.unreadable", "error", "statistics", "附件3 统计表.xlsx"),
                   ("document.encrypted", "warning", "evidence", "活动记录.pdf")}


def test_archive_problem_and_unknown_problem_and_message_problem(campaign):
    z = DocumentResult("材料.zip", None, "zip", "unknown", {}, [Problem("archive.encrypted")])
    odd = DocumentResult("x.docx", "材料.zip", "docx", "unknown", {}, [Problem("document.frobnicated", "??")])
    findings = evaluate(campaign, [*B.submission(), z, odd], None, [Problem("message.malformed", "no boundary")])
    got = [(f.rule, f.severity, f.form, f.document) for f in findings]
    assert got[0] == ("message.malformed", "warning", None, None)
    assert ("archive.encrypted", "error", None, "材料.zip") in got
    odd_f = next(f for f in findings if f.rule == "document.frobnicated")
    assert odd_f.severity == "warning" and "x.docx" in odd_f.message  # generic text


def test_unrecognised_office_file_is_a_warning_images_are_not(campaign):
    docs = [*B.submission(), DocumentResult("说明.docx", None, "docx", "unknown"),
            DocumentResult("logo.png", None, "image", "unknown")]
    findings = evaluate(campaign, docs, None, [])
    assert [(f.rule, f.severity, f.document) for f in findings] == [("document.unrecognised", "warning", "说明.docx")]


def test_message_texts(campaign):
    assert "a.docx" in campaign.message("document.unreadable", filename="a.docx")
    assert campaign.message("no.such.id", filename="a.docx")  # falls back to the generic text
    assert "1381234567" in campaign.message("application.mobile.format", value="1381234567", filename="a")


def test_broken_duplicate_of_a_readable_form_is_only_a_warning(campaign):
    broken = DocumentResult("推荐表(加密).pdf", None, "pdf", "recommendation", {}, [Problem("document.encrypted")])
    findings = evaluate(campaign, [*B.submission(), broken], None, [])
    assert [(f.rule, f.severity) for f in findings] == [("document.encrypted", "warning")]
    alone = [d for d in B.submission() if d.form != "recommendation"] + [broken]
    assert ("document.encrypted", "error") in [(f.rule, f.severity) for f in evaluate(campaign, alone, None, [])]


def test_unclassified_scan_makes_missing_pdf_copy_a_warning(campaign):
    docs = [d for d in B.submission() if not (d.form == "application" and d.format == "pdf" and "追梦" in d.filename)]
    scan = DocumentResult("扫描件002.pdf", None, "pdf", "unknown", {}, [Problem("document.scanned")],
                          text_trusted=False)
    findings = evaluate(campaign, [*docs, scan], None, [])
    assert all(f.severity == "warning" for f in findings), findings
    unconfirmed = [f for f in findings if f.rule == "application.pdf.unconfirmed"]
    assert len(unconfirmed) == 1 and "扫描件002.pdf" in unconfirmed[0].message and "追梦" in unconfirmed[0].message
