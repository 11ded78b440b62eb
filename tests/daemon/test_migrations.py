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


def test_a_first_start_cut_short_in_the_middle_of_the_migrations_leaves_nothing_half_made(tmp_path, monkeypatch):
    """A daemon killed while it creates the ledger must not leave tables without their revision: the next
    start would fail for ever on "table already exists". The migrations run in one transaction."""
    from alembic.ddl.impl import DefaultImpl

    cfg = Config()
    cfg.storage.data_dir = str(tmp_path / "var")
    real = DefaultImpl.create_table
    calls = []

    def cut(self, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202 - the kill, after some tables exist
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        return real(self, *a, **k)

    monkeypatch.setattr(DefaultImpl, "create_table", cut)
    try:
        open_ledger(cfg)
    except KeyboardInterrupt:
        pass
    assert len(calls) == 3
    path = tmp_path / "var" / "ledger.db"
    probe = sa.create_engine(f"sqlite:///{path}")
    assert sa.inspect(probe).get_table_names() == []  # nothing of the cut run is left
    probe.dispose()
    monkeypatch.setattr(DefaultImpl, "create_table", real)
    engine = open_ledger(cfg)  # the next start makes the whole ledger
    assert set(sa.inspect(engine).get_table_names()) - {"alembic_version"} == set(SQLModel.metadata.tables)
