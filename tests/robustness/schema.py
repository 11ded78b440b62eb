"""The contract's JSON schema (beside the repo, in /work/shared) as one ``validate`` call."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "shared/contract/check.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) if SCHEMA_PATH.exists() else None


def validate(result: dict) -> None:
    """Raise jsonschema.ValidationError when ``result`` breaks the contract (no-op without the schema)."""
    if SCHEMA is not None:
        jsonschema.validate(result, SCHEMA)
