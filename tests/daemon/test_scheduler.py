"""The long-running daemon: jobs configured as documented; SIGTERM finishes the work and exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from intake.run.daemon import Daemon
from intake.run.scheduler import build_scheduler
from tests.fixtures.mail import build_message

ROOT = Path(__file__).resolve().parents[2]


def test_jobs_never_overlap_and_coalesce(cfg):
    daemon = Daemon(cfg)
    try:
        sched = build_scheduler(cfg, daemon, threading.Event())
        jobs = {j.id: j for j in sched.get_jobs()}
        assert set(jobs) == {"poll", "outbox", "second_look"}
        for j in jobs.values():
            assert j.max_instances == 1 and j.coalesce is True and j.misfire_grace_time == 30
        assert str(sched.timezone) == "Asia/Shanghai"
    finally:
        daemon.close()


def _start_daemon(tmp_path: Path, poll: float, outbox: float) -> subprocess.Popen:
    """``intake run`` on a folder inbox under tmp_path (the inbox must exist), output captured."""
    conf = tmp_path / "c.toml"
    conf.write_text('[storage]\ndata_dir = "var"\n[source.folder]\npath = "inbox"\n'
                    f"[schedule]\npoll_seconds = {poll}\noutbox_seconds = {outbox}\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "intake.cli", "run", "-c", str(conf)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_sigterm_stops_cleanly_after_processing(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "01.eml").write_bytes(build_message([], message_id="<s1@x>"))
    proc = _start_daemon(tmp_path, poll=0.2, outbox=0.2)
    try:
        outbox = tmp_path / "var" / "outbox"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list(outbox.glob("*.eml")):
            time.sleep(0.1)
        assert list(outbox.glob("*.eml")), "the running daemon never wrote the receipt"
        (inbox / "02.eml").write_bytes(build_message([], subject="第二封", message_id="<s2@x>"))
        while time.monotonic() < deadline and len(list(outbox.glob("*.eml"))) < 2:
            time.sleep(0.1)
        assert len(list(outbox.glob("*.eml"))) == 2  # new mail picked up by the poll job
        office = _kept_office(proc.pid)  # started with the workers, though no legacy file came
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert "stopped" in out
    assert not office.is_running() or office.status() == psutil.STATUS_ZOMBIE  # and stopped with the daemon


def _kept_office(pid: int) -> psutil.Process:
    """The soffice the daemon keeps warm (``workers.keep_office_warm``, on by default)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for p in psutil.Process(pid).children(recursive=True):
            try:
                if "soffice" in " ".join(p.cmdline()):
                    return p
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.2)
    raise AssertionError("the daemon started no LibreOffice ahead")


def test_a_receipt_leaves_at_once_not_at_the_next_outbox_interval(tmp_path):
    """The outbox interval is an hour here: only the wake-up after each recorded message can send it."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    proc = _start_daemon(tmp_path, poll=0.5, outbox=3600)
    try:
        outbox = tmp_path / "var" / "outbox"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (tmp_path / "var" / "ledger.db").exists():
            time.sleep(0.1)
        time.sleep(1.5)  # the first outbox run (at start, with nothing to send) is over
        (inbox / "01.eml").write_bytes(build_message([], message_id="<now1@x>"))
        t0 = time.monotonic()
        while time.monotonic() < deadline and not list(outbox.glob("*.eml")):
            time.sleep(0.05)
        assert list(outbox.glob("*.eml")), "the receipt waited for the hourly outbox run"
        assert time.monotonic() - t0 < 30
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out


def test_a_receipt_queued_while_the_outbox_job_runs_is_sent_by_that_run(cfg, monkeypatch):
    """The scheduler skips a wake-up while the outbox job is still running (one instance at a time); the run
    goes on for a receipt queued meanwhile, instead of leaving it for the next interval."""
    from intake.run import scheduler

    daemon = Daemon(cfg)
    wanted = threading.Event()
    queue = ["A"]  # receipts due; "B" is queued (and the job woken) during the round that finds nothing more
    sent: list[str] = []
    rounds = []

    def send() -> int:
        batch, queue[:] = list(queue), []
        sent.extend(batch)
        rounds.append(len(batch))
        if rounds == [1, 0]:  # after this round looked, before it returned: the run must go on for B
            queue.append("B")
            wanted.set()
        return len(batch)

    monkeypatch.setattr(daemon, "send", send)
    try:
        scheduler._send(daemon, wanted)
        assert sent == ["A", "B"]
        queue.append("C")  # queued and woken after the run: that wake-up runs the job again, not this run
        wanted.clear()
        scheduler._send(daemon, wanted)
        assert sent == ["A", "B", "C"]
    finally:
        daemon.close()


def test_the_outbox_job_keeps_its_connection_while_receipts_come_and_closes_it_when_none_do(cfg, monkeypatch):
    """A rush's receipts share one SMTP connection across the job's runs; the first run that finds nothing to
    send (the interval's, after the rush) closes it, so no idle session is held open for long."""
    from intake.run import scheduler

    daemon = Daemon(cfg)
    due = [1]
    closed: list[int] = []

    def send() -> int:
        n, due[:] = sum(due), []
        return n

    monkeypatch.setattr(daemon, "send", send)
    monkeypatch.setattr(daemon, "end_sending", lambda: closed.append(1))
    try:
        scheduler._send(daemon, threading.Event())  # woken by a recorded message: sends it
        assert closed == []
        scheduler._send(daemon, threading.Event())  # the timer, nothing due
        assert closed == [1]
    finally:
        monkeypatch.undo()
        daemon.close()
