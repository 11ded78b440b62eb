"""The base (notice-layout) variant of every form, in every main format, through the real pipeline:
each document must be classified as its form and give the key contract fields.

One message per group of formats, checked once per module, so the suite stays fast.
"""

from __future__ import annotations

import pytest

from bench.corpus_eval import KEY_FIELDS, flatten, generic_key, same
from intake.pipeline import check_message
from tests.fixtures import forms
from tests.fixtures.data import expected_fields, make_unit
from tests.fixtures.mail import build_message

UNIT = make_unit(4242, 2, recommender_index=0)
G0 = UNIT.groups[0]

MODERN = [  # (form, fixture format)
    ("application", "docx"), ("application", "pdf"), ("application", "pdf-cid"),
    ("summary", "docx"), ("summary", "pdf"), ("summary", "wps-ooxml"),
    ("statistics", "xlsx"), ("statistics", "docx"), ("statistics", "pdf"),
    ("recommendation", "xlsx"), ("recommendation", "docx"), ("recommendation", "pdf"),
    ("review", "xlsx"), ("review", "docx"), ("review", "pdf"),
    ("report", "docx"), ("evidence", "docx"), ("evidence", "pdf"),
]
LEGACY = [("application", "doc"), ("summary", "doc"), ("statistics", "xls"), ("recommendation", "xls"),
          ("report", "doc"), ("application", "wps"), ("statistics", "et")]


def _name(form: str, fmt: str) -> str:
    """Uninformative file names, so classification has to come from the content."""
    ext = forms.file_ext(fmt)
    return f"材料-{form[:3]}-{fmt}.{ext}"


def _run(campaign, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    blobs = forms.render_many([(form, UNIT, fmt, 0, G0) for form, fmt in pairs])
    raw = build_message([(_name(f, x), b) for (f, x), b in zip(pairs, blobs, strict=True)],
                        subject="基础版式测试", from_addr=UNIT.email, from_name=UNIT.recommender)
    result = check_message(raw, campaign).to_json()
    by_name = {d["filename"]: d for d in result["documents"]}
    return {p: by_name.get(_name(*p), {}) for p in pairs}


@pytest.fixture(scope="module")
def modern(campaign):
    return _run(campaign, MODERN)


@pytest.fixture(scope="module")
def legacy(campaign):
    return _run(campaign, LEGACY)


def _check(doc: dict, form: str) -> None:
    assert doc, "the pipeline did not list the document"
    assert doc["form"] == form
    expected = flatten(expected_fields(UNIT, form, G0))
    got = flatten(doc.get("fields") or {})
    wrong = {p: (v, got.get(p)) for p, v in expected.items()
             if generic_key(p) in KEY_FIELDS.get(form, ()) and not same(p, v, got.get(p))}
    assert not wrong, f"key fields differ (expected, got): {wrong}"


@pytest.mark.parametrize("form,fmt", MODERN, ids=[f"{f}-{x}" for f, x in MODERN])
def test_base_variant(modern, form: str, fmt: str) -> None:
    _check(modern[(form, fmt)], form)


@pytest.mark.libreoffice
@pytest.mark.parametrize("form,fmt", LEGACY, ids=[f"{f}-{x}" for f, x in LEGACY])
def test_base_variant_legacy(legacy, form: str, fmt: str) -> None:
    _check(legacy[(form, fmt)], form)
