"""Legacy, WPS and other offices' formats (doc, wps, et, rtf, odt, ods; xls as a fallback; an .xlsx
whose formulas need computing) through LibreOffice headless.

LibreOffice converts to docx/xlsx and the result goes to the docx/xlsx reader, so every
format ends in the same model. One private profile directory per process (never the
user's own, which may be in use) is reused because a cold profile costs ~0.3 s per call;
a lock serialises calls on it, as concurrent conversions on one profile are fragile
(env-facts §4). ``soffice`` runs in its own process group, so a timeout kills the whole
tree (oosplash + soffice.bin), and the profile is discarded in case it was left locked.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from parsers.model import Document, Problem
from parsers.readers import office_pipes
from parsers.readers.limits import package_problem

TARGET = {"doc": "docx", "wps": "docx", "et": "xlsx", "xls": "xlsx", "rtf": "docx", "odt": "docx", "ods": "xlsx",
          "xlsx": "xlsx"}  # xlsx → xlsx: LibreOffice computes formulas that have no cached value

_lock = threading.Lock()
_profile: Path | None = None


class ConverterMissing(Exception):
    """No soffice/libreoffice executable on PATH."""


class ConversionTimeout(Exception):
    """soffice did not finish within the time limit (it was killed)."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


PROFILE_PREFIX = "qc-intake-lo-"  # + the owning process's PID + "-" + mkdtemp's suffix


def _profile_dir() -> Path:
    """This process's profile for one-shot runs (kept between them: a new profile costs soffice seconds)."""
    global _profile
    if _profile is None:
        _sweep_stale_profiles()
        _profile = Path(tempfile.mkdtemp(prefix=f"{PROFILE_PREFIX}{os.getpid()}-"))
        atexit.register(shutil.rmtree, _profile, True)
    return _profile


def _sweep_stale_profiles() -> None:
    """Remove the one-shot profiles (~0.5 MB each) of processes that are gone. A reading worker ends
    without its atexit handlers (killed over its time limit, or stopped with the pool), so its profile
    stayed in the temp dir; the next process that makes a profile removes such leftovers."""
    for path in Path(tempfile.gettempdir()).glob(f"{PROFILE_PREFIX}*-*"):
        pid = path.name[len(PROFILE_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _drop_profile() -> None:
    """Remove the one-shot profile (after a kill: its soffice may have left it inconsistent) and the
    single-instance pipe file a killed soffice leaves in /tmp."""
    global _profile
    if _profile is not None:
        office_pipes.remove(office_pipes.ipc_name(_profile.as_uri()))
        shutil.rmtree(_profile, ignore_errors=True)
        _profile = None


def convert_many(
    files: list[tuple[bytes, str]], target: str, timeout: float = 60.0, infilter: str | None = None,
    warm: bool = False,
) -> list[bytes | None]:
    """Convert several files in ONE soffice run (startup dominates: 10 files 1.1 s vs 9 s one by one).

    ``files`` are (data, extension) pairs; ``target`` an extension, optionally with an export
    filter (``"xls:MS Excel 97"``); the result has the converted bytes, or None where
    LibreOffice produced nothing, in the same order. ``infilter`` forces an import filter
    (e.g. "HTML (StarWriter)" to open HTML in Writer rather than Writer/Web, which cannot save .doc).
    ``warm``: through the LibreOffice kept running between calls (:mod:`parsers.readers.warm_office`;
    the daemon's process, not its reading workers), the one-shot run when that cannot start.
    Raises ConverterMissing / ConversionTimeout.
    """
    exe = soffice()
    if exe is None:
        raise ConverterMissing("soffice not found on PATH")
    deadline = time.monotonic() + timeout
    if not _lock.acquire(timeout=max(0.0, timeout)):
        raise ConversionTimeout(f"waited {timeout:g}s for the converter")
    try:
        with tempfile.TemporaryDirectory(prefix="qc-intake-conv-") as tmp:
            work = Path(tmp)
            inputs = []
            for i, (data, ext) in enumerate(files):
                path = work / f"in{i}.{ext.lstrip('.') or 'bin'}"  # ASCII names: the sender's may be anything
                path.write_bytes(data)
                inputs.append(path)
            out = work / "out"
            if warm and (done := _convert_warm(inputs, out, target, infilter, deadline, timeout)) is not None:
                return done
            profile = _profile_dir()
            cmd = [
                exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
                "--nolockcheck", *([f"--infilter={infilter}"] if infilter else []),
                "--convert-to", target, "--outdir", str(out), *map(str, inputs),
            ]
            # its temp files in the work dir, removed with it even when soffice is killed
            env = dict(os.environ, HOME=os.environ.get("HOME") or str(work), TMPDIR=str(work))
            _run(cmd, env, deadline - time.monotonic(), timeout)
            results = []
            ext = target.split(":", 1)[0]  # "xls:MS Excel 97" names a filter; the file is .xls
            for path in inputs:
                produced = out / f"{path.stem}.{ext}"
                results.append(produced.read_bytes() if produced.is_file() and produced.stat().st_size else None)
            return results
    finally:
        _lock.release()


def _convert_warm(inputs: list[Path], out: Path, target: str, infilter: str | None, deadline: float,
                  timeout: float) -> list[bytes | None] | None:
    """``inputs`` through the warm LibreOffice, each within what is left of ``timeout``; None when the
    warm converter is not available here (the caller runs soffice once instead)."""
    from parsers.readers import warm_office

    if not warm_office.available():
        return None
    office = warm_office.warm()
    out.mkdir(exist_ok=True)
    ext = target.split(":", 1)[0]
    results: list[bytes | None] = []
    try:
        for path in inputs:
            produced = out / f"{path.stem}.{ext}"
            try:
                office.convert(path, produced, target, infilter, deadline - time.monotonic())
            except warm_office.Stuck:
                raise ConversionTimeout(f"LibreOffice killed after {timeout:g}s") from None
            results.append(produced.read_bytes() if produced.is_file() and produced.stat().st_size else None)
    except warm_office.Unavailable:
        return None if not results else results + [None] * (len(inputs) - len(results))
    finally:
        office.idle_later()
    return results


def _run(cmd: list[str], env: dict, remaining: float, timeout: float) -> None:
    if remaining <= 0:
        raise ConversionTimeout(f"no time left of {timeout:g}s")
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        start_new_session=True,
    )
    try:
        proc.communicate(timeout=remaining)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        _drop_profile()
        raise ConversionTimeout(f"soffice killed after {timeout:g}s") from None


def convert(data: bytes, ext: str, target: str, timeout: float = 60.0) -> bytes | None:
    return convert_many([(data, ext)], target, timeout)[0]


def read(data: bytes, filename: str = "", timeout: float = 60.0, source: str = "doc") -> Document:
    """Convert ``source`` (a key of :data:`TARGET`) with LibreOffice and read the result."""
    target = TARGET[source]
    try:
        converted = convert(data, source, target, timeout)
    except ConverterMissing as e:
        return Document(problems=[Problem("converter.missing", str(e))], text_trusted=False)
    except ConversionTimeout as e:
        return Document(problems=[Problem("document.timeout", str(e))], text_trusted=False)
    except OSError as e:
        return Document(problems=[Problem("document.unreadable", f"{source}: conversion failed: {e}")],
                        text_trusted=False)
    if converted is None:
        return Document(problems=[Problem("document.unreadable", f"{source}: LibreOffice produced no {target}")],
                        text_trusted=False)
    if (too_large := package_problem(converted, target)) is not None:  # what LO wrote, judged like a sent one
        return Document(problems=[too_large], text_trusted=False, meta={"converted_from": source})
    from parsers.readers import docx as docx_reader  # here: the main process converts, the workers read
    from parsers.readers import xlsx as xlsx_reader

    doc = (docx_reader if target == "docx" else xlsx_reader).read(converted, filename, timeout)
    doc.meta["converted_from"] = source
    return doc
