"""One daemon per ledger: a lock held for the life of the process.

Two daemons on one ledger would both process the same message, and on a fresh ledger one would
die in the migration race. So ``intake run`` takes this lock before it opens (and migrates) the
ledger, and keeps it until it exits:

- SQLite ledger: an exclusive ``flock`` on ``<data_dir>/intake.lock`` (released by the kernel
  when the process dies, however it dies); the file says who holds it.
- PostgreSQL (any server URL): a session-level advisory lock on a connection kept open for the
  life of the process (``pg_try_advisory_lock``); the server drops it when that connection ends.

A second ``intake run`` says who holds the lock and exits non-zero; with ``--standby`` it waits
and takes over when the first one dies.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intake.config import Config

log = logging.getLogger(__name__)

_ADVISORY_KEY = zlib.crc32(b"qc-intake daemon lock")  # a stable 32-bit key for pg_advisory_lock


class LockHeld(RuntimeError):
    """Another daemon holds the ledger; the message says who (as far as the lock file tells)."""


class DaemonLock:
    """``with DaemonLock(cfg, standby=False):`` — the daemon's single-instance lock (see the module)."""

    def __init__(self, cfg: Config, standby: bool = False, poll_seconds: float = 1.0) -> None:
        self.cfg = cfg
        self.standby = standby
        self.poll_seconds = poll_seconds
        self._fd: int | None = None
        self._conn: Any = None

    def __enter__(self) -> DaemonLock:
        url = self.cfg.database_url
        waited = False
        while True:
            holder = self._try_file() if url.startswith("sqlite") else self._try_server(url)
            if holder is None:
                if waited:
                    log.info("ledger lock taken over: the other daemon is gone")
                return self
            if not self.standby:
                raise LockHeld(f"another intake daemon already runs on this ledger ({holder}); "
                               "stop it first, or start this one with --standby to take over when it ends")
            if not waited:
                log.info("standby: waiting for the ledger lock (%s)", holder)
                waited = True
            time.sleep(self.poll_seconds)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
        if self._conn is not None:
            try:
                self._conn.close()  # ends the session: the server releases the advisory lock
            finally:
                self._conn = None

    # -- SQLite: a lock file in the data folder ------------------------------------------------

    def _try_file(self) -> str | None:
        path = self.cfg.data_dir / "intake.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return _holder(path)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now(UTC).isoformat()}\n".encode())
        self._fd = fd
        return None

    # -- a server ledger: a PostgreSQL advisory lock ---------------------------------------------

    def _try_server(self, url: str) -> str | None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(url, poolclass=NullPool)  # close() must really end the session
        conn = engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_KEY}).scalar()
        if got:
            conn.commit()
            self._conn = conn
            return None
        who = conn.execute(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :k AND granted"),
                           {"k": _ADVISORY_KEY & 0xFFFFFFFF}).scalar()
        conn.close()
        engine.dispose()
        return f"server session pid {who}" if who else "another session"


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "unknown process"
    except OSError:
        return "unknown process"
