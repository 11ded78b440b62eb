"""Fixtures for daemon tests: a folder-source config under tmp_path and an inbox writer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from intake.config import Config

CST = timezone(timedelta(hours=8))
ON_TIME = datetime(2020, 9, 14, 10, 31, tzinfo=CST)


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    c = Config()
    c.base_dir = tmp_path
    c.storage.data_dir = "var"
    c.source.folder.path = "inbox"
    c.reply.from_addr = "qc-intake@example.org"
    (tmp_path / "inbox").mkdir()
    return c


@pytest.fixture
def drop(cfg: Config) -> Callable[[str, bytes], Path]:
    """Write a raw message into the inbox folder."""

    def write(name: str, raw: bytes) -> Path:
        p = cfg.path(cfg.source.folder.path) / name
        p.write_bytes(raw)
        return p

    return write
