"""The folder source: ``*.eml`` files in a directory, or a Maildir (``new/`` + ``cur/``).

The embedded default, for a first run and for tests. The folder is never modified: what has
been taken is remembered in the ledger (``MessageRow.source_ref`` of this source), so a second
pass reads nothing. The receipt time of a file is its own ``Received:``/``Date:`` header
(decided later by the pipeline), never the file's mtime, which copying changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.fetch import Incoming
from intake.store.rows import MessageRow

log = logging.getLogger(__name__)


class FolderSource:
    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = Path(path)
        self.engine = engine
        self.name = f"folder:{self.path.resolve()}"

    def _files(self) -> list[tuple[str, Path]]:
        """(ref, path) of every candidate file, sorted so the order is stable."""
        if not self.path.is_dir():
            log.warning("folder source %s does not exist; nothing to fetch", self.path)
            return []
        if (self.path / "new").is_dir() or (self.path / "cur").is_dir():
            out = []
            for sub in ("new", "cur"):
                d = self.path / sub
                if d.is_dir():
                    # A Maildir file moves new/ → cur/ and gains ":2,<flags>" when read: the
                    # unique part before ":" is the stable identity.
                    out += [(f"maildir:{p.name.split(':', 1)[0]}", p) for p in d.iterdir() if p.is_file()]
            return sorted(out, key=lambda t: t[0])
        return [(p.name, p) for p in sorted(self.path.glob("*.eml")) if p.is_file()]

    def _seen_refs(self) -> set[str]:
        with Session(self.engine) as s:
            return set(s.exec(select(MessageRow.source_ref).where(MessageRow.source == self.name)).all())

    def fetch(self) -> Iterator[Incoming]:
        seen = self._seen_refs()
        for ref, p in self._files():
            if ref in seen:
                continue
            try:
                raw = p.read_bytes()
            except OSError as e:  # vanished or unreadable: try again next pass
                log.warning("cannot read %s: %s", p, e)
                continue
            yield Incoming(raw=raw, ref=ref)

    def done(self, item: Incoming) -> None:
        """Nothing to do: the ledger row is the record; the folder stays untouched."""

    def wait(self, timeout: float) -> bool:
        return False

    def close(self) -> None:
        pass
