"""``intake status``: is the daemon alive and is anything stuck? For staff and for a monitoring cron.

Read from the ledger only (never the mailbox), so it works while the daemon runs and says the
same thing the daemon last saw: the last successful poll, where fetching resumes, messages
stored but not processed, failed messages, receipts pending or failed, documents our own code
failed on (document.internal_error), and the last error. Exit 1 when the last good poll is
older than ``schedule.stale_after_seconds``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from sqlalchemy import func
from sqlmodel import Session, col, select

from intake.config import Config
from intake.record.second_look import pending_count
from intake.reply.limits import pauses
from intake.staff.views import local_time
from intake.store.migrations import open_ledger_readonly
from intake.store.rows import AlertRow, DocumentRow, MailboxStateRow, MessageRow, OutboxRow, ReminderRow


def _aware(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def status_data(s: Session, max_age: float, now: datetime | None = None) -> dict[str, Any]:
    """Everything ``intake status`` shows, as one dict (also its ``--json``)."""
    now = now or datetime.now(UTC)
    sources = []
    for st in s.exec(select(MailboxStateRow).order_by(col(MailboxStateRow.source))).all():
        ok = _aware(st.last_ok_at)
        sources.append({
            "source": st.source, "uidvalidity": st.uidvalidity, "last_uid": st.last_uid,
            "last_poll_at": _aware(st.last_poll_at), "last_ok_at": ok, "last_error": st.last_error,
            "stale": ok is None or (now - ok).total_seconds() > max_age,
        })
    states = dict(s.exec(select(MessageRow.state, func.count()).group_by(MessageRow.state)).all())
    receipts = dict(s.exec(select(OutboxRow.state, func.count()).where(col(OutboxRow.message_pk).is_not(None))
                           .group_by(OutboxRow.state)).all())
    failed = s.exec(select(MessageRow).where(MessageRow.state == "failed").order_by(col(MessageRow.id))).all()
    internal = [d for d in s.exec(select(DocumentRow)).all()
                if any(p.get("rule") == "document.internal_error" for p in d.problems or [])]
    return {
        "sources": sources,
        "messages": {"stored": states.get("stored", 0), "processed": states.get("processed", 0),
                     "failed": states.get("failed", 0),
                     # processed, receipt queued; the sealed 申报表 scan still to be OCR'd (intake.record.second_look)
                     "second_look": pending_count(s)},
        "receipts": {"pending": receipts.get("pending", 0), "sent": receipts.get("sent", 0),
                     "failed": receipts.get("failed", 0)},
        "internal_errors": [{"message": d.message_pk, "filename": d.filename} for d in internal],
        # failed messages are retried by themselves (retry_at); None = waiting for `intake reprocess --failed-only`
        "failed_messages": [{"id": m.id, "error": (m.error or "").splitlines()[0] if m.error else None,
                             "attempts": m.attempts, "retry_at": _aware(m.retry_at)} for m in failed],
        # sending held by a provider's refusal (163.com's MI:STC daily limit, DT:SUM …), see intake.reply.limits
        "sending_paused": [x for x in pauses(s, now) if x["active"]],
        # polling incidents still open (one staff alert each, intake.staff.alerts)
        "open_incidents": [{"source": a.source, "kind": a.kind, "since": _aware(a.opened_at), "notified": a.notified}
                           for a in s.exec(select(AlertRow).where(col(AlertRow.closed_at).is_(None))).all()],
        # the latest reminder day: who was reminded and whether it went out (intake.staff.remind)
        "reminders": _latest_reminders(s),
        "max_age_seconds": max_age,
        "ok": bool(sources) and not any(x["stale"] for x in sources),
    }


def _latest_reminders(s: Session) -> dict[str, Any] | None:
    """The most recent reminder day's rows, counted by state; None before any reminder."""
    day = s.exec(select(func.max(ReminderRow.day))).one()
    if day is None:
        return None
    rows = s.exec(select(ReminderRow).where(ReminderRow.day == day).order_by(col(ReminderRow.unit))).all()
    count = {state: sum(r.state == state for r in rows) for state in ("queued", "sent", "failed")}
    return {"day": day.isoformat(), "units": [r.unit for r in rows], **count}


def status_view(cfg: Config, as_json: bool = False, max_age: float | None = None) -> bool:
    """Print the status; True when every source polled successfully within ``max_age`` seconds."""
    limit = max_age if max_age is not None else cfg.schedule.stale_after_seconds
    engine = open_ledger_readonly(cfg)
    try:
        with Session(engine) as s:
            data = status_data(s, limit)
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
        return bool(data["ok"])
    con = Console()
    if not data["sources"]:
        con.print("[red]尚未轮询过邮箱[/red]（守护进程没有运行过？）")
    for src in data["sources"]:
        mark = "[red]已停滞[/red]" if src["stale"] else "[green]正常[/green]"
        con.print(f"邮箱 {src['source']}：{mark}")
        con.print(f"  上次成功轮询：{local_time(src['last_ok_at'])}　上次轮询：{local_time(src['last_poll_at'])}")
        con.print(f"  UIDVALIDITY {src['uidvalidity'] or '—'}，已取到 UID {src['last_uid']}")
        if src["last_error"]:
            con.print(f"  [red]最近的错误[/red]：{src['last_error']}")
    m, r = data["messages"], data["receipts"]
    later = f"（其中 {m['second_look']} 封的盖章扫描件待回执后识别）" if m["second_look"] else ""
    con.print(f"邮件：已处理 {m['processed']}{later}，待处理 {m['stored']}，处理失败 {m['failed']}")
    con.print(f"回执：已发送 {r['sent']}，待发送 {r['pending']}，发送失败 {r['failed']}")
    if (rem := data["reminders"]) is not None:
        con.print(f"催报（{rem['day']}）：{len(rem['units'])} 个单位，已发送 {rem['sent']}，待发送 {rem['queued']}"
                  f"，发送失败 {rem['failed']}")
    for a in data["open_incidents"]:
        what = "邮箱拒绝登录（授权码？）" if a["kind"] == "auth" else "轮询失败"
        con.print(f"[red]未恢复的故障[/red]：{a['source']} {what}，自 {local_time(a['since'])}"
                  f"{'，已通知工作人员' if a['notified'] else ''}")
    for x in data["sending_paused"]:
        until = local_time(x["paused_until"]) if x["paused_until"] else "配置修正之前"
        con.print(f"[red]回执发送已暂停[/red]（{x['tag'] or x['kind']}，至 {until}）：{x['reason']}")
    for f in data["failed_messages"]:
        when = f"下次重试 {local_time(f['retry_at'])}" if f["retry_at"] else "不再自动重试（intake reprocess --failed-only）"
        con.print(f"  [red]处理失败[/red] 来信 {f['id']}（已试 {f['attempts']} 次，{when}）：{f['error']}")
    if data["internal_errors"]:
        con.print(f"[red]系统处理出错的文件 {len(data['internal_errors'])} 个[/red]（intake ledger --review 查看）：")
        for d in data["internal_errors"][:20]:
            con.print(f"  来信 {d['message']}：{d['filename']}")
    return bool(data["ok"])
