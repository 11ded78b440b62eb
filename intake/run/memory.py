"""Freed memory goes back to the system: glibc's mmap threshold held in the daemon, a trim in the workers.

Why: glibc serves an allocation over its mmap threshold (128 KiB at start) with its own mapping,
returned to the system when freed — but the first such block freed raises the threshold to its
size (up to 32 MiB), so from then on the parts of a big message (hundreds of KiB each: base64
lines joined, decoded attachments) come from the heap and stay there after they are freed, and
read-ahead threads spread them over several arenas. The daemon's RSS then kept what each 54 MB
message had needed (336 MB after three of them, never down again). Holding the threshold where
it started (``mallopt(M_MMAP_THRESHOLD)`` also switches its growth off) gives each message's
large blocks back when it is recorded: 279 MB at the peak, 130–140 MB between messages
(``bench/rush.py``, scenario rss). Small objects (Python's own allocator) are not affected.

The reading workers cannot do the same: OCR allocates and frees large arrays all the time, and
with every one of them a fresh mapping a page took 0.9 s instead of 0.7. They trim instead
(``malloc_trim``, ~10 ms) after a document that left them holding much more than before — after
an OCR'd page a worker held 440 MB, 168 MB trimmed — so two workers that once read a scan do not
keep 900 MB between documents.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_MMAP_THRESHOLD = -3  # <malloc.h>
THRESHOLD = 128 * 1024  # glibc's own starting value
GROWTH = 48 * 1024 * 1024  # a worker trims once it holds this much more than after its last trim


def hold_mmap_threshold(threshold: int = THRESHOLD) -> bool:
    """Fix glibc's mmap threshold for this process; False where the C library is not glibc or refuses."""
    libc = _libc()
    return bool(libc.mallopt(M_MMAP_THRESHOLD, threshold)) if libc is not None else False


def _libc() -> ctypes.CDLL | None:
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


_settled_rss = 0  # this process's RSS after its last trim (or when it started reading)


def settle() -> None:
    """Remember the present RSS as what :func:`trim_after_growth` measures growth from (a worker's start)."""
    global _settled_rss
    _settled_rss = rss_bytes()


def rss_bytes() -> int:
    """This process's resident set (``/proc/self/statm``; 0 where there is none)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def trim_after_growth(growth: int = GROWTH) -> bool:
    """After a document in a reading worker: give freed heap back when RSS grew by ``growth`` since the
    last time (cheap to ask: one small read of /proc). True when it trimmed."""
    global _settled_rss
    now = rss_bytes()
    if not _settled_rss:
        _settled_rss = now
    if now - _settled_rss < growth:
        return False
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    _settled_rss = rss_bytes()
    return True
