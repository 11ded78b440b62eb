"""One LibreOffice kept running between messages, so a message's legacy files do not pay its start-up.

Why: a one-shot ``soffice --convert-to`` run costs ~0.9–1.7 s before it converts anything; in a
deadline-rush backlog that was most of the pipeline's time (77 s of 137 s for 60 submissions, one run
per message). Kept warm, a conversion costs its own work only.

How, safely: soffice runs headless with its own profile directory, listening on a private named pipe
(no TCP port), driven through LibreOffice's UNO bridge by :mod:`parsers.readers.uno_bridge` — a small
script run by the system Python, which is the interpreter that has ``uno`` (the project's may be
another build). The bridge and soffice share one process group: a conversion that passes its time
limit kills both (and their profile), and the next call starts afresh. It is restarted after
:data:`MAX_USES` conversions (LibreOffice grows over time) and stopped after :data:`IDLE_SECONDS`
without work, so a one-off command does not carry it — unless :func:`keep_warm` (the daemon, by default)
started it ahead and keeps it: then the first legacy file after a quiet spell does not wait ~1.7–3 s for
it to start, and a restart (after its uses, or a kill) is begun at once in the background. When the
bridge cannot run (no system Python with ``uno``) :func:`available` says so and callers use the one-shot run instead.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from parsers.readers import office_pipes

MAX_USES = 200  # conversions before soffice is restarted
IDLE_SECONDS = 60.0  # without a conversion: stopped (started again on the next)
START_SECONDS = 60.0  # a soffice that is not listening by then is killed
STOP_GRACE_SECONDS = 5.0  # a stop that is not for a hang lets soffice exit on its own this long first
#: the system interpreters that may carry LibreOffice's Python-UNO bridge (Debian: python3-uno)
PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3")
BRIDGE = Path(__file__).with_name("uno_bridge.py")

#: export filter by target extension ("docx" or an explicit "xls:MS Excel 97")
FILTERS = {"docx": "MS Word 2007 XML", "xlsx": "Calc MS Excel 2007 XML", "doc": "MS Word 97",
           "xls": "MS Excel 97", "odt": "writer8", "ods": "calc8", "pdf": "writer_pdf_Export"}


class Unavailable(Exception):
    """The warm converter cannot run here (or failed to start): use the one-shot run."""


class Stuck(Exception):
    """A conversion passed its time limit; the converter was killed."""


_python: str | None | bool = False  # False: not looked for yet


def bridge_python() -> str | None:
    """A system Python that can import ``uno``, or None (looked for once per process)."""
    global _python
    if _python is False:
        _python = None
        for exe in PYTHONS:
            if os.access(exe, os.X_OK) and subprocess.run([exe, "-c", "import uno"], capture_output=True,
                                                          timeout=30).returncode == 0:
                _python = exe
                break
    return _python if isinstance(_python, str) else None


def available() -> bool:
    return bridge_python() is not None and (shutil.which("soffice") or shutil.which("libreoffice")) is not None


class WarmOffice:
    """The running bridge + soffice; not thread-safe (the caller holds the office lock)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._profile: Path | None = None
        self._pipe = ""  # the UNO accept pipe's name (soffice's second socket file)
        self._uses = 0
        self._idle: threading.Timer | None = None
        self.kept = False  # :func:`keep_warm`: never stopped for idleness, started again ahead

    def convert(self, src: Path, dst: Path, target: str, infilter: str | None, timeout: float) -> str | None:
        """Convert ``src`` into ``dst``; None when done, else LibreOffice's reason it could not.
        Raises :class:`Stuck` (killed after ``timeout``) or :class:`Unavailable`."""
        ext, _, explicit = target.partition(":")
        request = {"in": str(src), "out": str(dst), "filter": explicit or FILTERS.get(ext, ""),
                   "infilter": infilter, "recalc": src.suffix.lower() == ".xlsx"}
        if not request["filter"]:
            raise Unavailable(f"no export filter known for {target!r}")
        proc = self._running()
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
            answer = self._answer(proc, timeout)
        except (OSError, ValueError) as e:
            self.stop()
            raise Unavailable(f"the converter went away: {e}") from e
        if answer is None:
            self.stop()
            self._start_ahead()
            raise Stuck(f"LibreOffice killed after {timeout:g}s")
        self._uses += 1
        if self._uses >= MAX_USES:
            self.stop(grace=STOP_GRACE_SECONDS)
            self._start_ahead()
        return None if answer.get("ok") else str(answer.get("error") or "conversion failed")

    def idle_later(self) -> None:
        """(Re)arm the timer that stops an unused converter (none when it is kept warm)."""
        if self._idle is not None:
            self._idle.cancel()
        if self.kept:
            return
        self._idle = threading.Timer(IDLE_SECONDS, self._stop_if_idle)
        self._idle.daemon = True
        self._idle.start()

    def _stop_if_idle(self) -> None:
        from parsers.readers.office import _lock  # the office lock: never stop it under a conversion

        if _lock.acquire(blocking=False):
            try:
                self.stop(grace=STOP_GRACE_SECONDS)
            finally:
                _lock.release()

    def _start_ahead(self) -> None:
        """Kept warm: start the next soffice now, in the background, instead of at the next conversion."""
        if self.kept:
            threading.Thread(target=self.start, name="warm-office-start", daemon=True).start()

    def start(self) -> None:
        """Start soffice unless it runs, under the office lock (a conversion waits for it rather than
        starting a second one). One that cannot start is left to the next conversion, which says why."""
        from parsers.readers.office import _lock

        with _lock:
            try:
                self._running()
            except (Unavailable, OSError):
                pass

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self.stop()
        python, exe = bridge_python(), shutil.which("soffice") or shutil.which("libreoffice")
        if python is None or exe is None:
            raise Unavailable("no system Python with LibreOffice's uno module, or no soffice")
        self._profile = Path(tempfile.mkdtemp(prefix="qc-intake-warm-lo-"))
        pipe = self._pipe = f"qcintake-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        # soffice's temp files (lu*.tmp) in the profile, removed with it even after a kill
        env = dict(os.environ, HOME=os.environ.get("HOME") or str(self._profile), TMPDIR=str(self._profile))
        env.pop("PYTHONPATH", None)  # the system Python must not see the project's packages
        env.pop("PYTHONHOME", None)
        self._proc = subprocess.Popen(
            [python, "-I", str(BRIDGE), exe, self._profile.as_uri(), pipe],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )
        ready = self._answer(self._proc, START_SECONDS)
        if not ready or not ready.get("ready"):
            self.stop()
            raise Unavailable("LibreOffice did not start listening")
        self._uses = 0
        return self._proc

    @staticmethod
    def _answer(proc: subprocess.Popen[bytes], timeout: float) -> dict | None:
        """The bridge's next line, or None when it did not come within ``timeout`` (or it died)."""
        assert proc.stdout is not None
        end = time.monotonic() + max(0.0, timeout)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                ready, _, _ = select.select([proc.stdout], [], [], left)
                line = proc.stdout.readline() if ready else None
            except (ValueError, OSError):
                return None  # stopped under us (stop() closed the pipe from another thread: exit, a test)
            if line is not None:
                if not line:
                    return None  # it exited
                try:
                    answer = json.loads(line)
                except ValueError:
                    continue  # noise on stdout (LibreOffice may print): not an answer
                if isinstance(answer, dict):
                    return answer

    def stop(self, grace: float = 0.0) -> None:
        """Kill the bridge and soffice (one process group) and drop the profile. ``grace``: first close the
        bridge's input and wait that long for it to end soffice cleanly — a killed soffice leaves its
        ``OSL_PIPE_*`` file in /tmp, one per restart over a campaign. No grace after a hang."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if grace > 0 and proc.poll() is None and proc.stdin is not None:
                try:
                    proc.stdin.close()
                    proc.wait(timeout=grace)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            for f in (proc.stdin, proc.stdout):
                if f is not None:
                    f.close()
            if self._profile is not None:  # a killed soffice leaves its two pipe files in /tmp
                office_pipes.remove(office_pipes.ipc_name(self._profile.as_uri()), self._pipe)
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None


_warm = WarmOffice()
atexit.register(_warm.stop, grace=STOP_GRACE_SECONDS)


def warm() -> WarmOffice:
    """This process's warm converter."""
    return _warm


def keep_warm() -> None:
    """Keep this process's converter running from now on (the daemon: ``workers.keep_office_warm``); it
    starts in the background, so the caller does not wait for it."""
    if not available():
        return
    _warm.kept = True
    if _warm._idle is not None:
        _warm._idle.cancel()
    _warm._start_ahead()
