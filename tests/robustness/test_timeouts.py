"""The per-document time limit bounds the whole pipeline, and ``intake check`` exits right after its
output even while a reader it gave up on is still running (the worker threads are daemons)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from intake.pipeline import read_part
from intake.unpack import Part
from parsers import forms
from tests.fixtures.mail import build_message
from tests.robustness import hostile
from tests.robustness.schema import validate

ROOT = Path(__file__).resolve().parents[2]

# A reader that never returns (pure Python, holding the GIL in turns), installed before the CLI runs.
_HANGING_CLI = textwrap.dedent("""
    import sys, time
    from parsers import readers

    def endless(data, filename, timeout):
        while True:
            sum(range(10_000))

    readers.READERS["docx"] = endless
    from intake.cli import app
    sys.argv = ["intake", "check", "--json", "-c", sys.argv[1], sys.argv[2]]
    app()
""")


def test_intake_check_exits_promptly_after_a_reader_times_out(tmp_path: Path) -> None:
    _name, docx = hostile.docx_nested(1.0)
    eml = tmp_path / "m.eml"
    eml.write_bytes(build_message([("申报表.docx", docx), ("工作总结.docx", docx)]))
    cfg = tmp_path / "c.toml"
    cfg.write_text("[limits]\nread_timeout_seconds = 1.0\n", encoding="utf-8")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _HANGING_CLI, str(cfg), str(eml)], cwd=ROOT,
                          capture_output=True, timeout=120)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    result = json.loads(proc.stdout)
    validate(result)
    timed_out = [f for f in result["findings"] if f["rule"] == "document.timeout"]
    assert {f["document"] for f in timed_out} == {"申报表.docx", "工作总结.docx"}
    # two 1-second limits plus start-up: a non-daemon worker would keep the process alive forever
    assert elapsed < 60


def test_a_slow_extractor_is_bounded_by_the_same_limit(monkeypatch) -> None:
    def slow_extract(form, doc, fmt):
        time.sleep(30)
        return {}

    monkeypatch.setattr(forms, "extract", slow_extract)
    _name, docx = hostile.docx_nested(1.0)
    t0 = time.monotonic()
    result = read_part(Part("申报表.docx", None, docx, "docx"), read_timeout=0.5)
    assert time.monotonic() - t0 < 20
    assert "document.timeout" in [p.rule for p in result.problems]
    assert result.form == "application"


def test_an_extractor_crash_is_a_finding_not_an_exception(monkeypatch) -> None:
    def broken(doc, filename, fmt):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(forms, "classify", broken)
    _name, docx = hostile.docx_nested(1.0)
    result = read_part(Part("申报表.docx", None, docx, "docx"), read_timeout=5)
    assert result.form == "unknown" and "document.unreadable" in [p.rule for p in result.problems]
