"""~15 whole submissions with their expected contract output, and the messages that carry them.

Each scenario is a base submission, one planted change, a packaging style and the receipt time;
the expectation lists the findings (rule, form, field, severity) that must appear, and the
status. Besides those, a scenario expects NO other error finding (the "≤2 false errors" bar).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime

from tests.acceptance.independent_submissions import build
from tests.acceptance.independent_submissions.data import Group, Submission, base_submission

BJ = timezone(timedelta(hours=8))
ON_TIME = datetime(2020, 9, 14, 16, 20, tzinfo=BJ)
LATE = datetime(2020, 9, 16, 9, 5, tzinfo=BJ)

Finding = tuple[str, str | None, str | None, str]  # rule, form, field, severity


@dataclass
class Scenario:
    name: str
    mutate: Callable[[Submission], None] = lambda s: None
    packaging: str = "zip_gbk"  # zip_gbk | loose | mixed
    received: datetime = ON_TIME
    status: str = "complete"
    findings: list[Finding] = field(default_factory=list)
    drop: tuple[str, ...] = ()  # kinds of file left out: "statistics", "report:0", ...
    extra_apps: int = 0  # applications for groups the 推荐表 does not list
    summary_fmt: str = "docx"  # docx | doc
    stats_fmt: str = "xlsx"  # xlsx | xls
    rec_fmt: str = "docx"  # docx | pdf | xlsx
    review_fmt: str = "xlsx"  # xlsx | docx
    app_style: int = 0
    n_groups: int = 2
    n_judges: int = 7
    province: str = "浙江省质量协会"
    scan_names: bool = False  # the stamped scans keep the scanner's names (扫描件001.pdf)


def _set(attr: str, value, index: int = 0) -> Callable[[Submission], None]:
    def f(s: Submission) -> None:
        setattr(s.groups[index], attr, value)
    return f


def _stat(key: str, typed, expected) -> Callable[[Submission], None]:
    def f(s: Submission) -> None:
        s.stats.cells[key] = (typed, expected)
    return f


def _excel_native(s: Submission) -> None:
    """Numbers as Excel keeps them: 35% stored as 0.35 in a percent cell, 无 for no reward money."""
    s.stats.cells["achievement_rate"] = (0.35, 35.0)
    s.stats.cells["reward_year"] = ("无", 0)
    s.stats.cells["groups_registered_total"] = (12345.0, 12345)
    s.groups[0].evaluation_len = 300  # at the limit, split over two paragraphs of a Word cell


def _rec_company(s: Submission) -> None:
    rows = [(g.company, g.group_name, g.topic_type) for g in s.groups]
    co, gn, tt = rows[1]
    rows[1] = (co.replace("股份有限公司", "有限公司"), gn, tt)
    s.recommendation_groups = rows


def _rec_extra_group(s: Submission) -> None:
    rows = [(g.company, g.group_name, g.topic_type) for g in s.groups]
    rows.append(("嘉兴南湖纺织印染有限公司", "彩虹QC小组", "问题解决型"))
    s.recommendation_groups = rows
    s.review_names = [build.review_name(g) for g in s.groups] + ["嘉兴南湖纺织印染有限公司/彩虹QC小组"]


def _review_missing(s: Submission) -> None:
    s.review_names = [build.review_name(s.groups[0])]


def _short_summary(s: Submission) -> None:
    s.summary_chars = 1800


def _missing_section(s: Submission) -> None:
    s.summary_sections = ["一、基本情况", "二、存在问题及改进方向"]


def _too_many(s: Submission) -> None:
    s.groups[0].members = s.groups[0].members + ["冯涛", "邓洁", "曹阳", "彭军", "韩冰"]


def _long_eval(s: Submission) -> None:
    s.groups[1].evaluation_len = 340




APP = "application"
SCENARIOS = [
    Scenario("complete_zip"),
    Scenario("complete_loose_legacy", packaging="loose", summary_fmt="doc", stats_fmt="xls", app_style=1,
             n_judges=12, province="江苏省质量协会"),
    Scenario("complete_mixed_three_groups", packaging="mixed", n_groups=3, n_judges=6, rec_fmt="pdf"),
    Scenario("complete_excel_forms", _excel_native, packaging="mixed", rec_fmt="xlsx", review_fmt="docx",
             app_style=2, n_judges=12, province="广东省质量协会"),
    Scenario("complete_scanner_names", scan_names=True, packaging="loose", province="山东省质量管理协会"),
    Scenario("late", received=LATE, status="late", findings=[("deadline.late", None, None, "error")]),
    Scenario("missing_statistics", drop=("statistics",), status="incomplete",
             findings=[("statistics.missing", "statistics", None, "error")]),
    Scenario("wrong_mobile", _set("mobile", "1385712340"), app_style=2, review_fmt="docx", status="incomplete",
             findings=[("application.mobile.format", APP, "mobile", "error")]),
    Scenario("wrong_postcode", _set("postcode", "31005"), packaging="loose", app_style=1, status="incomplete",
             findings=[("application.postcode.format", APP, "postcode", "error")]),
    Scenario("members_over_10", _too_many, status="incomplete",
             findings=[("application.members.count", APP, "members", "error")]),
    Scenario("both_ticked", _set("tick", "both", 1), status="incomplete",
             findings=[("application.topic_type.one_of", APP, "topic_type", "error")]),
    Scenario("none_ticked", _set("tick", "none"), packaging="mixed", app_style=1, status="incomplete",
             findings=[("application.topic_type.one_of", APP, "topic_type", "error")]),
    Scenario("summary_short", _short_summary, summary_fmt="doc", status="incomplete",
             findings=[("summary.char_count.min", "summary", "char_count", "error")]),
    Scenario("summary_missing_section", _missing_section, status="incomplete",
             findings=[("summary.sections.experience", "summary", "sections", "error")]),
    Scenario("rate_over_100", _stat("participation_rate", "156.8%", 156.8), stats_fmt="xls", status="incomplete",
             findings=[("statistics.participation_rate.range", "statistics", "participation_rate", "error")]),
    Scenario("score_out_of_range", _set("score", 105, 1), review_fmt="docx", rec_fmt="xlsx", status="incomplete",
             findings=[("review.entries.score.range", "review", "score", "error")]),
    Scenario("evaluation_too_long", _long_eval, packaging="loose", status="incomplete",
             findings=[("review.entries.evaluation.length", "review", "evaluation", "error")]),
    Scenario("company_mismatch", _rec_company, status="incomplete",
             findings=[("cross.company.mismatch", "recommendation", "company", "error")]),
    Scenario("recommended_without_application", _rec_extra_group, status="incomplete",
             findings=[("application.word.missing", APP, None, "error"), ("application.pdf.missing", APP, None, "error"),
                       ("report.missing", "report", None, "error")]),
    Scenario("application_not_recommended", extra_apps=1, status="incomplete",
             findings=[("cross.application.not_recommended", APP, "group_name", "error")]),
    Scenario("review_missing_group", _review_missing, packaging="mixed", status="incomplete",
             findings=[("cross.review.missing_group", "review", "entries", "error")]),
]


# ---- assembling files and messages -----------------------------------------------------------------

@dataclass
class File:
    name: str
    data: bytes | None = None
    convert: tuple[str, bytes, str] | None = None  # (job name, source bytes, soffice target)
    post: Callable[[bytes], bytes] | None = None
    expect_form: str = "unknown"
    expect_fields: dict = field(default_factory=dict)
    per_group: bool = False


def _job(data: bytes, ext: str) -> str:
    return hashlib.sha256(data).hexdigest()[:16] + "." + ext


def _app_fields(sub: Submission, g: Group) -> dict:
    return {"company": g.company, "group_name": g.group_name, "topic": g.topic,
            "topic_type": g.topic_type if g.tick == "one" else None, "postcode": g.postcode,
            "mobile": g.mobile, "contact_person": g.contact_person, "members": g.members, "date": g.date,
            "recommender": sub.recommender}


def files_of(sc: Scenario) -> tuple[Submission, list[File]]:
    sub = base_submission(sc.province, sc.n_groups, sc.n_judges)
    sc.mutate(sub)
    files: list[File] = []
    apps = list(sub.groups)
    if sc.extra_apps:
        apps.append(Group(company="台州海洋食品有限公司", group_name="蓝海QC小组", topic="提高鱼糜制品一次合格率",
                          topic_type="问题解决型", address="浙江省台州市椒江区海门路8号", postcode="318000",
                          contact_dept="品管部", contact_person="叶青", mobile="13857612345",
                          members=["叶青", "杨帆", "陆远"], intro=sub.groups[0].intro, date="2020-09-02"))
    for i, g in enumerate(apps):
        short = g.group_name.replace("QC小组", "")
        word = build.application_docx(sub, g, sc.app_style)
        if f"application:{i}" not in sc.drop:
            files.append(File(f"附件1 申报表-{short}.docx", word, expect_form="application",
                              expect_fields=_app_fields(sub, g)))
            scan = f"扫描件{i + 1:03d}.pdf" if sc.scan_names else f"附件1 申报表-{short}（盖章）.pdf"
            files.append(File(scan, convert=(_job(word, "docx"), word, "pdf"),
                              post=build.sealed_scan, expect_form="application"))
        if f"report:{i}" not in sc.drop:
            files.append(File(f"{g.company}{g.group_name}成果报告.docx", build.report_docx(g), expect_form="report"))
        files.append(File(f"{short}小组活动记录.docx", build.evidence_docx(g), expect_form="evidence"))
    if "summary" not in sc.drop:
        if sc.summary_fmt == "doc":
            html = build.summary_html(sub)
            files.append(File("附件2 2020年QC小组活动工作总结.doc", convert=(_job(html, "html"), html, "doc:MS Word 97"),
                              expect_form="summary", expect_fields={"recommender": sub.recommender}))
        else:
            files.append(File("附件2 2020年QC小组活动工作总结.docx", build.summary_docx(sub), expect_form="summary",
                              expect_fields={"recommender": sub.recommender}))
    if "statistics" not in sc.drop:
        x = build.statistics_xlsx(sub)
        exp = {k: v[1] for k, v in sub.stats.cells.items() if v[1] is not None}
        exp["meeting_held"] = sub.stats.meeting_held == "是"
        exp["recommender"] = sub.recommender
        if sc.stats_fmt == "xls":
            files.append(File("附件3 统计表.xls", convert=(_job(x, "xlsx"), x, "xls"), expect_form="statistics",
                              expect_fields=exp))
        else:
            files.append(File("附件3 统计表.xlsx", x, expect_form="statistics", expect_fields=exp))
    rows = sub.recommendation_groups or [(g.company, g.group_name, g.topic_type) for g in sub.groups]
    rec_exp = {"recommender": sub.recommender, "filled_by": sub.filled_by, "phone": sub.phone, "date": "2020-09-10",
               "groups": [{"company": c, "group_name": n, "topic_type": t} for c, n, t in rows],
               "judges": [{"name": j.name, "employer": j.employer, "certificate_no": j.certificate_no,
                           "mobile": j.mobile} for j in sub.judges]}
    r = build.recommendation_docx(sub)
    if sc.rec_fmt == "xlsx":
        files.append(File("附件4 全国优秀QC小组推荐表.xlsx", build.recommendation_xlsx(sub),
                          expect_form="recommendation", expect_fields=rec_exp))
    elif sc.rec_fmt == "pdf":
        files.append(File("附件4 推荐表.pdf", convert=(_job(r, "docx"), r, "pdf"), expect_form="recommendation",
                          expect_fields=rec_exp))
    else:
        files.append(File("附件4 推荐表.docx", r, expect_form="recommendation", expect_fields=rec_exp))
    names = sub.review_names if sub.review_names is not None else [build.review_name(g) for g in sub.groups]
    scores = [next((g.score for g in sub.groups if build.review_name(g) == n), sub.groups[0].score) for n in names]
    rv = build.review_docx(sub) if sc.review_fmt == "docx" else build.review_xlsx(sub)
    files.append(File(f"附件5 成果评审汇总表.{sc.review_fmt}", rv, expect_form="review",
                      expect_fields={"recommender": sub.recommender, "filled_by": sub.filled_by, "date": "2020-09-10",
                                     "entries": [{"name": n, "score": s} for n, s in zip(names, scores, strict=True)]}))
    return sub, files


def resolve(all_files: list[list[File]], workdir) -> None:
    """Run every pending conversion of every scenario in one soffice call per target format."""
    conv = build.Converter(workdir)
    seen: set[tuple[str, str]] = set()
    for files in all_files:
        for f in files:
            if f.convert and (f.convert[0], f.convert[2]) not in seen:
                seen.add((f.convert[0], f.convert[2]))
                conv.add(*f.convert)
    done = conv.run() if seen else {}
    for files in all_files:
        for f in files:
            if f.convert:
                data = done[(f.convert[0], f.convert[2].split(":")[0])]
                f.data = f.post(data) if f.post else data


class _GbkInfo(zipfile.ZipInfo):
    """A member name stored as raw GBK without the UTF-8 flag, as Windows Explorer / WinRAR do."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's name)
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def gbk_zip(files: list[File], folder: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            info = _GbkInfo(f"{folder}/{f.name}", date_time=(2020, 9, 14, 15, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, f.data)
    return buf.getvalue()


MIME = {"docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "doc": ("application", "msword"), "xls": ("application", "vnd.ms-excel"),
        "pdf": ("application", "pdf"), "zip": ("application", "zip")}


def message(sc: Scenario, sub: Submission, files: list[File]) -> bytes:
    m = EmailMessage()
    m["From"] = f"{sub.recommender} <qc-office@example.org.cn>"
    m["To"] = "qcxz2020@163.com"
    m["Subject"] = f"{sub.recommender}2020年度全国优秀QC小组推荐材料"
    m["Date"] = format_datetime(sc.received - timedelta(minutes=2))
    m["Message-ID"] = f"<{sc.name}@secondlook.example>"
    m.set_content(f"中国质协质量活动推进部：\n\n附件为{sub.recommender}2020年度推荐材料，请查收。\n\n{sub.filled_by}\n")
    if sc.packaging == "zip_gbk":
        z = gbk_zip(files, f"{sub.recommender}推荐材料")
        m.add_attachment(z, *MIME["zip"], filename=f"{sub.recommender}QC小组推荐材料.zip")
    elif sc.packaging == "mixed":
        zipped = [f for f in files if f.expect_form in ("application", "report", "evidence")]
        loose = [f for f in files if f not in zipped]
        m.add_attachment(gbk_zip(zipped, "申报材料"), *MIME["zip"], filename="各小组申报材料.zip")
        for f in loose:
            m.add_attachment(f.data, *MIME[f.name.rsplit(".", 1)[1]], filename=f.name)
    else:
        for f in files:
            m.add_attachment(f.data, *MIME[f.name.rsplit(".", 1)[1]], filename=f.name)
    raw = m.as_bytes()
    hop = f"Received: from mail.example.org.cn by mx.163.com; {format_datetime(sc.received)}\r\n".encode()
    return hop + raw
