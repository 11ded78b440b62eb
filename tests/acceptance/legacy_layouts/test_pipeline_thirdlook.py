"""Third look, whole submissions through ``check_message``: the new layouts must not cost a form, a
field or a false error, and the decisions on summaries without headings and PDF-only reports hold."""

from __future__ import annotations

import pytest

from intake.pipeline import check_message
from intake.workers import ReadingPool
from rules import load_campaign
from tests.acceptance.legacy_layouts import build as B
from tests.acceptance.legacy_layouts import pdfs
from tests.fixtures.mail import build_message

APP = B.App()


@pytest.fixture(scope="module")
def campaign():
    return load_campaign()


_POOL: list[ReadingPool] = []


@pytest.fixture(scope="module", autouse=True)
def pool():
    """One reading pool for the module's messages, as the daemon has (its workers start once)."""
    with ReadingPool() as p:
        _POOL.append(p)
        yield p
        _POOL.clear()


def submission(files: dict[str, bytes], **replace: tuple[str, bytes] | None) -> list[tuple[str, bytes]]:
    """A complete, correct submission for one group; ``replace`` swaps or (None) drops a part."""
    parts = {
        "app_word": ("附件1 精益求精QC小组申报表.wps", files["app_notice"]),
        "app_pdf": ("附件1 精益求精QC小组申报表（盖章）.pdf", files["app_pdf_seal"]),
        "report": ("精益求精QC小组成果报告.docx", files["report_docx"]),
        "evidence": ("小组活动照片.zip", B.photos_zip(["IMG_0001.jpg", "IMG_0002.jpg", "DSC00417.JPG"])),
        "summary": ("附件2 2020年QC小组活动工作总结.pdf", files["summary_hf_pdf"]),
        "statistics": ("附件3 统计表.et", files["stats_et"]),
        "recommendation": ("附件4 推荐表.et", files["sub_rec_et"]),
        "review": ("附件5 评审汇总表.xls", files["sub_review_xls"]),
    }
    for k, v in replace.items():
        if v is None:
            parts.pop(k)
        else:
            parts[k] = v
    return list(parts.values())


def check(campaign, attachments, subject: str = "江苏省质量协会2020年QC小组推荐材料") -> dict:
    return check_message(build_message(attachments, subject=subject), campaign, pool=_POOL[0]).to_json()


def errors(result: dict) -> list[str]:
    return [f"{f['rule']}: {f['message']}" for f in result["findings"] if f["severity"] == "error"]


def doc(result: dict, filename: str) -> dict:
    return next(d for d in result["documents"] if d["filename"] == filename)


def test_complete_submission_in_wps_et_and_word_pdfs(files, campaign):
    r = check(campaign, submission(files))
    assert errors(r) == []
    assert r["status"] == "complete"
    forms = {d["filename"]: d["form"] for d in r["documents"]}
    assert forms["附件1 精益求精QC小组申报表.wps"] == "application"
    assert forms["附件3 统计表.et"] == "statistics"
    assert forms["附件4 推荐表.et"] == "recommendation"
    # photos with camera names inside an archive named for the evidence are the evidence
    assert [forms[n] for n in ("IMG_0001.jpg", "IMG_0002.jpg", "DSC00417.JPG")] == ["evidence"] * 3
    assert doc(r, "附件1 精益求精QC小组申报表（盖章）.pdf")["fields"]["seal_detected"] is True
    assert doc(r, "附件1 精益求精QC小组申报表.wps")["fields"]["company"] == APP.company


def test_evidence_as_loose_photos_and_a_scanned_record(files, campaign):
    r = check(campaign, submission(files, evidence=("活动照片1.jpg", B.photo(1)),
                                   scan=("QC小组活动记录（扫描件）.pdf", B.scanned_pdf())))
    assert errors(r) == []
    assert doc(r, "活动照片1.jpg")["form"] == "evidence"
    assert doc(r, "QC小组活动记录（扫描件）.pdf")["form"] == "evidence"
    assert not any(f["rule"] == "evidence.missing" for f in r["findings"])


def test_unsealed_text_pdf_is_a_warning_only(files, campaign):
    r = check(campaign, submission(files, app_pdf=("附件1 精益求精QC小组申报表.pdf", files["app_pdf_plain"])))
    assert errors(r) == []
    assert [f["rule"] for f in r["findings"] if f["rule"] == "application.seal.missing"] == \
        ["application.seal.missing"]


def test_cid_pdf_copy_is_not_an_error(files, campaign):
    r = check(campaign, submission(files, app_pdf=("附件1 精益求精QC小组申报表 盖章.pdf", files["app_pdf_cid"])))
    assert errors(r) == []
    assert doc(r, "附件1 精益求精QC小组申报表 盖章.pdf")["form"] == "application"


def test_recommender_only_in_the_subject(files, campaign):
    """No 推荐省市、行业 on the 申报表: the field is null, and that is no finding."""
    r = check(campaign, submission(files, app_word=("精益求精QC小组申报表.doc", files["app_no_recommender"])))
    assert doc(r, "精益求精QC小组申报表.doc")["fields"]["recommender"] is None
    assert errors(r) == []


def test_summary_without_headings(files, campaign):
    """A summary written as one long paragraph has none of the three parts the notice asks for.

    Decision: no section errors when no heading was found at all (a layout the extractor cannot
    see must not produce three false errors), but one warning asks the unit to check; the long
    text is counted.
    """
    r = check(campaign, submission(files, summary=("附件2 工作总结.docx", files["summary_one_para"])))
    s = doc(r, "附件2 工作总结.docx")
    assert s["form"] == "summary" and s["fields"]["sections"] == []
    assert s["fields"]["char_count"] >= 3000
    assert not any(f["rule"].startswith("summary.sections") and f["severity"] == "error" for f in r["findings"])
    none = [f for f in r["findings"] if f["rule"] == "summary.sections.none"]
    assert [(f["severity"], f["form"], f["field"], f["document"]) for f in none] == [
        ("warning", "summary", "sections", "附件2 工作总结.docx")]


def test_report_only_as_pdf(files, campaign):
    """The notice asks for the 成果报告 as a Word file: a PDF alone is the report, but the Word copy is
    still missing (an error that names the Word copy)."""
    r = check(campaign, submission(files, report=("精益求精QC小组成果报告.pdf", files["report_pdf"])))
    assert doc(r, "精益求精QC小组成果报告.pdf")["form"] == "report"
    errs = [f for f in r["findings"] if f["severity"] == "error"]
    assert [f["rule"] for f in errs] == ["report.missing"]
    assert "Word" in errs[0]["message"]


def test_application_pdf_alone_is_read(campaign):
    """Only a text PDF of the 申报表 (no Word copy): its fields are still read and shown."""
    r = check(campaign, [("申报表.pdf", pdfs.application_pdf(APP, seal=True))])
    d = doc(r, "申报表.pdf")
    assert d["form"] == "application" and d["fields"]["group_name"] == APP.group_name
