"""The ledger on a real PostgreSQL server (started by the tests on 127.0.0.1): the same sqlmodel code and
alembic migrations as on SQLite, through a whole pass, the units view, a rule-change reprocess and confirm.
(tests/daemon/test_folder_daemon.py runs every one of its cases on both ledgers too.)"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import inspect
from sqlmodel import Session, select

from intake.config import Config
from intake.record.reprocess import reprocess
from intake.record.roster import load_roster
from intake.run.daemon import run
from intake.staff.status import status_data
from intake.staff.units import units_data
from intake.store.migrations import open_ledger, open_ledger_readonly
from intake.store.rows import MessageRow, OutboxRow
from rules import load_campaign
from tests.contract_schema import validate_units

ROOT = Path(__file__).resolve().parents[2]


def _cfg(tmp_path: Path, url: str) -> Config:
    cfg = Config()
    cfg.base_dir = tmp_path
    cfg.storage.data_dir = "var"
    cfg.storage.database = url
    cfg.source.folder.path = "inbox"
    cfg.roster.file = "roster.csv"
    (tmp_path / "inbox").mkdir()
    shutil.copy(ROOT / "examples" / "roster.csv", tmp_path / "roster.csv")
    for name in ("01-jiangsu-complete.eml", "02-zhejiang-incomplete.eml", "04-zhejiang-correction.eml"):
        shutil.copy(ROOT / "examples" / "inbox" / name, tmp_path / "inbox" / name)
    return cfg


def test_a_pass_units_and_reprocess_on_postgresql(postgres, tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, postgres.new_database())
    stats = run(cfg, once=True)
    assert (stats.fetched, stats.processed, stats.failed, stats.sent) == (3, 3, 0, 3)
    engine = open_ledger_readonly(cfg)  # migrated by the daemon: a read-only open accepts it
    assert engine.dialect.name == "postgresql"
    assert {"message", "document", "finding", "unit", "outbox", "mailboxstate"} <= set(inspect(engine).get_table_names())
    with Session(engine) as s:
        data = units_data(s, load_campaign(), load_roster(cfg.roster_path))
        validate_units(data)
        units = {u["unit"]: u for u in data["units"]}
        assert units["江苏省质量协会"]["status"] == "complete"
        assert units["浙江省质量协会"]["status"] == "incomplete" and len(units["浙江省质量协会"]["messages"]) == 2
        assert status_data(s, 600)["messages"]["processed"] == 3
        assert len(s.exec(select(OutboxRow)).all()) == 3
        js = s.exec(select(MessageRow).where(MessageRow.source_ref == "01-jiangsu-complete.eml")).one()
        assert js.received_at is not None and js.received_at.tzinfo is not None  # zones kept on the server
    engine.dispose()
    assert run(cfg, once=True).sent == 0  # nothing twice (INSERT … ON CONFLICT on the server)

    report = reprocess(cfg, progress=False)
    assert report.checked == 3 and report.failed == []
    with Session(open_ledger(cfg)) as s:
        assert len(s.exec(select(OutboxRow)).all()) == 3  # reprocess never sends a second receipt
