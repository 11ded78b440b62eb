"""Ledger schema migrations (alembic) and the one way the daemon and CLI open the ledger.

Why alembic at start rather than ``create_all``: next year's release may add a column, and an
existing ledger must be upgraded in place, never recreated.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
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
    """Bring the ledger behind ``engine`` to the newest schema (idempotent)."""
    acfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        acfg.attributes["connection"] = conn
        command.upgrade(acfg, "head")


def open_ledger(cfg: Config) -> Engine:
    """Engine for the configured ledger, schema upgraded; creates the data folder for SQLite."""
    url = cfg.database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    return engine
