"""Fixtures of the unpack tests: RAR files from tests/fixtures/rar.py and LibreOffice-made .doc/.xls."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.rar import sample_archives


@pytest.fixture(scope="session")
def rar_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The RAR archives of :func:`tests.fixtures.rar.sample_archives` (RAR4 and RAR5: plain, solid,
    subdirectories with Chinese names, encrypted members, encrypted headers, volume parts), written
    by the test's own RAR writer: no free tool can create RAR, and the tests use no network."""
    out = tmp_path_factory.mktemp("rar")
    for name, data in sample_archives().items():
        (out / name).write_bytes(data)
    return out


@pytest.fixture(scope="session")
def lo_office_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A real Word 97 .doc and Excel 97 .xls written by LibreOffice (one conversion call each)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    work = tmp_path_factory.mktemp("lo")
    html = "<html><body><p>申报表</p><table border=1><tr><td>企业名称</td><td>某公司</td></tr></table></body></html>"
    (work / "a.html").write_text(html, encoding="utf-8")
    (work / "b.html").write_text(html, encoding="utf-8")
    profile = f"-env:UserInstallation=file://{work}/profile"
    for src, target, extra in (("a.html", "doc:MS Word 97", []), ("b.html", "xls:MS Excel 97", ["--infilter=calc_HTML_WebQuery"])):
        subprocess.run([soffice, profile, "--headless", *extra, "--convert-to", target, "--outdir", str(work / "out"),
                        str(work / src)], capture_output=True, timeout=120)
    files = {p.name: p.read_bytes() for p in (work / "out").glob("*")}
    if set(files) != {"a.doc", "b.xls"}:
        pytest.skip(f"LibreOffice conversion produced {sorted(files)}")
    return files
