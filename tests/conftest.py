"""Shared pytest fixtures. Server fixtures live in tests/servers/ and are registered here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers.certs import Cert, make_cert
from tests.servers.dovecot import dovecot  # noqa: F401
from tests.servers.postgres import postgres  # noqa: F401
from tests.servers.smtp import smtp_server, smtp_server_factory  # noqa: F401


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    """One self-signed certificate for all test servers of the session."""
    return make_cert(Path(tmp_path_factory.mktemp("tls")))
