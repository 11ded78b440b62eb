"""Session fixtures of the robustness tests: the campaign and the fuzzing seeds, built once."""

from __future__ import annotations

import pytest

from rules import Campaign, load_campaign


@pytest.fixture(scope="session")
def campaign() -> Campaign:
    return load_campaign()


@pytest.fixture(scope="session")
def seed_files() -> list[tuple[str, str, bytes]]:
    from tests.robustness.mutate import seeds

    return seeds(lo_formats=True)
