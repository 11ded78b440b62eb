"""LibreOffice path: doc / wps / et converted and read like docx / xlsx."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from parsers.readers import conversion_target, office, read
from tests.unpack.cfbgen import biff8_workbook, make_cfb

pytestmark = pytest.mark.libreoffice


@pytest.mark.parametrize("fmt", ["doc", "wps"])
def test_word_legacy_keeps_tables_merges_and_nesting(legacy_docs, fmt):
    doc = legacy_docs[fmt]
    assert doc.problems == [], doc.problems
    assert doc.meta["converted_from"] == fmt
    assert doc.paragraphs[0] == "全国优秀质量管理小组申报表"
    assert "☑ 问题解决型 □ 创新型" in doc.paragraphs
    outer = doc.tables[0]
    assert outer.grid[0] == ["企业名称"] + ["某某集团有限公司"] * 3
    assert outer.cell(1, 0) == outer.cell(2, 0) == "小组成员"
    assert len(outer.nested) == 1 and doc.tables[1] is outer.nested[0]
    assert doc.tables[1].grid == [["序号", "姓名"]]


def test_et_read_as_spreadsheet(legacy_docs):
    doc = legacy_docs["et"]
    assert doc.problems == [] and doc.meta["read_as"] == "xls" and "converted_from" not in doc.meta
    t = doc.tables[0]
    assert t.grid[0] == ["质量管理小组活动统计表"] * 4
    assert t.cell(1, 1) == "1000" and t.cell(1, 3) == "85.5%" and t.cell(3, 1) == "2020-09-14"


def test_an_et_with_a_biff_workbook_is_read_without_libreoffice_and_reads_as_its_conversion(legacy_files, monkeypatch):
    """WPS saves .et as a compound file around a BIFF8 workbook: xlrd reads it in milliseconds; the
    grid is what LibreOffice's conversion gives, and no conversion is asked for."""
    data = legacy_files["et"]
    [converted] = office.convert_many([(data, "et")], "xlsx")
    assert converted is not None
    via_office = read(converted, "xlsx", "统计表.xlsx")
    assert conversion_target(data, "et") is None
    monkeypatch.setattr(office, "convert_many", lambda *a, **k: pytest.fail("should not convert"))
    monkeypatch.setattr(office, "read", lambda *a, **k: pytest.fail("should not convert"))
    direct = read(data, "et", "统计表.et")
    assert direct.problems == [] and [t.grid for t in direct.tables] == [t.grid for t in via_office.tables]


def test_a_wps_shaped_et_is_read_by_xlrd(monkeypatch):
    """WPS's own streams beside the workbook (``ETExtData``) do not send the file to LibreOffice."""
    monkeypatch.setattr(office, "read", lambda *a, **k: pytest.fail("should not convert"))
    data = make_cfb({"Workbook": biff8_workbook("统计表", {(0, 0): "推荐单位", (0, 1): "某省质协"}),
                     "ETExtData": b"\0" * 64})
    doc = read(data, "et", "统计表.et")
    assert doc.problems == [] and doc.tables[0].grid == [["推荐单位", "某省质协"]]


def test_an_et_xlrd_cannot_read_goes_to_libreoffice(monkeypatch):
    """A workbook stream xlrd rejects is tried once more by LibreOffice (its WPS filter knows more); when
    that fails too, the file is unreadable, with xlrd's reason."""
    calls: list[str] = []
    real = office.read

    def spy(data, filename, timeout, source):
        calls.append(source)
        return real(data, filename, timeout, source=source)

    monkeypatch.setattr(office, "read", spy)
    doc = read(make_cfb({"Workbook": b"\x09\x08" + b"\xff" * 600, "ETExtData": b"\0" * 64}), "et", "坏.et")
    assert calls == ["et"]
    assert [p.rule for p in doc.problems] == ["document.unreadable"] and doc.problems[0].detail.startswith("xls:")


def test_convert_many_batches_in_one_run(legacy_files):
    out = office.convert_many([(legacy_files["doc"], "doc"), (b"{\\rtf1 hello}", "rtf")], "docx")
    assert len(out) == 2 and all(x and x[:2] == b"PK" for x in out)


def test_html_saved_as_xls_is_read_directly(monkeypatch):
    """HTML tables named .xls are read by lxml (parsers/readers/html.py), never converted."""
    monkeypatch.setattr(office, "convert_many", lambda *a, **k: pytest.fail("should not convert"))
    html = "<html><body><table><tr><td>推荐单位</td><td>某省质协</td></tr></table></body></html>"
    doc = read(html.encode("utf-8"), "xls", "导出.xls")
    assert doc.problems == [] and doc.meta.get("format") == "html"
    assert doc.tables[0].grid == [["推荐单位", "某省质协"]]


def test_xml_spreadsheet_saved_as_xls_falls_back_to_libreoffice():
    xml = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="统计表"><Table><Row>'
           '<Cell><Data ss:Type="String">推荐单位</Data></Cell><Cell><Data ss:Type="String">某省质协</Data></Cell>'
           '</Row></Table></Worksheet></Workbook>')
    doc = read(xml.encode("utf-8"), "xls", "导出.xls")
    assert doc.problems == [] and doc.meta.get("converted_from") == "xls"
    assert doc.tables[0].grid == [["推荐单位", "某省质协"]]


def test_a_one_shot_soffice_killed_on_its_timeout_leaves_no_pipe_file(monkeypatch):
    """soffice's single-instance socket in /tmp outlives a SIGKILL; the caller removes it after the kill."""
    from parsers.readers import office_pipes, warm_office

    monkeypatch.setattr(warm_office, "available", lambda: False)  # the one-shot run, not the warm converter
    office._drop_profile()  # noqa: SLF001
    pipe = Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{office_pipes.ipc_name(office._profile_dir().as_uri())}"  # noqa: SLF001
    seen, done = [], threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.append(pipe.exists())
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    slow = b"{\\rtf1\\ansi " + "申报表".encode("gbk").hex().encode() * 400000 + b"}"
    try:
        with pytest.raises(office.ConversionTimeout):
            office.convert_many([(slow, "rtf")], "docx", timeout=8.0, warm=True)  # the file takes minutes
    finally:
        done.set()
        watcher.join()
    assert any(seen), "soffice never made its pipe: the test would prove nothing"
    assert not pipe.exists()


def test_the_one_shot_profile_of_a_process_that_is_gone_is_removed(tmp_path, monkeypatch):
    """A reading worker killed over its time (or stopped with the pool) runs no atexit handler: its
    profile stays; the next process that makes one removes those of dead processes, not of live ones."""
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale = tmp_path / f"{office.PROFILE_PREFIX}{gone}-abc123"
    live = tmp_path / f"{office.PROFILE_PREFIX}{os.getppid()}-def456"
    older = tmp_path / f"{office.PROFILE_PREFIX}x1y2z3"  # a name without a PID: not ours to judge
    for d in (stale, live, older):
        (d / "user").mkdir(parents=True)
    monkeypatch.setattr(office, "_profile", None)
    made = office._profile_dir()  # noqa: SLF001
    try:
        assert made.parent == tmp_path and made.name.startswith(f"{office.PROFILE_PREFIX}{os.getpid()}-")
        assert not stale.exists() and live.exists() and older.exists()
    finally:
        office._drop_profile()  # noqa: SLF001


def test_soffice_timeout_kills_and_reports():
    doc = read(b"{\\rtf1\\ansi " + "申报表".encode("gbk").hex().encode() * 5000 + b"}", "rtf", "慢.doc", timeout=0.05)
    assert [p.rule for p in doc.problems] == ["document.timeout"]
    # the next conversion still works (fresh profile after the kill)
    [again] = office.convert_many([(b"{\\rtf1 ok}", "rtf")], "docx")
    assert again


def test_garbage_named_doc_is_unreadable_without_conversion(monkeypatch):
    monkeypatch.setattr(office, "convert_many", lambda *a, **k: pytest.fail("should not convert"))
    doc = read(b"\x00\x01garbage" * 100, "doc", "坏.doc")
    assert [p.rule for p in doc.problems] == ["document.unreadable"]
