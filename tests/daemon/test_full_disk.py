"""A full disk: fetching stops without marking or recording anything half-done, the error is visible
(last error in the ledger, `intake status`), and the daemon recovers by itself once there is room.
Runs on a real small tmpfs (mounting needs root: CI runs as root; elsewhere it says why it is skipped)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.config import Config
from intake.run.daemon import run
from intake.staff.status import status_data
from intake.store.migrations import open_ledger
from intake.store.rows import MessageRow
from tests.fixtures.mail import build_message


@pytest.fixture
def small_disk(tmp_path: Path):  # noqa: ANN201
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs .ci/run as root)")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_disk_stops_fetching_visibly_and_recovers_by_itself(small_disk: Path, tmp_path: Path) -> None:
    cfg = Config()
    cfg.base_dir = tmp_path
    cfg.storage.data_dir = str(small_disk / "var")
    cfg.storage.database = f"sqlite:///{tmp_path / 'ledger.db'}"  # the ledger elsewhere: only the store fills up
    cfg.source.folder.path = "inbox"
    (tmp_path / "inbox").mkdir()
    assert run(cfg, once=True).poll_ok
    ballast = small_disk / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT)  # fill the disk to the last byte
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(fd)
    big = build_message([("附件2 工作总结.txt", ("工作总结" * 40000).encode())], message_id="<full1@x>")
    (tmp_path / "inbox" / "01.eml").write_bytes(big)
    stats = run(cfg, once=True)
    assert not stats.poll_ok and stats.processed == 0
    with Session(open_ledger(cfg)) as s:
        assert s.exec(select(MessageRow)).all() == []  # nothing recorded half-way
        data = status_data(s, 600)
        [src] = data["sources"]
        [incident] = data["open_incidents"]  # staff see the outage as an open incident
        assert incident["source"] == src["source"] and incident["kind"] == "stale"
    assert "No space left" in (src["last_error"] or "") or "ENOSPC" in (src["last_error"] or "")
    ballast.unlink()  # room again: the next pass takes the message without anyone's help
    stats = run(cfg, once=True)
    assert stats.poll_ok and stats.processed == 1
    with Session(open_ledger(cfg)) as s:
        [m] = s.exec(select(MessageRow)).all()
        assert m.state == "processed"
        assert status_data(s, 600)["sources"][0]["last_error"] is None
        assert status_data(s, 600)["open_incidents"] == []
