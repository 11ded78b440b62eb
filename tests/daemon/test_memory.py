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

