"""DocumentResult builders for rule tests: a complete, valid 2-group submission to spoil one value at a time."""

from __future__ import annotations

import copy
from typing import Any

from parsers.result import DocumentResult

GROUPS = [
    ("中国石化扬子石油化工有限公司", "“攀登”QC小组", "问题解决型"),
    ("江苏苏美达集团有限公司", "追梦QC小组", "创新型"),
]


def application(i: int = 0, fmt: str = "docx", **over: Any) -> DocumentResult:
    company, group, kind = GROUPS[i]
    fields = {
        "recommender": "江苏省质量协会", "company": company, "group_name": group, "topic": "降低装置能耗",
        "topic_type": kind, "address": "南京市六合区新华路1号", "postcode": "210048", "contact_dept": "质量部",
        "contact_person": "王明", "mobile": "13812345678", "members": ["张三", "李四", "王五"],
        "intro": "小组成立于2018年，围绕降低能耗开展活动。", "date": "2020-09-01",
        "copy": "word" if fmt in ("docx", "doc", "wps") else "pdf",
    }
    if fmt == "pdf":
        fields["seal_detected"] = True
    fields.update(over)
    return DocumentResult(f"申报表-{group.replace('“', '').replace('”', '')}.{fmt}", None, fmt, "application", fields)


def scanned_application_pdf(i: int = 0) -> DocumentResult:
    from parsers.model import Problem

    group = GROUPS[i][1].replace('“', '').replace('”', '')
    fields = dict.fromkeys(("company", "group_name", "topic", "mobile"))
    fields.update(copy="pdf", seal_detected=None)
    return DocumentResult(f"申报表-{group}（盖章）.pdf", None, "pdf", "application", fields,
                          [Problem("document.scanned")], text_trusted=False)


def report(i: int = 0, **over: Any) -> DocumentResult:
    company, group, _ = GROUPS[i]
    fields = {"group_name": group, "company": company, "topic": "降低装置能耗", "char_count": 8000, **over}
    return DocumentResult(f"成果报告-{group.replace('“', '').replace('”', '')}.docx", None, "docx", "report", fields)


def evidence() -> DocumentResult:
    return DocumentResult("活动记录.pdf", None, "pdf", "evidence", {"group_name": None, "char_count": 300})


def summary(**over: Any) -> DocumentResult:
    fields = {"recommender": "江苏省质量协会", "char_count": 4200,
              "sections": ["一、基本情况", "二、推进经验和做法", "三、存在问题及改进方向"], **over}
    return DocumentResult("附件2 工作总结.docx", None, "docx", "summary", fields)


def statistics(**over: Any) -> DocumentResult:
    fields = {
        "recommender": "江苏省质量协会", "groups_registered_total": 120.5, "groups_registered_year": 3.2,
        "participation_rate": 35.0, "groups_active_year": 3.0, "benefit_total": 9800.0, "benefit_year": 850.0,
        "achievement_rate": 60.0, "funding_year": 120.0, "reward_year": 45.0, "meeting_held": True,
        "meeting_signups": 200, "meeting_presented": 180, "meeting_time": "2020年7月", "meeting_place": "南京",
        "meeting_attendees": 500, "responsible": "质量处 李华", "contact_person": "赵敏", "mobile": "13912345678",
        "email": "zhaomin@jsqa.org.cn", "address": "南京市鼓楼区中山路1号", "postcode": "210008",
    }
    fields.update(over)
    return DocumentResult("附件3 统计表.xlsx", None, "xlsx", "statistics", fields)


def recommendation(**over: Any) -> DocumentResult:
    fields = {
        "recommender": "江苏省质量协会",
        "groups": [{"seq": str(i + 1), "company": c, "group_name": g, "topic_type": t}
                   for i, (c, g, t) in enumerate(GROUPS)],
        "judges": [{"seq": "1", "name": "孙立", "employer": "江苏省质量协会", "certificate_no": "QC2019-0123",
                    "mobile": "13700001111"}],
        "filled_by": "赵敏", "phone": "025-83331234", "date": "2020-09-10",
    }
    fields.update(over)
    return DocumentResult("附件4 推荐表.xlsx", None, "xlsx", "recommendation", fields)


def review(**over: Any) -> DocumentResult:
    fields = {
        "recommender": "江苏省质量协会",
        "entries": [{"seq": str(i + 1), "name": f"{c}/{g}", "evaluation": "选题理由充分，数据详实。", "score": 88}
                    for i, (c, g, _) in enumerate(GROUPS)],
        "filled_by": "赵敏", "phone": "025-83331234", "date": "2020-09-10",
    }
    fields.update(over)
    return DocumentResult("附件5 评审汇总表.xlsx", None, "xlsx", "review", fields)


def submission() -> list[DocumentResult]:
    """A complete, correct submission: evaluate() must find nothing."""
    docs = [recommendation(), statistics(), summary(), review(), evidence()]
    for i in range(len(GROUPS)):
        docs += [application(i), application(i, "pdf"), report(i)]
    return [copy.deepcopy(d) for d in docs]


def replace(docs: list[DocumentResult], new: DocumentResult) -> list[DocumentResult]:
    """The submission with the document of the same file name replaced."""
    return [new if d.filename == new.filename else d for d in docs]
