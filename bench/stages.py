"""Where a backlog's reading time goes: the pipeline's stages on one core, beside the bare libraries.

Why: ``bench/rush.py`` gives pipeline / floor as one ratio; this splits it. The rush corpus is read the
daemon's way (``read_message(..., twins_later=True)``: twin scans left for the second look, title
probes for scans named without a clue) but in this process, one document after the other, with a
timer on each stage — unpack, LibreOffice (the warm converter, one call per message), the readers
(libraries plus our own code), the seal check, title probes, split/classify/extract, the rules. The
floor's libraries read the same attachments one after the other too (``bench/floor.py``'s
``read_one``; LibreOffice in ONE run for all legacy files). CPU seconds on one core, so the two add
up the same way; what the daemon adds around them (IMAP, ledger, receipts, worker IPC) is the rest of
rush.py's pipeline time. Then the daemon's reading path alone on all cores (its pool and read-ahead
threads, :func:`pool_reading`) beside the floor on the same cores: the reading part of pipeline / floor.

    .venv/bin/python bench/stages.py            # prints JSON and a Markdown table
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import floor  # noqa: E402
import workload  # noqa: E402

STAGES = {
    "unpack": "unpack (MIME, archives, names)",
    "libreoffice": "LibreOffice: legacy files converted (warm, one call per message)",
    "read": "readers: the libraries and our readers (without the probes)",
    "seal": "seal check (every page rendered at 72 dpi, PDFs that may be a 申报表)",
    "probe": "title probes (top of page 1 OCR'd, scans named without a clue)",
    "forms": "split, classify, extract",
    "rules": "rules (judge)",
}


class InProcess:
    """The reading pool's interface, reading in this process one job after the other (for timing only)."""

    def read_each(self, jobs: list[Any], spent: float = 0.0) -> list[list[Any]]:
        from intake.workers import _read_job

        return [_read_job(j.data, j.result, j.read, j.timeout, j.named, j.read_as, j.ocr) for j in jobs]


@contextlib.contextmanager
def timed(spent: Counter[str]) -> Iterator[None]:
    """Timers around each stage's function (the readers' time net of the title probes inside it; the seal
    check runs after the reader, for the PDFs that may be a 申报表)."""
    import intake.pipeline as pipeline
    import parsers.read_file as read_file
    from parsers import forms
    from parsers.readers import pdf

    def wrap(owner: Any, name: str, stage: str) -> Callable[[], None]:
        real = getattr(owner, name)

        @functools.wraps(real)
        def timer(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return real(*a, **kw)
            finally:
                spent[stage] += time.perf_counter() - t0

        setattr(owner, name, timer)
        return lambda: setattr(owner, name, real)

    undo = [wrap(pipeline, "unpack_message", "unpack"), wrap(pipeline, "convert_legacy", "libreoffice"),
            wrap(read_file.readers, "read", "read"), wrap(pdf.seal, "page_blobs", "seal"),
            wrap(pdf, "_title_strip_text", "probe"), wrap(forms, "split", "forms"),
            wrap(forms, "classify", "forms"), wrap(forms, "extract", "forms"), wrap(pipeline, "evaluate", "rules")]
    try:
        yield
    finally:
        for u in reversed(undo):
            u()
        spent["read"] -= spent["probe"]


def pipeline_stages(raws: list[bytes]) -> dict[str, float]:
    from intake.pipeline import judge, message_info, read_message, receipt_time
    from parsers.readers import ocr_preload  # noqa: F401 - the OCR models loaded before the clock, as in a worker
    from rules import load_campaign

    campaign = load_campaign()
    spent: Counter[str] = Counter()
    read_message(raws[0], InProcess(), twins_later=True)  # LibreOffice started, imports done
    with timed(spent):
        for raw in raws:
            rm = read_message(raw, InProcess(), twins_later=True)  # type: ignore[arg-type]
            when = receipt_time(rm.unpacked)
            judge(campaign, message_info(rm.unpacked, when, campaign), rm.documents, when, rm.unpacked.problems)
    return {k: round(spent[k], 2) for k in STAGES}


def pool_reading(raws: list[bytes]) -> dict[str, float]:
    """The daemon's reading path alone, on all cores: its reading pool (one worker a core, OCR models
    preloaded) and as many read-ahead threads, every message unpacked and read as the daemon reads it — no
    IMAP, ledger, receipts or mail servers. Beside the floor (``bench/floor.py``, the same cores) it says how
    much of rush.py's pipeline / floor is reading and how much is the daemon around it."""
    from concurrent.futures import ThreadPoolExecutor

    import psutil

    from intake.pipeline import read_message
    from intake.workers import ReadingPool
    from parsers.readers import office

    def cpu() -> float:
        me = psutil.Process()
        total = sum(me.cpu_times()[:2])
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += sum(child.cpu_times()[:2])
        return total

    with ReadingPool() as pool, ThreadPoolExecutor(pool.limits.size) as threads:
        pool.start(warm_ocr=True)
        read_message(raws[0], pool, twins_later=True)  # imports done
        office.convert_many([(b"{\\rtf1 warm}", "rtf")], "docx", warm=True)  # the warm LibreOffice running
        c0, t0 = cpu(), time.perf_counter()
        list(threads.map(lambda raw: read_message(raw, pool, twins_later=True), raws))
        wall, used = time.perf_counter() - t0, cpu() - c0
    return {"processes": pool.limits.size, "seconds": round(wall, 2), "cpu_seconds": round(used, 2)}


def floor_stages(raws: list[bytes], later: set[str]) -> dict[str, float]:
    """The floor's libraries on one core: each attachment read, and LibreOffice once for all legacy files."""
    spent: Counter[str] = Counter()
    legacy: list[tuple[str, bytes]] = []
    items: list[tuple[str, bytes]] = []
    for raw in raws:
        for name, data in floor.attachments(raw):
            k = floor.kind(name, data)
            if k == "pdf" and hashlib.sha256(data).hexdigest() in later:
                k = "pdf_text_only"
            (legacy if k == "legacy" else items).append((name, data) if k == "legacy" else (k, data))
    items = [i for i in items if i[0] != "skip"]
    floor._warm(0)
    with tempfile.TemporaryDirectory(prefix="bench-stages-") as tmp:
        work = Path(tmp)
        (work / "warm").mkdir()
        warm = floor._soffice([("warm.doc", b"{\\rtf1 warm}")], work / "warm", work / "profile")
        if warm is not None:
            warm.wait()
        t0 = time.perf_counter()
        lo = floor._soffice(legacy, work, work / "profile")
        if lo is not None:
            lo.wait()
        spent["libreoffice"] = time.perf_counter() - t0
        items += [(p.suffix.lstrip("."), p.read_bytes()) for p in sorted((work / "out").glob("*"))]
    t0 = time.perf_counter()
    for item in items:
        floor.read_one(item)
    spent["read"] = time.perf_counter() - t0
    return {k: round(spent[k], 2) for k in ("libreoffice", "read")}


def table(out: dict[str, Any]) -> str:
    p, f = out["pipeline"], out["floor"]
    rows = ["| stage (one core, the rush corpus) | pipeline | bare libraries |", "|---|---|---|"]
    for k, label in STAGES.items():
        rows.append(f"| {label} | {p[k]:.2f} s | {f[k]:.2f} s |" if k in f else f"| {label} | {p[k]:.2f} s | — |")
    rows.append(f"| **all** | **{sum(p.values()):.2f} s** | **{sum(f.values()):.2f} s** |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="submissions (the rush corpus)")
    args = ap.parse_args(argv)
    raws = [s.raw for s in workload.submissions(args.n)]
    later = floor.twin_scans(raws)
    out: dict[str, Any] = {"messages": len(raws), "pipeline": pipeline_stages(raws), "floor": floor_stages(raws, later)}
    out["pool_reading"] = pool_reading(raws)
    out["floor_all_cores"] = floor.measure(raws, later=later)
    print(json.dumps(out, indent=1))
    print("\n" + table(out))
    pr, fl = out["pool_reading"], out["floor_all_cores"]
    print(f"\nthe daemon's reading path on {pr['processes']} processes: {pr['seconds']:.2f} s ({pr['cpu_seconds']:.1f} s "
          f"of CPU) against the floor's {fl['seconds']:.2f} s on the same cores: {pr['seconds'] / fl['seconds']:.2f}×; "
          f"in CPU seconds {pr['cpu_seconds']:.1f} against {fl['cpu_seconds']:.1f}: "
          f"{pr['cpu_seconds'] / fl['cpu_seconds']:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
