"""Terminal views for staff: ``intake ledger``, ``intake show ID`` and ``intake check`` (human form).

Read-only. Times are shown in Asia/Shanghai (the campaign's zone), because that is the clock the
deadline and the staff live by; ``--json`` keeps ISO 8601 with offset for tools.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlmodel import Session, col, func, or_, select

from intake.config import Config
from intake.reply.receipt import FORM_NAMES, STATUS_TEXT
from intake.store.migrations import open_ledger_readonly
from intake.store.rows import DocumentRow, FindingRow, MessageRow, OutboxRow, UnitRow

TZ = ZoneInfo("Asia/Shanghai")
STATUS_ZH: dict[str | None, str] = dict(STATUS_TEXT.items())
STATUS_ZH[None] = "—"
STATE_ZH = {"stored": "待处理", "processed": "已处理", "failed": "处理失败"}
RECEIPT_ZH = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}
FORM_ZH = {**FORM_NAMES, "unknown": "未识别"}  # the receipt's names, so staff and units read the same words
KEY_FIELDS = {  # the few values that identify a document at a glance
    "application": ("company", "group_name", "topic"),
    "summary": ("recommender", "char_count"),
    "statistics": ("recommender", "groups_registered_total"),
    "recommendation": ("recommender", "filled_by"),
    "review": ("recommender", "filled_by"),
}


def _console() -> Console:
    """A terminal gets its own width; piped output (cron mail, a file) gets room for the table."""
    con = Console(soft_wrap=False)
    return con if con.is_terminal else Console(soft_wrap=False, width=160)


def local_time(dt: datetime | str | None) -> str:
    if dt is None:
        return "—"
    if isinstance(dt, str):
        text = dt
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            return text
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def _receipt_state(msg: MessageRow, outbox: OutboxRow | None) -> str:
    if outbox is not None:
        return outbox.state
    if msg.no_receipt_reason:
        return f"none: {msg.no_receipt_reason}"
    return "—"


def ledger_rows(session: Session) -> list[dict[str, Any]]:
    """One dict per message, newest last: what ``intake ledger --json`` prints."""
    msgs = session.exec(select(MessageRow).order_by(col(MessageRow.id))).all()
    outbox = {o.message_pk: o for o in session.exec(select(OutboxRow)).all() if o.message_pk is not None}
    docs = dict(session.exec(select(DocumentRow.message_pk, func.count()).group_by(col(DocumentRow.message_pk))).all())
    counts: dict[tuple[int, str], int] = {
        (pk, sev): n for pk, sev, n in session.exec(
            select(FindingRow.message_pk, FindingRow.severity, func.count())
            .group_by(col(FindingRow.message_pk), col(FindingRow.severity))).all()}
    units = {u.key: u for u in session.exec(select(UnitRow)).all()}
    rows = []
    for m in msgs:
        assert m.id is not None  # a row read from the ledger has its primary key
        unit = units.get(m.unit_key or "")
        rows.append({
            "id": m.id,
            "received_at": m.received_at.astimezone(TZ).isoformat() if m.received_at else None,
            "from": m.from_addr,
            "unit": m.unit_key,
            "recommender": m.recommender or (unit.recommender if unit else None),
            "unit_status": unit.status if unit else None,
            "subject": m.subject,
            "documents": docs.get(m.id, 0),
            "state": m.state,
            "status": m.status,
            "errors": counts.get((m.id, "error"), 0),
            "warnings": counts.get((m.id, "warning"), 0),
            "receipt": _receipt_state(m, outbox.get(m.id or -1)),
            "error": (m.error or "").splitlines()[0] if m.error else None,
        })
    return rows


def ledger_view(cfg: Config, as_json: bool = False) -> None:
    engine = open_ledger_readonly(cfg)
    with Session(engine) as s:
        rows = ledger_rows(s)
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    t = Table(title=f"收件台账（{len(rows)} 封）", show_lines=False)
    for name in ("ID", "收到时间", "发件人", "推荐单位", "主题", "附件", "状态", "错误/提示", "回执"):
        t.add_column(name, overflow="fold")
    for r in rows:
        if r["state"] != "processed":
            status = STATE_ZH.get(r["state"], r["state"])
        elif r["receipt"].startswith("none: "):
            status = "非申报邮件"  # auto-reply, bounce, list mail: not counted for any unit
        else:
            status = STATUS_ZH.get(r["status"], r["status"])
        t.add_row(str(r["id"]), local_time(r["received_at"]), r["from"] or "—",
                  r["recommender"] or "—", r["subject"] or "（无主题）", str(r["documents"]), status,
                  f"{r['errors']}/{r['warnings']}", _receipt_zh(r["receipt"]))
    _console().print(t)


def units_view(cfg: Config, as_json: bool = False) -> None:
    """Per recommending unit: who has submitted, who is complete, who is late (from all its messages)."""
    engine = open_ledger_readonly(cfg)
    with Session(engine) as s:
        counts = dict(s.exec(select(MessageRow.unit_key, func.count()).group_by(MessageRow.unit_key)).all())
        rows: list[dict[str, Any]] = [{
            "unit": u.key,
            "recommender": u.recommender,
            "addresses": list(u.addresses or []),
            "messages": counts.get(u.key, 0),
            "status": u.status,
            "errors": sum(1 for f in u.findings or [] if f.get("severity") == "error"),
            "warnings": sum(1 for f in u.findings or [] if f.get("severity") == "warning"),
            "updated_at": local_time(u.updated_at),
        } for u in s.exec(select(UnitRow).order_by(col(UnitRow.key))).all()]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    t = Table(title=f"推荐单位（{len(rows)} 个）")
    for name in ("推荐单位", "发件地址", "邮件数", "总体状态", "错误/提示", "最近更新"):
        t.add_column(name, overflow="fold")
    for r in rows:
        t.add_row(r["recommender"] or r["unit"], "、".join(r["addresses"]) or "—", str(r["messages"]),
                  STATUS_ZH.get(r["status"], r["status"] or "—"), f"{r['errors']}/{r['warnings']}", r["updated_at"])
    _console().print(t)


REVIEW_ZH = {"document.internal_error": "系统处理出错（程序问题，非来件问题）", "document.scanned": "扫描件", "document.cid_text": "文字无法提取（字体无编码表）",
             "document.image": "图片", "document.timeout": "读取超时", "document.unreadable": "文件损坏",
             "document.encrypted": "已加密", "converter.missing": "缺少转换程序"}


def review_rows(session: Session) -> list[dict[str, Any]]:
    """Documents whose text the daemon could not trust or read: staff must look at them by eye."""
    docs = session.exec(select(DocumentRow).order_by(col(DocumentRow.message_pk), col(DocumentRow.position))).all()
    msgs = {m.id: m for m in session.exec(select(MessageRow)).all()}
    rows = []
    for d in docs:
        reasons = [p.get("rule") for p in d.problems or [] if p.get("rule") in REVIEW_ZH]
        if d.text_trusted and not reasons:
            continue
        m = msgs.get(d.message_pk)
        rows.append({"message": d.message_pk, "from": m.from_addr if m else None,
                     "recommender": m.recommender if m else None, "filename": d.filename, "part": d.part,
                     "container": d.container, "format": d.format, "form": d.form,
                     "reasons": reasons or ["document.manual_review"]})
    return rows


def review_view(cfg: Config, as_json: bool = False) -> None:
    """The manual-review list: scanned, CID-font, image, unreadable or timed-out documents."""
    with Session(open_ledger_readonly(cfg)) as s:
        rows = review_rows(s)
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    t = Table(title=f"需人工核对的文件（{len(rows)} 个）")
    for name in ("来信ID", "推荐单位/发件人", "文件", "识别为", "原因"):
        t.add_column(name, overflow="fold")
    for r in rows:
        where = r["filename"] + (f"（{r['part']}）" if r.get("part") else "") + (
            f"（{r['container']}）" if r["container"] else "")
        t.add_row(str(r["message"]), r["recommender"] or r["from"] or "—", where, FORM_ZH.get(r["form"], r["form"]),
                  "、".join(REVIEW_ZH.get(x, "需人工核对") for x in r["reasons"]))
    _console().print(t)


def _receipt_zh(state: str) -> str:
    if state.startswith("none: "):
        return "不回复（" + state[6:] + "）"
    return RECEIPT_ZH.get(state, state)


def show_view(cfg: Config, message_pk: int) -> bool:
    """Print one message in full; False when there is no such message."""
    engine = open_ledger_readonly(cfg)
    con = _console()
    with Session(engine) as s:
        m = s.get(MessageRow, message_pk)
        if m is None:
            con.print(f"没有编号为 {message_pk} 的邮件")
            return False
        docs = s.exec(select(DocumentRow).where(DocumentRow.message_pk == message_pk).order_by(col(DocumentRow.position))).all()
        finds = s.exec(select(FindingRow).where(FindingRow.message_pk == message_pk).order_by(col(FindingRow.id))).all()
        ob = s.exec(select(OutboxRow).where(OutboxRow.message_pk == message_pk)).first()
        unit = s.get(UnitRow, m.unit_key) if m.unit_key else None
        con.print(f"[bold]邮件 {m.id}[/bold]  {STATE_ZH.get(m.state, m.state)}  {STATUS_ZH.get(m.status, m.status)}")
        for label, value in (("Message-ID", m.message_id), ("发件人", m.from_addr), ("主题", m.subject),
                             ("收到时间", local_time(m.received_at)), ("来源", f"{m.source} {m.source_ref}"),
                             ("推荐单位", m.recommender), ("原始邮件", m.raw_path)):
            con.print(f"  {label}: {value or '—'}")
        if m.error:
            con.print(f"  [red]处理错误[/red]: {m.error.splitlines()[0]}")
        if unit is not None:
            con.print(f"  单位 {unit.key}: {STATUS_ZH.get(unit.status, unit.status)}，"
                      f"单位问题 {sum(1 for f in unit.findings or [] if f.get('severity') == 'error')} 项")
        _print_documents(con, [{"filename": d.filename + (f"（{d.part}）" if d.part else ""),
                                "container": d.container, "format": d.format,
                                "form": d.form, "fields": d.fields or {}, "problems": d.problems or []}
                               for d in docs])
        _print_findings(con, [{"severity": f.severity, "rule": f.rule, "message": f.message} for f in finds])
        if ob is not None:
            con.print(f"回执: {RECEIPT_ZH.get(ob.state, ob.state)}  收件人 {ob.to_addr}  尝试 {ob.attempts} 次"
                      + (f"  发送于 {local_time(ob.sent_at)}" if ob.sent_at else "")
                      + (f"  错误: {ob.last_error}" if ob.last_error else ""))
        else:
            con.print("回执: " + (f"不回复（{m.no_receipt_reason}）" if m.no_receipt_reason else "无"))
    return True


def _brief(fields: dict[str, Any], form: str) -> str:
    keys = KEY_FIELDS.get(form) or tuple(fields)[:3]
    parts = []
    for k in keys:
        v = fields.get(k)
        if v not in (None, "", [], {}):
            parts.append(f"{k}={v if not isinstance(v, list) else f'{len(v)}项'}")
    return "；".join(parts)


def _print_documents(con: Console, docs: list[dict[str, Any]]) -> None:
    t = Table(title=f"附件（{len(docs)}）")
    for name in ("文件", "所在", "格式", "识别为", "主要内容", "问题"):
        t.add_column(name, overflow="fold")
    for d in docs:
        t.add_row(d["filename"], d.get("container") or "", d.get("format", ""),
                  FORM_ZH.get(d.get("form", "unknown"), d.get("form", "")), _brief(d.get("fields") or {}, d["form"]),
                  "；".join(p.get("rule", "") for p in d.get("problems") or []))
    con.print(t)


def _print_findings(con: Console, findings: list[dict[str, Any]]) -> None:
    if not findings:
        con.print("检查结果: 未发现问题")
        return
    con.print(f"检查结果（{len(findings)} 项）:")
    for f in findings:
        tag = "[red]需要更正[/red]" if f["severity"] == "error" else "[yellow]请核对[/yellow]"
        con.print(f"  {tag} {f['message']}  [dim]({f['rule']})[/dim]")


def print_result(result: dict[str, Any]) -> None:
    """Human output of ``intake check`` (without --json)."""
    con = _console()
    m = result.get("message", {})
    con.print(f"[bold]{m.get('subject') or '（无主题）'}[/bold]")
    con.print(f"  发件人: {m.get('from') or '—'}   收到时间: {local_time(m.get('received_at'))}")
    if result.get("recommender"):
        con.print(f"  推荐单位: {result['recommender']}")
    _print_documents(con, result.get("documents", []))
    _print_findings(con, result.get("findings", []))
    con.print(f"结论: [bold]{STATUS_ZH.get(result.get('status'), result.get('status'))}[/bold]")


def outbox_view(cfg: Config, retry: bool = False) -> None:
    """Receipts (and reminders, alerts) that could not be delivered, or whose outcome was lost, with the
    reason; pauses of all sending (163.com's limits); ``retry`` queues the failed ones again and
    lifts a pause for a configuration error (DT:SUM, once the config is fixed)."""
    from intake.reply.limits import clear_pauses, pauses
    from intake.reply.outbox import retry_failed
    engine = open_ledger_readonly(cfg)
    now = datetime.now(UTC)
    with Session(engine) as s:
        rows = s.exec(select(OutboxRow).where(or_(OutboxRow.state == "failed", col(OutboxRow.unknown_outcomes) > 0))
                      .order_by(col(OutboxRow.id))).all()
        failed = sum(1 for r in rows if r.state == "failed")
        held = pauses(s, now)
        t = Table(title=f"发送失败的回执（{failed} 封）" + (f"，结果不明后已重发 {len(rows) - failed} 封" if len(rows) > failed else ""))
        for name in ("回执ID", "来信ID", "收件人", "状态", "尝试次数", "结果不明", "原因"):
            t.add_column(name, overflow="fold")
        for r in rows:
            owner = str(r.message_pk) if r.message_pk is not None else \
                f"提醒 {r.reminder_pk}" if r.reminder_pk is not None else f"告警 {r.alert_pk}"
            t.add_row(str(r.id), owner, r.to_addr, RECEIPT_ZH.get(r.state, r.state), str(r.attempts),
                      str(r.unknown_outcomes) if r.unknown_outcomes else "—", r.last_error or "—")
    con = _console()
    con.print(t)
    for p in held:
        if p["active"]:
            until = local_time(p["paused_until"]) if p["paused_until"] else "改正发信配置后（再运行 intake outbox --retry）"
            con.print(f"[red]暂停发送[/red] {p['sender']}（{p['tag'] or p['kind']}）至 {until}：{p['reason']}")
    if retry and (failed or any(p["active"] and p["kind"] == "config" for p in held)):
        lifted = clear_pauses(engine, now)
        con.print(f"已重新排队 {retry_failed(engine)} 封回执，下次发送时投递。" + ("已解除因发信配置错误的暂停。" if lifted else ""))
