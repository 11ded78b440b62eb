"""Forms typed the way real senders type them, through the real path: readers.read → classify → extract.

Every case states the form and the contract values a person reading the document would write
down; a case fails on the first field that differs. LibreOffice-made cases (PDF from Word,
.xls/.doc "97-2003", cached formulas) are built once per session in one soffice run per format.
"""

from __future__ import annotations

from typing import Any

import pytest

from parsers import forms, readers
from tests.acceptance.office_documents import builders as B
from tests.acceptance.office_documents import derived, lo


def run(case: B.Case) -> tuple[str, dict[str, Any]]:
    doc = readers.read(case.data, case.fmt, case.filename)
    form = forms.classify(doc, case.filename, case.fmt)
    fields = forms.extract(form, doc, case.fmt) if form != "unknown" else {}
    return form, fields


def check(case: B.Case) -> None:
    form, fields = run(case)
    assert form == case.form, f"{case.name}: classified as {form}"
    wrong = {k: (fields.get(k), v) for k, v in case.fields.items() if fields.get(k) != v}
    assert not wrong, f"{case.name}: (got, expected) {wrong}"


@pytest.mark.parametrize("build", B.ALL_NATIVE, ids=lambda f: f.__name__)
def test_native(build):
    check(build())


@pytest.fixture(scope="session")
def derived_cases() -> dict[str, B.Case]:
    if not lo.available():
        pytest.skip("LibreOffice not installed")
    return {c.name: c for c in derived.build_all()}


DERIVED = ["pdf_inline_cells", "pdf_text_only", "pdf_member_table", "pdf_roles", "pdf_two_pages", "pdf_rotated",
           "pdf_scanned_seal", "xls_recommendation", "xls_statistics", "xls_review", "xlsx_formula_cache",
           "doc_from_html", "wps_same_bytes", "pdf_summary_numbered", "doc_summary_numbered", "jpg_photo", "pdf_of_photos"]


@pytest.mark.parametrize("name", DERIVED)
def test_derived(derived_cases, name):
    check(derived_cases[name])


def test_scanned_copy_has_seal_and_is_read_by_ocr(derived_cases):
    """The sealed scan has no text layer: OCR reads it (parsers/readers/ocr.py) like the Word copy; the
    long 简介 may lose a character to the seal, the short fields may not."""
    case = derived_cases["pdf_scanned_seal"]
    doc = readers.read(case.data, "pdf", case.filename)
    assert doc.meta.get("seal_detected") is True and doc.meta.get("read_by") == "ocr"
    fields = forms.extract("application", doc, "pdf")
    assert {k: fields.get(k) for k in B.APP if k != "intro"} == {k: v for k, v in B.APP.items() if k != "intro"}


def test_rotated_page_is_read_upright(derived_cases):
    doc = readers.read(derived_cases["pdf_rotated"].data, "pdf", "x.pdf")
    assert any("推荐省市、行业" in b for b in doc.paragraphs)
