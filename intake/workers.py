"""Killable reading workers: each document is read, classified and extracted in a worker process.

Why processes: a thread cannot be stopped, so a reader stuck in a loop on a hostile file would
keep running (and keep its memory) for the life of the daemon, and pdfium is not thread-safe.
A worker process can be killed. pebble's ProcessPool kills the worker that passes its
per-document time limit and starts a fresh one; the stdlib executor cannot stop a running call.

- **Time**: each document gets ``read_timeout`` (+ a small grace, so LibreOffice's own limit,
  which is ``read_timeout``, fires first and its process group is killed by the reader); the
  whole message gets ``message_budget`` — documents still waiting when it is spent are not read.
- **Memory**: ``RLIMIT_AS`` (soft) in each worker: an allocation past it raises MemoryError
  (→ ``document.too_large``) or kills the worker (→ ``document.too_large`` too), never the daemon.
- **Threads**: a worker runs one document at a time in its main thread, so pdfium is only ever
  used from one thread per process.
- **Start method**: ``forkserver`` by default: the daemon has scheduler and network threads, and
  forking a threaded process can copy a held lock into the child. The server preloads the readers
  once, so a new worker starts in milliseconds.
"""

from __future__ import annotations

import concurrent.futures
import logging
import math
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parsers.model import Problem
from parsers.result import DocumentResult

if TYPE_CHECKING:  # not at run time: pebble is imported when the pool starts
    import pebble

    from parsers.readers.ocr_options import OcrOptions

log = logging.getLogger(__name__)

GRACE_SECONDS = 5.0  # the worker's limit is the reader's + this: LibreOffice is killed by its own limit first
_PRELOAD = ["parsers.read_file", "parsers.readers.preload"]  # once in the fork server: readers, forms, pdfium …
#: also preloaded by a daemon's pool (``warm_ocr``): the OCR models, loaded once and shared by the workers
_PRELOAD_OCR = ["parsers.readers.ocr_preload"]


@dataclass(frozen=True)
class WorkerLimits:
    """Why these defaults: one form is a few MB and reads in well under a second; a minute per
    document and five per message leave room for LibreOffice and 20-page PDFs, and 2 GB of address
    space per worker fits two workers and the daemon in a small server's memory."""

    processes: int = 0  # 0 = the number of cores
    read_timeout: float = 60.0  # seconds for one document (LibreOffice conversion included)
    memory_mb: int = 2048  # RLIMIT_AS of a worker; 0 = no limit
    message_budget: float = 300.0  # seconds for all documents of one message together

    @property
    def size(self) -> int:
        return self.processes if self.processes > 0 else (os.cpu_count() or 1)


@dataclass
class Job:
    """One document to read: its bytes, and the result the unpack stage began (name, format, problems)."""

    data: bytes
    result: DocumentResult
    read: bool = True  # False: the unpack stage refused the part; classify it by name only
    timeout: float = 60.0
    named: bool = True  # False: the file name was made up by us (未命名附件N) and must not classify it
    #: already converted by LibreOffice in the parent (one soffice run for all legacy files of a message):
    #: the converted bytes are read as this format ("docx"/"xlsx"); the result keeps the original format
    read_as: str | None = None
    ocr: OcrOptions | None = None  # OCR limits for scans and images ([limits] ocr_*; None: the defaults)


@dataclass
class _Pending:
    job: Job
    future: Any = field(default=None)


def _init_worker(memory_bytes: int) -> None:
    """Runs once in each new worker: the memory limit, and quiet logging (the parent logs)."""
    from intake.run.memory import settle

    if memory_bytes > 0:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard))
    logging.getLogger().handlers[:] = [logging.NullHandler()]
    logging.getLogger().setLevel(logging.CRITICAL)
    settle()


def _read_job(data: bytes, result: DocumentResult, read: bool, timeout: float, named: bool = True,
              read_as: str | None = None, ocr: OcrOptions | None = None) -> list[DocumentResult]:
    """One file read in a worker: a result per form it holds (nearly always one). Afterwards the worker
    gives back what the document left freed but held (an OCR'd page: ~270 MB; :mod:`intake.run.memory`)."""
    from intake.run.memory import trim_after_growth
    from parsers.read_file import read_forms  # preloaded in the fork server; the parent never needs it

    try:
        return read_forms(data, result.filename, result.format, timeout=timeout, read=read, result=result,
                          named=named, read_as=read_as, ocr=ocr)
    finally:
        trim_after_growth()


def _ready() -> bool:
    """A no-op job: scheduling it starts the pool (:meth:`ReadingPool.start`)."""
    return True


class ReadingPool:
    """A pool of killable reading processes, sized by config; use as a context manager or ``close()``."""

    def __init__(self, limits: WorkerLimits | None = None, context: str = "forkserver") -> None:
        self.limits = limits or WorkerLimits()
        self._context = context
        self._warm_ocr = False  # see start()
        self._pool: pebble.ProcessPool | None = None
        self._starting = threading.Lock()  # read-ahead threads may ask for the pool at the same moment

    def _started(self) -> pebble.ProcessPool:
        import pebble  # here, not at import: the CLI's start-up (intake --help) need not load it

        with self._starting:
            if self._pool is None:
                ctx = multiprocessing.get_context(self._context)
                if self._context == "forkserver":
                    ctx.set_forkserver_preload(_PRELOAD + (_PRELOAD_OCR if self._warm_ocr else []))
                self._pool = pebble.ProcessPool(
                    max_workers=self.limits.size, context=ctx, initializer=_init_worker,
                    initargs=(self.limits.memory_mb * 1024 * 1024,),
                )
            return self._pool

    def start(self, warm_ocr: bool = False, timeout: float = 120.0) -> None:
        """Start the fork server and the workers now, not at the first document: the daemon does this at
        start-up, so its first receipt does not wait for them (~1–2 s). ``warm_ocr``: the fork server
        also loads the OCR models before forking the workers (~1.2 s once, ~36 MB shared), so no
        worker's first scan waits for them — for a long-running pool, not for ``intake check``. (A
        process has one fork server: this counts only when it is not running yet.)"""
        self._warm_ocr = self._warm_ocr or warm_ocr
        self._started().schedule(_ready).result(timeout=timeout)

    def read_all(self, jobs: Sequence[Job]) -> list[DocumentResult]:
        """Every form of every job (see :meth:`read_each`), in the jobs' order, one list."""
        return [doc for docs in self.read_each(jobs) for doc in docs]

    def read_each(self, jobs: Sequence[Job], spent: float = 0.0) -> list[list[DocumentResult]]:
        """Read every job in parallel, in its own killable worker; for each job (in the jobs' order)
        a result per form its file holds — nearly always one; a workbook of three forms gives three.

        Never raises for a document: a worker that passes its limit, dies or runs out of the
        message's budget gives the document a Problem instead (one result: the file as it came).
        ``spent``: seconds of the message's budget an earlier batch of the same message used.
        """
        if not jobs:
            return []
        pool = self._started()
        pending = []
        for job in jobs:
            p = _Pending(job)
            p.future = pool.schedule(_read_job, args=(job.data, job.result, job.read, job.timeout, job.named,
                                                      job.read_as, job.ocr),
                                     timeout=job.timeout + GRACE_SECONDS if job.timeout > 0 else None)
            pending.append(p)
        deadline = self._deadline(pending, spent)
        return [self._collect(p, deadline) for p in pending]

    def _deadline(self, pending: Sequence[_Pending], spent: float = 0.0) -> float:
        """When the message's budget ends: counted from when its first document starts being read, not
        from when it was queued — while a backlog is read ahead, a message's documents may wait
        behind another message's, and that wait is not the message's own reading time. The wait
        itself is bounded (by the budget again), so a pool that never starts anything cannot stall."""
        if self.limits.message_budget <= 0:
            return math.inf
        budget = max(0.0, self.limits.message_budget - spent)
        queued = time.monotonic()
        while not any(p.future.running() or p.future.done() for p in pending):
            if time.monotonic() - queued > budget:
                break
            time.sleep(0.01)
        return time.monotonic() + budget

    def _collect(self, p: _Pending, deadline: float) -> list[DocumentResult]:
        out = self._outcome(p, deadline)
        if isinstance(out, DocumentResult):
            return [out]
        for doc in out:
            for trace in doc.traces:
                log.error("internal error while reading a document (staff: document.internal_error)\n%s", trace)
        return out

    def _outcome(self, p: _Pending, deadline: float) -> list[DocumentResult] | DocumentResult:
        """The worker's results, or the unpack stage's result with the reason it has none."""
        import pebble

        res = p.job.result
        try:
            wait = None if deadline == math.inf else max(0.0, deadline - time.monotonic())
            out: list[DocumentResult] = p.future.result(timeout=wait)
        except concurrent.futures.TimeoutError:
            if not p.future.done():  # the message's budget is spent: stop this one too
                p.future.cancel()
                return _failed(res, "document.timeout",
                               f"not read: the message's {self.limits.message_budget:g}s reading budget was used up")
            return _failed(res, "document.timeout", f"worker killed after {p.job.timeout:g}s")
        except concurrent.futures.CancelledError:
            return _failed(res, "document.timeout", "not read: the message's reading budget was used up")
        except pebble.ProcessExpired as e:
            return _failed(res, "document.too_large",
                           f"the reading worker died (exit code {e.exitcode}): over the memory limit or a crash")
        except Exception as e:  # noqa: BLE001 - pickling or pool trouble: ours, not the sender's
            log.error("reading %r failed in the pool: %s: %s", res.filename, type(e).__name__, e)
            return _failed(res, "document.internal_error", f"pool: {type(e).__name__}: {e}"[:300])
        return out

    def close(self) -> None:
        """Stop the workers (killing any still running) and wait for them: nothing is left behind."""
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> ReadingPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _failed(res: DocumentResult, rule: str, detail: str) -> DocumentResult:
    """The unpack stage's result with a reading problem; classified by its file name alone."""
    from parsers import forms

    res.problems.append(Problem(rule, detail))
    res.text_trusted = False
    try:
        res.form = forms.classify(None, res.filename, res.format)
    except Exception:  # noqa: BLE001 - name-only classification is a nicety here
        log.exception("classify by name of %r", res.filename)
    return res
