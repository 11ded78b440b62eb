"""Freed memory goes back to the system: glibc's mmap threshold held at 128 KiB in the daemon.

Why: glibc serves an allocation over its mmap threshold (128 KiB at start) with its own mapping,
returned to the system when freed — but the first such block freed raises the threshold to its
size (up to 32 MiB), so from then on the parts of a big message (hundreds of KiB each: base64
lines joined, decoded attachments) come from the heap and stay there after they are freed, and
read-ahead threads spread them over several arenas. The daemon's RSS then kept what each 54 MB
message had needed (336 MB after three of them, never down again). Holding the threshold where
it started (``mallopt(M_MMAP_THRESHOLD)`` also switches its growth off) gives each message's
large blocks back when it is recorded: 279 MB at the peak, 130–140 MB between messages
(``bench/rush.py``, scenario rss). Small objects (Python's own allocator) are not affected.
"""

from __future__ import annotations

import ctypes
import logging
import platform

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # <malloc.h>
THRESHOLD = 128 * 1024  # glibc's own starting value


def hold_mmap_threshold(threshold: int = THRESHOLD) -> bool:
    """Fix glibc's mmap threshold for this process; False where the C library is not glibc or refuses."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        ok = bool(libc.mallopt(M_MMAP_THRESHOLD, threshold))
    except (OSError, AttributeError) as e:
        log.debug("mallopt unavailable: %s", e)
        return False
    return ok
