"""A ledger with the example inbox's first three messages recorded against the example roster, copied per test.

Recording the messages (reading their documents) takes seconds, so it is done once per session into
a template folder; every test gets its own copy of the data folder. The inbox folder is shared and
only read: its path, and so the source's name in the ledger, are the same for every copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from intake.config import Config
from intake.run.daemon import Daemon
from tests.fixtures.mail import build_message

ROOT = Path(__file__).resolve().parents[2]
CST = ZoneInfo("Asia/Shanghai")
# 01 江苏 complete, 02 浙江 incomplete (a 申报表 PDF missing), 03 山东 late; 四川, 广东 and 电力 (two
# addresses) have sent nothing; a sender not on the roster makes an incomplete unit of its own (未登记).
# The 2020 deadline is 2020-09-15 (inclusive): reminders on 09-12 and 09-14.
MESSAGES = ("01-jiangsu-complete.eml", "02-zhejiang-incomplete.eml", "03-shandong-late.eml")
STRANGER = "someone@example-unknown.cn"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A campaign-local instant in September 2020."""
    return datetime(2020, 9, day, hour, minute, tzinfo=CST)


def make_cfg(base: Path, inbox: Path) -> Config:
    c = Config()
    c.base_dir = base
    c.storage.data_dir = "var"
    c.source.folder.path = str(inbox)
    c.roster.file = str(ROOT / "examples" / "roster.csv")
    c.reply.from_addr = "qc-intake@example.org"
    return c


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template: a base folder with ``inbox/`` and ``var/`` (ledger, objects, the receipts' outbox)."""
    base = tmp_path_factory.mktemp("recorded")
    inbox = base / "inbox"
    inbox.mkdir()
    for name in MESSAGES:
        shutil.copy(ROOT / "examples" / "inbox" / name, inbox / name)
    (inbox / "04-stranger.eml").write_bytes(build_message(
        [("说明.txt", "我会材料随后补交。".encode())], from_addr=STRANGER, from_name="某某协会", message_id="<stranger@x>"))
    daemon = Daemon(make_cfg(base, inbox))
    try:
        assert daemon.run_pass().processed == len(MESSAGES) + 1
    finally:
        daemon.close()
    shutil.rmtree(base / "var" / "outbox")  # the receipts: each test starts with an empty outbox folder
    return base


@pytest.fixture
def cfg(recorded: Path, tmp_path: Path) -> Config:
    shutil.copytree(recorded / "var", tmp_path / "var")
    c = make_cfg(tmp_path, recorded / "inbox")
    c.reminders.enabled = True
    return c


@pytest.fixture
def daemon_at(cfg: Config) -> Iterator[Callable[[datetime], Daemon]]:
    """A daemon (a fresh one per call: a restart) whose clock says ``when``; closed after the test."""
    made: list[Daemon] = []

    def make(when: datetime) -> Daemon:
        d = Daemon(cfg)
        d.clock = lambda: when
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def outbox_files(cfg: Config, prefix: str) -> list[Path]:
    return sorted(cfg.outbox_dir.glob(f"{prefix}-*.eml"))
