"""Fixtures of the real-mail red-team tests: one complete unit's files, rendered once per session,
and a runner that goes through the real CLI (``intake check FILE --json``) and the JSON schema."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from intake.cli import app
from tests.contract_schema import validate
from tests.fixtures.data import Unit, make_unit
from tests.fixtures.form_submission import plant
from tests.fixtures.forms import filename_for, render_many

Files = list[tuple[str, bytes]]
# One sender's complete set: per group the 申报表 Word + sealed PDF, 成果报告, 证实性材料; then 附件2-5.
PER_GROUP = (("application", "docx"), ("application", "pdf"), ("report", "docx"), ("evidence", "pdf"))
PER_UNIT = (("summary", "docx"), ("statistics", "xlsx"), ("recommendation", "xlsx"), ("review", "xlsx"))
DEFECTS = ("mobile", "postcode", "members11", "both_ticked", "summary_short", "score105", "evaluation350",
           "rate120", "company_mismatch", "unsealed", "no_section")


def unit_files(unit: Unit) -> Files:
    reqs = [(form, unit, fmt, 0, g) for g in unit.groups for form, fmt in PER_GROUP]
    reqs += [(form, unit, fmt, 0, None) for form, fmt in PER_UNIT]
    blobs = render_many(reqs)
    return [(filename_for(form, u, fmt, v, g), b) for (form, u, fmt, v, g), b in zip(reqs, blobs, strict=True)]


def defective(unit: Unit, kind: str) -> Unit:
    if kind == "no_section":  # 工作总结 without its third part (long enough otherwise)
        u = copy.deepcopy(unit)
        u.summary_sections = [s for s in u.summary_sections if "存在问题" not in s[0]]
        u.summary_sections[0][1].extend(u.summary_sections[0][1])  # keep it above 3000 characters
        return u
    return plant(unit, [kind])


@pytest.fixture(scope="session")
def unit() -> Unit:
    return make_unit(2020, 2)


@pytest.fixture(scope="session")
def files(unit: Unit) -> Files:
    return unit_files(unit)


@pytest.fixture(scope="session")
def defect_files(unit: Unit) -> dict[str, Files]:
    """Each planted defect alone, on an otherwise complete set (rendered once)."""
    return {kind: unit_files(defective(unit, kind)) for kind in DEFECTS}


@pytest.fixture
def check(tmp_path: Path) -> Callable[..., dict]:
    """``check(raw, *args)``: run ``intake check FILE --json`` and return the validated JSON."""
    counter = iter(range(10**6))

    def run(raw: bytes, *args: str) -> dict:
        path = tmp_path / f"m{next(counter)}.eml"
        path.write_bytes(raw)
        result = CliRunner().invoke(app, ["check", str(path), "--json", *args])
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        validate(out)
        return out

    return run


def errors(result: dict) -> list[tuple[str, str | None, str | None]]:
    return [(f["rule"], f["form"], f["field"]) for f in result["findings"] if f["severity"] == "error"]


def rules_of(result: dict) -> list[str]:
    return [f["rule"] for f in result["findings"]]
