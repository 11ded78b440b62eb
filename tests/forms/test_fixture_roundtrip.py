"""Real files through the readers: every form, format and layout variant of the fixture generator
must classify right and give exactly the fields the generator put in (phones compared as digits,
the documented normalisation). LibreOffice renders the legacy fixtures: `.ci/run` installs it, and a
machine without it fails here rather than skipping."""

from __future__ import annotations

import pytest

from parsers import forms, readers
from parsers.forms.normalize import normalize_phone
from tests.fixtures import data
from tests.fixtures import forms as fixtures

SEED = 1
VARIANTS = range(4)
LO_FORMATS = ("doc", "xls")  # read through LibreOffice, ~3 s a file: one layout is enough here
PER_GROUP = ("application", "report", "evidence")


def _requests():
    unit = data.make_unit(SEED, 3)
    reqs = []
    for form, fmts in fixtures.FORMATS.items():
        for fmt in fmts:
            for v in (VARIANTS if fmt not in LO_FORMATS else (0,)):
                g = unit.groups[v % len(unit.groups)] if form in PER_GROUP else None
                reqs.append((form, unit, fmt, v, g))
    return unit, reqs


UNIT, REQUESTS = _requests()
IDS = [f"{form}-{fmt}-v{v}" for form, _u, fmt, v, _g in REQUESTS]


@pytest.fixture(scope="session")
def rendered() -> list[bytes]:
    """All fixture files at once, so LibreOffice runs once per target format."""
    return fixtures.render_many(REQUESTS)


def _expected(form, group):
    exp = data.expected_fields(UNIT, form, group)
    for k in ("mobile",):  # 电话 (phone) is kept as written
        if isinstance(exp.get(k), str):
            exp[k] = normalize_phone(exp[k])
    if "judges" in exp:
        exp["judges"] = [dict(j, mobile=normalize_phone(j["mobile"])) for j in exp["judges"]]
    return exp


@pytest.mark.parametrize("i", range(len(REQUESTS)), ids=IDS)
def test_fixture_file_reads_back(rendered, i):
    form, unit, fmt, v, g = REQUESTS[i]
    name = fixtures.filename_for(form, unit, fmt, v, g)
    cf = fixtures.contract_format(fmt)
    doc = readers.read(rendered[i], cf, name)
    got = forms.classify(doc, name, cf)
    if fmt == "pdf-scanned":  # a sealed 100-dpi scan: OCR'd (parsers/readers/ocr.py), read like the others
        assert doc.meta["read_by"] == "ocr" and doc.meta["seal_detected"] is True
    assert got == form
    fields = forms.extract(form, doc, cf)
    for k, v in _expected(form, g).items():
        assert fields[k] == v, k
