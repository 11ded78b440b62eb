"""Reminders: before the deadline, one Chinese mail to each roster unit that is not done yet.

On each ``reminders.days_before`` day before ``campaign.deadline_date`` (from ``reminders.send_at``,
campaign local time) every ROSTER unit whose status is ``not_submitted`` or ``incomplete``
(:func:`intake.staff.units.unit_records`, the same view as ``intake units``) gets one mail saying
what is still missing (forms by their Chinese names), the open errors, the deadline and where to
send. Units not on the roster are never mailed (we do not know who they are), nor are complete or
late ones.

At most one per unit per day: a :class:`ReminderRow` (unique ``(unit, day)``) and its outbox row
are committed in one transaction, the row inserted with ``ON CONFLICT DO NOTHING``, so a restart,
the daemon's job and a staff member's ``intake remind`` together still send one. The mail leaves
through the receipts' outbox (:func:`intake.reply.outbox.enqueue_reminder`): same transport, same
retries, same per-address hourly limit. A reminder still unsent when its day is over is dropped
(``failed``, "expired"): yesterday's list of what is missing is no longer true.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from intake.config import Config, parse_clock
from intake.record.roster import Roster
from intake.reply.outbox import enqueue_reminder
from intake.reply.receipt import deadline_text, finding_text, form_names, intake_address
from intake.reply.suppress import RECEIPT_MSGID_MARK, ascii_address
from intake.staff.units import STATUS_ZH, unit_records
from intake.store.rows import OutboxRow, ReminderRow, utcnow
from rules import Campaign

log = logging.getLogger(__name__)

class RemindError(RuntimeError):
    """``intake remind`` refused (e.g. the deadline has passed); the message says why, in Chinese."""


REMINDED = ("not_submitted", "incomplete")  # the statuses that get a reminder
MAX_ERRORS = 20  # a unit with more open errors is told how many more there are


@dataclass
class Reminder:
    """One unit's reminder for one day, decided (and, once queued, recorded) — or why none goes."""

    unit: str
    status: str
    addresses: list[str]
    missing: list[str]  # Chinese form names, in the notice's order
    errors: list[str]  # open error findings, as the receipt words them
    day: date
    skip: str | None = None  # why no mail: no address, already reminded today
    message: EmailMessage | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        assert self.message is not None
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())


# ---------------------------------------------------------------- when


def reminder_days(cfg: Config, campaign: Campaign) -> list[date]:
    """The days reminders go out, earliest first."""
    return sorted({campaign.deadline_date - timedelta(days=n) for n in cfg.reminders.days_before})


def local_day(campaign: Campaign, now: datetime) -> date:
    return now.astimezone(campaign.tz).date()


def due_day(cfg: Config, campaign: Campaign, now: datetime) -> date | None:
    """Today (campaign-local) when it is a reminder day, ``send_at`` has passed and the deadline has not."""
    local = now.astimezone(campaign.tz)
    if local.date() not in reminder_days(cfg, campaign) or campaign.is_late(now):
        return None
    if (local.hour, local.minute) < parse_clock(cfg.reminders.send_at, "reminders.send_at"):
        return None
    return local.date()


# ---------------------------------------------------------------- who, and what they are told


def plan(s: Session, cfg: Config, campaign: Campaign, roster: Roster, day: date, now: datetime) -> list[Reminder]:
    """Every roster unit that is not_submitted or incomplete, with its mail (or why none goes)."""
    names = form_names(campaign)
    done = {r.unit: r for r in s.exec(select(ReminderRow).where(ReminderRow.day == day)).all()}
    out = []
    for rec in unit_records(s, campaign, roster):
        e = rec.entry
        if not e["on_roster"] or e["status"] not in REMINDED:
            continue
        missing = [names.get(f, f) for f in e["missing"]]
        errors: list[str] = []
        for f in e["findings"]:
            if f.get("severity") != "error" or (f.get("audience") or "unit") != "unit":
                continue
            text = finding_text(f, names)
            if f.get("rule") == f"{f.get('form')}.missing" and text == _plain_missing(campaign, f.get("form"), names):
                continue  # the plain "not received" of a form listed as missing anyway
            if text and text not in errors:
                errors.append(text)
        addresses = [a for a in (ascii_address(x) for x in e["addresses"]) if a]
        r = Reminder(e["unit"], e["status"], addresses, missing, errors, day)
        if e["unit"] in done:
            r.skip = f"已提醒（{done[e['unit']].state}）"
        elif not addresses:
            r.skip = "名册中没有可用的邮箱"
        r.message = compose(cfg, campaign, r, now)
        out.append(r)
    return out


def _plain_missing(campaign: Campaign, form: str | None, names: dict[str, str]) -> str:
    try:
        return campaign.message("form.missing", form_name=names.get(form or "", form or ""), copy_name="")
    except Exception:  # a campaign without that text: keep every finding
        return ""


def compose(cfg: Config, campaign: Campaign, r: Reminder, now: datetime) -> EmailMessage:
    """The reminder mail: plain text, UTF-8, marked as automatic (RFC 3834) so vacation robots stay quiet."""
    deadline = deadline_text(campaign)
    address = intake_address(cfg)
    left = (campaign.deadline_date - r.day).days
    when = f"距截止还有 {left} 天" if left > 0 else "今天是截止日"
    lines = [f"{r.unit}：", "", f"您好！{campaign.name}的材料提交截止时间为{deadline}，{when}。", ""]
    as_of = campaign.format_time(now)
    if r.status == "not_submitted":
        lines.append(f"截至{as_of}，我们尚未收到贵单位报送的材料。需报送的材料：")
    else:
        lines.append(f"截至{as_of}，贵单位的材料尚不齐全（依据已收到的全部来信）。尚缺的材料：")
    lines += [f"  · {m}" for m in r.missing] or ["  （无）"]
    if r.errors:
        lines += ["", "尚需补交或更正："]
        lines += [f"  {i}. {t}" for i, t in enumerate(r.errors[:MAX_ERRORS], 1)]
        if len(r.errors) > MAX_ERRORS:
            lines.append(f"  ……另有 {len(r.errors) - MAX_ERRORS} 项，见最近一封回执。")
    if r.status == "not_submitted":
        send = (f"请在截止时间前将材料发送至 {address}（可分几封邮件发送）；"
                "邮件主题请写明推荐单位名称，附件请使用通知附件中的原表格式。")
    else:
        send = (f"请在截止时间前将缺少或更正后的材料发送至 {address}。只需发送缺少或更正的文件，"
                "已合格的材料无需重复发送；邮件主题请写明推荐单位名称，附件请使用通知附件中的原表格式。")
    lines += [
        "",
        send,
        "每封来信都会收到一封回执，列明已收到和尚缺的材料；如贵单位在本提醒之后已发送，请以回执为准。",
        "",
        cfg.reply.from_name,
        "（本邮件由系统自动发送。）",
        "",
    ]
    msg = EmailMessage()
    msg["From"] = formataddr((cfg.reply.from_name.replace('"', ""), cfg.reply.from_addr))
    if r.addresses:
        msg["To"] = ", ".join(formataddr((r.unit.replace('"', ""), a)) for a in r.addresses)
    if r.status == "not_submitted":
        msg["Subject"] = f"提醒：尚未收到贵单位的{campaign.name}材料（截止{deadline}）"
    else:
        msg["Subject"] = f"提醒：贵单位的{campaign.name}材料尚不齐全（截止{deadline}）"
    msg["Date"] = format_datetime(now.astimezone(campaign.tz))
    domain = cfg.reply.from_addr.rsplit("@", 1)[-1] if "@" in cfg.reply.from_addr else "localhost"
    # the receipts' mark: should it ever come back into the campaign mailbox, it is known as our own
    msg["Message-ID"] = make_msgid(idstring=RECEIPT_MSGID_MARK, domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content("\n".join(lines), charset="utf-8", cte="base64")
    return msg


# ---------------------------------------------------------------- queueing


def queue_reminders(cfg: Config, engine: Engine, campaign: Campaign, roster: Roster, day: date,
                    now: datetime | None = None) -> list[Reminder]:
    """Queue the reminders of ``day`` that were not queued yet; returns every unit considered.

    One transaction per unit (its ReminderRow and its outbox row), so a crash halfway leaves
    the rest for the next run and never a reminder without its mail.
    """
    now = now or utcnow()
    with Session(engine) as s:
        expire_stale(s, local_day(campaign, now))
        s.commit()
        reminders = plan(s, cfg, campaign, roster, day, now)
    for r in reminders:
        if r.skip is not None or r.message is None:
            continue
        with Session(engine) as s:
            pk = _insert_once(s, r, now)
            if pk is None:  # another process got there first
                r.skip = "已提醒（queued）"
                continue
            enqueue_reminder(s, pk, r.message)
            s.commit()
        log.info("reminder for %s (%s) queued to %s", r.unit, r.status, ", ".join(r.addresses))
    return reminders


def queue_due(cfg: Config, engine: Engine, campaign: Campaign, roster: Roster, now: datetime | None = None
              ) -> list[Reminder]:
    """The daemon's job: today's reminders when ``reminders.enabled`` and they are due; else nothing."""
    now = now or utcnow()
    if not cfg.reminders.enabled or not roster.units:
        return []
    day = due_day(cfg, campaign, now)
    if day is None:
        return []
    if not cfg.reply.enabled:
        log.info("reminders due today, but reply.enabled = false: none queued")
        return []
    return [r for r in queue_reminders(cfg, engine, campaign, roster, day, now) if r.skip is None]


def _insert_once(s: Session, r: Reminder, now: datetime) -> int | None:
    values: dict[str, Any] = {"unit": r.unit, "day": r.day, "status": r.status, "to_addr": ", ".join(r.addresses),
                              "state": "queued", "created_at": now}
    dialect = s.get_bind().dialect.name
    stmt: Insert
    if dialect == "sqlite":
        stmt = sqlite_insert(ReminderRow).values(**values).on_conflict_do_nothing(index_elements=["unit", "day"])
    elif dialect == "postgresql":
        stmt = pg_insert(ReminderRow).values(**values).on_conflict_do_nothing(index_elements=["unit", "day"])
    else:  # other databases: the unique constraint refuses the second at commit
        row = ReminderRow(**values)
        s.add(row)
        s.flush()
        return row.id
    # RETURNING: no row when another process got there first (rowcount is -1 for an INSERT on PostgreSQL)
    inserted = s.connection().execute(stmt.returning(col(ReminderRow.id))).first()
    return None if inserted is None else inserted[0]


def expire_stale(s: Session, today: date) -> int:
    """Drop reminders of earlier days still waiting in the outbox (their list of what is missing is old)."""
    old = {r.id: r for r in s.exec(select(ReminderRow).where(col(ReminderRow.day) < today,
                                                             ReminderRow.state == "queued")).all()}
    if not old:
        return 0
    n = s.exec(update(OutboxRow).where(col(OutboxRow.reminder_pk).in_(list(old)), col(OutboxRow.state) == "pending")
               .values(state="failed", last_error="expired: not delivered on its day", next_attempt_at=None)).rowcount
    for pk, state in s.exec(select(OutboxRow.reminder_pk, OutboxRow.state)
                            .where(col(OutboxRow.reminder_pk).in_(list(old)))).all():
        if pk in old and state in ("sent", "failed"):
            old[pk].state = state
            s.add(old[pk])
    return int(n or 0)


# ---------------------------------------------------------------- `intake remind`


def remind_command(cfg: Config, day: date | None, dry_run: bool, now: datetime | None = None) -> list[str]:
    """``intake remind [--dry-run] [--day D]``: the lines to print. Dry run: read-only, nothing queued."""
    from intake.record.roster import load_roster
    from intake.store.migrations import open_ledger, open_ledger_readonly
    from rules import load_campaign

    now = now or utcnow()
    campaign = load_campaign(cfg.rules_path)
    roster = load_roster(cfg.roster_path)
    day = day or local_day(campaign, now)
    if not dry_run and (day > campaign.deadline_date or campaign.is_late(now)):
        raise RemindError(f"截止时间（{deadline_text(campaign)}）已过，不再发送提醒（--dry-run 仍可查看）")
    engine = open_ledger_readonly(cfg) if dry_run else open_ledger(cfg)
    try:
        if dry_run:
            with Session(engine) as s:
                reminders = plan(s, cfg, campaign, roster, day, now)
        else:
            reminders = queue_reminders(cfg, engine, campaign, roster, day, now)
    finally:
        engine.dispose()
    return report(cfg, campaign, roster, day, reminders, dry_run)


def report(cfg: Config, campaign: Campaign, roster: Roster, day: date, reminders: list[Reminder],
           dry_run: bool) -> list[str]:
    days = reminder_days(cfg, campaign)
    notes = []
    if day not in days:
        notes.append(f"{day} 不是提醒日（reminders.days_before：{'、'.join(str(d) for d in days) or '无'}）")
    if not cfg.reminders.enabled:
        notes.append("reminders.enabled = false：守护进程不会自动发送")
    if not cfg.reply.enabled:
        notes.append("reply.enabled = false：邮件只排队，不发出")
    head = f"{day} 的提醒（截止 {campaign.deadline_date}，前 {(campaign.deadline_date - day).days} 天）"
    out = [head + (f"；{'；'.join(notes)}" if notes else "")]
    if not roster.units:
        out.append("没有名册（roster.file）：提醒只发给名册中的单位")
        return out
    going = [r for r in reminders if r.skip is None]
    verb = "将发送" if dry_run else "已排队"
    out.append(f"{verb} {len(going)} 封：" if going else f"{verb} 0 封。")
    for r in going:
        out.append(f"  {r.unit}（{STATUS_ZH[r.status]}）→ {', '.join(r.addresses)}："
                   f"尚缺 {'、'.join(r.missing) or '—'}；需补交或更正 {len(r.errors)} 项")
    skipped = [r for r in reminders if r.skip is not None]
    if skipped:
        out.append("不发送：")
        out += [f"  {r.unit}（{STATUS_ZH[r.status]}）：{r.skip}" for r in skipped]
    if dry_run:
        for r in going:
            assert r.message is not None
            out += ["", f"---- {r.unit} → {r.message['To']}", f"主题：{r.message['Subject']}", "", r.text.rstrip()]
    elif going:
        out.append("由守护进程的发送任务投递（或运行 intake run --once）。")
    return out
