"""The outbox: exactly one receipt per message, delivered by SMTP or written to a folder.

Reminders (:mod:`intake.staff.remind`, one per unit per day) and staff alerts
(:mod:`intake.staff.alerts`, one per incident) are queued here too (:func:`enqueue_reminder`,
:func:`enqueue_alert`), so they share the lease, the retries and the per-address hourly limit.

Why an outbox table rather than sending inline: the receipt row is committed in the same
transaction that records the message (:func:`enqueue` never commits), so a crash can lose
neither the receipt nor send it twice; the sender job (:func:`send_pending`) then works the
table. Each row is marked sent in its own commit right after the server accepted it, so a crash
mid-batch re-sends at most the one message in flight (SMTP) or nothing (folder: the file name is
derived from the receipt and an existing file counts as delivered). Before delivering, a row is
claimed with a short lease on ``next_attempt_at`` (one conditional UPDATE), so a second sender
process never picks the same receipt, and a dead sender's rows come back when the lease ends.

Failure policy, what staff see in ``OutboxRow.state`` / ``last_error``:

- 4xx answers, dropped connections, timeouts, refused logins → retried with exponential backoff
  (``next_attempt_at``), ``attempts`` counted; after ``reply.max_attempts`` → ``failed``.
- 5xx answers (163.com's ``554 DT:SPM`` spam verdict among them) → ``failed`` at once: sending
  the same body again would only be refused again and hurts the mailbox's reputation.
- More than ``reply.max_per_sender_per_hour`` receipts to one address → deferred until the
  hour has room (a loop breaker: a robot that slipped through autoreply checks gets few).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select, update

from intake.config import Config
from intake.reply.transports import DeliveryError, FolderTransport, SmtpTransport, make_transport
from intake.store.rows import OutboxRow, ReminderRow, utcnow

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(minutes=1)  # a greylisting server usually accepts after a minute or two
BACKOFF_MAX = timedelta(hours=1)  # never wait longer than this between tries of a due receipt
RATE_WINDOW = timedelta(hours=1)
LEASE = timedelta(minutes=5)  # a row being delivered is hidden from other senders this long (> smtp timeout)


# ---------------------------------------------------------------- enqueue


def enqueue(session: Session, message_pk: int, msg: EmailMessage) -> bool:
    """Add the receipt for ``message_pk`` unless one exists; False when it already did. No commit.

    The row goes in with ``INSERT … ON CONFLICT DO NOTHING`` on the unique ``message_pk``: a
    second daemon racing for the same message loses quietly instead of failing the caller's
    transaction. (Not a SAVEPOINT: with the pysqlite driver a SAVEPOINT opened before any write
    is the outermost transaction, and releasing it would commit the caller's work.)
    """
    if _already_queued(session, message_pk):
        return False
    return _insert(session, "message_pk", message_pk, msg)


def enqueue_reminder(session: Session, reminder_pk: int, msg: EmailMessage) -> bool:
    """Add the mail of reminder ``reminder_pk`` unless it is queued (unique, like a receipt per message). No commit."""
    if session.exec(select(OutboxRow.id).where(OutboxRow.reminder_pk == reminder_pk)).first() is not None:
        return False
    return _insert(session, "reminder_pk", reminder_pk, msg)


def enqueue_alert(session: Session, alert_pk: int, msg: EmailMessage) -> bool:
    """Add an alert or recovery notice of incident ``alert_pk``. No commit.

    Not unique per incident (the alert and its recovery notice are two rows): the caller claims
    ``AlertRow.notified`` / ``recovery_notified`` with a conditional UPDATE in the same transaction.
    """
    return _insert(session, "alert_pk", alert_pk, msg, unique=False)


def _insert(session: Session, key: str, pk: int, msg: EmailMessage, unique: bool = True) -> bool:
    to = msg.get("To")
    addresses = getattr(to, "addresses", ()) if to is not None else ()
    values: dict[str, Any] = {
        key: pk,
        "to_addr": ", ".join(a.addr_spec for a in addresses) if addresses else str(to or ""),
        "subject": str(msg.get("Subject", "")),
        "raw": msg.as_bytes(policy=policy.SMTP),
        "state": "pending",
        "attempts": 0,
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    stmt: Insert
    if unique and dialect == "sqlite":
        stmt = sqlite_insert(OutboxRow).values(**values).on_conflict_do_nothing(index_elements=[key])
    elif unique and dialect == "postgresql":
        stmt = pg_insert(OutboxRow).values(**values).on_conflict_do_nothing(index_elements=[key])
    else:  # other databases: the pre-check above, and the unique constraint at commit
        session.add(OutboxRow(**values))
        session.flush()
        return True
    return session.exec(stmt).rowcount == 1


def _already_queued(session: Session, message_pk: int) -> bool:
    return session.exec(select(OutboxRow.id).where(OutboxRow.message_pk == message_pk)).first() is not None


# ---------------------------------------------------------------- the sender job


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour: retries of a flaky server without hammering it."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


@contextmanager
def _row_session(engine: Engine, row_id: int) -> Iterator[tuple[Session, OutboxRow | None]]:
    with Session(engine) as session:
        yield session, session.get(OutboxRow, row_id)


def _sent_times(session: Session, since: datetime) -> dict[str, list[datetime]]:
    """Mails sent per address within the rate window (read once per batch); receipts, reminders and alerts alike."""
    out: dict[str, list[datetime]] = {}
    since = since.astimezone(UTC)  # stored times are UTC (SQLite keeps them without the offset)
    query = select(OutboxRow.to_addr, OutboxRow.sent_at).where(OutboxRow.state == "sent", col(OutboxRow.sent_at) > since)
    rows = session.exec(query).all()
    for to_addr, sent_at in rows:
        when = _aware(sent_at)
        if when is not None and when > since:
            for addr in _addresses(to_addr):
                out.setdefault(addr, []).append(when)
    return out


def _addresses(to_addr: str | None) -> list[str]:
    """The lower-cased recipients of a row (a reminder or alert may have several, ", "-separated)."""
    return [a.strip().lower() for a in (to_addr or "").split(",") if a.strip()]


def send_pending(
    cfg: Config,
    engine: Engine,
    now: Callable[[], datetime] = utcnow,
    transport: FolderTransport | SmtpTransport | None = None,
) -> int:
    """Deliver every due pending receipt, reminder and alert; returns how many were delivered in this call."""
    if not cfg.reply.enabled:
        return 0
    start = now()
    with Session(engine) as session:
        due = [
            (r.id, r.to_addr)
            for r in session.exec(select(OutboxRow).where(OutboxRow.state == "pending").order_by(col(OutboxRow.id))).all()
            if (_aware(r.next_attempt_at) or start) <= start
        ]
        sent_times = _sent_times(session, start - RATE_WINDOW) if due else {}
    if not due:
        return 0
    transport = transport or make_transport(cfg)
    limit = cfg.reply.max_per_sender_per_hour
    sent = 0
    try:
        for row_id, to_addr in due:
            assert row_id is not None  # a row read from the table has its primary key
            keys = _addresses(to_addr)
            full = [(k, sorted(sent_times.get(k, []))) for k in keys]
            full = [(k, recent) for k, recent in full if limit > 0 and len(recent) >= limit]
            if full:  # a row waits for its busiest recipient
                until = max(recent[-limit] + RATE_WINDOW for _, recent in full)
                k, recent = full[0]
                _defer(engine, row_id, until, f"rate limit: {len(recent)} mails to {k} in the last hour")
                continue
            delivered, stop = _deliver_one(cfg, engine, transport, row_id, now)
            if delivered:
                sent += 1
                for k in keys:
                    sent_times.setdefault(k, []).append(now())
            elif stop:
                break  # server down, login refused, outbox folder unwritable: the rest waits for the next run
    finally:
        transport.close()
    return sent


def _claim(engine: Engine, row_id: int, at: datetime) -> bool:
    """Take the row for this run: push its ``next_attempt_at`` out by :data:`LEASE` if still due.

    A second sender process sees the row as not due and leaves it alone; if this one dies
    mid-delivery, the lease runs out and the row is tried again (at most once more).
    """
    at = at.astimezone(UTC)
    with Session(engine) as session:
        claimed = session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.id) == row_id, col(OutboxRow.state) == "pending",
                   or_(col(OutboxRow.next_attempt_at).is_(None), col(OutboxRow.next_attempt_at) <= at))
            .values(next_attempt_at=at + LEASE)
        ).rowcount
        session.commit()
    return claimed == 1


def _deliver_one(
    cfg: Config, engine: Engine, transport: FolderTransport | SmtpTransport, row_id: int,
    now: Callable[[], datetime],
) -> tuple[bool, bool]:
    """(delivered, stop the batch). Stop when the failure was the connection's, not this receipt's."""
    if not _claim(engine, row_id, now()):
        return False, False  # another sender got there first
    with _row_session(engine, row_id) as (session, row):
        if row is None or row.state != "pending":
            return False, False
        if not row.to_addr:
            _finish(session, row, "failed", "no recipient address")
            return False, False
        try:
            note = transport.deliver(row, cfg.reply.from_addr)
        except DeliveryError as err:
            row.attempts += 1
            if err.permanent or row.attempts >= cfg.reply.max_attempts:
                reason = str(err) if err.permanent else f"{err} (gave up after {row.attempts} attempts)"
                _finish(session, row, "failed", reason)
                log.warning("receipt %s to %s failed: %s", row.id, row.to_addr, reason)
            else:
                row.last_error = str(err)
                row.next_attempt_at = now() + backoff(row.attempts)
                session.add(row)
                session.commit()
                log.info("receipt %s to %s: retry at %s: %s", row.id, row.to_addr, row.next_attempt_at, err)
            return False, err.fatal
        row.attempts += 1
        row.sent_at = now()
        _finish(session, row, "sent", note)  # its own commit, right after the server accepted it
        return True, False


def _finish(session: Session, row: OutboxRow, state: str, error: str | None) -> None:
    """Record the outcome (on ``sent``, ``error`` may say which of several recipients refused); a reminder follows."""
    row.state = state
    row.last_error = error
    row.next_attempt_at = None
    session.add(row)
    if row.reminder_pk is not None:
        _reminder_follows(session, row)
    session.commit()


def _reminder_follows(session: Session, row: OutboxRow) -> None:
    reminder = session.get(ReminderRow, row.reminder_pk)
    if reminder is not None:
        reminder.state = "queued" if row.state == "pending" else row.state
        reminder.sent_at = row.sent_at if row.state == "sent" else None
        session.add(reminder)


def _defer(engine: Engine, row_id: int, until: datetime, why: str) -> None:
    with _row_session(engine, row_id) as (session, row):
        if row is not None and row.state == "pending":
            row.next_attempt_at = until
            row.last_error = why
            session.add(row)
            session.commit()


def retry_failed(engine: Engine, ids: list[int] | None = None) -> int:
    """Put failed mails back in the queue (after staff fixed the password, say); returns how many."""
    with Session(engine) as session:
        query = select(OutboxRow).where(OutboxRow.state == "failed")
        if ids is not None:
            query = query.where(col(OutboxRow.id).in_(ids))
        rows = session.exec(query).all()
        for row in rows:
            row.state, row.attempts, row.next_attempt_at = "pending", 0, None
            session.add(row)
            if row.reminder_pk is not None:
                _reminder_follows(session, row)
        session.commit()
        return len(rows)
