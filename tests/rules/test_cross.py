"""Cross-document checks: 推荐表 ↔ 申报表 ↔ 评审汇总表."""

from __future__ import annotations

from rules import evaluate
from tests.rules import builders as B


def _rec(rows):
    return B.recommendation(groups=[{"seq": str(i + 1), "company": c, "group_name": g, "topic_type": "创新型"}
                                    for i, (c, g) in enumerate(rows)])


def test_company_mismatch_is_an_error_on_the_recommendation(campaign):
    rec = _rec([("中国石化扬子石油化工公司", B.GROUPS[0][1]), B.GROUPS[1][:2]])
    findings = evaluate(campaign, B.replace(B.submission(), rec), None, [])
    assert [f.rule for f in findings] == ["cross.company.mismatch"]
    f = findings[0]
    assert (f.severity, f.form, f.document, f.field) == ("error", "recommendation", rec.filename, "company")
    assert "中国石化扬子石油化工公司" in f.message and "中国石化扬子石油化工有限公司" in f.message


def test_white_space_and_full_width_are_not_mismatches(campaign):
    rec = _rec([("中国石化 扬子石油化工有限公司", "“攀登”ＱＣ小组"), B.GROUPS[1][:2]])
    assert evaluate(campaign, B.replace(B.submission(), rec), None, []) == []


def test_group_name_mismatch_paired_by_company(campaign):
    rec = _rec([(B.GROUPS[0][0], "“登攀”QC小组"), B.GROUPS[1][:2]])
    findings = evaluate(campaign, B.replace(B.submission(), rec), None, [])
    rules = [f.rule for f in findings]
    assert "cross.group_name.mismatch" in rules
    f = next(f for f in findings if f.rule == "cross.group_name.mismatch")
    assert (f.severity, f.form, f.field) == ("error", "recommendation", "group_name")
    assert "登攀" in f.message and "攀登" in f.message
    assert not any(r.endswith(".missing") for r in rules)  # still paired: no "missing" error on top


def test_application_not_in_recommendation(campaign):
    docs = B.submission() + [B.application(0, company="南京钢铁股份有限公司", group_name="钢花QC小组")]
    docs[-1].filename = "申报表-钢花QC小组.docx"
    findings = evaluate(campaign, docs, None, [])
    hits = [f for f in findings if f.rule == "cross.application.not_recommended"]
    assert len(hits) == 1
    assert (hits[0].form, hits[0].document, hits[0].field) == ("application", "申报表-钢花QC小组.docx", "group_name")
    assert "钢花QC小组" in hits[0].message


def test_recommended_group_without_application_is_named(campaign):
    rec = _rec([*[g[:2] for g in B.GROUPS], ("南京钢铁股份有限公司", "钢花QC小组")])
    findings = evaluate(campaign, B.replace(B.submission(), rec), None, [])
    missing = {f.rule: f for f in findings if f.rule.endswith(".missing")}
    assert set(missing) == {"application.word.missing", "application.pdf.missing", "report.missing"}
    assert all("钢花QC小组" in f.message for f in missing.values())
    review_gap = [f for f in findings if f.rule == "cross.review.missing_group"]
    assert len(review_gap) == 1 and "钢花" in review_gap[0].message


def test_review_entries_match_by_group_or_company_name(campaign):
    rv = B.review(entries=[{"seq": "1", "name": "攀登", "evaluation": "好", "score": 90},
                           {"seq": "2", "name": "江苏苏美达集团有限公司", "evaluation": "好", "score": 85}])
    assert evaluate(campaign, B.replace(B.submission(), rv), None, []) == []


def test_review_missing_group_and_unknown_entry(campaign):
    rv = B.review(entries=[{"seq": "1", "name": "攀登QC小组", "evaluation": "好", "score": 90},
                           {"seq": "2", "name": "无锡某厂/飞翔QC小组", "evaluation": "好", "score": 85}])
    findings = evaluate(campaign, B.replace(B.submission(), rv), None, [])
    by = {f.rule: f for f in findings}
    assert set(by) == {"cross.review.missing_group", "cross.review.unknown_entry"}
    assert by["cross.review.missing_group"].severity == "error" and "追梦" in by["cross.review.missing_group"].message
    assert by["cross.review.unknown_entry"].severity == "warning" and "飞翔" in by["cross.review.unknown_entry"].message


def test_untrusted_documents_do_not_take_part(campaign):
    rec = _rec([("完全不同的公司", B.GROUPS[0][1]), B.GROUPS[1][:2]])
    rec.text_trusted = False
    rules = {f.rule for f in evaluate(campaign, B.replace(B.submission(), rec), None, [])}
    assert not any(r.startswith("cross.") for r in rules)
