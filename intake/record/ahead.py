"""Read ahead: the next messages of a backlog are read while the oldest one is recorded.

Why: reading (unpack, LibreOffice, the reading workers) is most of a message's time, and one
message rarely keeps both cores busy — a message with one .doc waits on LibreOffice while the
workers idle, a message of Word files leaves LibreOffice idle. Reading the next few messages at
the same time (each in a thread that hands its documents to the shared worker pool, LibreOffice
serialised by its own lock) overlaps them. What must stay sequential stays so: judging and
recording happen here, in the caller's thread, strictly in arrival order, one transaction per
message — so unit states, "first complete" and receipts are exactly what one-by-one processing
gives, and the ledger (SQLite connections belong to their thread) is only touched by the caller.

Bounded: at most ``depth`` messages are being read at once and the raw bytes they hold stay
under ``max_bytes`` (one message is always allowed, however large), so a backlog of 54 MB
messages is read one at a time.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlmodel import Session

from intake.record.process import Processor, Read
from intake.store.rows import MessageRow

log = logging.getLogger(__name__)

#: raw bytes held by messages being read at once (above it, messages are read one after the other)
MAX_BYTES = 32 * 1024 * 1024
#: messages in hand per reading worker. One a worker left the workers idle at each message's tail (its last
#: document, its LibreOffice call, its twin batch) while the caller recorded the oldest; two a worker took a
#: 60-submission backlog from 17.3 to 16.5 s on 2 cores (three: 16.3 s; ``bench/rush.py --only backlog``).
#: Memory stays bounded by ``MAX_BYTES`` whatever the depth.
PER_WORKER = 2


def depth_for(workers: int) -> int:
    """How many messages a pass keeps in hand for a pool of ``workers`` (see :data:`PER_WORKER`)."""
    return PER_WORKER * max(1, workers)


@dataclass
class _InHand:
    pk: int | None  # None: nothing to process (a duplicate), only ``then`` to call in order
    reading: Future[Read] | None
    size: int
    then: Callable[[bool | None], None]


class ReadAhead:
    """Messages in hand, in arrival order; use as a context manager (its threads end with it).

    ``add(pk, then)`` starts reading ``pk`` and, once more than ``depth`` messages are in hand,
    records the oldest (``Processor.process``) and calls its ``then(ok)``; ``finish()`` records
    all that are left. ``then`` is where the caller marks the message done in the mailbox, so
    the mailbox hears of messages in the order they came, each only after it was recorded.
    """

    def __init__(self, processor: Processor, depth: int, max_bytes: int | None = None) -> None:
        self.processor = processor
        self.depth = max(1, depth)
        self.max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        self._hand: deque[_InHand] = deque()
        self._threads = ThreadPoolExecutor(self.depth, thread_name_prefix="read-ahead")

    def add(self, pk: int | None, then: Callable[[bool | None], None] = lambda ok: None,
            raw: bytes | None = None) -> None:
        """Take message ``pk`` in hand (None: only ``then(None)``, in its turn); ``raw``: its bytes when
        the caller has them (just fetched), else they are read from the store."""
        if pk is None:
            self._hand.append(_InHand(None, None, 0, then))
        else:
            sha, size = self._raw_of(pk)
            size = len(raw) if raw is not None else size
            while self._hand and (len(self._hand) >= self.depth or self._held() + size > self.max_bytes):
                self._settle()
            reading = self._threads.submit(self.processor.read, sha, raw) if sha is not None else None
            self._hand.append(_InHand(pk, reading, size, then))
        while len(self._hand) > self.depth:
            self._settle()

    def make_room(self) -> None:
        """Before fetching another message: while what is in hand holds half the byte bound or more,
        record the oldest first — so a 54 MB message is not joined in memory by the next one while it
        is read (the next one's size is not known before it is fetched)."""
        while self._hand and self._held() >= self.max_bytes // 2:
            self._settle()

    def finish(self) -> None:
        """Record everything still in hand, in order."""
        while self._hand:
            self._settle()

    def abandon(self) -> None:
        """Forget what is in hand without recording it (the messages stay ``stored`` in the ledger and
        are processed at the next pass); readings already running finish in their threads."""
        for h in self._hand:
            if h.reading is not None:
                h.reading.cancel()
        self._hand.clear()

    def _held(self) -> int:
        return sum(h.size for h in self._hand)

    def _settle(self) -> None:
        h = self._hand.popleft()
        ok = self.processor.process(h.pk, h.reading) if h.pk is not None else None
        h.then(ok)

    def _raw_of(self, pk: int) -> tuple[str | None, int]:
        with Session(self.processor.engine) as s:
            msg = s.get(MessageRow, pk)
            if msg is None:
                return None, 0
            return msg.sha256, msg.raw_size or 0

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abandon()
        self._threads.shutdown(wait=True, cancel_futures=True)
