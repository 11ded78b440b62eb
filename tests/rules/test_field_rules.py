"""Each field rule of the 2020 file fires on a bad value and stays silent on the good one.

``CASES`` maps every non-cross rule id to a spoiled document; a test checks that no rule of the
file is left without a case, so a rule added to caq-2020.toml needs a test here.
"""

from __future__ import annotations

import pytest

from rules import evaluate
from tests.rules import builders as B

A, S, ST, R, RV = B.application, B.summary, B.statistics, B.recommendation, B.review


def _rec_group(**over):
    row = {"seq": "1", "company": B.GROUPS[0][0], "group_name": B.GROUPS[0][1], "topic_type": "问题解决型", **over}
    rest = [{"seq": "2", "company": B.GROUPS[1][0], "group_name": B.GROUPS[1][1], "topic_type": "创新型"}]
    return R(groups=[row, *rest])


def _judge(**over):
    return R(judges=[{"seq": "1", "name": "孙立", "employer": "江苏省质量协会", "certificate_no": "QC2019-0123",
                      "mobile": "13700001111", **over}])


def _entry(**over):
    rows = [{"seq": str(i + 1), "name": f"{c}/{g}", "evaluation": "选题理由充分。", "score": 88}
            for i, (c, g, _) in enumerate(B.GROUPS)]
    rows[0].update(over)
    return RV(entries=rows)


# rule id -> (spoiled document, expected finding field, a text the message must contain)
CASES = {
    "application.company.required": (A(company=None), "company", "企业名称"),
    "application.group_name.required": (A(group_name="  "), "group_name", "QC小组名称"),
    "application.topic.required": (A(topic=None), "topic", "课题名称"),
    "application.address.required": (A(address=None), "address", "详细通信地址"),
    "application.postcode.required": (A(postcode=None), "postcode", "邮编"),
    "application.contact_dept.required": (A(contact_dept=None), "contact_dept", "小组联系部门"),
    "application.contact_person.required": (A(contact_person=None), "contact_person", "直接联系人"),
    "application.mobile.required": (A(mobile=None), "mobile", "手机"),
    "application.intro.required": (A(intro=""), "intro", "简介"),
    "application.members.count": (A(members=[f"成员{i}" for i in range(11)]), "members", "11人"),
    "application.topic_type.one_of": (A(topic_type=None), "topic_type", "只勾选一项"),
    "application.mobile.format": (A(mobile="1381234567"), "mobile", "1381234567"),
    "application.postcode.format": (A(postcode="21004"), "postcode", "21004"),
    "application.seal.missing": (A(0, "pdf", seal_detected=False), "seal_detected", "公章"),
    "application.company.department": (A(company="中国石化扬子石油化工有限公司质量管理科"), "company", "“科”"),
    "application.company.parent": (A(company="中国石油化工集团有限公司中国石化扬子石油化工有限公司"), "company",
                                   "中国石油化工集团有限公司"),
    "summary.char_count.min": (S(char_count=1900), "char_count", "1900"),
    "summary.sections.none": (S(sections=[]), "sections", "一级标题"),
    "summary.sections.basic": (S(sections=["二、推进经验和做法", "三、存在问题及改进方向"]), "sections", "基本情况"),
    "summary.sections.experience": (S(sections=["一、基本情况", "三、存在问题及改进方向"]), "sections", "推进经验"),
    "summary.sections.problems": (S(sections=["一、基本情况", "二、推进经验和做法"]), "sections", "存在问题"),
    **{
        f"statistics.{k}.required": (ST(**{k: None}), k, None)
        for k in ("groups_registered_total", "groups_registered_year", "participation_rate", "groups_active_year",
                  "benefit_total", "benefit_year", "achievement_rate", "funding_year", "reward_year",
                  "meeting_held", "responsible", "contact_person", "mobile", "email", "address", "postcode")
    },
    "statistics.participation_rate.range": (ST(participation_rate=120.0), "participation_rate", "120"),
    "statistics.achievement_rate.range": (ST(achievement_rate=101), "achievement_rate", "101"),
    **{
        f"statistics.{k}.nonnegative": (ST(**{k: -1}), k, "-1")
        for k in ("groups_registered_total", "groups_registered_year", "groups_active_year", "benefit_total",
                  "benefit_year", "funding_year", "reward_year", "meeting_signups", "meeting_presented",
                  "meeting_attendees")
    },
    "statistics.mobile.format": (ST(mobile="0255555"), "mobile", "0255555"),
    "statistics.email.format": (ST(email="zhaomin#jsqa"), "email", "zhaomin#jsqa"),
    "statistics.postcode.format": (ST(postcode="2100"), "postcode", "2100"),
    "statistics.groups_registered_year.le_total": (ST(groups_registered_year=200), "groups_registered_year", "200"),
    "statistics.benefit_year.le_total": (ST(benefit_year=10000.0), "benefit_year", "10000"),
    "statistics.groups_active_year.le_registered": (ST(groups_active_year=4), "groups_active_year", "4"),
    "statistics.meeting_presented.le_signups": (ST(meeting_presented=201), "meeting_presented", "201"),
    **{
        f"statistics.{k}.when_meeting": (ST(**{k: None}), k, None)
        for k in ("meeting_time", "meeting_place", "meeting_attendees", "meeting_signups", "meeting_presented")
    },
    "recommendation.groups.count": (R(groups=[]), "groups", "未填写任何"),
    "recommendation.groups.company.required": (_rec_group(company=None), "company", "第1行"),
    "recommendation.groups.group_name.required": (_rec_group(group_name=""), "group_name", "小组名称"),
    "recommendation.groups.topic_type.required": (_rec_group(topic_type=None), "topic_type", "课题类型"),
    "recommendation.groups.topic_type.one_of": (_rec_group(topic_type="现场型"), "topic_type", "现场型"),
    "recommendation.groups.duplicate": (R(groups=[*R().fields["groups"], {
        "seq": "3", "company": B.GROUPS[0][0], "group_name": "攀登QC小组", "topic_type": "问题解决型"}]),
        "groups", "第1行、第3行"),
    "recommendation.groups.company.department": (_rec_group(company="江苏苏美达集团有限公司一车间"), "company", "车间"),
    "recommendation.groups.company.parent": (_rec_group(company="国家电网有限公司 国网江苏省电力有限公司"), "company",
                                             "国家电网有限公司"),
    "recommendation.judges.count": (R(judges=[]), "judges", "评委"),
    "recommendation.judges.name.required": (_judge(name=None), "name", "姓名"),
    "recommendation.judges.employer.required": (_judge(employer=None), "employer", "工作单位"),
    "recommendation.judges.certificate_no.required": (_judge(certificate_no=None), "certificate_no", "证书编号"),
    "recommendation.judges.mobile.required": (_judge(mobile=None), "mobile", "手机"),
    "recommendation.judges.certificate_no.none": (_judge(certificate_no="暂无"), "certificate_no", "暂无"),
    "recommendation.judges.mobile.format": (_judge(mobile="137000011"), "mobile", "137000011"),
    "recommendation.filled_by.required": (R(filled_by=None), "filled_by", "填表人"),
    "recommendation.phone.required": (R(phone=None), "phone", "电话"),
    "recommendation.date.required": (R(date=None), "date", "日期"),
    "review.entries.count": (RV(entries=[]), "entries", "没有任何"),
    "review.entries.name.required": (_entry(name=None), "name", "企业/小组名称"),
    "review.entries.score.required": (_entry(score=None), "score", "分数"),
    "review.entries.evaluation.required": (_entry(evaluation=None), "evaluation", "成果评价"),
    "review.entries.evaluation.length": (_entry(evaluation="评" * 350), "evaluation", "350字"),
    "review.entries.score.range": (_entry(score=105), "score", "105"),
    "review.filled_by.required": (RV(filled_by=""), "filled_by", "填表人"),
    "review.phone.required": (RV(phone=None), "phone", "电话"),
}


def test_every_field_rule_has_a_case(campaign):
    ids = {r.id for r in campaign.rules if r.kind != "cross"}
    assert ids - set(CASES) == set()
    assert set(CASES) - ids == set()


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_on_bad_value(campaign, rule_id):
    doc, field, text = CASES[rule_id]
    findings = evaluate(campaign, B.replace(B.submission(), doc), None, [])
    mine = [f for f in findings if f.rule == rule_id]
    assert len(mine) == 1, findings
    f = mine[0]
    rule = next(r for r in campaign.rules if r.id == rule_id)
    assert (f.severity, f.form, f.document, f.field) == (rule.severity, doc.form, doc.filename, field)
    if text:
        assert text in f.message
    assert "{" not in f.message  # every placeholder filled


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_silent_on_good_submission(campaign, rule_id):
    assert [f for f in evaluate(campaign, B.submission(), None, []) if f.rule == rule_id] == []


@pytest.mark.parametrize(
    "good",
    [
        A(mobile="138 1234 5678"), A(postcode="210048"), A(members=[f"成员{i}" for i in range(10)]),
        A(topic_type="创新型"), A(0, "pdf", seal_detected=None), S(char_count=3000),
        S(sections=["一、2020年基本情况", "二、推进经验与做法", "三、存在的问题及改进方向"]),
        ST(participation_rate=100), ST(groups_registered_year=120.5), ST(meeting_held=False, meeting_time=None,
                                                                          meeting_place=None, meeting_attendees=None),
        ST(meeting_presented=None, meeting_signups=None, meeting_held=False),
        _entry(score=0), _entry(score=100), _entry(evaluation="评" * 300),
    ],
)
def test_boundary_values_are_silent(campaign, good):
    findings = evaluate(campaign, B.replace(B.submission(), good), None, [])
    assert findings == []


def test_list_rules_name_the_row(campaign):
    rec = R(groups=[{"seq": "1", "company": B.GROUPS[0][0], "group_name": B.GROUPS[0][1], "topic_type": "问题解决型"},
                    {"seq": "2", "company": None, "group_name": B.GROUPS[1][1], "topic_type": "创新型"}])
    f = [f for f in evaluate(campaign, B.replace(B.submission(), rec), None, [])
         if f.rule == "recommendation.groups.company.required"]
    assert len(f) == 1 and "第2行" in f[0].message


def test_word_only_rules_skip_pdf_copy(campaign):
    """A PDF copy's fields are not required: an empty mobile on a text PDF says nothing."""
    pdf = A(0, "pdf", mobile=None, postcode="1", members=[], topic_type=None)
    assert evaluate(campaign, B.replace(B.submission(), pdf), None, []) == []
