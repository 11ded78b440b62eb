"""One session build of every second-look submission: LibreOffice runs once per target format."""

from __future__ import annotations

import pytest

from intake.pipeline import check_message
from rules import load_campaign
from tests.acceptance.independent_submissions import build, scenarios


@pytest.fixture(scope="session")
def secondlook_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """name -> (scenario, submission, files, result json)."""
    if not build.have_soffice():
        pytest.skip("LibreOffice (soffice) is not installed")
    built = []
    for sc in scenarios.SCENARIOS:
        sub, files = scenarios.files_of(sc)
        built.append((sc, sub, files))
    scenarios.resolve([f for _, _, f in built], tmp_path_factory.mktemp("secondlook"))
    campaign = load_campaign()
    out = {}
    for sc, sub, files in built:
        raw = scenarios.message(sc, sub, files)
        out[sc.name] = (sc, sub, files, check_message(raw, campaign).to_json())
    return out
