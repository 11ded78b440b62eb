"""A real Dovecot IMAP server on 127.0.0.1 for the integration tests (env-facts §1).

Why real Dovecot: UID/UIDVALIDITY semantics, ``UID SEARCH n:*`` quirks, ID, IDLE, MOVE and
INTERNALDATE are exactly what the IMAP source must get right, and only a server shows them.
One server per test session (start ~20 ms, stop ~3 s); each test gets its own user (the
passwd-file is re-read when it changes), so tests never see each other's mail.

Usage::

    def test_x(dovecot):
        user = dovecot.new_user()
        dovecot.append(user, raw, msg_time=datetime(...))
        cfg.source.imap = dovecot.source_config(user)
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import imapclient
import pytest

from intake.config import ImapSourceConfig
from tests.servers.certs import Cert

PASSWORD_ENV = "INTAKE_TEST_IMAP_PASSWORD"
USERS = 100  # mailboxes prepared per session, one per test that asks

CONF = """\
base_dir = {t}/run
state_dir = {t}/state
log_path = {t}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {t}/users
}}
userdb {{
  driver = passwd-file
  args = {t}/users
  default_fields = uid={uid} gid={gid} home={t}/mail/%u
}}
mail_location = maildir:~/Maildir
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
auth_failure_delay = 0
imap_id_log = *
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unavailable_reason() -> str | None:
    """Why the server cannot run here, or None."""
    if shutil.which("dovecot") is None:
        return "dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it)"
    if os.geteuid() != 0:
        return "dovecot test server needs root (it drops to 'nobody' for mail)"
    return None


@dataclass
class Dovecot:
    root: Path
    imap_port: int
    imaps_port: int
    ca_file: str
    host: str = "127.0.0.1"
    passwords: dict[str, str] = field(default_factory=dict)
    handed_out: set[str] = field(default_factory=set)

    # -- users --------------------------------------------------------------------------------

    def new_user(self) -> str:
        """A fresh mailbox user with its own empty INBOX.

        Users are written before the server starts: Dovecot re-reads a changed passwd-file at
        most once a second, so users added while it runs may not log in at once.
        """
        for user in self.passwords:
            if user not in self.handed_out:
                self.handed_out.add(user)
                return user
        raise RuntimeError(f"all {len(self.passwords)} test users handed out; raise USERS")

    def source_config(self, user: str, **overrides: object) -> ImapSourceConfig:
        """An ``ImapSourceConfig`` for ``user`` over implicit TLS, the password in the env."""
        os.environ[PASSWORD_ENV] = self.passwords[user]
        cfg = ImapSourceConfig(host=self.host, port=self.imaps_port, security="ssl", username=user,
                               password_env=PASSWORD_ENV, ca_file=self.ca_file, timeout=10.0)
        for k, v in overrides.items():
            setattr(cfg, k, v)
        return cfg

    # -- client side helpers -------------------------------------------------------------------

    def client(self, user: str) -> imapclient.IMAPClient:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        c = imapclient.IMAPClient(self.host, port=self.imaps_port, ssl=True, ssl_context=ctx, timeout=10)
        c.login(user, self.passwords[user])
        return c

    def append(self, user: str, raw: bytes, folder: str = "INBOX", msg_time: datetime | None = None,
               flags: tuple[bytes, ...] = ()) -> int:
        """APPEND ``raw`` as ``user``; returns the new UID."""
        c = self.client(user)
        try:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            resp = c.append(folder, raw, flags=flags, msg_time=msg_time)
            # b'[APPENDUID <uidvalidity> <uid>] Append completed.'
            text = resp.decode() if isinstance(resp, bytes) else str(resp)
            return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])
        finally:
            c.logout()

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        c = self.client(user)
        try:
            c.select_folder(folder, readonly=True)
            uids = c.search(["ALL"])
            return {u: tuple(v) for u, v in c.get_flags(uids).items()} if uids else {}
        finally:
            c.logout()

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        c = self.client(user)
        try:
            return int(c.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            c.logout()

    def log(self) -> str:
        """The server log (ID commands are logged: ``imap_id_log = *``)."""
        return (self.root / "dovecot.log").read_text(encoding="utf-8", errors="replace")

    def count(self, user: str, folder: str = "INBOX") -> int:
        c = self.client(user)
        try:
            if not c.folder_exists(folder):
                return 0
            return int(c.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"])
        finally:
            c.logout()

    def reset_uidvalidity(self, user: str) -> int:
        """Force a new UIDVALIDITY on INBOX (what a server migration or restore does).

        Deleting the maildir's ``dovecot-uidlist`` and index files makes Dovecot renumber the
        messages under a new UIDVALIDITY. Returns the new value (checked to differ).
        """
        before = self.uidvalidity(user)
        maildir = self.root / "mail" / user / "Maildir"
        for p in maildir.iterdir():
            if p.name == "dovecot-uidlist" or p.name.startswith("dovecot.index") or p.name.startswith(
                    "dovecot.list.index"):
                p.unlink()
        after = self.uidvalidity(user)
        if after == before:
            raise RuntimeError(f"UIDVALIDITY did not change ({before})")
        return after


def start_dovecot(cert: Cert) -> Dovecot:
    root = Path(tempfile.mkdtemp(prefix="dv", dir="/tmp"))  # short: unix socket paths ≤ 108 chars
    root.chmod(0o755)
    nobody = pwd.getpwnam("nobody")
    (root / "mail").mkdir()
    os.chown(root / "mail", nobody.pw_uid, nobody.pw_gid)
    passwords = {f"u{i:03d}-{uuid.uuid4().hex[:6]}@example.org": uuid.uuid4().hex for i in range(USERS)}
    (root / "users").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in passwords.items()),
                                encoding="utf-8")
    shutil.copy(cert.cert, root / "cert.pem")
    shutil.copy(cert.key, root / "key.pem")
    imap_port, imaps_port = free_port(), free_port()
    (root / "dovecot.conf").write_text(CONF.format(
        t=root, cert=root / "cert.pem", key=root / "key.pem", imap_port=imap_port, imaps_port=imaps_port,
        uid=nobody.pw_uid, gid=nobody.pw_gid), encoding="utf-8")
    # Output to a file, not a pipe: the daemonized master inherits it and would keep a pipe open.
    with open(root / "start.log", "w+", encoding="utf-8") as out:
        proc = subprocess.run(["dovecot", "-c", str(root / "dovecot.conf")], stdout=out, stderr=out,
                              stdin=subprocess.DEVNULL, check=False)
        out.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"dovecot did not start: {out.read()}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", imaps_port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.02)
    return Dovecot(root, imap_port, imaps_port, str(root / "cert.pem"), passwords=passwords)


def stop_dovecot(server: Dovecot) -> None:
    """Stop by the master PID and wait until it is gone (~3 s)."""
    pid_file = server.root / "run" / "master.pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot(tls_cert: Cert) -> Iterator[Dovecot]:
    """One Dovecot for the session; skipped (with the reason) where it cannot run."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = start_dovecot(tls_cert)
    try:
        yield server
    finally:
        stop_dovecot(server)
