"""Shared pytest fixtures. Server fixtures live in tests/servers/ and are registered here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from intake.workers import ReadingPool, WorkerLimits
from tests.servers.certs import Cert, make_cert
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.postgres import postgres  # noqa: F401
from tests.servers.smtp import smtp_server, smtp_server_factory  # noqa: F401


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    """One self-signed certificate for all test servers of the session."""
    return make_cert(Path(tmp_path_factory.mktemp("tls")))


@pytest.fixture(scope="module")
def pool() -> Iterator[ReadingPool]:
    """A reading pool shared by a module's messages (two workers, as on the 2-core machine), stopped after it."""
    with ReadingPool(WorkerLimits(processes=2)) as p:
        yield p
