"""The reading workers (intake/workers.py): a stuck or greedy reader is killed at its limit and the
document gets a finding; a crash in our own code is ``document.internal_error`` (staff only), never
a "resend" request; nothing — no thread, no process — is left running afterwards.

Pools here use the ``fork`` start method so that a reader or extractor replaced by the test is the
one the worker runs; the default (``forkserver``) is exercised by the CLI test at the end.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest

from intake.config import Config
from intake.pipeline import check_message
from intake.reply.receipt import compose_receipt
from intake.unpack import unpack_message
from intake.workers import Job, ReadingPool, WorkerLimits
from parsers import forms, readers
from parsers.result import DocumentResult
from rules import load_campaign
from tests.fixtures import forms as fixture_forms
from tests.fixtures.data import make_unit
from tests.fixtures.mail import build_message
from tests.processes import none_left

ROOT = Path(__file__).resolve().parents[2]
UNIT = make_unit(7, n_groups=1)
GROUP = UNIT.groups[0]


@pytest.fixture(scope="module")
def application_docx() -> bytes:
    return fixture_forms.render("application", UNIT, "docx", 0, GROUP)


def _job(data: bytes, name: str = "附件1 申报表.docx", timeout: float = 30.0) -> Job:
    return Job(data, DocumentResult(filename=name, container=None, format="docx"), timeout=timeout)


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def _endless(data: bytes, filename: str, timeout: float):
    while True:
        sum(range(10_000))


def test_a_stuck_reader_is_killed_at_its_limit_and_nothing_is_left(monkeypatch, application_docx) -> None:
    monkeypatch.setitem(readers.READERS, "docx", _endless)
    threads, children = threading.active_count(), _children()
    t0 = time.monotonic()
    with ReadingPool(WorkerLimits(processes=1, read_timeout=1.0), context="fork") as pool:
        [res] = pool.read_all([_job(application_docx, timeout=1.0)])
    elapsed = time.monotonic() - t0
    assert [p.rule for p in res.problems] == ["document.timeout"]
    assert res.form == "application"  # still named by its file name, so the receipt can say which form
    assert not res.text_trusted
    assert elapsed < 15
    deadline = time.monotonic() + 5
    while (_children() - children or threading.active_count() > threads) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _children() - children == set(), "a worker process outlived the pool"
    assert threading.active_count() == threads, "a thread outlived the pool"


def test_documents_are_read_in_another_process(monkeypatch, application_docx) -> None:
    from parsers.model import Document, Problem

    def which_process(data: bytes, filename: str, timeout: float) -> Document:
        return Document(problems=[Problem("document.unsupported", str(os.getpid()))])

    monkeypatch.setitem(readers.READERS, "docx", which_process)
    with ReadingPool(WorkerLimits(processes=1), context="fork") as pool:
        [res] = pool.read_all([_job(application_docx)])
    assert res.problems[0].detail.isdigit() and int(res.problems[0].detail) != os.getpid()


def test_the_pool_goes_on_after_a_worker_was_killed(monkeypatch, application_docx) -> None:
    real = readers.READERS["docx"]

    def sometimes_endless(data: bytes, filename: str, timeout: float):
        if filename.startswith("hang"):
            _endless(data, filename, timeout)
        return real(data, filename, timeout)

    monkeypatch.setitem(readers.READERS, "docx", sometimes_endless)
    with ReadingPool(WorkerLimits(processes=1, read_timeout=1.0), context="fork") as pool:
        hung, good = pool.read_all([_job(application_docx, "hang 申报表.docx", 1.0), _job(application_docx)])
    assert "document.timeout" in [p.rule for p in hung.problems]
    assert good.problems == [] and good.fields["company"] == GROUP.company


def test_a_reader_over_the_memory_limit_gives_too_large(monkeypatch, application_docx) -> None:
    def greedy(data: bytes, filename: str, timeout: float):
        hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GB, far past the limit
        return hoard

    monkeypatch.setitem(readers.READERS, "docx", greedy)
    with ReadingPool(WorkerLimits(processes=1, memory_mb=768), context="fork") as pool:
        [res] = pool.read_all([_job(application_docx)])
    assert "document.too_large" in [p.rule for p in res.problems]
    assert "document.internal_error" not in [p.rule for p in res.problems]


def test_a_worker_that_dies_gives_a_finding_and_the_next_document_is_read(monkeypatch, application_docx) -> None:
    real = readers.READERS["docx"]

    def dies(data: bytes, filename: str, timeout: float):
        if filename.startswith("die"):
            os._exit(70)  # what a segfault in a C library looks like from outside
        return real(data, filename, timeout)

    monkeypatch.setitem(readers.READERS, "docx", dies)
    with ReadingPool(WorkerLimits(processes=1), context="fork") as pool:
        dead, good = pool.read_all([_job(application_docx, "die 申报表.docx"), _job(application_docx)])
    assert "document.too_large" in [p.rule for p in dead.problems]
    assert "exit code 70" in dead.problems[-1].detail
    assert good.fields["company"] == GROUP.company


def test_the_message_budget_stops_the_documents_still_waiting(monkeypatch, application_docx) -> None:
    def slow(data: bytes, filename: str, timeout: float):
        time.sleep(20)

    monkeypatch.setitem(readers.READERS, "docx", slow)
    t0 = time.monotonic()
    with ReadingPool(WorkerLimits(processes=1, read_timeout=30.0, message_budget=1.5), context="fork") as pool:
        results = pool.read_all([_job(application_docx, f"{i} 申报表.docx") for i in range(3)])
    assert time.monotonic() - t0 < 15
    assert all("document.timeout" in [p.rule for p in r.problems] for r in results)
    assert "budget" in results[-1].problems[-1].detail


def test_a_message_waiting_behind_another_keeps_its_whole_budget(monkeypatch, application_docx) -> None:
    """Read ahead queues two messages on the same workers: the second one's budget starts when its first
    document does, so waiting behind the first message is not counted against it."""
    real = readers.READERS["docx"]

    def two_seconds(data: bytes, filename: str, timeout: float):
        time.sleep(2)
        return real(data, filename, timeout)

    monkeypatch.setitem(readers.READERS, "docx", two_seconds)
    out: dict[str, list[DocumentResult]] = {}
    with ReadingPool(WorkerLimits(processes=1, read_timeout=30.0, message_budget=3.0), context="fork") as pool:
        pool.read_all([_job(application_docx, "预热 申报表.docx")])  # the worker is up before the clock matters
        first = threading.Thread(target=lambda: out.setdefault("first", pool.read_all([_job(application_docx)])))
        first.start()
        time.sleep(0.2)
        out["second"] = pool.read_all([_job(application_docx, "第二封 申报表.docx")])  # 2 s waiting + 2 s reading
        first.join()
    for name in ("first", "second"):
        [res] = out[name]
        assert "document.timeout" not in [p.rule for p in res.problems], (name, res.problems)
        assert res.fields["company"] == GROUP.company


def test_an_extractor_bug_is_a_staff_only_finding_not_a_resend_request(monkeypatch, caplog, application_docx) -> None:
    def broken_extract(form, doc, fmt):
        raise ZeroDivisionError("injected extractor bug")

    monkeypatch.setattr(forms, "extract", broken_extract)
    raw = build_message([("附件1 申报表.docx", application_docx)], subject="申报材料")
    campaign = load_campaign()
    with caplog.at_level(logging.ERROR), ReadingPool(WorkerLimits(processes=1), context="fork") as pool:
        result = check_message(raw, campaign, pool=pool).to_json()
    [doc] = result["documents"]
    assert doc["form"] == "application"
    [internal] = [f for f in result["findings"] if f["rule"] == "document.internal_error"]
    assert internal["severity"] == "warning" and internal["audience"] == "staff"
    assert not [f for f in result["findings"] if f["rule"].startswith(("document.unreadable", "application."))
                and f["document"] == "附件1 申报表.docx"], "no finding may blame the file for our bug"
    # the log has the traceback, from inside the worker
    assert "Traceback" in caplog.text and "ZeroDivisionError: injected extractor bug" in caplog.text
    receipt = compose_receipt(Config(), campaign, unpack_message(raw), result, None)
    text = receipt.get_body(("plain",)).get_content()
    assert "无需重新发送" in text and "附件1 申报表.docx" in text
    line = next(ln for ln in text.splitlines() if "系统处理附件" in ln)
    assert "请检查文件后重新发送" not in line and "损坏" not in text


def test_a_reader_bug_is_internal_error_not_unreadable(monkeypatch, application_docx) -> None:
    def buggy(data: bytes, filename: str, timeout: float):
        raise AttributeError("'NoneType' object has no attribute 'text'")

    monkeypatch.setitem(readers.READERS, "docx", buggy)
    with ReadingPool(WorkerLimits(processes=1), context="fork") as pool:
        [res] = pool.read_all([_job(application_docx)])
    rules = [p.rule for p in res.problems]
    assert rules == ["document.internal_error"] and res.form == "application"
    assert res.traces and "AttributeError" in res.traces[0]


_STUCK_SITE = textwrap.dedent("""
    # Loaded by every Python process of this test (the CLI, its fork server, its workers): a reader
    # that never returns, as a hostile file could make one.
    from parsers import readers

    def _endless(data, filename, timeout):
        while True:
            sum(range(10_000))

    readers.READERS["docx"] = _endless
""")


def test_intake_check_kills_a_stuck_reader_and_leaves_no_process(tmp_path: Path, application_docx) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_STUCK_SITE, encoding="utf-8")
    eml = tmp_path / "m.eml"
    eml.write_bytes(build_message([("附件1 申报表.docx", application_docx), ("工作总结.docx", application_docx)]))
    cfg = tmp_path / "c.toml"
    cfg.write_text("[limits]\nread_timeout_seconds = 1.0\n", encoding="utf-8")
    mark = uuid.uuid4().hex
    env = dict(os.environ, PYTHONPATH=f"{site}{os.pathsep}{ROOT}", QC_TEST_MARK=mark)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "intake.cli", "check", "--json", "-c", str(cfg), str(eml)],
                          cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert time.monotonic() - t0 < 60
    result = json.loads(proc.stdout)
    timed_out = {f["document"] for f in result["findings"] if f["rule"] == "document.timeout"}
    assert timed_out == {"附件1 申报表.docx", "工作总结.docx"}

    assert none_left(mark), "intake check left a reading process behind"


_WARM_SCRIPT = textwrap.dedent("""
    import sys, time
    from intake.workers import ReadingPool, WorkerLimits

    def engine_loaded():
        import parsers.readers.ocr as ocr
        return ocr._engine is not None

    if __name__ == "__main__":
        pool = ReadingPool(WorkerLimits(processes=1))
        pool.start(warm_ocr=sys.argv[1] == "warm")
        try:
            print(pool._started().schedule(engine_loaded).result(timeout=60))
        finally:
            pool.close()
""")


@pytest.mark.parametrize("warm", [True, False])
def test_a_warm_pool_has_the_ocr_models_loaded_before_its_first_scan(tmp_path, warm):
    """The daemon starts its pool at start-up with the OCR models loaded once in the fork server, so a
    worker's first scanned page does not wait ~1.2 s for them; ``intake check`` does not load them.
    (A fresh interpreter: a process has one fork server, started once.)"""
    script = tmp_path / "warm.py"
    script.write_text(_WARM_SCRIPT, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script), "warm" if warm else "cold"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(warm)]
