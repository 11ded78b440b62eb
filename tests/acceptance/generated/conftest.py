"""Fixtures for the corpus tests: generated submissions run once per module through the real pipeline."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def campaign():
    from rules import load_campaign

    return load_campaign()
