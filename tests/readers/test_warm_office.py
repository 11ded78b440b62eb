"""The warm LibreOffice (parsers/readers/warm_office.py): one soffice kept between conversions, giving what
the one-shot run gives; killed on a timeout, restarted after it, stopped when idle, never left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from parsers.readers import docx as docx_reader
from parsers.readers import office, office_pipes, warm_office
from parsers.readers import xlsx as xlsx_reader

pytestmark = pytest.mark.libreoffice

if not warm_office.available():  # .ci/run installs python3-uno; say so loudly instead of skipping
    pytest.fail("the warm converter needs /usr/bin/python3 with LibreOffice's uno (apt-get install python3-uno)",
                pytrace=False)


@pytest.fixture
def fresh():
    """This process's warm converter, stopped before and after the test."""
    w = warm_office.warm()
    w.stop()
    yield w
    w.kept = False
    w.stop()


def _pipe_files(w: warm_office.WarmOffice) -> list[Path]:
    """The running soffice's socket files in /tmp."""
    assert w._profile is not None  # noqa: SLF001
    names = [office_pipes.ipc_name(w._profile.as_uri()), w._pipe]  # noqa: SLF001
    return [Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{n}" for n in names]


def _pid(w: warm_office.WarmOffice) -> int | None:
    return w._proc.pid if w._proc is not None and w._proc.poll() is None else None  # noqa: SLF001


def test_warm_gives_what_the_one_shot_run_gives_and_keeps_one_office(fresh, legacy_files):
    cases = [(legacy_files["doc"], "doc", "docx"), (legacy_files["wps"], "wps", "docx"),
             (legacy_files["et"], "et", "xlsx")]
    pids = set()
    for data, ext, target in cases:
        [warm] = office.convert_many([(data, ext)], target, warm=True)
        pids.add(_pid(fresh))
        [cold] = office.convert_many([(data, ext)], target, warm=False)
        reader = docx_reader if target == "docx" else xlsx_reader
        assert warm and cold
        a, b = reader.read(warm, "w", 60), reader.read(cold, "c", 60)
        assert a.paragraphs == b.paragraphs and [t.grid for t in a.tables] == [t.grid for t in b.tables]
    assert len(pids) == 1 and None not in pids  # one soffice served all three


def test_a_file_libreoffice_cannot_open_gives_none_and_the_office_goes_on(fresh, legacy_files):
    out = office.convert_many([(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "doc"), (legacy_files["doc"], "doc")],
                              "docx", warm=True)
    assert out[0] is None and out[1] and out[1][:2] == b"PK"


def test_a_conversion_over_its_time_is_killed_and_the_next_starts_afresh(fresh, legacy_files):
    office.convert_many([(legacy_files["doc"], "doc")], "docx", warm=True)
    first = _pid(fresh)
    pipes = _pipe_files(fresh)
    assert all(p.exists() for p in pipes), pipes  # the single-instance pipe and the UNO accept pipe
    slow = b"{\\rtf1\\ansi " + "申报表".encode("gbk").hex().encode() * 20000 + b"}"
    with pytest.raises(office.ConversionTimeout):
        office.convert_many([(slow, "rtf")], "docx", timeout=0.3, warm=True)
    assert _pid(fresh) is None and first is not None
    assert not any(p.exists() for p in pipes)  # a SIGKILLed soffice leaves them; the stop removes them
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # the bridge (and soffice with it) is gone
    [again] = office.convert_many([(legacy_files["doc"], "doc")], "docx", warm=True)
    assert again and _pid(fresh) not in (None, first)


def test_an_idle_office_is_stopped(fresh, legacy_files, monkeypatch):
    monkeypatch.setattr(warm_office, "IDLE_SECONDS", 0.2)
    office.convert_many([(legacy_files["doc"], "doc")], "docx", warm=True)
    pid = _pid(fresh)
    assert pid is not None
    fresh._idle.join(5)  # noqa: SLF001 - the idle timer's thread
    assert _pid(fresh) is None


def _wait_running(w: warm_office.WarmOffice, not_pid: int | None = None) -> int:
    end = time.monotonic() + 90
    while time.monotonic() < end:
        pid = _pid(w)
        if pid is not None and pid != not_pid:
            return pid
        time.sleep(0.05)
    raise AssertionError("the kept office did not start")


def test_a_kept_office_starts_ahead_stays_when_idle_and_restarts_ahead(fresh, legacy_files, monkeypatch):
    """The daemon's: running before the first legacy file, never stopped for idleness, and after its uses
    a new one is started at once, without waiting for the next file."""
    monkeypatch.setattr(warm_office, "IDLE_SECONDS", 0.2)
    monkeypatch.setattr(warm_office, "MAX_USES", 2)
    warm_office.keep_warm()
    first = _wait_running(fresh)  # no conversion asked for
    [out] = office.convert_many([(legacy_files["doc"], "doc")], "docx", warm=True)
    assert out and _pid(fresh) == first
    time.sleep(0.6)  # three idle periods
    assert _pid(fresh) == first
    office.convert_many([(legacy_files["doc"], "doc")], "docx", warm=True)  # its second use: restarted
    assert _wait_running(fresh, not_pid=first) != first


def test_without_uno_the_one_shot_run_is_used(fresh, legacy_files, monkeypatch):
    monkeypatch.setattr(warm_office, "available", lambda: False)
    [out] = office.convert_many([(legacy_files["doc"], "doc")], "docx", warm=True)
    assert out and out[:2] == b"PK" and _pid(fresh) is None


def test_a_killed_caller_leaves_no_libreoffice_behind(tmp_path, legacy_files):
    """SIGKILL of the process that holds the warm office: its bridge and soffice go too."""
    from tests.processes import MARK, none_left

    src = tmp_path / "in.doc"
    src.write_bytes(legacy_files["doc"])
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        from parsers.readers import office, office_pipes, warm_office
        office.convert_many([(pathlib.Path({str(src)!r}).read_bytes(), "doc")], "docx", warm=True)
        print(warm_office.warm()._profile, flush=True)
        time.sleep(60)
    """)
    mark = f"warm-{os.getpid()}"
    env = dict(os.environ, **{MARK: mark})
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, cwd=os.getcwd())
    assert proc.stdout is not None
    profile = Path(proc.stdout.readline().strip().decode())
    assert profile.is_dir()
    proc.kill()
    proc.wait()
    proc.stdout.close()
    assert none_left(mark, seconds=15)
    end = time.monotonic() + 15
    while profile.exists() and time.monotonic() < end:  # the bridge removes what its dead caller cannot
        time.sleep(0.1)
    assert not profile.exists()


def test_a_stop_that_is_not_for_a_hang_lets_libreoffice_end_itself(fresh, legacy_files):
    """A killed soffice leaves its IPC pipe file in /tmp; a restart or idle stop closes the bridge's input
    first, and the bridge ends soffice through UNO and exits by itself."""
    office.convert_many([(legacy_files["doc"], "doc")], "docx", warm=True)
    proc, profile = fresh._proc, fresh._profile  # noqa: SLF001
    assert proc is not None and profile is not None
    fresh.stop(grace=warm_office.STOP_GRACE_SECONDS)
    assert proc.returncode == 0 and not profile.exists()  # exited on its own, not by SIGKILL (-9)
    office.convert_many([(legacy_files["doc"], "doc")], "docx", warm=True)
    proc = fresh._proc  # noqa: SLF001
    fresh.stop()  # after a hang: no grace
    assert proc is not None and proc.returncode == -9
