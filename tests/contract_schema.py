"""The contract's JSON schemas (the repo's copy in contract/, kept equal to ../shared by
tests/test_contract_copy.py) as one ``validate`` call: validation never depends on a file
outside the repo, so it can never be skipped."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

CONTRACT = Path(__file__).resolve().parents[1] / "contract"
SCHEMA = json.loads((CONTRACT / "check.schema.json").read_text(encoding="utf-8"))
UNITS_SCHEMA = json.loads((CONTRACT / "units.schema.json").read_text(encoding="utf-8"))


def validate(result: dict) -> None:
    """Raise jsonschema.ValidationError when ``result`` breaks the check contract."""
    jsonschema.validate(result, SCHEMA)


def validate_units(result: dict) -> None:
    """Raise jsonschema.ValidationError when ``result`` breaks the units contract."""
    jsonschema.validate(result, UNITS_SCHEMA)
