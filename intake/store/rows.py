"""The intake ledger: SQLModel tables over SQLite (WAL) or any SQLAlchemy URL.

Why these tables: a message row is committed (with the path of its raw bytes) before any
parsing, so nothing is lost; parsed documents keep their fields, so a rule change re-checks the
ledger without re-reading files; the outbox holds exactly one receipt per message (unique
``message_pk``), so a crash between "recorded" and "sent" never sends twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint, event
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
    from_addr: str | None = Field(default=None, index=True)
    subject: str | None = None
    received_at: datetime | None = None  # aware; IMAP INTERNALDATE or Received:/Date:
    stored_at: datetime = Field(default_factory=utcnow)
    state: str = Field(default="stored", index=True)  # stored | processed | failed
    error: str | None = None  # traceback summary when state == failed
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


class OutboxRow(SQLModel, table=True):
    """Receipts waiting to be sent. Unique per message: exactly one receipt per message."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("message_pk", name="uq_outbox_message"),)

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    to_addr: str = ""
    subject: str = ""
    raw: bytes = Field(default=b"", sa_column=Column(LargeBinary))  # the full receipt, ready to send
    state: str = Field(default="pending", index=True)  # pending | sent | failed
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


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
    "DocumentRow",
    "FindingRow",
    "MailboxStateRow",
    "MessageRow",
    "OutboxRow",
    "Session",
    "SQLModel",
    "UnitRow",
    "make_engine",
    "select",
    "utcnow",
]
