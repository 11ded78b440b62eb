"""Archives as people make them (Windows Explorer, macOS Finder, 7-Zip, WinRAR, nested, damaged,
hostile), sent from 163 webmail: names decoded, members listed with their container, the forms
inside read, and every refusal a finding."""

from __future__ import annotations

import io
import unicodedata

import py7zr
import pytest

from tests.acceptance.client_mail import clients as C
from tests.acceptance.client_mail import zips as Z
from tests.acceptance.client_mail.conftest import PER_GROUP, errors, rules_of
from tests.fixtures import rar as RAR


def _docs(out: dict) -> list[tuple[str, str | None, str, str]]:
    return [(d["filename"], d["container"], d["format"], d["form"]) for d in out["documents"]]


def _expect(files, container: str, prefix: str = "") -> list[tuple[str, str, str]]:
    return [(prefix + n, container, n.rsplit(".", 1)[1]) for n, _ in files]


@pytest.mark.parametrize("tool", ["windows", "macos", "7zip"])
def test_complete_submission_in_one_zip(tool, files, check):
    data = {"windows": Z.windows_explorer, "macos": Z.macos_archive_utility, "7zip": Z.sevenzip_utf8}[tool](files)
    out = check(C.netease163([("江苏省质协推荐材料.zip", data)]))
    head, *members = _docs(out)
    assert head == ("江苏省质协推荐材料.zip", None, "zip", "unknown")
    prefix = "QC材料/" if tool == "macos" else ""  # Finder zips the folder; no __MACOSX/._ entries listed
    assert [m[:3] for m in members] == _expect(files, "江苏省质协推荐材料.zip", prefix)
    assert all(unicodedata.is_normalized("NFC", m[0]) for m in members)
    assert errors(out) == [] and out["status"] == "complete"


def test_folder_per_group_and_zip_inside_zip(files, check):
    per_group = len(PER_GROUP)
    first, second, rest = files[:per_group], files[per_group : 2 * per_group], files[2 * per_group :]
    inner = Z.windows_explorer([(f"第2组/{n}", d) for n, d in second])
    outer = Z.windows_explorer([(f"第1组/{n}", d) for n, d in first] + [("第2组.zip", inner)] + rest)
    out = check(C.netease163([("全部材料.zip", outer)]))
    docs = _docs(out)
    assert ("第2组.zip", "全部材料.zip", "zip", "unknown") in docs
    assert [d[:2] for d in docs if d[1] == "第2组.zip"] == [(f"第2组/{n}", "第2组.zip") for n, _ in second]
    assert errors(out) == [] and out["status"] == "complete"


def test_7z_archive(files, check):
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as z:
        for n, d in files:
            z.writestr(d, n)
    out = check(C.qqmail([("材料.7z", buf.getvalue())]))
    assert [d[:3] for d in _docs(out)[1:]] == _expect(files, "材料.7z")
    assert out["status"] == "complete"


def test_password_protected_7z_is_an_error_not_a_crash(files, check):
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password="qc2020") as z:
        z.writestr(files[0][1], files[0][0])
    out = check(C.qqmail([("材料(加密).7z", buf.getvalue())]))
    enc = [f for f in out["findings"] if f["rule"] == "archive.encrypted"]
    assert enc and enc[0]["severity"] == "error" and "密码" in enc[0]["message"]
    assert not enc[0]["message"].startswith("压缩包“附件1")  # a member is not called an archive


def test_password_protected_zip(files, check):
    data = bytearray(Z.sevenzip_utf8(files[:1]))
    central = data.index(b"PK\x01\x02")
    data[6] |= 1  # local header: encrypted
    data[central + 8] |= 1  # central directory: encrypted
    out = check(C.netease163([("加密.zip", bytes(data))]))
    assert ("archive.encrypted", "application", None) in errors(out)


def test_zip_cut_off_keeps_the_complete_members(files, check):
    data = Z.sevenzip_utf8(files)
    out = check(C.netease163([("材料.zip", data[: len(data) - 40])]))
    assert [d[:3] for d in _docs(out)[1:]] == _expect(files, "材料.zip")
    assert out["findings"][0]["rule"] == "archive.corrupt" and out["findings"][0]["severity"] == "warning"


def test_zip_cut_inside_a_member_reports_that_member(files, check):
    data = Z.sevenzip_utf8(files[:2])  # 申报表 Word + PDF of group 1
    cut = data.index(b"PK\x03\x04", 4) + 400  # inside the second member's data
    out = check(C.netease163([("材料.zip", data[:cut])]))
    names = [d[0] for d in _docs(out)]
    assert names == ["材料.zip", files[0][0], files[1][0]]
    bad = [f for f in out["findings"] if f["document"] == files[1][0]]
    assert bad[0]["rule"] == "archive.corrupt" and bad[0]["severity"] == "error"


def test_zip_bomb_and_traversal(files, check):
    data = Z.sevenzip_utf8([("../../etc/passwd", b"root:x:0:0"), ("..\\..\\附件1 申报表.docx", files[0][1]),
                            ("zeros.docx", b"\0" * 120_000_000)])
    out = check(C.netease163([("x.zip", data)]))
    docs = _docs(out)
    assert ("etc/passwd", "x.zip", "txt", "unknown") in docs
    assert ("附件1 申报表.docx", "x.zip", "docx", "application") in docs
    assert {"archive.unsafe_name", "archive.too_large"} <= set(rules_of(out))
    big = next(f for f in out["findings"] if f["rule"] == "archive.too_large")
    assert big["document"] == "zeros.docx" and not big["message"].startswith("压缩包“zeros")


@pytest.mark.parametrize("version", [4, 5])
def test_rar_named_zip(version, files, check):
    """WinRAR (RAR4 of WinRAR 3-4, RAR5 of WinRAR 5+), a solid archive of the whole set renamed to .zip."""
    data = RAR.rar(files, version=version, solid=True)
    out = check(C.netease163([("推荐材料.zip", data)]))
    head, *members = _docs(out)
    assert head == ("推荐材料.zip", None, "rar", "unknown")
    assert [m[:3] for m in members] == _expect(files, "推荐材料.zip")
    assert errors(out) == [] and out["status"] == "complete"


@pytest.mark.parametrize("version", [4, 5])
def test_encrypted_rar(version, files, check):
    data = RAR.rar(files[:2], version=version, encrypt_headers=True)  # WinRAR -hp: names hidden too
    out = check(C.netease163([("材料.rar", data)]))
    assert ("archive.encrypted", None, None) in errors(out)
