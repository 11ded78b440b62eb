"""Sending limits: pauses the mail server ordered (163.com's tags) and our own sending budget.

Why both: a free 163.com mailbox has limits NetEase does not publish (docs/field-facts.md, "NetEase
(163.com) mail"); when one is hit the server says so by a tag in its reply, and the right answer is
to stop ALL sending for a while, not to retry the one receipt that met the refusal. And so that the
limits are met as rarely as possible, the daemon keeps its own, lower budget
(``reply.max_per_15_minutes``, ``reply.max_per_day``): receipts beyond it stay queued (deferred),
they are not failed.

A pause is one :class:`~intake.store.rows.SenderStateRow` per sending account:

- ``window`` — MI:SFQ / RP:QRC (and the IP-level HL:* bans): about 15 minutes.
- ``day`` — MI:STC / RP:TRC: until the next day in the campaign's time zone (the day NetEase
  counts in is Beijing's); ``intake outbox`` and ``intake status`` show it, with its reason.
- ``config`` — DT:SUM (envelope sender and From differ): nothing can be sent until the reply
  config changes (the pause records which config it was) or staff run ``intake outbox --retry``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.config import Config
from intake.store.rows import OutboxRow, SenderStateRow

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=15)  # the budget's short window, and 163.com's (MI:SFQ: "15 分钟内")
DEFAULT_TZ = "Asia/Shanghai"


def aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


@lru_cache(maxsize=8)
def _rules_tz(rules_path: str) -> ZoneInfo:
    from rules import load_campaign

    try:
        return load_campaign(rules_path or None).tz
    except Exception as e:  # a broken rule file is reported where it is loaded; the budget still needs a day
        log.warning("campaign time zone unknown (%s); using %s for the sending day", e, DEFAULT_TZ)
        return ZoneInfo(DEFAULT_TZ)


def campaign_tz(cfg: Config) -> ZoneInfo:
    """The campaign's time zone (its rule file's), whose midnight starts a new sending day."""
    path = cfg.rules_path
    return _rules_tz(str(path) if path is not None else "")


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz).astimezone(UTC)


def next_day(now: datetime, tz: ZoneInfo) -> datetime:
    """Midnight at the start of tomorrow in ``tz`` (as UTC)."""
    local = now.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def sender_key(cfg: Config) -> str:
    """The account the server counts against: the SMTP login, else the From address."""
    return (cfg.reply.smtp.username or cfg.reply.from_addr).strip().lower()


def config_key(cfg: Config) -> str:
    """What a DT:SUM (envelope vs From) verdict depends on: changing any of it lifts the pause."""
    r = cfg.reply
    text = "\n".join((r.from_addr.lower(), r.smtp.username.lower(), r.smtp.host.lower(), str(r.smtp.port)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- pauses


def active_pause(session: Session, cfg: Config, now: datetime) -> SenderStateRow | None:
    """The pause that holds all sending from this account right now, if any."""
    st = session.get(SenderStateRow, sender_key(cfg))
    if st is None or st.cleared_at is not None:
        return None
    if st.kind == "config":
        return st if st.config_key == config_key(cfg) else None
    until = aware(st.paused_until)
    return st if until is not None and now < until else None


def record_pause(engine: Engine, cfg: Config, kind: str, until: datetime | None, reason: str,
                 tag: str | None, now: datetime) -> None:
    """Hold all sending from this account (``until`` None: until the config changes, kind ``config``)."""
    with Session(engine) as session:
        st = session.get(SenderStateRow, sender_key(cfg)) or SenderStateRow(sender=sender_key(cfg))
        st.kind, st.paused_until, st.reason, st.tag = kind, until, reason[:2000], tag
        st.config_key = config_key(cfg) if kind == "config" else None
        st.since, st.cleared_at = now, None
        session.add(st)
        session.commit()
    level = logging.ERROR if kind in ("day", "config") else logging.WARNING
    log.log(level, "all sending from %s paused (%s) until %s: %s", sender_key(cfg), kind,
            until.isoformat() if until else "the reply config is fixed", reason)


def clear_pauses(engine: Engine, now: datetime, kinds: tuple[str, ...] = ("config",)) -> int:
    """Lift the pauses staff can lift (``intake outbox --retry``: the config was fixed); returns how many."""
    with Session(engine) as session:
        rows = session.exec(select(SenderStateRow).where(col(SenderStateRow.kind).in_(kinds),
                                                         col(SenderStateRow.cleared_at).is_(None))).all()
        for st in rows:
            st.cleared_at = now
            session.add(st)
        session.commit()
        return len(rows)


def pauses(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every recorded pause, for ``intake outbox`` / ``intake status``: active or not, until when, why."""
    out: list[dict[str, Any]] = []
    for st in session.exec(select(SenderStateRow).order_by(col(SenderStateRow.sender))).all():
        until = aware(st.paused_until)
        active = st.cleared_at is None and (st.kind == "config" or (until is not None and now < until))
        out.append({"sender": st.sender, "kind": st.kind, "tag": st.tag, "reason": st.reason,
                    "since": aware(st.since), "paused_until": until, "active": active})
    return out


# ---------------------------------------------------------------- the budget


class Budget:
    """Our own ceiling on mails sent by SMTP: per 15 minutes and per campaign day."""

    def __init__(self, session: Session, cfg: Config, now: datetime, tz: ZoneInfo) -> None:
        self.per_window = cfg.reply.max_per_15_minutes
        self.per_day = cfg.reply.max_per_day
        self.tz = tz
        since = min(now - WINDOW, day_start(now, tz))
        query = select(OutboxRow.sent_at).where(OutboxRow.state == "sent", col(OutboxRow.sent_at) >= since)
        self.sent = sorted(t for t in (aware(s) for s in session.exec(query).all()) if t is not None)

    def over(self, now: datetime) -> tuple[datetime, str] | None:
        """When the budget is spent: (when a mail may go again, why); None while there is room."""
        today = [t for t in self.sent if t >= day_start(now, self.tz)]
        if len(today) >= self.per_day:
            return (next_day(now, self.tz),
                    f"sending budget: {len(today)} mails sent today (reply.max_per_day = {self.per_day}); "
                    "deferred to tomorrow, not failed")
        recent = [t for t in self.sent if t > now - WINDOW]
        if len(recent) >= self.per_window:
            return (recent[-self.per_window] + WINDOW,
                    f"sending budget: {len(recent)} mails in the last 15 minutes "
                    f"(reply.max_per_15_minutes = {self.per_window}); deferred, not failed")
        return None

    def spend(self, when: datetime) -> None:
        self.sent.append(when)


__all__ = ["Budget", "WINDOW", "active_pause", "campaign_tz", "clear_pauses", "config_key", "day_start",
           "next_day", "pauses", "record_pause", "sender_key"]
