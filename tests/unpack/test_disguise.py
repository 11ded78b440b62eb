"""Disguised files: programs and scripts dressed as documents (renamed .docx, double extensions,
right-to-left overrides) are an error naming them and never a form; names with paths are read by
their base name with a warning quoting the original, for MIME names as for archive members."""

from __future__ import annotations

import struct

import pytest

from intake.pipeline import check_message
from intake.unpack import unpack_message
from intake.unpack.disguise import executable_content, real_extension, shown
from intake.workers import ReadingPool
from rules import load_campaign
from rules.loader import load_campaign as load_file
from tests.fixtures.mail import build_message, make_zip
from tests.unpack.outlookgen import Msg, MsgFile, TnefFile, make_msg, make_tnef

PDF = b"%PDF-1.4\n% test\n"
PE = b"MZ" + b"\x90" * 58 + struct.pack("<I", 0x80) + b"\0" * 0x40 + b"PE\0\0" + b"\x4c\x01" + b"\0" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 100
MACHO = b"\xcf\xfa\xed\xfe" + b"\0" * 100
SCRIPT = b"#!/bin/sh\nrm -rf ~\n"
RLO = "\u202e"


def _parts(raw: bytes) -> list[tuple[str, str | None, str, list[str]]]:
    return [(p.filename, p.container, p.format, [x.rule for x in p.problems]) for p in unpack_message(raw).parts]


@pytest.mark.parametrize(("data", "kind"), [(PE, "PE"), (ELF, "ELF"), (MACHO, "Mach-O"), (SCRIPT, "#!")])
def test_executable_contents(data: bytes, kind: str) -> None:
    found = executable_content(data)
    assert found is not None and kind in found


def test_plain_documents_are_not_executables() -> None:
    assert executable_content(PDF) is None
    assert executable_content(b"MZ" + b"\0" * 100) is None  # MZ without a PE header: not what we flag by bytes
    assert executable_content(b"PK\x03\x04") is None


@pytest.mark.parametrize(("name", "ext"), [
    ("申报表.docx", "docx"), ("申报表.docx.exe", "exe"), (f"申报表{RLO}xcod.exe", "exe"),
    ("申报表.exe .", "exe"), ("报告.DOCX\u200b", "docx"), ("无扩展名", ""),
])
def test_real_extension(name: str, ext: str) -> None:
    assert real_extension(name) == ext


def test_bidi_and_control_characters_are_shown_escaped() -> None:
    assert shown(f"申报表{RLO}xcod.exe") == "申报表\\u202excod.exe"
    assert shown("a\u200bb\u2066c") == "a\\u200bb\\u2066c"
    assert shown("附件1 申报表.docx") == "附件1 申报表.docx"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("附件1 申报表.docx", PE, "Windows 可执行程序"),
    ("附件1 申报表.docx.exe", b"just text", "双扩展名"),
    (f"附件1 申报表{RLO}xcod.scr", b"just text", "\\u202e"),
    ("附件2 工作总结.docx", ELF, "ELF"),
    ("附件3 统计表.xlsx", MACHO, "Mach-O"),
    ("附件4 推荐表.docx", SCRIPT, "脚本"),
    ("附件5 评审汇总表.bat", b"@echo off\r\n", "“.bat”"),
    ("工具.jar", make_zip([("META-INF/MANIFEST.MF", b"Main-Class: X\n")]), "“.jar”"),
])
def test_each_disguise_is_flagged_and_never_expanded(name: str, data: bytes, reason: str) -> None:
    u = unpack_message(build_message([(name, data)]))
    assert len(u.parts) == 1  # a .jar is a zip: never expanded
    part = u.parts[0]
    assert (part.format, part.named, [p.rule for p in part.problems]) == ("other", False, ["document.executable"])
    assert reason in part.problems[0].detail
    assert RLO not in part.filename


def test_executables_inside_containers_are_flagged_too() -> None:
    inner = make_msg(Msg(files=[MsgFile("附件1 申报表.docx", PE)]))
    raw = build_message([
        ("材料.zip", make_zip([("材料/附件2 工作总结.docx.exe", PE), ("材料/附件3.pdf", PDF)])),
        ("winmail.dat", make_tnef([TnefFile(b"A.DOC", SCRIPT, long_name="附件4 推荐表.doc")])),
        ("转发.msg", inner),
    ])
    flagged = {(n, c) for n, c, _f, rules in _parts(raw) if rules == ["document.executable"]}
    assert flagged == {("材料/附件2 工作总结.docx.exe", "材料.zip"), ("附件4 推荐表.doc", "winmail.dat"),
                       ("附件1 申报表.docx", "转发.msg")}


def test_disguised_executable_through_the_pipeline(pool: ReadingPool) -> None:
    raw = build_message([("附件1 全国优秀质量管理小组申报表-某某公司.docx", PE), (f"附件2 工作总结{RLO}xcod.exe", SCRIPT),
                         ("附件3 统计表.txt", "统计表".encode())], name_encoding="rfc2047")
    out = check_message(raw, load_campaign(), pool=pool).to_json()
    docs = {d["filename"]: d["form"] for d in out["documents"]}
    assert docs["附件1 全国优秀质量管理小组申报表-某某公司.docx"] == "unknown"
    assert docs["附件2 工作总结\\u202excod.exe"] == "unknown"
    bad = [f for f in out["findings"] if f["rule"] == "document.executable"]
    assert {f["document"] for f in bad} == {"附件1 全国优秀质量管理小组申报表-某某公司.docx", "附件2 工作总结\\u202excod.exe"}
    assert all(f["severity"] == "error" for f in bad)
    rlo = next(f for f in bad if f["document"].startswith("附件2"))
    assert "\\u202e" in rlo["message"] and RLO not in rlo["message"] and "可执行程序" in rlo["message"]
    assert out["status"] == "incomplete"
    assert {d["form"] for d in out["documents"]} <= {"unknown", "statistics"}  # no program counts as a form


def test_both_rule_files_make_it_an_error() -> None:
    for path in ("rules/caq-2020.toml", "rules/examples/caq-2099-demo.toml"):
        spec = load_file(path).messages["document.executable"]
        assert spec.severity == "error" and "{filename}" in spec.text and "{detail}" in spec.text


# --- names with paths ----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "encoding"), [
    ("../../附件1 申报表.pdf", "rfc2231"),
    ("C:\\temp\\附件1 申报表.pdf", "rfc2047"),
    ("C:\\temp\\附件1 申报表.pdf", "raw-gbk"),  # unescaped backslashes in a quoted name: Windows paths
])
def test_mime_name_with_a_path_is_read_by_its_base_name_with_a_notice(name: str, encoding: str) -> None:
    u = unpack_message(build_message([(name, PDF)], name_encoding=encoding))
    part = u.parts[0]
    assert (part.filename, part.format, [p.rule for p in part.problems]) == ("附件1 申报表.pdf", "pdf", ["archive.unsafe_name"])
    assert name in part.problems[0].detail


def test_unsafe_name_finding_quotes_the_original_for_mime_and_archive_alike(pool: ReadingPool) -> None:
    raw = build_message([("../../附件3 统计表.txt", b"stat"), ("材料.zip", make_zip([("../附件5.txt", b"x")]))])
    out = check_message(raw, load_campaign(), pool=pool).to_json()
    notes = {f["document"]: f["message"] for f in out["findings"] if f["rule"] == "archive.unsafe_name"}
    assert set(notes) == {"附件3 统计表.txt", "附件5.txt"}
    assert "../../附件3 统计表.txt" in notes["附件3 统计表.txt"] and "../附件5.txt" in notes["附件5.txt"]
    assert all(f["severity"] == "warning" for f in out["findings"] if f["rule"] == "archive.unsafe_name")
