"""Ledger schema migrations (alembic) and the one way the daemon and CLI open the ledger.

Why alembic at start rather than ``create_all``: next year's release may add a column, and an
existing ledger must be upgraded in place, never recreated.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from intake.config import Config
from intake.store.rows import make_engine

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(HERE.parent / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the ledger behind ``engine`` to the newest schema (idempotent), all or nothing.

    Why a separate engine for SQLite: Python's sqlite3 driver opens no transaction before DDL, so a
    daemon killed in the middle of its first start left tables without the revision that made them,
    and every later start failed on "table already exists". The migration engine hands transactions
    to SQLite itself (``BEGIN IMMEDIATE``, SQLAlchemy's recipe for pysqlite), so a migration cut short
    leaves the ledger as it was. The ledger's own engine keeps the driver's usual behaviour.
    """
    url = engine.url.render_as_string(hide_password=False)
    acfg = alembic_config(url)
    migrating = _transactional_sqlite(url) if engine.dialect.name == "sqlite" else engine
    try:
        with migrating.begin() as conn:
            acfg.attributes["connection"] = conn
            command.upgrade(acfg, "head")
    finally:
        if migrating is not engine:
            migrating.dispose()


def _transactional_sqlite(url: str) -> Engine:
    from sqlalchemy import event

    migrating = make_engine(url)

    @event.listens_for(migrating, "connect")
    def _driver_autocommit(dbapi_conn, _rec) -> None:  # noqa: ANN001 - DB-API objects
        dbapi_conn.isolation_level = None  # the driver begins nothing; the "begin" event below does

    @event.listens_for(migrating, "begin")
    def _begin(conn) -> None:  # noqa: ANN001 - SQLAlchemy Connection
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating


class LedgerUnavailable(RuntimeError):
    """A read-only command found no ledger, or one whose schema is not the current one."""


def open_ledger_readonly(cfg: Config) -> Engine:
    """The ledger for a command that only reads (ledger, show, units, status): never created, never migrated.

    Creating an empty ledger in whatever folder a staff member happened to run ``intake ledger``
    in would hide the real one; migrating it from a read-only command could race the daemon.
    """
    url = cfg.database_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise LedgerUnavailable(f"no ledger at {path}: run `intake run` first, or pass the daemon's config with -c")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as e:
        engine.dispose()
        raise LedgerUnavailable(f"cannot open the ledger {engine.url!r}: {type(e).__name__}: {e}") from e
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if current != head:
        engine.dispose()
        raise LedgerUnavailable(f"the ledger's schema is {current or 'empty'}, this program needs {head}: "
                                "start the daemon (`intake run`) once to upgrade it")
    return engine


def open_ledger(cfg: Config) -> Engine:
    """Engine for the configured ledger, schema upgraded; creates the data folder for SQLite."""
    url = cfg.database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    return engine
