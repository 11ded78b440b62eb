"""pair_documents() and recommender_of() over one message's documents."""

from __future__ import annotations

from parsers.forms import pair_documents, recommender_of
from parsers.model import Problem
from parsers.result import DocumentResult


def app(filename, fmt, company=None, group=None, form="application"):
    fields = {"company": company, "group_name": group} if form == "application" else {}
    return DocumentResult(filename=filename, container=None, format=fmt, form=form, fields=fields)


def test_scanned_pdf_gets_names_from_its_word_twin_by_file_name():
    w1 = app("申报表-攻坚QC小组.docx", "docx", "甲公司", "攻坚QC小组")
    w2 = app("申报表-飞跃QC小组.docx", "docx", "乙公司", "飞跃QC小组")
    p2 = app("申报表-飞跃QC小组（盖章）.pdf", "pdf")
    p1 = app("申报表-攻坚QC小组.pdf", "pdf")
    pair_documents([w1, w2, p2, p1])
    assert p1.fields == {"company": "甲公司", "group_name": "攻坚QC小组", "copy": "pdf",
                         "paired_with": "申报表-攻坚QC小组.docx"}
    assert p2.fields["paired_with"] == "申报表-飞跃QC小组.docx" and p2.fields["company"] == "乙公司"
    assert w1.fields["copy"] == "word" and w1.fields["paired_with"] == "申报表-攻坚QC小组.pdf"


def test_group_name_inside_pdf_name_pairs():
    w = app("附件1.docx", "docx", "甲公司", "攻坚QC小组")
    other = app("附件1 乙.docx", "docx", "乙公司", "乙小组")
    p = app("攻坚QC小组盖章扫描件.pdf", "pdf")
    pair_documents([w, other, p])
    assert p.fields["paired_with"] == "附件1.docx"


def test_exactly_one_of_each_pairs_without_similar_names():
    w = app("全国优秀质量管理小组申报表.docx", "docx", "甲公司", "攻坚QC小组")
    p = app("scan001.pdf", "pdf")
    pair_documents([w, p])
    assert p.fields["group_name"] == "攻坚QC小组" and p.fields["paired_with"] == w.filename


def test_no_guessing_when_ambiguous():
    w1 = app("a.docx", "docx", "甲公司", "甲小组")
    w2 = app("b.docx", "docx", "乙公司", "乙小组")
    p = app("scan001.pdf", "pdf")
    pair_documents([w1, w2, p])
    assert "paired_with" not in p.fields and p.fields["company"] is None
    assert p.fields["copy"] == "pdf"


def test_unknown_scan_named_application_becomes_one():
    u = DocumentResult(filename="申报表.jpg", container="材料.zip", format="image")
    other = DocumentResult(filename="说明.pdf", container=None, format="pdf")
    pair_documents([u, other])
    assert u.form == "application" and u.fields["copy"] == "pdf" and u.fields["members"] is None
    assert other.form == "unknown" and other.fields == {}


def test_recommender_majority_then_form_priority():
    docs = [
        DocumentResult("a", None, "docx", "application", {"recommender": "江苏省质协"}),
        DocumentResult("b", None, "xlsx", "statistics", {"recommender": "江苏省质量协会"}),
        DocumentResult("c", None, "docx", "summary", {"recommender": " 江苏省 质量协会 "}),
        DocumentResult("d", None, "xlsx", "recommendation", {"recommender": None}),
    ]
    assert recommender_of(docs) == "江苏省质量协会"
    tie = [DocumentResult("a", None, "docx", "summary", {"recommender": "甲"}),
           DocumentResult("b", None, "xlsx", "recommendation", {"recommender": "乙"})]
    assert recommender_of(tie) == "乙"
    assert recommender_of([DocumentResult("x", None, "pdf")]) is None


def scan(filename):
    return DocumentResult(filename=filename, container=None, format="pdf", text_trusted=False,
                          problems=[Problem("document.scanned", "pdf: 1 of 1 pages are images")])


def test_unnamed_scan_adopted_as_the_missing_pdf_copy():
    w1 = app("攻坚QC小组申报表.docx", "docx", "甲公司", "攻坚QC小组")
    p1 = app("攻坚QC小组申报表.pdf", "pdf", "甲公司", "攻坚QC小组")
    w2 = app("飞跃QC小组申报表.docx", "docx", "乙公司", "飞跃QC小组")
    s = scan("扫描件002.pdf")
    pair_documents([w1, p1, w2, s])
    assert s.form == "application"
    assert s.fields["copy"] == "pdf" and s.fields["paired_with"] == "飞跃QC小组申报表.docx"
    assert s.fields["group_name"] == "飞跃QC小组"
    assert p1.fields["paired_with"] == w1.filename


def test_scans_not_adopted_when_no_copy_is_missing():
    w1 = app("攻坚QC小组申报表.docx", "docx", "甲公司", "攻坚QC小组")
    p1 = app("攻坚QC小组申报表.pdf", "pdf", "甲公司", "攻坚QC小组")
    s = scan("扫描件.pdf")
    pair_documents([w1, p1, s])
    assert s.form == "unknown" and s.fields == {}
