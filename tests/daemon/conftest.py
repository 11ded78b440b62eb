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
def cfg(folder_cfg: Config) -> Config:
    """The folder-source config on SQLite; modules that must also hold on PostgreSQL override it with
    :func:`any_ledger_cfg`."""
    return folder_cfg


@pytest.fixture(params=["sqlite", "postgres"])
def any_ledger_cfg(request: pytest.FixtureRequest, folder_cfg: Config) -> Config:
    """The same config with its ledger on SQLite, then on a fresh database of the real PostgreSQL server."""
    if request.param == "postgres":
        folder_cfg.storage.database = request.getfixturevalue("postgres").new_database()
    return folder_cfg


@pytest.fixture
def folder_cfg(tmp_path: Path) -> Config:
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
