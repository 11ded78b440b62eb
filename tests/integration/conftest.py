"""Helpers for the end-to-end tests: a config pointing at the test servers and ledger queries."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.config import Config, SmtpConfig
from intake.store.migrations import open_ledger
from intake.store.rows import DocumentRow, MailboxStateRow, MessageRow, OutboxRow

SMTP_PASSWORD_ENV = "INTAKE_TEST_SMTP_PASSWORD"


@pytest.fixture
def make_cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Config]:
    """``make_cfg(imap=..., smtp=...)``: a config with its data under tmp_path."""

    def build(imap=None, smtp=None, inbox: Path | None = None) -> Config:  # noqa: ANN001
        cfg = Config()
        cfg.base_dir = tmp_path
        cfg.storage.data_dir = str(tmp_path / "var")
        cfg.reply.from_addr = "qc-intake@example.org"
        if imap is not None:
            cfg.source.kind = "imap"
            cfg.source.imap = imap
        else:
            cfg.source.folder.path = str(inbox or tmp_path / "inbox")
        if smtp is not None:
            monkeypatch.setenv(SMTP_PASSWORD_ENV, smtp.password)
            cfg.reply.transport = "smtp"
            cfg.reply.smtp = SmtpConfig(host=smtp.host, port=smtp.port, security=smtp.security,
                                        username=smtp.username, password_env=SMTP_PASSWORD_ENV,
                                        ca_file=smtp.ca_file, timeout=10.0)
        return cfg

    return build


class Ledger:
    """Read-only queries the tests assert on."""

    def __init__(self, cfg: Config) -> None:
        self.engine = open_ledger(cfg)

    def messages(self) -> list[MessageRow]:
        with Session(self.engine) as s:
            return list(s.exec(select(MessageRow).order_by(MessageRow.id)).all())

    def documents(self, pk: int) -> list[DocumentRow]:
        with Session(self.engine) as s:
            return list(s.exec(select(DocumentRow).where(DocumentRow.message_pk == pk).order_by(DocumentRow.position)).all())

    def outbox(self) -> list[OutboxRow]:
        with Session(self.engine) as s:
            return list(s.exec(select(OutboxRow).order_by(OutboxRow.id)).all())

    def mailbox_state(self, source: str) -> MailboxStateRow | None:
        with Session(self.engine) as s:
            return s.get(MailboxStateRow, source)


@pytest.fixture
def ledger() -> Callable[[Config], Ledger]:
    return Ledger


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]
