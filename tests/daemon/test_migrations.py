"""The alembic migrations create exactly the SQLModel tables and columns, and re-running is a no-op."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import intake.store.rows  # noqa: F401 - registers the tables
from intake.config import Config
from intake.store.migrations import open_ledger


def test_upgrade_head_matches_the_models(tmp_path):
    cfg = Config()
    cfg.storage.data_dir = str(tmp_path / "var")
    engine = open_ledger(cfg)
    open_ledger(cfg)  # second start: nothing to do, no error
    insp = sa.inspect(engine)
    tables = set(insp.get_table_names()) - {"alembic_version"}
    assert tables == set(SQLModel.metadata.tables)
    for name, table in SQLModel.metadata.tables.items():
        assert {c["name"] for c in insp.get_columns(name)} == {c.name for c in table.columns}, name
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"models changed without a migration: {diff}"
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
