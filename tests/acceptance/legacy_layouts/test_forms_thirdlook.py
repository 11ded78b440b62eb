"""Third look, form by form: read → classify → extract on layouts the first two red teams left out."""

from __future__ import annotations

import pytest

from parsers import forms, readers
from tests.acceptance.legacy_layouts import build as B
from tests.acceptance.legacy_layouts.conftest import GROUPS_LONG, REC_SHORT

APP = B.App()
APP_FIELDS = {k: getattr(APP, k) for k in forms.application.KEYS}


def run(data: bytes, filename: str) -> tuple[str, dict, object]:
    fmt = filename.rsplit(".", 1)[-1].lower()
    doc = readers.read(data, fmt, filename)
    form = forms.classify(doc, filename, fmt)
    return form, forms.extract(form, doc, fmt) if form != "unknown" else {}, doc


def diff(got: dict, want: dict) -> dict:
    return {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}


# ---- 申报表 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("ext", ["doc", "wps"])
def test_application_notice_layout_legacy_word(files, ext):
    """The notice's 10-column merged table with 附件 1 / title / 推荐省市、行业 line above, as .doc and .wps."""
    form, fields, doc = run(files["app_notice"], f"附件1 全国优秀质量管理小组申报表.{ext}")
    assert doc.tables, "the table must survive the legacy round trip"
    assert form == "application"
    assert diff(fields, APP_FIELDS) == {}


def test_application_odd_labels_and_cells(files):
    """企业名称: / ＱＣ小组名称 / 课题名称（题目）, 推荐单位（盖章）：…, two mobiles, 无 for 邮编, names by spaces."""
    form, fields, _ = run(files["app_unit_seal_line"], "精益求精QC小组申报表.doc")
    assert form == "application"
    want = APP_FIELDS | {"postcode": "无"}  # an answer, kept as written: the rules quote it
    assert diff(fields, want) == {}


def test_application_line_breaks_slash_and_one_name_per_line(files):
    """A company name broken over two lines of its cell is one name; '/' for 邮编 is an empty cell."""
    form, fields, _ = run(files["app_short_name"], "申报表（精益求精）.wps")
    assert form == "application"
    want = APP_FIELDS | {"recommender": "江苏省质协", "postcode": None}
    assert diff(fields, want) == {}


def test_application_blank_recommender_line_is_null(files):
    _, fields, _ = run(files["app_blank_line"], "申报表.doc")
    assert fields["recommender"] is None
    assert fields["company"] == APP.company


def test_application_recommender_in_a_table_cell(files):
    _, fields, _ = run(files["app_in_cell"], "申报表.doc")
    assert diff(fields, APP_FIELDS) == {}


@pytest.mark.parametrize("name,sealed", [("app_pdf_seal", True), ("app_pdf_plain", False)])
def test_application_text_pdf_seal(files, name, sealed):
    form, fields, doc = run(files[name], "精益求精QC小组申报表（盖章）.pdf")
    assert form == "application"
    assert fields["seal_detected"] is sealed
    assert diff(fields, APP_FIELDS) == {}


def test_application_pdf_without_unicode_map(files):
    """Chinese as (cid:NNN): the text is not trusted, fields are all None, classified by name."""
    form, fields, doc = run(files["app_pdf_cid"], "附件1 申报表 盖章版.pdf")
    assert any(p.rule == "document.cid_text" for p in doc.problems)
    assert not doc.text_trusted
    assert form == "application"
    assert fields["company"] is None and fields["seal_detected"] is True


# ---- 统计表 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,filename", [("stats_word_doc", "附件3 统计表.doc"),
                                           ("stats_word_doc", "附件3.wps"),
                                           ("stats_docx", "2020年QC小组活动统计表.docx"),
                                           ("stats_et", "附件3 统计表.et"),
                                           ("stats_et", "统计表.xls")])
def test_statistics_typed_in_word_and_wps(files, name, filename):
    form, fields, _ = run(files[name], filename)
    assert form == "statistics"
    assert diff(fields, B.STAT_EXPECTED) == {}


# ---- 推荐表 / 评审汇总表 ---------------------------------------------------------------------------

def _groups(groups):
    return [{"seq": str(i), "company": c, "group_name": n, "topic_type": k} for i, (c, n, k) in enumerate(groups, 1)]


JUDGES = [{"seq": str(i), "name": n, "employer": e, "certificate_no": c, "mobile": m}
          for i, (n, e, c, m) in enumerate(B.JUDGES, 1)]


@pytest.mark.parametrize("filename", ["附件4 推荐表.xls", "附件4 推荐表.et"])
def test_recommendation_two_header_rows(files, filename):
    form, fields, _ = run(files["rec_xls"], filename)
    assert form == "recommendation"
    assert fields["groups"] == _groups(REC_SHORT.groups)
    assert fields["judges"] == JUDGES
    assert (fields["recommender"], fields["filled_by"], fields["phone"], fields["date"]) == \
        ("江苏省质量协会", "陈静", "025-86661234", "2020-09-11")


@pytest.mark.parametrize("filename", ["附件5 评审汇总表.xls", "附件5 评审汇总表.et"])
def test_review_two_header_rows(files, filename):
    form, fields, _ = run(files["review_xls"], filename)
    assert form == "review"
    want = [{"seq": str(i), "name": f"{c}/{n}", "evaluation": B.REVIEW_EVAL, "score": B.review_score(i)}
            for i, (c, n, _k) in enumerate(REC_SHORT.groups, 1)]
    assert fields["entries"] == want
    assert (fields["recommender"], fields["filled_by"], fields["phone"], fields["date"]) == \
        ("江苏省质量协会", "陈静", "025-86661234", "2020-09-11")


@pytest.mark.parametrize("name,filename", [("rec_docx_long", "推荐表.docx"), ("rec_pdf_long", "推荐表.pdf")])
def test_recommendation_table_over_two_pages(files, name, filename):
    form, fields, doc = run(files[name], filename)
    assert form == "recommendation"
    if filename.endswith(".pdf"):
        assert doc.meta["pages"] >= 2
    assert fields["groups"] == _groups(GROUPS_LONG)
    assert fields["judges"] == JUDGES
    assert fields["date"] == "2020-09-11"


@pytest.mark.parametrize("name,filename", [("review_docx_long", "评审汇总表.docx"),
                                           ("review_pdf_long", "评审汇总表.pdf")])
def test_review_table_over_two_pages(files, name, filename):
    form, fields, doc = run(files[name], filename)
    assert form == "review"
    if filename.endswith(".pdf"):
        assert doc.meta["pages"] >= 2
    want = [{"seq": str(i), "name": f"{c}/{n}", "evaluation": B.REVIEW_EVAL, "score": B.review_score(i)}
            for i, (c, n, _k) in enumerate(GROUPS_LONG, 1)]
    assert fields["entries"] == want


# ---- 工作总结 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,filename", [("summary_hf_pdf", "附件2 工作总结.pdf"),
                                           ("summary_hf_docx", "附件2 工作总结.docx"),
                                           ("summary_space_docx", "2020年工作总结.docx")])
def test_summary_headings_with_space_and_page_furniture(files, name, filename):
    """Headers (the unit's name) and ``- N -`` footers on every page are not body text."""
    form, fields, _ = run(files[name], filename)
    assert form == "summary"
    assert fields["recommender"] == "江苏省质量协会"
    assert fields["sections"] == [h.replace("、 ", "、") for h in B.SUMMARY_HEADINGS]  # gap after 、 is layout
    low, high = B.summary_chars_expected()
    assert low <= fields["char_count"] <= high


def test_summary_single_paragraph(files):
    form, fields, _ = run(files["summary_one_para"], "工作总结.docx")
    assert form == "summary"
    assert fields["sections"] == []
    low, _ = B.summary_chars_expected()
    assert low <= fields["char_count"] <= low + 10


# ---- 成果报告 / 证实性材料 -------------------------------------------------------------------------

@pytest.mark.parametrize("name,filename", [("report_docx", "成果报告.docx"), ("report_pdf", "精益求精QC小组成果报告.pdf")])
def test_report_cover_table(files, name, filename):
    form, fields, _ = run(files[name], filename)
    assert form == "report"
    assert (fields["company"], fields["group_name"], fields["topic"]) == (APP.company, APP.group_name, APP.topic)


@pytest.mark.parametrize("filename,data", [("活动照片1.jpg", B.photo(1)), ("小组活动现场照片2.png", B.photo(2, "PNG")),
                                           ("QC小组活动记录（扫描件）.pdf", B.scanned_pdf())])
def test_evidence_images_and_scans(filename, data):
    fmt = "image" if filename.endswith((".jpg", ".png")) else "pdf"
    doc = readers.read(data, fmt, filename)
    assert forms.classify(doc, filename, fmt) == "evidence"


@pytest.mark.parametrize("top,signature,recommender", [
    (None, "填表人：陈静 电话：025-86661234 推荐质协章：江苏省质量协会 2020年9月11日", "江苏省质量协会"),
    (None, "填表人：陈静   电话：025-86661234   推荐质协章（江苏省质量协会）  2020年9月11日", "江苏省质量协会"),
    ("推荐省市、行业：江苏省质协", "填表人：陈静 电话：025-86661234 推荐质协章 2020年9月11日", "江苏省质协"),
    ("推荐单位（盖章）：江苏省质量协会", "填表人：陈静 电话：025-86661234 推荐质协章 2020年9月11日", "江苏省质量协会"),
    (None, "填表人：陈静 电话：025-86661234 推荐质协章 2020年9月11日", None),
])
def test_recommendation_recommender_written_anywhere(top, signature, recommender):
    form, fields, _ = run(B.recommendation_signed_docx(top, signature), "推荐表.docx")
    assert form == "recommendation"
    assert (fields["recommender"], fields["filled_by"], fields["phone"], fields["date"]) == \
        (recommender, "陈静", "025-86661234", "2020-09-11")
