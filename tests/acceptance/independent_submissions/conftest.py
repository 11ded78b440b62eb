"""One session build of every second-look submission: LibreOffice runs once per target format."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from intake.pipeline import check_message
from intake.workers import ReadingPool
from parsers.readers.ocr_options import OcrOptions
from rules import load_campaign
from tests.acceptance.independent_submissions import build, scenarios

NO_TWIN_OCR = OcrOptions(twin_pages=0)


@pytest.fixture(scope="session")
def secondlook_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """name -> (scenario, submission, files, result json). One reading pool for all of them, as the daemon
    has: its workers (and their OCR engine) start once, not once per message. The sealed scans beside their
    Word copies are not OCR'd here (``ocr_twin_pages = 0``): these scenarios are about the forms and the
    rules, the comparison of a scan with its Word copy has its own tests (tests/readers/test_ocr.py), and
    OCR of 44 twin pages would be 40 s of the suite's ten minutes."""
    assert build.have_soffice(), "LibreOffice (soffice) is needed: bash .ci/run installs it"
    built = []
    for sc in scenarios.SCENARIOS:
        sub, files = scenarios.files_of(sc)
        built.append((sc, sub, files))
    scenarios.resolve([f for _, _, f in built], tmp_path_factory.mktemp("secondlook"))
    campaign = load_campaign()
    with ReadingPool() as pool, ThreadPoolExecutor(2) as threads:  # two messages at a time, as read-ahead does
        def check(item: tuple) -> tuple:  # noqa: ANN001
            sc, sub, files = item
            return sc, sub, files, check_message(scenarios.message(sc, sub, files), campaign, pool=pool, ocr=NO_TWIN_OCR).to_json()

        return {item[0].name: item for item in threads.map(check, built)}
