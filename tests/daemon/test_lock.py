"""One daemon per ledger (a lock for the life of the process) and SIGTERM finishing only the message in hand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.config import Config
from intake.record.ahead import depth_for
from intake.run.lock import DaemonLock, LockHeld
from intake.store.migrations import LedgerUnavailable, open_ledger, open_ledger_readonly
from intake.store.rows import MessageRow
from tests.processes import none_left

ROOT = Path(__file__).resolve().parents[2]
JIANGSU = (ROOT / "examples" / "inbox" / "01-jiangsu-complete.eml").read_bytes()


def _copies(inbox: Path, n: int) -> None:
    for i in range(n):
        raw = JIANGSU.replace(b"<qc-2020-mixed-0@sina.com>", f"<copy-{i}@sina.com>".encode())
        (inbox / f"{i:02d}.eml").write_bytes(raw)


def _conf(tmp_path: Path, extra: str = "") -> Path:
    p = tmp_path / "c.toml"
    p.write_text('[storage]\ndata_dir = "var"\n[source.folder]\npath = "inbox"\n'
                 '[schedule]\npoll_seconds = 1.0\noutbox_seconds = 1.0\n' + extra, encoding="utf-8")
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return p


def _intake(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "intake.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def _wait_for(predicate, seconds: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_second_daemon_refuses_then_stands_by_and_takes_over(tmp_path: Path) -> None:
    conf = _conf(tmp_path)
    first = _intake("run", "-c", str(conf), cwd=tmp_path)
    try:
        assert _wait_for(lambda: (tmp_path / "var" / "intake.lock").exists()
                         and "pid" in (tmp_path / "var" / "intake.lock").read_text(), 60)
        second = subprocess.run([sys.executable, "-m", "intake.cli", "run", "--once", "-c", str(conf)], cwd=tmp_path,
                                capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert second.returncode == 3, second.stderr
        assert f"pid {first.pid}" in second.stderr and "--standby" in second.stderr
        standby = _intake("run", "--once", "--standby", "-c", str(conf), cwd=tmp_path)
        time.sleep(2)
        assert standby.poll() is None, "a standby daemon must wait while the first one runs"
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0
        assert standby.wait(timeout=60) == 0, standby.stderr.read() if standby.stderr else ""
    finally:
        for p in (first,):
            if p.poll() is None:
                p.kill()


def test_the_lock_on_a_postgresql_ledger_is_an_advisory_lock(postgres, tmp_path: Path) -> None:
    cfg = Config()
    cfg.base_dir = tmp_path
    cfg.storage.database = postgres.new_database()
    with DaemonLock(cfg):
        with pytest.raises(LockHeld, match="server session"):
            DaemonLock(cfg).__enter__()
    with DaemonLock(cfg):  # released when the first one ended
        pass


def test_sigterm_finishes_the_message_in_hand_and_starts_nothing_else(tmp_path: Path) -> None:
    conf = _conf(tmp_path)
    n = 4 * depth_for(os.cpu_count() or 1)  # well beyond what a pass holds in hand at once
    _copies(tmp_path / "inbox", n)
    daemon = _intake("run", "-c", str(conf), cwd=tmp_path)
    cfg = Config()
    cfg.base_dir = tmp_path
    cfg.storage.data_dir = "var"

    def processed() -> int:
        try:  # read-only: never migrate behind the daemon's back while it sets the ledger up
            engine = open_ledger_readonly(cfg)
        except LedgerUnavailable:
            return 0
        with Session(engine) as s:
            n = len([m for m in s.exec(select(MessageRow)).all() if m.state == "processed"])
        engine.dispose()
        return n

    try:
        assert _wait_for(lambda: processed() >= 1, 120)
        daemon.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        assert daemon.wait(timeout=60) == 0
        assert time.monotonic() - t0 < 30
    finally:
        if daemon.poll() is None:
            daemon.kill()
    with Session(open_ledger(cfg)) as s:
        rows = s.exec(select(MessageRow)).all()
    assert len(rows) < n, "the daemon went on with the batch after SIGTERM"
    assert all(m.state == "processed" for m in rows), "the message in hand was left unfinished"


def test_sigterm_exits_within_the_grace_time_even_when_the_message_in_hand_is_stuck(tmp_path: Path) -> None:
    """A reader stuck far beyond the grace time: the daemon still exits 0 in time, and the message stays
    'stored' for the next start (nothing lost)."""
    import textwrap

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent("""
        from parsers import readers
        import time
        def _stuck(data, filename, timeout):
            time.sleep(600)
        readers.READERS["docx"] = _stuck
    """), encoding="utf-8")
    conf = _conf(tmp_path, "[limits]\nread_timeout_seconds = 300.0\n")
    conf.write_text(conf.read_text(encoding="utf-8").replace("outbox_seconds = 1.0\n",
                                                             "outbox_seconds = 1.0\nstop_grace_seconds = 2.0\n"),
                    encoding="utf-8")
    (tmp_path / "inbox" / "01.eml").write_bytes(JIANGSU)
    mark = f"grace-{os.getpid()}-{time.monotonic_ns()}"
    env = dict(os.environ, PYTHONPATH=f"{site}{os.pathsep}{ROOT}", QC_TEST_MARK=mark)
    daemon = subprocess.Popen([sys.executable, "-m", "intake.cli", "run", "-c", str(conf)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    cfg = Config()
    cfg.base_dir = tmp_path
    cfg.storage.data_dir = "var"

    def stored() -> bool:
        try:
            engine = open_ledger_readonly(cfg)
        except LedgerUnavailable:
            return False
        with Session(engine) as s:
            rows = s.exec(select(MessageRow)).all()
        engine.dispose()
        return len(rows) == 1

    try:
        assert _wait_for(stored, 60)
        time.sleep(1.0)  # reading is under way (stuck)
        daemon.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        assert daemon.wait(timeout=30) == 0
        assert time.monotonic() - t0 < 15
    finally:
        if daemon.poll() is None:
            daemon.kill()
    engine = open_ledger_readonly(cfg)
    with Session(engine) as s:
        [m] = s.exec(select(MessageRow)).all()
    assert m.state == "stored"  # redone at the next start
    assert none_left(mark), "a reading worker outlived the daemon"
