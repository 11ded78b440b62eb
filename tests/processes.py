"""Processes a test started, found by a marker in their environment (children of children included:
fork servers, reading workers, LibreOffice), so a test can prove none is left behind."""

from __future__ import annotations

import time

import psutil

MARK = "QC_TEST_MARK"


def marked(mark: str) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter():
        try:
            if p.environ().get(MARK) == mark:
                out.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return out


def none_left(mark: str, seconds: float = 10.0) -> bool:
    """True once no process with ``mark`` is alive (waiting up to ``seconds`` for them to end)."""
    deadline = time.monotonic() + seconds
    while marked(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not marked(mark)
