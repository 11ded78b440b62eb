"""Session fixtures for reader tests: LibreOffice-made legacy files, converted once per session."""

from __future__ import annotations

import pytest

from parsers.readers import office, read
from tests.fixtures import office as build


@pytest.fixture(scope="session")
def legacy_files() -> dict[str, bytes]:
    """A .doc (HTML → LibreOffice, so tables survive), the same bytes as .wps, an .xls named .et,
    and the openpyxl xlsx after a LibreOffice round trip (formula values cached) — two soffice runs."""
    if office.soffice() is None:
        pytest.skip("LibreOffice (soffice) not installed")
    [doc] = office.convert_many([(build.html_form().encode("utf-8"), "html")], "doc", infilter="HTML (StarWriter)")
    [roundtrip] = office.convert_many([(build.xlsx_form(), "xlsx")], "xlsx")
    assert doc and roundtrip, "LibreOffice produced no fixture"
    return {"doc": doc, "wps": doc, "et": build.xls_form(), "xlsx_lo": roundtrip}


@pytest.fixture(scope="session")
def legacy_docs(legacy_files):
    """Each legacy file read once through ``read()`` (one soffice conversion each)."""
    return {fmt: read(legacy_files[fmt], fmt, f"附件1.{fmt}") for fmt in ("doc", "wps", "et")}
