"""The outbox: exactly one receipt per message, delivered by SMTP or written to a folder.

Reminders (:mod:`intake.staff.remind`, one per unit per day) and staff alerts
(:mod:`intake.staff.alerts`, one per incident) are queued here too (:func:`enqueue_reminder`,
:func:`enqueue_alert`), so they share the lease, the retries and the per-address hourly limit.

Why an outbox table rather than sending inline: the receipt row is committed in the same
transaction that records the message (:func:`enqueue` never commits), so a crash can lose
neither the receipt nor send it twice; the sender job (:func:`send_pending`) then works the
table. Each row is marked sent in its own commit right after the server accepted it, so a crash
mid-batch re-sends at most the one message in flight (SMTP) or nothing (folder: the file name is
derived from the receipt and an existing file counts as delivered).

Exactly once, as far as SMTP allows:

- The receipt's Message-ID is fixed when it is queued (:func:`enqueue`, from the message's
  sha256 and the From domain), so any second copy is the same mail to the recipient's client.
- Before delivering, a row is claimed (one conditional UPDATE) by this process, named by host,
  boot, pid and start time (:mod:`intake.reply.claims`): a second sender never picks it. Just
  before DATA the row becomes ``sending`` in its own commit; the server's answer is committed
  right after it arrives.
- Every run first releases the claims of processes that are gone (:func:`release_stale_claims`;
  a live process's claim is respected, one from another host is trusted for :data:`LEASE`): a
  row claimed but not yet ``sending`` simply goes again; a row found ``sending`` had an unknown
  outcome (killed between DATA and the commit) and is resent ONCE with the same Message-ID,
  counted in ``unknown_outcomes``; found ``sending`` a second time it is ``failed`` and shown in
  ``intake outbox``, never resent automatically. What remains: a kill between the server's 250
  and our commit sends the receipt twice, with one Message-ID.

Failure policy, what staff see in ``OutboxRow.state`` / ``last_error``:

- 4xx answers, dropped connections, timeouts, refused logins → retried with exponential backoff
  (``next_attempt_at``), ``attempts`` counted; after ``reply.max_attempts`` → ``failed``.
- 5xx answers without a known tag → ``failed`` at once and shown to staff.
- 163.com's tagged refusals by their tag, not their number (:data:`intake.reply.transports.NETEASE`):
  ``DT:SPM`` → retried after 2 minutes or more with the text part only (:func:`plain_variant`, same
  Message-ID); ``MI:SFQ`` / ``RP:QRC`` → ALL sending paused 15 minutes; ``MI:STC`` / ``RP:TRC`` →
  all sending paused until the next day in the campaign's time zone, recorded for staff
  (:mod:`intake.reply.limits`); ``DT:SUM`` → failed, never retried, sending paused until the
  reply config is fixed. A pause does not count against ``reply.max_attempts``.
- Our own budget (``reply.max_per_15_minutes``, ``reply.max_per_day``, SMTP only): mail beyond it
  stays pending, deferred to when there is room, never failed.
- More than ``reply.max_per_sender_per_hour`` receipts to one address → deferred until the
  hour has room (a loop breaker: a robot that slipped through autoreply checks gets few).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select, update

from intake.config import Config
from intake.reply import claims, limits
from intake.reply.claims import LEASE
from intake.reply.receipt import receipt_message_id, set_message_id
from intake.reply.transports import HOLD_WINDOW, DeliveryError, FolderTransport, SmtpTransport, make_transport
from intake.store.rows import MessageRow, OutboxRow, ReminderRow, utcnow

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(minutes=1)  # a greylisting server usually accepts after a minute or two
BACKOFF_MAX = timedelta(hours=1)  # never wait longer than this between tries of a due receipt
RATE_WINDOW = timedelta(hours=1)
# One sender at a time in this process (the scheduler's job and `run --once` alike), so a row
# claimed by this very process and not in hand is a leftover of a run that raised.
_SENDING = threading.RLock()


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
    set_message_id(msg, _receipt_id(session, message_pk, msg))  # fixed now, for every copy ever sent
    return _insert(session, "message_pk", message_pk, msg)


def _receipt_id(session: Session, message_pk: int, msg: EmailMessage) -> str:
    """``<<sha256[:32]>.qc-intake-receipt@<From domain>>`` (:func:`~intake.reply.receipt.receipt_message_id`)."""
    sha = session.exec(select(MessageRow.sha256).where(MessageRow.id == message_pk)).first()
    sender = msg.get("From")
    addresses = getattr(sender, "addresses", ()) if sender is not None else ()
    return receipt_message_id(sha or f"pk{message_pk}", addresses[0].addr_spec if addresses else "")


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
        "message_id": str(msg.get("Message-ID") or "").strip() or None,
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
    session.flush()  # the statement below goes past the ORM (no autoflush): what the session holds goes first
    # RETURNING, not rowcount: with SQLAlchemy 2.1 an INSERT on PostgreSQL returns its key and reports rowcount -1
    return session.connection().execute(stmt.returning(col(OutboxRow.id))).first() is not None


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
    tz: ZoneInfo | None = None,
) -> int:
    """Deliver every due pending receipt, reminder and alert; returns how many were delivered in this call.

    First releases the claims of sender processes that are gone (:func:`release_stale_claims`);
    then, for SMTP, nothing goes while a pause ordered by the server is on (:mod:`intake.reply.limits`)
    and at most our budget goes. ``tz``: the campaign's time zone (whose midnight starts a new
    sending day); None = the configured rule file's. ``transport``: the caller's, left open for its next
    call (the daemon keeps one while receipts keep coming); None: one made for this call and closed.
    """
    if not cfg.reply.enabled:
        return 0
    with _SENDING:
        return _send_pending(cfg, engine, now, transport, tz or limits.campaign_tz(cfg))


def _send_pending(cfg: Config, engine: Engine, now: Callable[[], datetime],
                  transport: FolderTransport | SmtpTransport | None, tz: ZoneInfo) -> int:
    start = now()
    _release(engine, start)
    smtp = isinstance(transport, SmtpTransport) if transport is not None else cfg.reply.transport == "smtp"
    with Session(engine) as session:
        pause = limits.active_pause(session, cfg, start) if smtp else None
        if pause is not None:
            log.info("sending paused (%s) until %s: %s", pause.kind, pause.paused_until or "the config is fixed",
                     pause.reason)
            return 0
        due = [
            (r.id, r.to_addr)
            for r in session.exec(select(OutboxRow).where(OutboxRow.state == "pending",
                                                          col(OutboxRow.claimed_by).is_(None))
                                  .order_by(col(OutboxRow.id))).all()
            if (_aware(r.next_attempt_at) or start) <= start
        ]
        sent_times = _sent_times(session, start - RATE_WINDOW) if due else {}
        budget = limits.Budget(session, cfg, start, tz) if due and smtp else None
    if not due:
        return 0
    own = transport is None
    transport = transport or make_transport(cfg)
    limit = cfg.reply.max_per_sender_per_hour
    sent = 0
    try:
        for i, (row_id, to_addr) in enumerate(due):
            assert row_id is not None  # a row read from the table has its primary key
            over = budget.over(now()) if budget is not None else None
            if over is not None:  # our own budget is spent: the rest waits, none fails
                until, why = over
                _defer_many(engine, [r for r, _ in due[i:] if r is not None], until, why)
                log.info("%s; %d waiting until %s", why, len(due) - i, until)
                break
            keys = _addresses(to_addr)
            full = [(k, sorted(sent_times.get(k, []))) for k in keys]
            full = [(k, recent) for k, recent in full if limit > 0 and len(recent) >= limit]
            if full:  # a row waits for its busiest recipient
                until = max(recent[-limit] + RATE_WINDOW for _, recent in full)
                k, recent = full[0]
                _defer(engine, row_id, until, f"rate limit: {len(recent)} mails to {k} in the last hour")
                continue
            delivered, stop = _deliver_one(cfg, engine, transport, row_id, now, tz)
            if delivered:
                sent += 1
                when = now()
                for k in keys:
                    sent_times.setdefault(k, []).append(when)
                if budget is not None:
                    budget.spend(when)
            elif stop:
                break  # server down, login refused, a pause ordered, outbox folder unwritable: the rest waits
    finally:
        if own:
            transport.close()
    return sent


def _claim(engine: Engine, row_id: int, at: datetime, token: str | None = None) -> bool:
    """Take the row for this process (``token``, default :func:`claims.own_token`) if it is still due and free.

    One conditional UPDATE: a second sender never gets the same row. ``next_attempt_at`` is
    pushed out by :data:`LEASE` too, so a row held by a process on another host (whose liveness
    cannot be checked from here) comes back when the lease runs out.
    """
    at = at.astimezone(UTC)
    with Session(engine) as session:
        claimed = session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.id) == row_id, col(OutboxRow.state) == "pending", col(OutboxRow.claimed_by).is_(None),
                   or_(col(OutboxRow.next_attempt_at).is_(None), col(OutboxRow.next_attempt_at) <= at))
            .values(claimed_by=token or claims.own_token(), claimed_at=at, next_attempt_at=at + LEASE)
        ).rowcount
        session.commit()
    return claimed == 1


def _deliver_one(
    cfg: Config, engine: Engine, transport: FolderTransport | SmtpTransport, row_id: int,
    now: Callable[[], datetime], tz: ZoneInfo,
) -> tuple[bool, bool]:
    """(delivered, stop the batch). Stop when the failure was the connection's or the account's, not this receipt's."""
    token = claims.own_token()
    if not _claim(engine, row_id, now(), token):
        return False, False  # another sender got there first
    with _row_session(engine, row_id) as (session, row):
        if row is None or row.state != "pending" or row.claimed_by != token:
            return False, False
        if not row.to_addr:
            _finish(session, row, "failed", "no recipient address")
            return False, False

        def sending() -> None:  # the envelope was accepted: from here on the outcome could be lost
            row.state, row.send_started_at = "sending", now()
            session.add(row)
            session.commit()

        try:
            note = transport.deliver(row, cfg.reply.from_addr, raw=plain_variant(row.raw) if row.plain else None,
                                     before_data=sending)
        except DeliveryError as err:
            return False, _refused(cfg, engine, session, row, err, now(), tz)
        row.attempts += 1
        row.sent_at = now()
        _finish(session, row, "sent", note)  # its own commit, right after the server's answer
        return True, False


def _refused(cfg: Config, engine: Engine, session: Session, row: OutboxRow, err: DeliveryError,
             at: datetime, tz: ZoneInfo) -> bool:
    """Record a failed attempt (retry, fail, or pause all sending); returns whether the batch stops."""
    if err.hold is not None:  # the account is refused, not this receipt: no attempt counted
        until = {"window": at + HOLD_WINDOW, "day": limits.next_day(at, tz)}.get(err.hold)
        limits.record_pause(engine, cfg, err.hold, until, str(err), err.tag, at)
        if err.permanent:
            _finish(session, row, "failed", str(err))
            log.warning("receipt %s to %s failed: %s", row.id, row.to_addr, err)
        else:
            _retry_at(session, row, until or at + HOLD_WINDOW, str(err))
        return True
    row.attempts += 1
    if err.permanent or row.attempts >= cfg.reply.max_attempts:
        reason = str(err) if err.permanent else f"{err} (gave up after {row.attempts} attempts)"
        _finish(session, row, "failed", reason)
        log.warning("receipt %s to %s failed: %s", row.id, row.to_addr, reason)
        return err.fatal
    wait = max(backoff(row.attempts), err.retry_after or timedelta(0))
    if err.plain:
        row.plain = True  # DT:SPM: the next attempt sends the text part only
    _retry_at(session, row, at + wait, str(err))
    log.info("receipt %s to %s: retry at %s: %s", row.id, row.to_addr, row.next_attempt_at, err)
    return err.fatal


def _retry_at(session: Session, row: OutboxRow, when: datetime, why: str) -> None:
    row.state, row.last_error, row.next_attempt_at = "pending", why, when
    row.claimed_by = row.claimed_at = None
    session.add(row)
    session.commit()


def _finish(session: Session, row: OutboxRow, state: str, error: str | None) -> None:
    """Record the outcome (on ``sent``, ``error`` may say which of several recipients refused); a reminder follows."""
    row.state = state
    row.last_error = error
    row.next_attempt_at = None
    row.claimed_by = row.claimed_at = None
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


def _defer_many(engine: Engine, row_ids: list[int], until: datetime, why: str) -> None:
    """Keep these rows pending until ``until`` (our budget is spent): deferred, not failed."""
    with Session(engine) as session:
        session.exec(update(OutboxRow)
                     .where(col(OutboxRow.id).in_(row_ids), col(OutboxRow.state) == "pending",
                            col(OutboxRow.claimed_by).is_(None))
                     .values(next_attempt_at=until, last_error=why))
        session.commit()


# ---------------------------------------------------------------- claims of senders that are gone


def release_stale_claims(engine: Engine, now: Callable[[], datetime] = utcnow) -> int:
    """Release at once the rows held by sender processes that are gone; returns how many.

    The daemon may call it at start; :func:`send_pending` calls it first thing anyway. A claim of
    a live process (this host, same boot, same pid and start time) is respected; one from another
    host is trusted until :data:`LEASE` after it was taken. A released row that was only claimed
    goes again as if nothing happened. One found ``sending`` (killed between DATA and the commit of
    the answer: the outcome is unknown) is resent once, with the same Message-ID, and counted in
    ``unknown_outcomes``; found ``sending`` again it is failed, for staff to decide.
    """
    with _SENDING:
        return _release(engine, now())


def _release(engine: Engine, at: datetime) -> int:
    at = at.astimezone(UTC)
    mine = claims.own_token()  # under _SENDING nothing of ours is in hand: our claims are leftovers
    with Session(engine) as session:
        held = [(r.id, r.claimed_by, r.state, _aware(r.claimed_at), r.unknown_outcomes)
                for r in session.exec(select(OutboxRow).where(col(OutboxRow.claimed_by).is_not(None))).all()]
    released = 0
    for row_id, token, state, claimed_at, unknown in held:
        if token != mine and claims.holder_alive(token, claimed_at, at):
            continue
        with _row_session(engine, row_id or 0) as (session, row):
            if row is None or row.claimed_by != token or row.state != state:
                continue  # its holder finished meanwhile
            row.claimed_by = row.claimed_at = None
            if state == "sending":
                row.attempts += 1  # the attempt whose answer was lost
                row.unknown_outcomes = unknown + 1
                if unknown == 0:
                    row.state, row.next_attempt_at = "pending", at
                    row.last_error = (f"outcome unknown: the sender ({token}) stopped between DATA and recording the "
                                      "server's answer; resent once with the same Message-ID")
                else:
                    row.state, row.next_attempt_at = "failed", None
                    row.last_error = (f"outcome unknown again ({row.unknown_outcomes} times; sender {token}): not "
                                      "resent automatically — ask the recipient, or `intake outbox --retry`")
                log.warning("receipt %s to %s: %s", row.id, row.to_addr, row.last_error)
            else:
                row.next_attempt_at = at  # claimed, nothing sent: simply due again
            session.add(row)
            if row.reminder_pk is not None:
                _reminder_follows(session, row)
            session.commit()
            released += 1
    return released


# ---------------------------------------------------------------- the plainer body after DT:SPM


def plain_variant(raw: bytes) -> bytes:
    """The same mail with its text part only (no HTML alternative): every other header kept byte for byte.

    What 163.com's ``DT:SPM`` help suggests (a plainer body); the Message-ID, Subject, threading and
    auto-reply headers stay, so it is still the same mail to the recipient's client.
    """
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not msg.is_multipart():
        return raw
    body = msg.get_body(("plain",))
    if body is None:
        return raw
    text = body.get_content()
    head = raw.partition(b"\r\n\r\n")[0]
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation belongs to the header before it
            if not skipping:
                kept.append(line)
            continue
        skipping = line.split(b":", 1)[0].strip().lower() in (b"content-type", b"content-transfer-encoding",
                                                                b"mime-version")
        if not skipping:
            kept.append(line)
    part = EmailMessage()
    part.set_content(text, charset="utf-8", cte="base64")
    return b"\r\n".join(kept) + b"\r\n" + part.as_bytes(policy=policy.SMTP)


def retry_failed(engine: Engine, ids: list[int] | None = None) -> int:
    """Put failed mails back in the queue (after staff fixed the password, say); returns how many."""
    with Session(engine) as session:
        query = select(OutboxRow).where(OutboxRow.state == "failed")
        if ids is not None:
            query = query.where(col(OutboxRow.id).in_(ids))
        rows = session.exec(query).all()
        for row in rows:
            row.state, row.attempts, row.next_attempt_at = "pending", 0, None
            row.claimed_by = row.claimed_at = None
            session.add(row)
            if row.reminder_pk is not None:
                _reminder_follows(session, row)
        session.commit()
        return len(rows)
