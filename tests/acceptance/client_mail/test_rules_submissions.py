"""Whole submissions through the rules: a complete unit has no error at all (every error would
be a false alarm), each planted defect alone gives exactly its finding, and partial messages
(a missing form, a missing PDF copy, a correction) report only what is missing."""

from __future__ import annotations

import pytest

from tests.acceptance.client_mail import clients as C
from tests.acceptance.client_mail.conftest import errors
from tests.fixtures.form_submission import DEFECTS

# defect -> the one finding it must produce (rule, form, field, severity): the fixture generator's
# table, plus the defects only planted here
EXPECTED = {**DEFECTS, "no_section": ("summary.sections.problems", "summary", "sections", "error")}


def test_complete_on_time_unit_has_no_error(files, check):
    out = check(C.foxmail(files))
    assert errors(out) == []
    assert out["status"] == "complete"
    forms = [d["form"] for d in out["documents"]]
    assert forms.count("application") == 4 and {"summary", "statistics", "recommendation", "review"} <= set(forms)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_defect_alone(kind, defect_files, check):
    out = check(C.thunderbird(defect_files[kind]))
    rule, form, field, severity = EXPECTED[kind]
    hits = [f for f in out["findings"] if f["rule"] == rule]
    assert hits, out["findings"]
    assert (hits[0]["form"], hits[0]["field"], hits[0]["severity"]) == (form, field, severity)
    others = [e for e in errors(out) if e[0] != rule]
    assert others == []  # nothing else called an error
    assert out["status"] == ("complete" if severity == "warning" else "incomplete")


def test_missing_statistics(files, check):
    out = check(C.netease163([f for f in files if "统计表" not in f[0]]))
    assert errors(out) == [("statistics.missing", "statistics", None)]
    assert next(f for f in out["findings"] if f["rule"] == "statistics.missing")["document"] is None


def test_missing_pdf_copy_names_the_group(files, check, unit):
    dropped = next(n for n, _ in files if n.endswith(".pdf") and unit.groups[1].company in n)
    out = check(C.netease163([f for f in files if f[0] != dropped]))
    assert errors(out) == [("application.pdf.missing", "application", None)]
    msg = next(f["message"] for f in out["findings"] if f["rule"] == "application.pdf.missing")
    assert unit.groups[1].company in msg


def test_correction_carrying_one_form(files, check):
    out = check(C.qqmail([f for f in files if "统计表" in f[0]], subject="补发：附件3 统计表"))
    assert [d["form"] for d in out["documents"]] == ["statistics"]
    assert not [e for e in errors(out) if e[1] == "statistics"]  # the form itself is fine
    assert out["status"] == "incomplete"  # judged alone, the message lacks the rest


def test_late_complete_unit(files, check):
    out = check(C.apple(files, when=C.ON_TIME.replace(day=16, hour=0, minute=31)))
    assert out["status"] == "late"
    assert [e[0] for e in errors(out)] == ["deadline.late"]
