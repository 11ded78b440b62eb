"""Seeded mutation fuzzing: 300 damaged documents and messages, none may crash or break the contract."""

from __future__ import annotations

import random

from tests.robustness.mutate import MUTATIONS, run_fuzz


def test_300_mutated_files_give_findings_not_exceptions(seed_files, campaign) -> None:
    stats = run_fuzz(300, seed=0, seed_files=seed_files, slow_seconds=30.0)
    assert stats["cases"] == 300
    assert not stats["failures"], "\n".join(stats["failures"][:10])


def test_every_mutation_changes_its_input(seed_files) -> None:
    """A mutation that silently returns its input would make the fuzzing above test nothing."""
    by_fmt = {fmt: data for _name, fmt, data in seed_files}
    targets = {"zip-cdir": "docx", "zip-size": "xlsx", "xml": "docx", "sst": "xlsx", "xref": "pdf",
               "streams": "pdf", "cfb-cycle": "xls"}
    for name, fn in MUTATIONS.items():
        data = by_fmt[targets.get(name, "docx")]
        changed = sum(fn(random.Random(k), data) != data for k in range(5))
        assert changed >= 4, name
