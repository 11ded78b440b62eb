"""Every third-look file, built once per session; LibreOffice runs once per target format."""

from __future__ import annotations

import shutil

import pytest

from parsers.readers import office
from tests.acceptance.legacy_layouts import build as B
from tests.acceptance.legacy_layouts import pdfs

GROUPS_LONG = B.many_groups(42)  # enough rows for a Word table to run onto a second page
REC_LONG = B.Rec(GROUPS_LONG, B.JUDGES)
REC_SHORT = B.Rec(B.many_groups(3), B.JUDGES)
ONE_GROUP = [(B.App().company, B.App().group_name, B.App().topic_type)]

LABELS_ODD = {"company": "企业名称:", "group_name": "ＱＣ小组名称", "topic": "课题名称（题目）"}


def _sources() -> dict[str, tuple[bytes, str, str | None]]:
    """name → (source bytes, source extension, LibreOffice target or None)."""
    a = B.App()
    doc = "doc:MS Word 97"
    xls = "xls:MS Excel 97"
    return {
        "app_notice": (B.application_html(a), "html", doc),
        "app_unit_seal_line": (B.application_html(a, recommender_line="推荐单位（盖章）：江苏省质量协会",
                                                  labels=LABELS_ODD, members_layout="spaces",
                                                  mobile="13812345678/13987654321", postcode="无"), "html", doc),
        "app_short_name": (B.application_html(a, recommender_line="推荐省市、行业：江苏省质协", members_layout="lines",
                                              postcode="/", company_value="江苏恒信精密<br>机械有限公司",
                                              topic_value="降低齿轮箱壳体<br>加工不良率"), "html", doc),
        "app_blank_line": (B.application_html(a, recommender_line="推荐省市、行业_____"), "html", doc),
        "app_in_cell": (B.application_html(a, recommender_line="", recommender_cell=True), "html", doc),
        "stats_word_doc": (B.statistics_html(), "html", doc),
        "stats_docx": (B.statistics_docx(), "docx", None),
        "stats_et": (B.statistics_xlsx(), "xlsx", xls),
        "rec_xls": (B.recommendation_xlsx(REC_SHORT), "xlsx", xls),
        "review_xls": (B.review_xlsx(REC_SHORT.groups), "xlsx", xls),
        "sub_rec_et": (B.recommendation_xlsx(B.Rec(ONE_GROUP, B.JUDGES)), "xlsx", xls),
        "sub_review_xls": (B.review_xlsx(ONE_GROUP), "xlsx", xls),
        "app_no_recommender": (B.application_html(a, recommender_line=""), "html", doc),
        "rec_docx_long": (B.recommendation_docx(REC_LONG), "docx", None),
        "rec_pdf_long": (B.recommendation_docx(REC_LONG), "docx", "pdf"),
        "review_docx_long": (B.review_docx(GROUPS_LONG), "docx", None),
        "review_pdf_long": (B.review_docx(GROUPS_LONG), "docx", "pdf"),
        "summary_hf_pdf": (B.summary_docx(header_footer=True), "docx", "pdf"),
        "summary_hf_docx": (B.summary_docx(header_footer=True), "docx", None),
        "summary_space_docx": (B.summary_docx(), "docx", None),
        "summary_one_para": (B.summary_docx(single_paragraph=True), "docx", None),
        "report_docx": (B.report_docx(a), "docx", None),
        "report_pdf": (B.report_docx(a), "docx", "pdf"),
        "app_pdf_seal": (pdfs.application_pdf(a, seal=True), "pdf", None),
        "app_pdf_plain": (pdfs.application_pdf(a, seal=False), "pdf", None),
        "app_pdf_cid": (pdfs.without_unicode_map(pdfs.application_pdf(a, seal=True, embedded=True)), "pdf", None),
    }


@pytest.fixture(scope="session")
def files() -> dict[str, bytes]:
    """name → the bytes a sender would attach (converted where the sender's tool is Office/WPS)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    sources = _sources()
    out: dict[str, bytes] = {k: data for k, (data, _e, target) in sources.items() if target is None}
    by_target: dict[tuple[str, str | None], list[str]] = {}
    for k, (_d, ext, target) in sources.items():
        if target is not None:
            by_target.setdefault((target, "HTML (StarWriter)" if ext == "html" else None), []).append(k)
    for (target, infilter), names in by_target.items():
        converted = office.convert_many([(sources[n][0], sources[n][1]) for n in names], target, 240, infilter)
        for n, data in zip(names, converted, strict=True):
            assert data, f"LibreOffice made nothing for {n}"
            out[n] = data
    return out
