"""Fixtures of the unpack tests: real RAR files (from the rarfile sdist) and LibreOffice-made .doc/.xls."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest


def _cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "qc-intake-tests"


@pytest.fixture(scope="session")
def rar_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``test/files`` of the rarfile 4.5 sdist: real RAR3/RAR5 archives (no Debian tool can create RAR).

    The sdist is downloaded once with pip and cached, because the download (~20 s) is the slow part."""
    cache = _cache_dir()
    sdist = cache / "rarfile-4.5.tar.gz"
    if not sdist.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
               "rarfile==4.5", "-d", str(cache)]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=180)
        except (subprocess.SubprocessError, OSError) as e:
            pytest.skip(f"could not download the rarfile 4.5 sdist for its RAR test files: {e}")
    out = tmp_path_factory.mktemp("rar")
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if "/test/files/" in m.name and m.isfile()]
        for m in members:
            m.name = Path(m.name).name
        tar.extractall(out, members=members, filter="data")
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
