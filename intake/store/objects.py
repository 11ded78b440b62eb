"""Content-addressed storage of raw messages and attachment bytes.

Why content addressing: the same bytes are stored once whatever path they arrived by, the name
is the integrity check, and a write can be repeated after a crash without harm. Why
tmp → fsync → rename → fsync(dir): a crash leaves either no object or a complete one, never a
torn file (the Postfix / Mailman queue discipline, reference-systems §D).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class Store:
    """Objects live at ``<root>/ab/cdef…`` where ``abcdef…`` is the SHA-256 of the bytes."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ValueError(f"not a SHA-256 hex digest: {sha!r}")
        return self.root / sha[:2] / sha[2:]

    def put(self, data: bytes, sha256: str | None = None) -> tuple[str, Path]:
        """Store ``data`` durably; idempotent. Returns (sha256 hex, path). ``sha256``: the digest the caller
        has just computed of these same bytes (a 54 MB message is not hashed twice)."""
        sha = sha256 or hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists() and target.stat().st_size == len(data):
            return sha, target
        atomic_write(target, data)
        return sha, target

    def get(self, sha: str) -> bytes:
        """The stored bytes; raises FileNotFoundError when absent, ValueError when corrupted."""
        data = self.path(sha).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"stored object {sha} is corrupted")
        return data

    def __contains__(self, sha: str) -> bool:
        return self.path(sha).exists()


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that a crash leaves either nothing or the whole file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (the directory entry), where the OS allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
