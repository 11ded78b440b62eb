"""A real PostgreSQL server on 127.0.0.1 for the ledger tests, with its own data folder.

Why real: the ledger's migrations (alembic batch mode), JSON columns, ``INSERT … ON CONFLICT`` in
the outbox and timestamps with zones must work on the server a larger office would use, not
only on SQLite. One server per test session; each test gets its own database.

Usage::

    def test_x(postgres):
        url = postgres.new_database()   # postgresql+psycopg://…/ledger_3
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest

from tests.servers.dovecot import free_port

_counter = count(1)


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the package's 'postgres' user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@dataclass
class Postgres:
    root: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://intake@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"ledger_{next(_counter)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=intake dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_postgres() -> Postgres:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)")
    root = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(root, pg.pw_uid, pg.pw_gid)
    data, port = root / "data", free_port()
    subprocess.run(_as_postgres([initdb, "-D", str(data), "-U", "intake", "-A", "trust", "-E", "UTF8",
                                 "--locale=C.UTF-8"]), check=True, capture_output=True, timeout=120)
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"]),
                   check=True, capture_output=True, timeout=60)
    return Postgres(root, port)


def stop_postgres(server: Postgres) -> None:
    pg_ctl = _bin("pg_ctl")
    if pg_ctl is not None:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(server.root / "data"), "-m", "fast", "-w", "stop"]),
                       capture_output=True, timeout=60)
    deadline = time.monotonic() + 5
    while (server.root / "data" / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL for the session. No skip: .ci/run installs the server, so its absence is a failure."""
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)
