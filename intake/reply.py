"""The outbox: exactly one receipt per message, delivered by SMTP or written to a folder.

Why an outbox table rather than sending inline: the receipt row is committed in the same
transaction that records the message (:func:`enqueue` never commits), so a crash can lose
neither the receipt nor send it twice; the sender job (:func:`send_pending`) then works the
table. Each row is marked sent in its own commit right after the server accepted it, so a crash
mid-batch re-sends at most the one message in flight (SMTP) or nothing (folder: the file name is
derived from the receipt and an existing file counts as delivered). Before delivering, a row is
claimed with a short lease on ``next_attempt_at`` (one conditional UPDATE), so a second sender
process never picks the same receipt, and a dead sender's rows come back when the lease ends.

Failure policy, what staff see in ``Outbox.state`` / ``last_error``:

- 4xx answers, dropped connections, timeouts, refused logins → retried with exponential backoff
  (``next_attempt_at``), ``attempts`` counted; after ``reply.max_attempts`` → ``failed``.
- 5xx answers (163.com's ``554 DT:SPM`` spam verdict among them) → ``failed`` at once: sending
  the same body again would only be refused again and hurts the mailbox's reputation.
- More than ``reply.max_per_sender_per_hour`` receipts to one address → deferred until the
  hour has room (a loop breaker: a robot that slipped through autoreply checks gets few).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select, update

from intake.config import Config, ConfigError, secret
from intake.ledger import Outbox, utcnow
from intake.store import atomic_write

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
    to = msg.get("To")
    addresses = getattr(to, "addresses", ()) if to is not None else ()
    values = {
        "message_pk": message_pk,
        "to_addr": addresses[0].addr_spec if addresses else str(to or ""),
        "subject": str(msg.get("Subject", "")),
        "raw": msg.as_bytes(policy=policy.SMTP),
        "state": "pending",
        "attempts": 0,
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        stmt = sqlite_insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=["message_pk"])
    elif dialect == "postgresql":
        stmt = pg_insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=["message_pk"])
    else:  # other databases: the pre-check above, and the unique constraint at commit
        session.add(Outbox(**values))
        session.flush()
        return True
    return session.exec(stmt).rowcount == 1


def _already_queued(session: Session, message_pk: int) -> bool:
    return session.exec(select(Outbox.id).where(Outbox.message_pk == message_pk)).first() is not None


# ---------------------------------------------------------------- delivery errors


class DeliveryError(Exception):
    """One receipt could not be delivered. ``permanent``: do not retry. ``fatal``: drop the connection."""

    def __init__(self, text: str, permanent: bool, fatal: bool = False) -> None:
        super().__init__(text)
        self.permanent = permanent
        self.fatal = fatal


def _reply_text(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {' '.join(text.split())}".strip()


def classify_smtp_error(e: Exception, password_env: str = "") -> DeliveryError:
    """Map smtplib's exceptions to retry / fail, with a last_error text staff can act on."""
    if isinstance(e, smtplib.SMTPAuthenticationError):
        where = f"${password_env}" if password_env else "the environment variable"
        return DeliveryError(
            f"SMTP login refused: {_reply_text(e.smtp_code, e.smtp_error)} — check reply.smtp.username and the "
            f"password / 授权码 (client authorization code, not the web password) in {where}",
            permanent=False, fatal=True)
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        code, resp = next(iter(e.recipients.values()), (451, b"recipient refused"))
        return DeliveryError(f"recipient refused: {_reply_text(code, resp)}", permanent=code >= 500)
    if isinstance(e, smtplib.SMTPSenderRefused):
        # MAIL FROM refused: not this receipt's fault but the account's (no login, from_addr not the
        # account, sending quota), so it is retried and the batch stops rather than failing every row.
        return DeliveryError(
            f"sender refused: {_reply_text(e.smtp_code, e.smtp_error)} — check reply.smtp.username and that "
            "reply.from_addr is that account's address", permanent=False, fatal=True)
    if isinstance(e, smtplib.SMTPResponseException):
        code = e.smtp_code
        text = _reply_text(code, e.smtp_error)
        if "DT:SPM" in text:
            text += " (rejected as spam by the server; see 163.com help_spam_16)"
        # 421: the server is closing the connection; any other code leaves the session usable.
        return DeliveryError(text, permanent=500 <= code < 600, fatal=code == 421 or code < 400)
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"connection lost: {e}", permanent=False, fatal=True)
    if isinstance(e, ssl.SSLCertVerificationError):
        return DeliveryError(f"TLS certificate not trusted: {e.verify_message or e} (set reply.smtp.ca_file?)",
                             permanent=False, fatal=True)
    if isinstance(e, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"server does not support what the config asks: {e}", permanent=False, fatal=True)
    if isinstance(e, ConfigError):
        return DeliveryError(str(e), permanent=False, fatal=True)
    if isinstance(e, socket.timeout | TimeoutError):
        return DeliveryError(f"timeout: {e}", permanent=False, fatal=True)
    if isinstance(e, OSError | smtplib.SMTPException):
        return DeliveryError(f"connection error: {type(e).__name__}: {e}", permanent=False, fatal=True)
    return DeliveryError(f"{type(e).__name__}: {e}", permanent=False, fatal=True)


# ---------------------------------------------------------------- transports


class FolderTransport:
    """Writes each receipt to ``<outbox_dir>/<message_pk>-<hash>.eml`` (the embedded default).

    The name depends only on the row, and the file appears atomically (temp file, fsync,
    rename), so a crash before the row is marked sent finds the file and does not write again.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, row: Outbox) -> Path:
        digest = hashlib.sha256(_message_id_of(row.raw).encode() or row.raw).hexdigest()[:16]
        return self.directory / f"{row.message_pk}-{digest}.eml"

    def deliver(self, row: Outbox, mail_from: str) -> None:
        target = self.path_for(row)
        if target.exists():
            return
        try:
            atomic_write(target, row.raw)
        except OSError as e:
            raise DeliveryError(f"cannot write {target}: {e}", permanent=False, fatal=True) from e

    def close(self) -> None:
        pass


def _message_id_of(raw: bytes) -> str:
    return str(BytesParser(policy=policy.default).parsebytes(raw, headersonly=True).get("Message-ID") or "").strip()


class SmtpTransport:
    """One authenticated connection, opened on first use and reused for the whole batch."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.conn: smtplib.SMTP | None = None

    def _tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()  # verification on: system CAs ...
        if self.cfg.reply.smtp.ca_file:
            ctx.load_verify_locations(str(self.cfg.path(self.cfg.reply.smtp.ca_file)))  # ... plus this one
        return ctx

    def _connect(self) -> smtplib.SMTP:
        s = self.cfg.reply.smtp
        conn: smtplib.SMTP
        if s.security == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=self._tls_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, secret(s.password_env, "reply.smtp.password_env"))
        except BaseException:
            _quietly_close(conn)
            raise
        return conn

    def deliver(self, row: Outbox, mail_from: str) -> None:
        if not row.to_addr.isascii():  # would need SMTPUTF8, which 163.com / QQ do not offer
            raise DeliveryError(f"recipient address is not ASCII: {row.to_addr!r}", permanent=True)
        try:
            if self.conn is None:
                self.conn = self._connect()
            self.conn.sendmail(mail_from, [row.to_addr], row.raw)
        except Exception as e:
            err = classify_smtp_error(e, self.cfg.reply.smtp.password_env)
            if err.fatal:
                self.close()
            else:
                self._reset()
            raise err from e

    def _reset(self) -> None:
        """After a refused message the session stays open; RSET clears the half-done transaction."""
        if self.conn is not None:
            try:
                self.conn.rset()
            except (smtplib.SMTPException, OSError):
                self.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(self.conn)
            self.conn = None


def _quietly_close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except OSError:
        pass


def make_transport(cfg: Config) -> FolderTransport | SmtpTransport:
    if cfg.reply.transport == "smtp":
        return SmtpTransport(cfg)
    return FolderTransport(cfg.outbox_dir)


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
def _row_session(engine: Engine, row_id: int) -> Iterator[tuple[Session, Outbox | None]]:
    with Session(engine) as session:
        yield session, session.get(Outbox, row_id)


def _sent_times(session: Session, since: datetime) -> dict[str, list[datetime]]:
    """Receipts sent per address within the rate window (read once per batch)."""
    out: dict[str, list[datetime]] = {}
    since = since.astimezone(UTC)  # stored times are UTC (SQLite keeps them without the offset)
    query = select(Outbox.to_addr, Outbox.sent_at).where(Outbox.state == "sent", Outbox.sent_at > since)
    rows = session.exec(query).all()
    for to_addr, sent_at in rows:
        when = _aware(sent_at)
        if when is not None and when > since:
            out.setdefault(to_addr.lower(), []).append(when)
    return out


def send_pending(
    cfg: Config,
    engine: Engine,
    now: Callable[[], datetime] = utcnow,
    transport: FolderTransport | SmtpTransport | None = None,
) -> int:
    """Deliver every due pending receipt; returns how many were delivered in this call."""
    if not cfg.reply.enabled:
        return 0
    start = now()
    with Session(engine) as session:
        due = [
            (r.id, r.to_addr)
            for r in session.exec(select(Outbox).where(Outbox.state == "pending").order_by(Outbox.id)).all()
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
            key = (to_addr or "").lower()
            recent = sorted(sent_times.get(key, []))
            if limit > 0 and len(recent) >= limit:
                _defer(engine, row_id, recent[-limit] + RATE_WINDOW,
                       f"rate limit: {len(recent)} receipts to {to_addr} in the last hour")
                continue
            delivered, stop = _deliver_one(cfg, engine, transport, row_id, now)
            if delivered:
                sent += 1
                sent_times.setdefault(key, []).append(now())
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
            update(Outbox)
            .where(col(Outbox.id) == row_id, col(Outbox.state) == "pending",
                   or_(col(Outbox.next_attempt_at).is_(None), col(Outbox.next_attempt_at) <= at))
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
            transport.deliver(row, cfg.reply.from_addr)
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
        _finish(session, row, "sent", None)  # its own commit, right after the server accepted it
        return True, False


def _finish(session: Session, row: Outbox, state: str, error: str | None) -> None:
    row.state = state
    row.last_error = error
    row.next_attempt_at = None
    session.add(row)
    session.commit()


def _defer(engine: Engine, row_id: int, until: datetime, why: str) -> None:
    with _row_session(engine, row_id) as (session, row):
        if row is not None and row.state == "pending":
            row.next_attempt_at = until
            row.last_error = why
            session.add(row)
            session.commit()


def retry_failed(engine: Engine, ids: list[int] | None = None) -> int:
    """Put failed receipts back in the queue (after staff fixed the password, say); returns how many."""
    with Session(engine) as session:
        query = select(Outbox).where(Outbox.state == "failed")
        if ids is not None:
            query = query.where(Outbox.id.in_(ids))  # type: ignore[union-attr]
        rows = session.exec(query).all()
        for row in rows:
            row.state, row.attempts, row.next_attempt_at = "pending", 0, None
            session.add(row)
        session.commit()
        return len(rows)
