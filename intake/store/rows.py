"""The intake ledger: SQLModel tables over SQLite (WAL) or any SQLAlchemy URL.

Why these tables: a message row is committed (with the path of its raw bytes) before any
parsing, so nothing is lost; parsed documents keep their fields, so a rule change re-checks the
ledger without re-reading files; the outbox holds exactly one receipt per message (unique
``message_pk``), so a crash between "recorded" and "sent" never sends twice. Reminders (one per
unit per day, ``ReminderRow``) and staff alerts (one per incident, ``AlertRow``) go through the same
outbox: each outbox row belongs to exactly one message, reminder or alert.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, LargeBinary, UniqueConstraint, event
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, create_engine, select


def utcnow() -> datetime:
    return datetime.now(UTC)


class MessageRow(SQLModel, table=True):
    """One received message. ``state`` moves stored → processed (or failed); never deleted."""

    __tablename__ = "message"
    __table_args__ = (UniqueConstraint("sha256", name="uq_message_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(index=True)  # of the raw bytes; with message_id, the dedupe key
    message_id: str | None = Field(default=None, index=True)
    source: str = ""  # "imap:user@host/INBOX", "folder:/path"
    source_ref: str = ""  # file name, or "uidvalidity:uid"
    raw_path: str = ""  # content-addressed path of the raw bytes
    raw_size: int | None = None  # bytes of the raw message (recognised by Message-ID + size on a re-read)
    from_addr: str | None = Field(default=None, index=True)
    subject: str | None = None
    received_at: datetime | None = None  # aware; IMAP INTERNALDATE or Received:/Date:
    stored_at: datetime = Field(default_factory=utcnow)
    state: str = Field(default="stored", index=True)  # stored | processed | failed
    error: str | None = None  # traceback summary when state == failed
    attempts: int = 0  # processing attempts that raised (our bug or a bad day), for the retry back-off
    retry_at: datetime | None = None  # a failed message is tried again by itself from then on; None = no more
    status: str | None = None  # contract status of this message alone: complete | incomplete | late
    unit_key: str | None = Field(default=None, index=True)  # the recommending unit it belongs to
    # a roster unit its forms name although the sender is not one of that unit's addresses: held as
    # 待确认 (changes nothing of the unit) until staff run `intake confirm`
    claimed_unit: str | None = None
    recommender: str | None = None  # 推荐单位 as read from the forms
    no_receipt_reason: str | None = None  # auto-reply/bounce/list/own address: why no receipt
    defects: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # the contract JSON
    processed_at: datetime | None = None
    #: a sealed 申报表 scan beside its Word copy waits for the second look (OCR after the receipt)
    ocr_later: bool = Field(default=False, index=True)


class DocumentRow(SQLModel, table=True):
    """One attachment or archive member of a message, with what was read from it."""

    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    position: int = 0  # order within the message
    filename: str = ""
    container: str | None = None
    format: str = "other"
    form: str = "unknown"
    sha256: str | None = None
    size: int = 0
    blob_path: str | None = None  # content-addressed copy of the file's bytes
    text_trusted: bool = True
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    problems: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    #: where in the file this form is when the file holds several (sheet name, 第2页, 第2部分): one row
    #: per form, all naming the same stored copy; None for a file that is one form
    part: str | None = None


class FindingRow(SQLModel, table=True):
    """A finding as reported for a message (its own findings, as in the contract JSON)."""

    __tablename__ = "finding"

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    rule: str = Field(index=True)
    severity: str = "error"
    form: str | None = None
    document: str | None = None
    field: str | None = None
    message: str = ""


class UnitRow(SQLModel, table=True):
    """A recommending unit (provincial / industry association) and its status across messages."""

    __tablename__ = "unit"

    key: str = Field(primary_key=True)  # normalised 推荐单位, or the sender address until known
    recommender: str | None = None
    addresses: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    status: str | None = None  # complete | incomplete | late, from all its messages (units contract)
    late: bool = False  # something arrived after the deadline (a complete on-time unit stays complete)
    confirmed_addresses: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # added by `intake confirm`
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    last_message_pk: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class ReminderRow(SQLModel, table=True):
    """A reminder to one roster unit on one day: at most one per unit per day (unique ``(unit, day)``)."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("unit", "day", name="uq_reminder_unit_day"),)

    id: int | None = Field(default=None, primary_key=True)
    unit: str = Field(index=True)  # the roster's name of the unit
    day: date  # the campaign-local day it is for
    status: str = ""  # the unit's status when it was queued: not_submitted | incomplete
    to_addr: str = ""  # the addresses it went to, ", "-separated
    state: str = Field(default="queued", index=True)  # queued | sent | failed (follows its outbox row)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class AlertRow(SQLModel, table=True):
    """One polling incident of one source: from the first failed poll to the next good one.

    ``notified``: the alert mail to staff was queued (once per incident); ``recovery_notified``: the
    "works again" mail was (once, and only after an alert). A short hiccup is a closed, never
    notified row: the ledger keeps every outage, staff are mailed only for the ones that matter.
    """

    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)  # MailboxStateRow.source
    kind: str = "stale"  # stale (failing longer than schedule.stale_after_seconds) | auth (login refused)
    opened_at: datetime = Field(default_factory=utcnow)  # the first failed poll
    closed_at: datetime | None = None  # the first good poll after it; None = still open
    last_error: str | None = None
    notified: bool = False
    notified_at: datetime | None = None
    recovery_notified: bool = False


class OutboxRow(SQLModel, table=True):
    """Receipts waiting to be sent. Unique per message: exactly one receipt per message.

    ``state``: pending → (claimed) → sending → sent | failed. A row is *claimed* by one sender
    process (``claimed_by``: host, boot, pid and start time of that process) before anything is
    sent, and marked ``sending`` in its own commit just before SMTP DATA; so a row found ``sending``
    by a later process is one whose outcome is unknown (the sender died between DATA and the
    commit of the server's answer). Such a row is resent once (``unknown_outcomes`` counts it),
    never a second time automatically. ``message_id`` is fixed when the row is queued, so every
    copy that ever leaves is the same mail to the recipient's client.
    """

    __tablename__ = "outbox"
    # Exactly one of message_pk (a receipt: unique, exactly one receipt per message), reminder_pk (a
    # reminder: unique) and alert_pk (a staff alert or its recovery notice: at most one of each per
    # incident, guarded by AlertRow.notified / recovery_notified) is set.
    __table_args__ = (
        UniqueConstraint("message_pk", name="uq_outbox_message"),
        UniqueConstraint("reminder_pk", name="uq_outbox_reminder"),
        CheckConstraint(
            "(CASE WHEN message_pk IS NULL THEN 0 ELSE 1 END) + (CASE WHEN reminder_pk IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN alert_pk IS NULL THEN 0 ELSE 1 END) = 1", name="ck_outbox_one_owner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int | None = Field(default=None, foreign_key="message.id", index=True)  # a receipt
    reminder_pk: int | None = Field(default=None, foreign_key="reminder.id", index=True)  # a reminder
    alert_pk: int | None = Field(default=None, foreign_key="alert.id", index=True)  # an alert / recovery notice
    to_addr: str = ""
    subject: str = ""
    raw: bytes = Field(default=b"", sa_column=Column(LargeBinary))  # the full receipt, ready to send
    state: str = Field(default="pending", index=True)  # pending | sending | sent | failed
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    message_id: str | None = None  # the receipt's Message-ID, derived from the message's sha256 at enqueue
    claimed_by: str | None = None  # "host boot-id pid start-time" of the sender process holding the row
    claimed_at: datetime | None = None
    send_started_at: datetime | None = None  # committed just before DATA (state "sending")
    unknown_outcomes: int = 0  # times a sender died between DATA and recording the answer
    plain: bool = False  # the next attempt sends the text part only (after 163.com's DT:SPM)

    @property
    def kind(self) -> str:
        """receipt | reminder | alert."""
        return "reminder" if self.reminder_pk is not None else "alert" if self.alert_pk is not None else "receipt"

    @property
    def recipients(self) -> list[str]:
        """``to_addr`` as a list: a reminder or an alert may go to several addresses, ", "-separated."""
        return [a.strip() for a in self.to_addr.split(",") if a.strip()]


class SenderStateRow(SQLModel, table=True):
    """A pause of ALL sending from one account, ordered by the server (163.com's limits) or by its config.

    ``kind``: ``window`` (short-term limit, MI:SFQ / RP:QRC: about 15 minutes), ``day`` (daily limit,
    MI:STC / RP:TRC: until the next day in the campaign's time zone; staff are to be told),
    ``config`` (DT:SUM, envelope and From disagree: until the reply config changes or staff run
    ``intake outbox --retry``; ``paused_until`` is then empty). Kept after it ran out, as history.
    """

    __tablename__ = "senderstate"

    sender: str = Field(primary_key=True)  # the SMTP account (reply.smtp.username, else reply.from_addr), lower case
    kind: str = ""  # window | day | config
    paused_until: datetime | None = None
    reason: str | None = None  # the server's answer and what it means
    tag: str | None = None  # the NetEase tag, e.g. "MI:STC"
    config_key: str | None = None  # which reply config the pause applies to (kind = config)
    since: datetime = Field(default_factory=utcnow)
    cleared_at: datetime | None = None  # staff lifted it (`intake outbox --retry`)


class MailboxStateRow(SQLModel, table=True):
    """Where incremental fetching resumes: per source (account + folder)."""

    __tablename__ = "mailboxstate"

    source: str = Field(primary_key=True)
    uidvalidity: int | None = None
    last_uid: int = 0
    last_poll_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_error: str | None = None


def make_engine(url: str) -> Engine:
    """Engine with SQLite pragmas (WAL, busy timeout, foreign keys) when the URL is SQLite."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _rec) -> None:  # noqa: ANN001 - DB-API objects
            cur = dbapi_conn.cursor()
            for p in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON"):
                cur.execute("PRAGMA " + p)
            cur.close()

        return engine
    return create_engine(url)


__all__ = [
    "AlertRow",
    "DocumentRow",
    "FindingRow",
    "MailboxStateRow",
    "MessageRow",
    "OutboxRow",
    "SenderStateRow",
    "ReminderRow",
    "Session",
    "SQLModel",
    "UnitRow",
    "make_engine",
    "select",
    "utcnow",
]
