"""The daemon gives the memory of a recorded message back (intake/run/memory.py).

Each run is a fresh interpreter: glibc's threshold is process state. The pattern is what a big
message does: one large block freed first (glibc then raises its threshold), then a few hundred
part-sized blocks allocated among small ones that stay, and freed.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

SCRIPT = """
import os, sys
from intake.run.memory import hold_mmap_threshold
held = hold_mmap_threshold() if sys.argv[1] == "hold" else False
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
big = bytearray(4 << 20)
del big
before = rss()
blocks, keep = [], []
for i in range(200):
    blocks.append(bytearray(256 << 10))
    keep.append(bytearray(2000))
del blocks
print(held, (rss() - before) >> 20)
"""

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")


def _grown(mode: str) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True).stdout
    held, grown = out.split()
    return held == "True", int(grown)


def test_freed_part_sized_blocks_leave_the_process_when_the_threshold_is_held() -> None:
    held, grown = _grown("hold")
    assert held
    assert grown < 10  # 50 MB were allocated and freed


def test_without_it_glibc_keeps_them() -> None:
    """The reason for the module: the same pattern without it keeps the 50 MB (if glibc ever stops doing
    this, the module can go)."""
    held, grown = _grown("plain")
    assert not held
    assert grown > 35



TRIM_SCRIPT = """
import sys
from intake.run.memory import rss_bytes, settle, trim_after_growth
settle()
blocks, keep = [], []
for i in range(400):
    blocks.append(bytearray(64 << 10))  # heap blocks (under the threshold), pinned by the small ones
    keep.append(bytearray(2000))
del blocks
before = rss_bytes()
trimmed = trim_after_growth(int(sys.argv[1]) << 20)
print(trimmed, (before - rss_bytes()) >> 20)
"""


def _trim(growth_mb: int) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", TRIM_SCRIPT, str(growth_mb)], capture_output=True, text=True,
                         check=True).stdout
    trimmed, freed = out.split()
    return trimmed == "True", int(freed)


def test_a_worker_gives_back_what_a_document_left_freed() -> None:
    """After a document that grew the worker by more than the bound (an OCR'd page), the freed heap goes
    back: here 25 MB of freed part-sized blocks."""
    trimmed, freed = _trim(16)
    assert trimmed
    assert freed > 15


def test_a_worker_that_grew_less_does_not_trim() -> None:
    trimmed, freed = _trim(200)
    assert not trimmed
    assert freed < 5
