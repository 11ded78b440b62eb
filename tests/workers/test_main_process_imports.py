"""The daemon's main process unpacks, sniffs, converts and hands documents to the workers: it must not
load the readers' libraries (python-docx, openpyxl, xlrd, pdfplumber, pdfium, numpy, PIL), which only
the workers use. Each one it loads is resident memory in the process that also holds the messages
(the 54 MB message's peak is measured on it, bench/rush.py). A fresh interpreter per check: this test
process has them all loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fixtures.data import make_unit
from tests.fixtures.forms import render
from tests.fixtures.mail import build_message

HEAVY = ("docx", "openpyxl", "xlrd", "pdfplumber", "pypdfium2", "numpy", "PIL", "cv2")

SCRIPT = """
import sys
from intake.config import load_config
from intake.pipeline import read_message
from intake.workers import ReadingPool

raw = open(sys.argv[1], "rb").read()
limits = load_config(None).limits
with ReadingPool() as pool:
    rm = read_message(raw, pool, limits.to_limits(), ocr=limits.ocr(), twins_later=True)
print(" ".join(sorted(d.form or "-" for d in rm.documents)))
print(" ".join(m for m in sys.argv[2:] if m in sys.modules))
"""


def test_reading_a_message_loads_no_reader_library_in_the_main_process(tmp_path: Path) -> None:
    unit = make_unit(7, n_groups=1)
    raw = build_message([("申报表.docx", render("application", unit, "docx")),
                         ("统计表.xlsx", render("statistics", unit, "xlsx")),
                         ("推荐表.xls", render("recommendation", unit, "xls")),
                         ("成果报告.pdf", render("report", unit, "pdf"))])
    path = tmp_path / "m.eml"
    path.write_bytes(raw)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(path), *HEAVY], capture_output=True, text=True,
                         check=True, timeout=300).stdout.splitlines()
    assert out[0].split() == ["application", "recommendation", "report", "statistics"]  # read, by the workers
    assert out[1:] == [""], f"loaded in the main process: {out[1:]}"
