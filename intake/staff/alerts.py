"""Liveness alerts: one mail to staff per polling incident, and one when it is over.

An *incident* of a source opens at its first failed poll (``MailboxStateRow.last_error`` set by
the pass loop) and closes at the next good one; each is an :class:`AlertRow`, so the ledger keeps
every outage. Staff (``alerts.staff_addresses``) are mailed ONE alert per incident, when it has
lasted longer than ``schedule.stale_after_seconds`` (the limit ``intake status`` uses) or at once
when the mailbox refused the login (a wrong or revoked 授权码 does not fix itself: ``LoginError``,
see :mod:`intake.fetch.imap`), and one recovery notice when the source works again — only for an
incident they were alerted to. A short hiccup is recorded and mails nobody.

"Once" survives restarts and a second daemon: the flags ``notified`` / ``recovery_notified`` are
claimed with a conditional UPDATE in the same transaction that queues the mail
(:func:`intake.reply.outbox.enqueue_alert`), and the incident lives in the ledger, not in memory.
Checked after every poll (:meth:`intake.run.daemon.Daemon.poll`); mail leaves through the outbox.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from intake.config import Config
from intake.reply.outbox import enqueue_alert
from intake.reply.suppress import RECEIPT_MSGID_MARK
from intake.store.rows import AlertRow, MailboxStateRow, utcnow

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "【qc-intake】"


def is_auth_error(error: str | None) -> bool:
    """The mailbox refused the login (as the pass loop records imapclient's LoginError)."""
    text = (error or "").lower()
    return text.startswith("loginerror") or "login refused" in text or "authenticationfailed" in text


def _aware(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def open_incident(s: Session, source: str) -> AlertRow | None:
    q = select(AlertRow).where(AlertRow.source == source, col(AlertRow.closed_at).is_(None)).order_by(col(AlertRow.id))
    return s.exec(q).first()


def check_alerts(cfg: Config, engine: Engine, source: str, campaign: Any = None, now: datetime | None = None
                 ) -> str | None:
    """After a poll of ``source``: open, alert, close or recover; returns what was done (for logs and tests).

    ``"opened"`` (failure noted, no mail yet), ``"alerted"``, ``"closed"`` (ended, nobody had been
    mailed), ``"recovered"`` (recovery notice queued), or None (nothing changed).
    """
    now = now or utcnow()
    with Session(engine) as s:
        st = s.get(MailboxStateRow, source)
        if st is None:
            return None
        incident = open_incident(s, source)
        if st.last_error is None:  # the last poll worked
            if incident is None:
                return None
            return _close(cfg, s, incident, st, campaign, now)
        done = None
        if incident is None:
            incident = AlertRow(source=source, kind="stale", opened_at=now, last_error=st.last_error)
            done = "opened"
        incident.last_error = st.last_error
        if is_auth_error(st.last_error):
            incident.kind = "auth"
        s.add(incident)
        s.flush()
        opened = _aware(incident.opened_at) or now
        due = incident.kind == "auth" or now - opened > timedelta(seconds=cfg.schedule.stale_after_seconds)
        if due and not incident.notified and cfg.alerts.staff_addresses and _claim(s, incident, "notified", now):
            assert incident.id is not None
            enqueue_alert(s, incident.id, compose_alert(cfg, incident, st, campaign, now))
            done = "alerted"
            log.warning("alert queued to %s: %s %s since %s: %s", ", ".join(cfg.alerts.staff_addresses),
                        source, incident.kind, opened, st.last_error)
        s.commit()
        return done


def _close(cfg: Config, s: Session, incident: AlertRow, st: MailboxStateRow, campaign: Any, now: datetime) -> str:
    incident.closed_at = now
    s.add(incident)
    s.flush()
    done = "closed"
    if incident.notified and cfg.alerts.staff_addresses and _claim(s, incident, "recovery_notified", now):
        assert incident.id is not None
        enqueue_alert(s, incident.id, compose_recovery(cfg, incident, st, campaign, now))
        done = "recovered"
        log.info("recovery notice queued: %s works again", incident.source)
    s.commit()
    return done


def _claim(s: Session, incident: AlertRow, flag: str, now: datetime) -> bool:
    """Set ``flag`` only if no one has (one conditional UPDATE): the mail is queued once, whoever races."""
    values: dict[str, Any] = {flag: True}
    if flag == "notified":
        values["notified_at"] = now
    won = s.exec(update(AlertRow).where(col(AlertRow.id) == incident.id, getattr(AlertRow, flag) == False)  # noqa: E712
                 .values(**values)).rowcount == 1
    if won:
        setattr(incident, flag, True)
    return won


# ---------------------------------------------------------------- the mails


def _local(campaign: Any, dt: datetime | None) -> str:
    aware = _aware(dt)
    if aware is None:
        return "—"
    tz = getattr(campaign, "tz", None)
    local = aware.astimezone(tz) if tz is not None else aware
    return local.strftime("%Y-%m-%d %H:%M:%S %Z")


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} 小时 {minutes % 60} 分钟" if minutes >= 60 else f"{minutes} 分钟"


def _mail(cfg: Config, subject: str, lines: list[str], campaign: Any, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((cfg.reply.from_name.replace('"', ""), cfg.reply.from_addr))
    msg["To"] = ", ".join(cfg.alerts.staff_addresses)
    msg["Subject"] = SUBJECT_PREFIX + subject
    tz = getattr(campaign, "tz", None)
    msg["Date"] = format_datetime(now.astimezone(tz) if tz is not None else now)
    domain = cfg.reply.from_addr.rsplit("@", 1)[-1] if "@" in cfg.reply.from_addr else "localhost"
    msg["Message-ID"] = make_msgid(idstring=RECEIPT_MSGID_MARK, domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content("\n".join(lines) + "\n", charset="utf-8", cte="base64")
    return msg


def compose_alert(cfg: Config, incident: AlertRow, st: MailboxStateRow, campaign: Any, now: datetime) -> EmailMessage:
    opened = _aware(incident.opened_at) or now
    if incident.kind == "auth":
        subject = f"告警：邮箱拒绝登录（{incident.source}）"
        what = ["邮箱服务器拒绝了登录：授权码（客户端授权密码，不是网页登录密码）错误、已过期或被撤销。",
                "它不会自行恢复；守护进程每隔几分钟重试一次，不会频繁登录。",
                f"请在邮箱的网页设置中重新生成授权码，写入 {cfg.source.imap.password_env} 环境变量"
                "（systemd 的 EnvironmentFile），然后重启守护进程。"]
    else:
        subject = f"告警：邮箱轮询已失败 {_minutes(now - opened)}（{incident.source}）"
        what = [f"从 {_local(campaign, opened)} 起每次轮询都失败，已超过 {_minutes(timedelta(seconds=cfg.schedule.stale_after_seconds))}"
                "（schedule.stale_after_seconds）：新的申报邮件没有被读取，推荐单位收不到回执。",
                "常见原因：网络或邮箱服务器故障、磁盘已满或数据目录不可写、配置错误。"]
    lines = [
        "质量管理小组申报邮件接收系统（qc-intake）告警：", "",
        *what, "",
        f"邮箱：{incident.source}",
        f"首次失败：{_local(campaign, opened)}",
        f"上次成功轮询：{_local(campaign, st.last_ok_at)}",
        f"最近的错误：{st.last_error or '—'}",
        f"主机：{socket.gethostname()}", "",
        "恢复后会再发一封通知。查看状态：intake status", "",
        "（本邮件由系统自动发送，每次故障只发一封。）",
    ]
    return _mail(cfg, subject, lines, campaign, now)


def compose_recovery(cfg: Config, incident: AlertRow, st: MailboxStateRow, campaign: Any, now: datetime
                     ) -> EmailMessage:
    opened = _aware(incident.opened_at) or now
    lines = [
        "质量管理小组申报邮件接收系统（qc-intake）通知：", "",
        f"邮箱 {incident.source} 的轮询已恢复正常，故障期间到达的邮件会依次处理并发送回执。", "",
        f"故障开始：{_local(campaign, opened)}",
        f"恢复时间：{_local(campaign, now)}（持续 {_minutes(now - opened)}）",
        f"故障期间的错误：{incident.last_error or '—'}", "",
        "（本邮件由系统自动发送。）",
    ]
    return _mail(cfg, f"恢复：邮箱轮询已恢复正常（{incident.source}）", lines, campaign, now)
