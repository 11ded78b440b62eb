"""``intake export FILE.xlsx`` and ``intake export --files DIR``: the national lists, without copying by hand.

The workbook is what staff produce after the deadline, built from every unit's *current*
submission (latest copy of each form, as the units view merges it, no file re-read):

- 汇总: one row per unit (status, first/last message, groups, what is missing, open errors/warnings);
- 问题清单: every open finding (unit, file, rule id, severity, message);
- 推荐小组: the consolidated national list in the 推荐表's column order — the certificate basis —
  with 课题名称 from the group's 申报表 (the 推荐表 has none); a group recommended twice is marked;
- 评委: every judge with the 评委证书编号; a number used twice is marked, and so is one missing
  from (or registered under another name in) the office's register when ``export.judges_register``
  names one (an .xlsx of 证书编号 and 姓名);
- 统计: each unit's 统计表 in the form's order, with a national total row.

Numbers are written as numbers and dates as dates, so staff can sum and sort in Excel.
``--files DIR`` copies each unit's current documents to ``DIR/<推荐单位>/`` under canonical names
(``附件1-申报表-<企业>-<小组>.pdf``, ``附件4-推荐表.xlsx``), names safe on Windows.
"""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session, select

from intake.config import Config
from intake.contract import CONTAINER_FORMATS
from intake.record.judges import cert_key, configured_register
from intake.record.roster import load_roster, norm_name
from intake.staff.units import STATUS_ZH, UnitRecord, unit_records
from intake.store.migrations import open_ledger_readonly
from intake.store.rows import DocumentRow
from parsers.result import DocumentResult
from rules import Campaign, load_campaign
from rules.copies import copy_of

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MARK_FILL = PatternFill("solid", fgColor="FCE4D6")
FORM_ZH = {"application": "申报表", "report": "成果报告", "evidence": "证实性材料", "summary": "工作总结",
           "statistics": "统计表", "recommendation": "推荐表", "review": "评审汇总表"}
FORM_NO = {"application": "附件1", "summary": "附件2", "statistics": "附件3", "recommendation": "附件4",
           "review": "附件5", "report": "成果报告", "evidence": "证实性材料"}
STAT_NUMBERS = ("groups_registered_total", "groups_registered_year", "participation_rate", "groups_active_year",
                "benefit_total", "benefit_year", "achievement_rate", "funding_year", "reward_year",
                "meeting_signups", "meeting_presented", "meeting_attendees")
STAT_COLUMNS = ("groups_registered_total", "groups_registered_year", "participation_rate", "groups_active_year",
                "benefit_total", "benefit_year", "achievement_rate", "funding_year", "reward_year", "meeting_held",
                "meeting_signups", "meeting_presented", "meeting_time", "meeting_place", "meeting_attendees",
                "responsible", "contact_person", "mobile", "email", "address", "postcode")
_RATES = ("participation_rate", "achievement_rate")  # fractions of 1 in Excel, shown as percentages


@dataclass
class ExportData:
    campaign: Campaign
    records: list[UnitRecord]
    register: dict[str, str] | None  # 证书编号 → 姓名, when the office's register is configured


def load_export_data(cfg: Config) -> ExportData:
    campaign = load_campaign(cfg.rules_path)
    roster = load_roster(cfg.roster_path)
    engine = open_ledger_readonly(cfg)
    try:
        with Session(engine) as s:
            records = unit_records(s, campaign, roster)
    finally:
        engine.dispose()
    return ExportData(campaign, records, configured_register(cfg))


def _docs(record: UnitRecord, form: str) -> list[DocumentResult]:
    return [d for d in record.documents if d.form == form and d.text_trusted and isinstance(d.fields, dict)]


def _number(value: Any) -> Any:
    """A stored field as a number where it is one (the extractors normalise numbers to text or numbers)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        t = value.replace(",", "").strip()
        try:
            return int(t) if re.fullmatch(r"-?\d+", t) else float(t)
        except ValueError:
            return value
    return value


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]], widths: list[int],
           marks: list[bool] | None = None) -> Worksheet:
    """One styled sheet: bold tinted header, frozen, auto-filter, column widths, marked rows tinted."""
    ws = wb.create_sheet(title)
    ws.append(headers)
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, row in enumerate(rows):
        ws.append(row)
        if marks and marks[n]:
            for cell in ws[ws.max_row]:
                cell.fill = MARK_FILL
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, ws.max_row)}"
    return ws


def _summary_rows(data: ExportData) -> list[list[Any]]:
    out = []
    for r in data.records:
        e = r.entry
        errors = sum(1 for f in e["findings"] if f["severity"] == "error")
        out.append([e["unit"], {"province": "省市", "industry": "行业"}.get(e["kind"] or "", "未登记"),
                    STATUS_ZH[e["status"]] + ("（截止后又有来信）" if e["late"] and e["status"] == "complete" else ""),
                    _datetime(e["first_received_at"]), _datetime(e["last_received_at"]), len(e["groups"]),
                    "、".join(FORM_ZH.get(m, m) for m in e["missing"]), errors, len(e["findings"]) - errors])
    return out


def _datetime(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso).replace(tzinfo=None) if iso else None  # campaign-local wall time


def _findings_rows(data: ExportData) -> list[list[Any]]:
    return [[r.entry["unit"], f.get("document") or "", FORM_ZH.get(f.get("form") or "", f.get("form") or ""),
             f["rule"], "错误" if f["severity"] == "error" else "提示", f["message"]]
            for r in data.records for f in r.entry["findings"]]


def group_rows(data: ExportData) -> tuple[list[list[Any]], list[bool]]:
    """The national list: every group of every unit's current 推荐表 (topic from its 申报表), marked twice-named."""
    rows: list[list[Any]] = []
    keys: list[str] = []
    for r in data.records:
        for g in r.entry["groups"]:
            rows.append([r.entry["unit"], g["company"], g["group_name"], g["topic"], g["topic_type"]])
            keys.append(norm_name(g["company"]) + "|" + norm_name(g["group_name"]))
    seen = Counter(keys)
    marks = [seen[k] > 1 for k in keys]
    out = [[i, *row, "重复推荐" if mark else ""] for i, (row, mark) in enumerate(zip(rows, marks, strict=True), 1)]
    return out, marks


def judge_rows(data: ExportData) -> tuple[list[list[Any]], list[bool]]:
    judges = []
    for r in data.records:
        for rec in _docs(r, "recommendation")[:1]:
            for j in rec.fields.get("judges") or []:
                if isinstance(j, dict) and (j.get("name") or j.get("certificate_no")):
                    judges.append((r.entry["unit"], j))
    counts = Counter(cert_key(j.get("certificate_no")) for _, j in judges if j.get("certificate_no"))
    rows, marks = [], []
    for i, (unit, j) in enumerate(judges, start=1):
        cert = cert_key(j.get("certificate_no"))
        notes = []
        if cert and counts[cert] > 1:
            notes.append("证书编号重复")
        if data.register is not None and cert:
            registered = data.register.get(cert)
            if registered is None:
                notes.append("证书编号不在评委名册中")
            elif norm_name(registered) != norm_name(j.get("name")):
                notes.append(f"名册中该编号为“{registered}”")
        rows.append([i, unit, j.get("name"), j.get("employer"), j.get("certificate_no"), j.get("mobile"),
                     "；".join(notes)])
        marks.append(bool(notes))
    return rows, marks


def statistics_rows(data: ExportData) -> list[list[Any]]:
    rows: list[list[Any]] = []
    totals = {k: 0.0 for k in STAT_NUMBERS if k not in _RATES}
    for r in data.records:
        for st in _docs(r, "statistics")[:1]:
            row: list[Any] = [r.entry["unit"]]
            for key in STAT_COLUMNS:
                value = _number(st.fields.get(key))
                if key in _RATES and isinstance(value, int | float):
                    value = value / 100 if value > 1 else value
                if key in totals and isinstance(value, int | float):
                    totals[key] += value
                row.append(_date(value) if key == "meeting_time" else value)
            rows.append(row)
    total_row: list[Any] = ["全国合计"] + [
        (int(totals[k]) if float(totals[k]).is_integer() else round(totals[k], 2)) if k in totals else None
        for k in STAT_COLUMNS]
    return [*rows, total_row]


def build_workbook(data: ExportData) -> Workbook:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    _sheet(wb, "汇总", ["推荐单位", "类型", "状态", "首次来信", "最近来信", "小组数", "尚缺材料", "错误", "提示"],
           _summary_rows(data), [26, 8, 18, 17, 17, 8, 30, 8, 8])
    for ws_row in wb["汇总"].iter_rows(min_row=2, min_col=4, max_col=5):
        for cell in ws_row:
            cell.number_format = "yyyy-mm-dd hh:mm"
    _sheet(wb, "问题清单", ["推荐单位", "文件", "材料", "规则", "类别", "说明"], _findings_rows(data),
           [26, 36, 12, 34, 8, 80])
    rows, marks = group_rows(data)
    _sheet(wb, "推荐小组", ["序号", "推荐单位", "企业名称", "小组名称", "课题名称", "课题类型", "备注"], rows,
           [6, 26, 36, 26, 36, 12, 12], marks)
    rows, marks = judge_rows(data)
    _sheet(wb, "评委", ["序号", "推荐单位", "姓名", "工作单位", "评委证书编号", "手机", "备注"], rows,
           [6, 26, 10, 36, 18, 14, 30], marks)
    labels = data.campaign.labels.get("statistics", {})
    stats = _sheet(wb, "统计", ["推荐单位", *[labels.get(k, k) for k in STAT_COLUMNS]], statistics_rows(data),
                   [26] + [14] * len(STAT_COLUMNS))
    for i, key in enumerate(STAT_COLUMNS, start=2):
        fmt = "0.0%" if key in _RATES else "yyyy-mm-dd" if key == "meeting_time" else None
        if fmt:
            for (cell,) in stats.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    for cell in stats[stats.max_row]:
        cell.font = Font(bold=True)
    return wb


def export_workbook(cfg: Config) -> bytes:
    """The national lists workbook for the configured ledger, as .xlsx bytes (the web page serves these)."""
    buf = io.BytesIO()
    build_workbook(load_export_data(cfg)).save(buf)
    return buf.getvalue()


_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name Windows accepts: no reserved characters or names, no trailing dot or space."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", text)).strip().rstrip(". ")[:limit].rstrip(". ")
    if not name or name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    return name


def canonical_name(doc: DocumentResult) -> str:
    """附件1-申报表-<企业>-<小组>.pdf, 附件4-推荐表.xlsx, …; unknown files keep their own name."""
    ext = Path(doc.filename).suffix.lower() or f".{doc.format}"
    if doc.form not in FORM_NO:
        return safe_name(Path(doc.filename).name)
    parts = [FORM_NO[doc.form], FORM_ZH[doc.form]] if FORM_NO[doc.form] != FORM_ZH[doc.form] else [FORM_ZH[doc.form]]
    fields = doc.fields if isinstance(doc.fields, dict) else {}
    if doc.form in ("application", "report", "evidence"):
        parts += [str(fields[k]) for k in ("company", "group_name") if fields.get(k)]
        if doc.form == "application" and copy_of(doc) == "pdf":
            parts.append("盖章版")
    return safe_name("-".join(parts), 120) + ext


def export_files(cfg: Config, target: Path) -> list[Path]:
    """Copy each unit's current documents under canonical names; returns the files written."""
    data = load_export_data(cfg)
    engine = open_ledger_readonly(cfg)
    written: list[Path] = []
    try:
        with Session(engine) as s:
            blobs = {d.sha256: d.blob_path for d in s.exec(select(DocumentRow)).all() if d.sha256 and d.blob_path}
    finally:
        engine.dispose()
    for r in data.records:
        if not r.documents:
            continue
        folder = target / safe_name(r.entry["unit"])
        folder.mkdir(parents=True, exist_ok=True)
        used: Counter[str] = Counter()
        for doc in r.documents:
            blob = blobs.get(doc.sha256 or "")
            if blob is None or doc.format in CONTAINER_FORMATS:
                continue
            name = canonical_name(doc)
            used[name] += 1
            if used[name] > 1:  # two copies with one canonical name: number them, never overwrite
                stem, ext = Path(name).stem, Path(name).suffix
                name = f"{stem}-{used[name]}{ext}"
            dest = folder / name
            source = Path(blob) if Path(blob).is_absolute() else cfg.data_dir / blob
            shutil.copyfile(source, dest)
            written.append(dest)
    return written
