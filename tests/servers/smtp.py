"""A real aiosmtpd SMTP server on 127.0.0.1 for tests of the receipt sender.

Why a real server rather than a mocked ``smtplib``: TLS, AUTH and the exact exceptions smtplib
raises for 4xx/5xx answers are what the sender must handle, and only a server produces them
faithfully. The handler (capture + fault injection) is kept apart from the protocol, the way
aiosmtpd itself separates ``smtp.py`` from ``handlers.py``.

Usage in a test::

    def test_send(smtp_server):            # implicit TLS (like 465) + AUTH, fresh per test
        smtp_server.fail_next(1, "451 4.3.0 try later")           # next DATA answered 451
        smtp_server.fail_next(1, "550 5.1.1 no such user", "RCPT")  # next RCPT TO answered 550
        ...
        assert len(smtp_server.messages) == 1
        mail_from, rcpt_tos, content = smtp_server.messages[0]

    def test_starttls(smtp_server_factory):  # other set-ups
        srv = smtp_server_factory(security="starttls")
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers.certs import Cert

USERNAME = "qc-intake@example.org"
PASSWORD = "auth-code-123"  # plays the part of a 163.com 授权码

# With implicit TLS the session is already encrypted, but aiosmtpd only counts STARTTLS as TLS;
# auth_require_tls=False is needed (env-facts §2) and makes it warn on every connection; and
# aiosmtpd itself sets the deprecated Session.login_data on every successful AUTH. Both are noise.
_AUTH_WARNING = "Requiring AUTH while not requiring TLS"
_NOISE = ("auth_require_tls == False", "Session.login_data is deprecated")
logging.getLogger("mail.log").addFilter(lambda rec: not any(n in rec.getMessage() for n in _NOISE))


class CaptureHandler:
    """Keeps every accepted message; answers the next queued fault instead when one is queued."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.faults: list[str] = []  # answers to the next DATA commands
        self.rcpt_faults: list[str] = []  # answers to the next RCPT TO commands
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        with self.lock:
            if self.rcpt_faults:
                return self.rcpt_faults.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.faults:
                return self.faults.pop(0)
            content = envelope.original_content or envelope.content or b""
            if isinstance(content, str):
                content = content.encode("utf-8")
            self.messages.append((envelope.mail_from or "", list(envelope.rcpt_tos), bytes(content)))
        return "250 2.0.0 OK queued"


class PasswordAuthenticator:
    """AUTH LOGIN / PLAIN against one account; counts attempts so tests can see reconnects."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()
        self.attempts = 0

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        self.attempts += 1
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmtpServer:
    """A running server and what tests need to talk to it and inspect it."""

    host: str
    port: int
    security: str  # ssl | starttls | none
    username: str
    password: str
    ca_file: str
    handler: CaptureHandler
    authenticator: PasswordAuthenticator
    controller: Controller = field(repr=False)

    @property
    def messages(self) -> list[tuple[str, list[str], bytes]]:
        """Accepted messages as (mail_from, rcpt_tos, content bytes), in arrival order."""
        return self.handler.messages

    def fail_next(self, n: int = 1, reply: str = "451 4.3.0 Temporary failure, try again later",
                  stage: str = "DATA") -> None:
        """Answer the next ``n`` DATA (or ``stage="RCPT"``) commands with ``reply``.

        E.g. ``fail_next(1, "554 DT:SPM 163 smtp7")`` or ``fail_next(1, "550 5.1.1 No such user", "RCPT")``.
        """
        if stage not in ("DATA", "RCPT"):
            raise ValueError(f"stage: expected DATA or RCPT, got {stage!r}")
        with self.handler.lock:
            (self.handler.faults if stage == "DATA" else self.handler.rcpt_faults).extend([reply] * n)

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least ``count`` messages arrived (the server runs in its own thread)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(self.messages) >= count:
                return True
            time.sleep(0.01)
        return len(self.messages) >= count

    def stop(self) -> None:
        self.controller.stop()


def start_smtp_server(
    cert: Cert,
    *,
    security: str = "ssl",
    auth: bool = True,
    username: str = USERNAME,
    password: str = PASSWORD,
    idle_timeout: float | None = None,
) -> SmtpServer:
    """Start a server on a free 127.0.0.1 port. ``security``: ssl (implicit TLS), starttls, none.
    ``idle_timeout``: seconds after which the server drops a silent connection (aiosmtpd: 300)."""
    if security not in ("ssl", "starttls", "none"):
        raise ValueError(f"security: expected ssl, starttls or none, got {security!r}")
    # pytest restores the warning filters around each test, so the filter is set per start
    warnings.filterwarnings("ignore", message=_AUTH_WARNING)
    handler = CaptureHandler()
    authenticator = PasswordAuthenticator(username, password)
    kwargs: dict[str, Any] = {}
    if security != "none":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(cert.cert), str(cert.key))
        if security == "ssl":
            kwargs["ssl_context"] = ctx
        else:
            kwargs.update(tls_context=ctx, require_starttls=True)
    if auth:
        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=security == "starttls")
    if idle_timeout is not None:
        kwargs["timeout"] = idle_timeout
    last_error: Exception | None = None
    for _ in range(5):  # another process may grab the port between choosing and binding it
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
        try:
            controller.start()
        except (OSError, RuntimeError) as e:
            last_error = e
            continue
        return SmtpServer("127.0.0.1", controller.port, security, username, password, str(cert.cert),
                          handler, authenticator, controller)
    raise RuntimeError(f"could not start the SMTP test server: {last_error}")


@pytest.fixture
def smtp_server_factory(tls_cert: Cert) -> Iterator[Callable[..., SmtpServer]]:
    """Start servers with other set-ups (``security="starttls"``, ``auth=False``); all stopped after."""
    started: list[SmtpServer] = []

    def factory(**kwargs: Any) -> SmtpServer:
        srv = start_smtp_server(tls_cert, **kwargs)
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.fixture
def smtp_server(tls_cert: Cert) -> Iterator[SmtpServer]:
    """An implicit-TLS (like 163.com's 465) server requiring AUTH; fresh for every test."""
    srv = start_smtp_server(tls_cert)
    yield srv
    srv.stop()
