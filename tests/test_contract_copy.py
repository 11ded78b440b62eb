"""The repository's copy of the shared contract (contract/) must match ../shared/contract/.

contract/ holds verbatim copies of the JSON schemas and their descriptions so that a clone without the
sibling ../shared checkout still has them. When ../shared is present, each copy must be byte-identical;
when it is absent, the copies must at least exist (and the schemas parse as JSON). Never skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COPY = REPO / "contract"
SHARED = REPO / ".." / "shared" / "contract"
NAMES = ["check.schema.json", "units.schema.json", "check-json.md", "units-json.md"]


@pytest.mark.parametrize("name", NAMES)
def test_contract_copy(name: str) -> None:
    copy = COPY / name
    assert copy.is_file(), f"contract/{name} is missing: copy it from ../shared/contract/{name}"
    data = copy.read_bytes()
    if name.endswith(".json"):
        json.loads(data.decode("utf-8"))  # a broken copy fails here, with or without ../shared
    original = SHARED / name
    if original.is_file():
        assert data == original.read_bytes(), (
            f"contract/{name} differs from ../shared/contract/{name}: re-copy it "
            f"(cp ../shared/contract/{name} contract/{name})"
        )
    else:
        assert data.strip(), f"contract/{name} is empty (../shared/contract/ is not available to compare)"
