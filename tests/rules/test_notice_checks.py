"""Checks the notice implies (issue 9): Word and PDF copies of one 申报表 agree, a group is listed once
in the 推荐表, 企业名称 names an enterprise (no department, no parent strung before it), review scores
and judges' certificate numbers. Each fires on the bad case and stays silent on the good one."""

from __future__ import annotations

import dataclasses

import pytest

from rules import evaluate
from rules.ocr import NOTE
from tests.rules import builders as B

A, R, RV = B.application, B.recommendation, B.review


def _twins(pdf_over: dict, word_over: dict | None = None, *, ocr: bool = False) -> list:
    """The good submission with group 1's Word and PDF copies paired as the pipeline pairs them."""
    docs = B.submission()
    word = A(0, **(word_over or {}))
    pdf = A(0, "pdf", **pdf_over)
    word.fields["paired_with"], pdf.fields["paired_with"] = pdf.filename, word.filename
    if ocr:
        pdf = dataclasses.replace(pdf, read_by="ocr", confidence=0.93)
    return B.replace(B.replace(docs, word), pdf)


def _company(company: str) -> list:
    """The good submission with group 1's company written as ``company`` on both 申报表 copies."""
    return B.replace(B.replace(B.submission(), A(0, company=company)), A(0, "pdf", company=company))


def _rules(findings, rule_id):
    return [f for f in findings if f.rule == rule_id]


# ---- Word ↔ PDF copies of one 申报表 ------------------------------------------------------------------
@pytest.mark.parametrize(("field", "bad", "label"), [
    ("company", "中国石化扬子石化有限公司", "企业名称"),
    ("group_name", "“登峰”QC小组", "QC小组名称"),
    ("topic", "提高装置运行效率", "课题名称"),
])
def test_copies_that_disagree_are_an_error(campaign, field, bad, label):
    findings = evaluate(campaign, _twins({field: bad}), None, [])
    hits = _rules(findings, "cross.application.copies_mismatch")
    assert len(hits) == 1, findings
    f = hits[0]
    word = A(0)
    assert (f.severity, f.form, f.document, f.field) == ("error", "application", word.filename, field)
    assert label in f.message and bad in f.message and str(word.fields[field]) in f.message
    assert word.filename in f.message and A(0, "pdf").filename in f.message


def test_copies_agree_ignoring_space_width_and_punctuation(campaign):
    docs = _twins({"company": "中国石化 扬子石油化工有限公司", "group_name": "攀登ＱＣ小组", "topic": "降低装置能耗。"})
    assert _rules(evaluate(campaign, docs, None, []), "cross.application.copies_mismatch") == []


def test_unpaired_copies_are_matched_by_their_one_group_name(campaign):
    """Without pairing's mark, the only Word and PDF copy of one group name are twins."""
    docs = B.replace(B.submission(), A(0, "pdf", topic="提高装置运行效率"))
    hits = _rules(evaluate(campaign, docs, None, []), "cross.application.copies_mismatch")
    assert [f.field for f in hits] == ["topic"]


def test_parts_of_one_file_are_told_apart_by_group(campaign):
    """Two 申报表 in one .docx and both PDF copies in one .pdf: the parts share their file names."""
    docs = [d for d in B.submission() if d.form != "application"]
    words = [A(0), A(1)]
    pdfs = [A(0, "pdf"), A(1, "pdf", topic="研制焊接工序专用工具")]
    for w, p in zip(words, pdfs, strict=True):
        w.filename, p.filename = "申报表（两个小组）.docx", "申报表（两个小组）盖章.pdf"
        w.fields["paired_with"], p.fields["paired_with"] = p.filename, w.filename
    hits = _rules(evaluate(campaign, docs + words + pdfs, None, []), "cross.application.copies_mismatch")
    assert [(f.field, B.GROUPS[1][1] in f.message) for f in hits] == [("topic", True)]


def test_scanned_pdf_copy_takes_no_part(campaign):
    docs = B.replace(B.submission(), B.scanned_application_pdf(0))
    assert _rules(evaluate(campaign, docs, None, []), "cross.application.copies_mismatch") == []


def test_ocr_misread_character_is_silent(campaign):
    """One character wrong in an OCR'd copy is how OCR reads, not a disagreement."""
    docs = _twins({"company": "中国石化扬子石油化王有限公司", "topic": "降低装置能耗"}, ocr=True)
    assert _rules(evaluate(campaign, docs, None, []), "cross.application.copies_mismatch") == []


def test_ocr_clear_disagreement_is_a_manual_check_warning(campaign):
    docs = _twins({"topic": "研制输油管线阀门在线监测装置"}, ocr=True)
    findings = evaluate(campaign, docs, None, [])
    hits = _rules(findings, "cross.application.copies_mismatch")
    assert len(hits) == 1 and hits[0].severity == "warning" and hits[0].message.endswith(NOTE)
    assert not any(f.severity == "error" for f in findings)


# ---- one group twice in the 推荐表 ---------------------------------------------------------------------
def _rec(rows):
    return R(groups=[{"seq": str(i + 1), "company": c, "group_name": g, "topic_type": "创新型"}
                     for i, (c, g) in enumerate(rows)])


def test_group_listed_twice_is_an_error(campaign):
    rec = _rec([B.GROUPS[0][:2], B.GROUPS[1][:2], ("中国石化 扬子石油化工有限公司", "攀登QC小组")])
    findings = evaluate(campaign, B.replace(B.submission(), rec), None, [])
    hits = _rules(findings, "recommendation.groups.duplicate")
    assert [f.rule for f in findings] == ["recommendation.groups.duplicate"]  # no "missing" for the second row
    f = hits[0]
    assert (f.severity, f.form, f.document, f.field) == ("error", "recommendation", rec.filename, "groups")
    assert "第1行、第3行" in f.message and "攀登" in f.message


def test_same_group_name_in_two_companies_is_not_a_duplicate(campaign):
    rec = _rec([B.GROUPS[0][:2], B.GROUPS[1][:2], ("南京钢铁股份有限公司", "攀登QC小组")])
    assert _rules(evaluate(campaign, B.replace(B.submission(), rec), None, []), "recommendation.groups.duplicate") == []


def test_two_duplicate_sets_in_one_finding(campaign):
    rec = _rec([B.GROUPS[0][:2], B.GROUPS[1][:2], B.GROUPS[0][:2], B.GROUPS[1][:2]])
    hits = _rules(evaluate(campaign, B.replace(B.submission(), rec), None, []), "recommendation.groups.duplicate")
    assert len(hits) == 1 and "第1行、第3行" in hits[0].message and "第2行、第4行" in hits[0].message


# ---- 企业名称 names the enterprise --------------------------------------------------------------------
DEPARTMENTS = ["中国石化扬子石油化工有限公司炼油一车间", "中国石化扬子石油化工有限公司（质检科）",
               "中国石化扬子石油化工有限公司运行三班组", "中国石化扬子石油化工有限公司质量管理部",
               "中铁四局集团有限公司南京地铁项目部", "中国石化扬子石油化工有限公司“攀登”QC小组",
               "中国石化扬子石油化工有限公司研发中心实验室"]
ENTERPRISES = ["中国石化扬子石油化工有限公司", "江苏苏美达集团有限公司", "南京恒通科技有限公司", "中国科学院",
               "国网江苏省电力有限公司南京供电公司", "中国石油化工股份有限公司北京燕山分公司",
               "中国石油天然气股份有限公司长庆油田分公司第三采油厂", "中国铁路上海局集团有限公司南京机务段",
               "中国电子科技集团公司第十四研究所", "中国石油集团渤海钻探工程有限公司", "中国移动通信集团江苏有限公司",
               "南京市体育俱乐部", "中国石化江苏石油分公司（本部）"]
PARENTS = [("中国石油天然气集团有限公司大庆油田有限责任公司", "中国石油天然气集团有限公司"),
           ("国家电网有限公司 国网浙江省电力有限公司", "国家电网有限公司"),
           ("上海宝钢集团公司宝山钢铁股份有限公司", "上海宝钢集团公司")]


@pytest.mark.parametrize("company", DEPARTMENTS)
def test_department_as_company_is_an_error(campaign, company):
    docs = _company(company)
    hits = _rules(evaluate(campaign, docs, None, []), "application.company.department")
    assert len(hits) == 1 and hits[0].severity == "error" and hits[0].field == "company"
    assert company[:20] in hits[0].message


@pytest.mark.parametrize("company", ENTERPRISES)
def test_enterprise_names_are_silent(campaign, company):
    docs = _company(company)
    rec = _rec([(company, B.GROUPS[0][1]), B.GROUPS[1][:2]])
    findings = evaluate(campaign, B.replace(docs, rec), None, [])
    assert [f for f in findings if ".company." in f.rule] == []


@pytest.mark.parametrize(("company", "parent"), PARENTS)
def test_parent_before_company_is_a_warning(campaign, company, parent):
    docs = _company(company)
    rec = _rec([(company, B.GROUPS[0][1]), B.GROUPS[1][:2]])
    findings = evaluate(campaign, B.replace(docs, rec), None, [])
    for rule_id, form in (("application.company.parent", "application"),
                          ("recommendation.groups.company.parent", "recommendation")):
        hits = _rules(findings, rule_id)
        assert len(hits) == 1 and (hits[0].severity, hits[0].form) == ("warning", form)
        assert parent in hits[0].message
    assert not any(f.severity == "error" for f in findings)


def test_recommendation_department_names_the_row(campaign):
    rec = _rec([B.GROUPS[0][:2], ("江苏苏美达集团有限公司装配车间", B.GROUPS[1][1])])
    hits = _rules(evaluate(campaign, B.replace(B.submission(), rec), None, []),
                  "recommendation.groups.company.department")
    assert len(hits) == 1 and "第2行" in hits[0].message and "车间" in hits[0].message


def test_company_checks_on_ocr_are_warnings(campaign):
    app = dataclasses.replace(A(0, company="中国石化扬子石油化工有限公司炼油一车间"), read_by="ocr")
    hits = _rules(evaluate(campaign, B.replace(B.submission(), app), None, []), "application.company.department")
    assert len(hits) == 1 and hits[0].severity == "warning" and hits[0].message.endswith(NOTE)


# ---- 评审汇总表 scores, judges' certificates (rules already in the file; errors) -------------------------
def _entries(**over):
    rows = [{"seq": str(i + 1), "name": f"{c}/{g}", "evaluation": "选题理由充分。", "score": 88}
            for i, (c, g, _) in enumerate(B.GROUPS)]
    rows[1].update(over)
    return RV(entries=rows)


@pytest.mark.parametrize(("doc", "rule_id"), [
    (_entries(score=None), "review.entries.score.required"),
    (_entries(score=-1), "review.entries.score.range"),
    (_entries(score=100.5), "review.entries.score.range"),
    (R(judges=[{"seq": "1", "name": "孙立", "employer": "江苏省质量协会", "certificate_no": "",
                "mobile": "13700001111"}]), "recommendation.judges.certificate_no.required"),
])
def test_score_and_certificate_are_errors(campaign, doc, rule_id):
    hits = _rules(evaluate(campaign, B.replace(B.submission(), doc), None, []), rule_id)
    assert len(hits) == 1 and hits[0].severity == "error"
    assert "第2行" in hits[0].message or "第1行" in hits[0].message


@pytest.mark.parametrize("score", [0, 100, 59.5, "95分"])
def test_scores_in_range_are_silent(campaign, score):
    findings = evaluate(campaign, B.replace(B.submission(), _entries(score=score)), None, [])
    assert [f for f in findings if f.rule.startswith("review.entries.score")] == []


@pytest.mark.parametrize(("number", "fires"), [("无", True), ("暂无", True), ("申请中", True), ("N/A", True),
                                             ("QC2019-0123", False), ("苏QC评字第0123号", False), ("无锡2019-01", False)])
def test_certificate_written_as_none_is_an_error(campaign, number, fires):
    rec = R(judges=[{"seq": "1", "name": "孙立", "employer": "江苏省质量协会", "certificate_no": number,
                     "mobile": "13700001111"}])
    hits = _rules(evaluate(campaign, B.replace(B.submission(), rec), None, []), "recommendation.judges.certificate_no.none")
    assert [(f.severity, "孙立" in f.message) for f in hits] == ([("error", True)] if fires else [])
