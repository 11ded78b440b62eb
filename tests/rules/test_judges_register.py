"""With the office's register of judges' certificates, a 评委证书编号 missing from it or registered under
another name is a warning to the unit; without a register the check says nothing."""

from __future__ import annotations

import copy

from rules import evaluate, load_campaign
from tests.rules import builders as b

JUDGES = [{"seq": "1", "name": "孙立", "employer": "江苏省质量协会", "certificate_no": "QC2019-0123", "mobile": "13700001111"},
          {"seq": "2", "name": "王芳", "employer": "某公司", "certificate_no": "qc2018-0456", "mobile": "13700002222"},
          {"seq": "3", "name": "李强", "employer": "某公司", "certificate_no": "QC2017-0789", "mobile": "13700003333"}]


def _findings(register):  # noqa: ANN001, ANN202
    campaign = copy.copy(load_campaign())
    campaign.judges_register = register
    docs = b.replace(b.submission(), b.recommendation(judges=copy.deepcopy(JUDGES)))
    return [f for f in evaluate(campaign, docs, None, []) if f.rule == "recommendation.judges.certificate_no.unregistered"]


def test_no_register_no_finding() -> None:
    assert _findings(None) == []


def test_unknown_and_misnamed_certificates_are_warnings() -> None:
    register = {"QC2019-0123": "孙立", "QC2018-0456": "另一个人"}  # numbers compared without case/width
    found = _findings(register)
    assert [f.severity for f in found] == ["warning", "warning"]
    misnamed, unknown = (f.message for f in found)
    assert "第2行王芳" in misnamed and "在名册中登记为“另一个人”" in misnamed
    assert "第3行李强" in unknown and "不在全国评委名册中" in unknown
    assert all(f.document == "附件4 推荐表.xlsx" and f.field == "certificate_no" for f in found)
