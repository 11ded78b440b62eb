"""The rig the daemon benchmarks share: real Dovecot and aiosmtpd on 127.0.0.1, ``intake run`` as a
real subprocess between them, and the instruments that watch it from outside.

Why from outside: the daemon's own timers cannot see what a sender sees (APPEND → receipt at the
SMTP server), and an in-process run shares its memory and cores with the benchmark. So:

- :class:`ImapProxy` sits between the daemon and Dovecot (TLS on both sides, our test certificate)
  and timestamps every tagged command and its completion: that counts the commands of an idle poll
  and tells when the daemon's first ``UID FETCH`` of a backlog went out.
- :class:`ReceiptClock` timestamps each receipt as the SMTP server accepts it, keyed by the
  submission's Message-ID (the receipt's In-Reply-To).
- :class:`Sampler` samples the daemon's process tree (main, fork server, reading workers,
  LibreOffice) for RSS and CPU, and the machine's per-core busy time, with psutil.

Servers come from ``tests/servers`` (the integration tests' own), so the benchmark and the tests
exercise the same set-up. Needs root (Dovecot drops to ``nobody``) and ``dovecot-imapd``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]  # no stubs in the venv; tests/processes.py uses it too

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.servers.certs import Cert, make_cert  # noqa: E402
from tests.servers.dovecot import Dovecot, start_dovecot, stop_dovecot, unavailable_reason  # noqa: E402
from tests.servers.smtp import SmtpServer, start_smtp_server  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
SMTP_ENV = "INTAKE_BENCH_SMTP_PASSWORD"
MARK_ENV = "QC_TEST_MARK"  # tests/processes.py finds leftovers by it


# ------------------------------------------------------------------ receipts at the SMTP server


class ReceiptClock:
    """When each receipt reached the SMTP server (monotonic seconds), by the submission it answers.

    The receipt's ``In-Reply-To`` is the submission's Message-ID (intake/reply/receipt.py), so no
    guessing is needed to pair them. The capture handler is wrapped, not replaced, so the server
    behaves exactly as in the tests.
    """

    def __init__(self, smtp: SmtpServer) -> None:
        self.at: dict[str, float] = {}
        self.cond = threading.Condition()
        handler = smtp.handler
        original = handler.handle_DATA

        async def handle_data(server: Any, session: Any, envelope: Any) -> str:
            answer = await original(server, session, envelope)
            if answer.startswith("250"):
                content = envelope.original_content or envelope.content or b""
                raw = content.encode() if isinstance(content, str) else bytes(content)
                head = BytesHeaderParser().parsebytes(raw)
                key = str(head.get("In-Reply-To") or "").strip()
                with self.cond:
                    self.at.setdefault(key, time.monotonic())
                    self.cond.notify_all()
            return answer

        handler.handle_DATA = handle_data  # type: ignore[method-assign]

    def reset(self) -> None:
        """Forget earlier receipts: scenarios reuse the corpus, so the same Message-IDs come back."""
        with self.cond:
            self.at.clear()

    def wait(self, message_ids: Iterable[str], timeout: float) -> bool:
        """Block until every one of ``message_ids`` has its receipt, or ``timeout`` passed."""
        wanted = set(message_ids)
        end = time.monotonic() + timeout
        with self.cond:
            while not wanted <= self.at.keys():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 1.0))
        return True


# ------------------------------------------------------------------ IMAP commands, counted on the wire


@dataclass
class ImapEvent:
    t: float  # time.monotonic()
    conn: int
    kind: str  # "cmd" (client sent a tagged command) or "done" (server's tagged completion)
    tag: str
    name: str  # command name for "cmd" (UID FETCH, NOOP, …); completion status for "done"


_COMMAND = re.compile(rb"^([A-Za-z0-9.]+) ((?:UID )?[A-Za-z]+)")


class ImapProxy:
    """A TLS relay on 127.0.0.1 in front of Dovecot's implicit-TLS port that logs tagged commands.

    Why a proxy and not imapclient's debug log or Dovecot's rawlog: it sees exactly what crosses the
    wire from the unmodified daemon subprocess, with timestamps, and needs no server plug-in. It
    terminates TLS with the test certificate the daemon already trusts (``ca_file``). The relay adds
    well under a millisecond per command on 127.0.0.1.
    """

    def __init__(self, upstream_port: int, cert: Cert) -> None:
        self.upstream_port = upstream_port
        self.server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_ctx.load_cert_chain(str(cert.cert), str(cert.key))
        self.client_ctx = ssl.create_default_context(cafile=str(cert.cert))
        self.events: list[ImapEvent] = []
        self.users: dict[int, str] = {}  # connection → LOGIN user
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._conns = 0
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, name="imap-proxy", daemon=True).start()

    def close(self) -> None:
        self.sock.close()
        for s in list(self._open):
            try:
                s.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            # no Nagle on either leg: a relayed small write would otherwise wait for the peer's delayed
            # ACK (~40 ms) and every command would look that slow
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            down = self.server_ctx.wrap_socket(raw, server_side=True)
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            up = self.client_ctx.wrap_socket(upstream, server_hostname="127.0.0.1")
        except (OSError, ssl.SSLError):
            raw.close()
            return
        with self.lock:
            self._conns += 1
            conn = self._conns
            self._open += [down, up]
        pending: set[str] = set()
        t = threading.Thread(target=self._pump_down, args=(up, down, conn, pending), daemon=True)
        t.start()
        self._pump_up(down, up, conn, pending)
        t.join(timeout=5)

    def _pump_up(self, src: ssl.SSLSocket, dst: ssl.SSLSocket, conn: int, pending: set[str]) -> None:
        """Client → server: each complete line that starts with a tag and a command name is a command."""
        buf = b""
        quickack = getattr(socket, "TCP_QUICKACK", None)
        try:
            while data := src.recv(65536):
                now = time.monotonic()
                if quickack is not None:  # imapclient writes a command in pieces: ACK each at once, or its
                    src.setsockopt(socket.IPPROTO_TCP, quickack, 1)  # Nagle waits for our delayed ACK
                buf += data
                *lines, buf = buf.split(b"\r\n")
                for line in lines:
                    m = _COMMAND.match(line)
                    if not m:
                        continue  # DONE after IDLE, a literal's bytes
                    tag, name = m.group(1).decode(), m.group(2).decode().upper()
                    with self.lock:
                        pending.add(tag)
                        self.events.append(ImapEvent(now, conn, "cmd", tag, name))
                        if name == "LOGIN":
                            parts = line.split(b" ")
                            self.users[conn] = parts[2].strip(b'"').decode() if len(parts) > 2 else "?"
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src, dst)

    def _pump_down(self, src: ssl.SSLSocket, dst: ssl.SSLSocket, conn: int, pending: set[str]) -> None:
        """Server → client: a tagged completion (``TAG OK|NO|BAD``) at a line start ends a command.

        Only the outstanding tags are looked for (a FETCH literal is megabytes of message text)."""
        tail = b""
        quickack = getattr(socket, "TCP_QUICKACK", None)
        try:
            while data := src.recv(262144):
                now = time.monotonic()
                if quickack is not None:  # Linux: ACK at once, so the server's Nagle does not hold its
                    src.setsockopt(socket.IPPROTO_TCP, quickack, 1)  # next write for our delayed ACK (40 ms)
                dst.sendall(data)
                window = tail + data
                with self.lock:
                    for tag in list(pending):
                        for status in (b"OK", b"NO", b"BAD"):
                            needle = tag.encode() + b" " + status
                            i = window.find(needle)
                            if i >= 0 and (i == 0 and not tail or window[i - 2:i] == b"\r\n"):
                                pending.discard(tag)
                                self.events.append(ImapEvent(now, conn, "done", tag, status.decode()))
                                break
                tail = window[-64:]
        except OSError:
            pass
        finally:
            _close(src, dst)

    # -- queries ---------------------------------------------------------------------------------

    def conns_of(self, user: str) -> set[int]:
        with self.lock:
            return {c for c, u in self.users.items() if u == user}

    def commands(self, user: str, since: float = 0.0) -> list[ImapEvent]:
        conns = self.conns_of(user)
        with self.lock:
            return [e for e in self.events if e.conn in conns and e.t >= since and e.kind == "cmd"]

    def first(self, user: str, name: str, since: float = 0.0) -> float | None:
        """When ``user``'s daemon first sent ``name`` (e.g. ``UID FETCH``) after ``since``."""
        return next((e.t for e in self.commands(user, since) if e.name == name), None)

    def bursts(self, user: str, since: float, gap: float = 0.25) -> list[tuple[int, float, list[str]]]:
        """The conversation cut where the line was quiet for ``gap`` s: (commands, seconds, names) each.

        A polling daemon that finds nothing new makes one burst per poll; its length runs from the
        first command sent to the last completion received."""
        conns = self.conns_of(user)
        with self.lock:
            evs = [e for e in self.events if e.conn in conns and e.t >= since]
        out: list[tuple[int, float, list[str]]] = []
        cur: list[ImapEvent] = []
        for e in evs:
            if cur and e.kind == "cmd" and e.t - cur[-1].t > gap:
                out.append(_burst(cur))
                cur = []
            cur.append(e)
        if cur:
            out.append(_burst(cur))
        return out


def _burst(evs: list[ImapEvent]) -> tuple[int, float, list[str]]:
    cmds = [e for e in evs if e.kind == "cmd"]
    return len(cmds), evs[-1].t - evs[0].t, [e.name for e in cmds]


def _close(*socks: socket.socket) -> None:
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


# ------------------------------------------------------------------ servers


@dataclass
class Rig:
    work: Path
    cert: Cert
    dovecot: Dovecot
    smtp: SmtpServer
    proxy: ImapProxy
    receipts: ReceiptClock
    daemons: list[DaemonProc] = field(default_factory=list)

    def append(self, user: str, raw: bytes, msg_time: datetime | None = None) -> float:
        """APPEND one message on a fresh connection (as a sender's server would); when it completed."""
        self.dovecot.append(user, raw, msg_time=msg_time)
        return time.monotonic()

    def multiappend(self, user: str, items: list[tuple[bytes, datetime | None]], chunk: int = 500) -> float:
        """Put many messages in the mailbox at once (RFC 3502 MULTIAPPEND, so a daemon in IDLE sees
        each chunk appear whole); when the last chunk completed."""
        c = self.dovecot.client(user)
        try:
            for i in range(0, len(items), chunk):
                c.multiappend("INBOX", [{"msg": raw, **({"date": when} if when else {})}
                                        for raw, when in items[i:i + chunk]])
        finally:
            c.logout()
        return time.monotonic()

    def config(self, name: str, user: str, *, idle: bool, poll_seconds: float, outbox_seconds: float = 15.0,
               extra: str = "") -> Path:
        """A config for ``intake run`` on ``user``'s mailbox (through the proxy) and the SMTP server.

        Our own sending budget and the per-sender loop breaker are lifted (every submission is a
        different unit sending once; the budget is not what is measured)."""
        imap = self.dovecot.source_config(user)  # sets the IMAP password variable in our environment
        os.environ[SMTP_ENV] = self.smtp.password
        d = self.work / name
        d.mkdir(parents=True, exist_ok=True)
        conf = d / "intake.toml"
        conf.write_text(f"""\
[storage]
data_dir = "{d / 'var'}"
[source]
kind = "imap"
[source.imap]
host = "127.0.0.1"
port = {self.proxy.port}
security = "ssl"
username = "{user}"
password_env = "{imap.password_env}"
ca_file = "{imap.ca_file}"
idle = {str(idle).lower()}
timeout = 60.0
[schedule]
poll_seconds = {poll_seconds}
outbox_seconds = {outbox_seconds}
[reply]
transport = "smtp"
from_addr = "{self.smtp.username}"
max_per_sender_per_hour = 100000
max_per_15_minutes = 100000
max_per_day = 100000
[reply.smtp]
host = "{self.smtp.host}"
port = {self.smtp.port}
security = "{self.smtp.security}"
username = "{self.smtp.username}"
password_env = "{SMTP_ENV}"
ca_file = "{self.smtp.ca_file}"
timeout = 30.0
{extra}""", encoding="utf-8")
        return conf

    def start_daemon(self, conf: Path) -> DaemonProc:
        """Start ``intake run`` on ``conf``. One daemon runs at a time (the earlier ones are stopped), so
        the receipt clock starts afresh for it."""
        for old in self.daemons:
            old.stop()
        self.receipts.reset()
        d = DaemonProc(conf)
        self.daemons.append(d)
        return d


def start_rig(work: Path) -> Rig:
    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    cert = make_cert(work / "tls")
    dovecot = start_dovecot(cert)
    try:
        smtp = start_smtp_server(cert)
    except Exception:
        stop_dovecot(dovecot)
        raise
    return Rig(work, cert, dovecot, smtp, ImapProxy(dovecot.imaps_port, cert), ReceiptClock(smtp))


def stop_rig(rig: Rig) -> None:
    for d in rig.daemons:
        d.stop()
    rig.proxy.close()
    rig.smtp.stop()
    stop_dovecot(rig.dovecot)


# ------------------------------------------------------------------ the daemon subprocess


class DaemonProc:
    """``intake run -c CONF`` as its own process (so RSS and CPU are the daemon's, not ours)."""

    def __init__(self, conf: Path) -> None:
        self.conf = conf
        self.log = conf.parent / "daemon.log"
        env = dict(os.environ, PYTHONPATH=str(ROOT), **{MARK_ENV: f"bench-{os.getpid()}"})
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([PY, "-m", "intake.cli", "run", "-c", str(conf)], cwd=conf.parent,
                                         env=env, stdout=out, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)

    def tree(self) -> list[psutil.Process]:
        try:
            return [self.ps, *self.ps.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM (the daemon finishes the message in hand), then SIGKILL if it will not go."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_until(cond: Any, timeout: float, what: str, daemon: DaemonProc | None = None) -> None:
    """Poll ``cond()`` every 50 ms; a dead daemon or the timeout is an error naming ``what``."""
    end = time.monotonic() + timeout
    while not cond():
        if daemon is not None and not daemon.alive():
            raise RuntimeError(f"daemon exited while waiting for {what}:\n{daemon.tail()}")
        if time.monotonic() > end:
            raise TimeoutError(f"no {what} within {timeout:g}s" + (f":\n{daemon.tail()}" if daemon else ""))
        time.sleep(0.05)


# ------------------------------------------------------------------ RSS and CPU


class Sampler:
    """Samples, every ``interval`` s while running: the RSS of the daemon's whole process tree (summed:
    main + fork server + workers + LibreOffice, as ``ps`` would add them up), the CPU seconds the tree
    used, and the busy share of every core of the machine (``/proc/stat`` via psutil, so other jobs on
    the machine count too — hence the load average beside every result)."""

    def __init__(self, daemon: DaemonProc, interval: float = 0.1, pss: bool = False) -> None:
        self.daemon = daemon
        self.interval = interval
        self.pss = pss  # also the proportional set size (shared pages split between the processes: the
        # fork server's preloaded readers are shared copy-on-write, so summed RSS counts them per worker)
        self.peak_pss = 0
        self.peak_rss = 0
        self.peak_single_rss = 0
        self.peak_main_rss = 0  # the daemon's own process (fetch, unpack, ledger, receipts): what it holds of a message
        self._cpu: dict[int, float] = {}  # pid → last seen user+system seconds
        self._role: dict[int, str] = {}  # pid → "main", "office" (LibreOffice) or "readers" (fork server, workers)
        self._cpu0: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._per_core0 = psutil.cpu_times(percpu=True)
        for p in self.daemon.tree():  # CPU spent before the window does not count
            try:
                t = p.cpu_times()
                self._cpu0[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        self.t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.seconds = time.monotonic() - self.t0
        per_core1 = psutil.cpu_times(percpu=True)
        self.core_busy_pct = [_busy_pct(a, b) for a, b in zip(self._per_core0, per_core1, strict=True)]

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        total = pss = 0
        for p in self.daemon.tree():
            try:
                rss = p.memory_info().rss
                t = p.cpu_times()
                if self.pss:
                    pss += p.memory_full_info().pss
            except psutil.Error:
                continue
            total += rss
            self.peak_single_rss = max(self.peak_single_rss, rss)
            if p.pid == self.daemon.ps.pid:
                self.peak_main_rss = max(self.peak_main_rss, rss)
            self._cpu[p.pid] = t.user + t.system
            if p.pid not in self._role:
                self._role[p.pid] = "main" if p.pid == self.daemon.ps.pid else _role(p)
        self.peak_rss = max(self.peak_rss, total)
        self.peak_pss = max(self.peak_pss, pss)

    @property
    def tree_cpu_seconds(self) -> float:
        """CPU seconds of the tree in the window (a process's last < interval before it ended is lost)."""
        return sum(v - self._cpu0.get(pid, 0.0) for pid, v in self._cpu.items())

    @property
    def cpu_by_role(self) -> dict[str, float]:
        """The tree's CPU seconds split by what the process does: where a backlog's time goes beyond reading."""
        out = {"main": 0.0, "readers": 0.0, "office": 0.0}
        for pid, v in self._cpu.items():
            out[self._role.get(pid, "readers")] += v - self._cpu0.get(pid, 0.0)
        return {k: round(v, 2) for k, v in out.items()}


def _role(p: psutil.Process) -> str:
    try:
        name = " ".join([p.name(), *p.cmdline()[:1]])
    except psutil.Error:
        return "readers"
    return "office" if "soffice" in name or "oosplash" in name else "readers"


def _busy_pct(a: Any, b: Any) -> float:
    total = sum(b) - sum(a)
    idle = (b.idle - a.idle) + (getattr(b, "iowait", 0.0) - getattr(a, "iowait", 0.0))
    return round(100.0 * (total - idle) / total, 1) if total > 0 else 0.0


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
