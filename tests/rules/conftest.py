"""Fixtures for rule tests: the bundled 2020 campaign, loaded once."""

from __future__ import annotations

import pytest

from rules import Campaign, load_campaign


@pytest.fixture(scope="session")
def campaign() -> Campaign:
    return load_campaign()
