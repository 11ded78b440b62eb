"""Mailbox sources: where raw messages come from.

A source hands out :class:`Incoming` messages and is told, through :meth:`Source.done`, when
one is safely recorded (raw stored, ledger row committed, processing finished or its failure
recorded). Only then may it act on the mailbox (mark ``\\Seen`` / move) and advance its
resume point. That split is what makes a crash at any point lose nothing and repeat nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from intake.config import Config


@dataclass
class Incoming:
    """One raw message as fetched."""

    raw: bytes
    ref: str  # source-specific reference kept in Message.source_ref ("uidvalidity:uid", file name)
    internal_date: datetime | None = None  # IMAP INTERNALDATE (aware, UTC); None for files
    uid: int | None = None


class Source(Protocol):
    """What the daemon needs from a mailbox."""

    name: str  # stable id kept in Message.source / MailboxState.source

    def fetch(self) -> Iterator[Incoming]:
        """New messages since the last recorded one, oldest first."""
        ...

    def done(self, item: Incoming) -> None:
        """``item`` is safely recorded: act on the mailbox and move the resume point past it."""
        ...

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for new mail (IMAP IDLE); False when not supported."""
        ...

    def close(self) -> None: ...


def open_source(cfg: Config, engine: Engine) -> Source:
    """The source the config names (``source.kind``)."""
    if cfg.source.kind == "imap":
        from intake.fetch.imap import ImapSource

        return ImapSource(cfg.source.imap, engine)
    from intake.fetch.folder import FolderSource

    return FolderSource(cfg.path(cfg.source.folder.path), engine)


__all__ = ["Incoming", "Source", "open_source"]
