"""How a receipt leaves: written to a folder (the embedded default) or sent by SMTP.

Kept apart from the outbox table (:mod:`intake.reply.outbox`), which decides *when* to send
and records the outcome; a transport only delivers one receipt and says how it went
(:class:`DeliveryError`: permanent or not, fatal to the connection or not, and — for 163.com's
tagged refusals — how long to wait, whether to hold all sending, whether to send a plainer body).

163.com's refusals are classified by their tag, not their number: NetEase reuses reply codes
across meanings and told integrators to match the tag in the text (docs/field-facts.md, "NetEase
(163.com) mail"). :data:`NETEASE` is the table; a refusal without a known tag falls back on the
code (4xx retried with back-off, 5xx failed and shown to staff).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from intake.config import Config, ConfigError, secret
from intake.store.objects import atomic_write
from intake.store.rows import OutboxRow

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """One receipt could not be delivered. ``permanent``: do not retry. ``fatal``: drop the connection.

    From a tagged 163.com refusal also: ``tag`` (e.g. ``"MI:SFQ"``), ``retry_after`` (the least
    wait before this receipt is tried again), ``hold`` (pause ALL sending: ``"window"`` for
    :data:`HOLD_WINDOW`, ``"day"`` until the next day, ``"config"`` until the config is fixed) and
    ``plain`` (the next attempt sends the text part only).
    """

    def __init__(self, text: str, permanent: bool, fatal: bool = False, *, tag: str | None = None,
                 retry_after: timedelta | None = None, hold: str | None = None, plain: bool = False) -> None:
        super().__init__(text)
        self.permanent = permanent
        self.fatal = fatal
        self.tag = tag
        self.retry_after = retry_after
        self.hold = hold
        self.plain = plain


@dataclass(frozen=True)
class Reaction:
    """What one 163.com tag means and what the sender does about it."""

    meaning: str
    permanent: bool = False
    fatal: bool = False  # stop the batch (the account, not this receipt, is refused)
    retry_after: timedelta | None = None
    hold: str | None = None  # window | day | config
    plain: bool = False


HOLD_WINDOW = timedelta(minutes=15)  # MI:SFQ: "发信人在15分钟内的发信数量超过限制"
#: a reused connection idle this long is checked with NOOP before the next mail (a few ms; a handshake is ~40)
IDLE_CHECK_SECONDS = 1.0
SPAM_RETRY = timedelta(minutes=2)  # DT:SPM: NetEase's text asks to keep the mail queued and retry after ~2 minutes

NETEASE: dict[str, Reaction] = {
    "DT:SPM": Reaction("163.com judged the content to be spam; retried in 2 minutes or more with the "
                       "plain-text body only (same Message-ID)", retry_after=SPAM_RETRY, plain=True),
    "MI:SFQ": Reaction("the account sent more than 163.com allows in 15 minutes; all sending paused for 15 minutes",
                       fatal=True, hold="window"),
    "RP:QRC": Reaction("the account reached 163.com's short-term recipient limit; all sending paused for 15 minutes",
                       fatal=True, hold="window"),
    "MI:STC": Reaction("the account reached 163.com's daily limit; all sending paused until tomorrow — tell staff",
                       fatal=True, hold="day"),
    "RP:TRC": Reaction("the account reached 163.com's daily recipient limit; all sending paused until tomorrow — "
                       "tell staff", fatal=True, hold="day"),
    "DT:SUM": Reaction("envelope sender and From header differ: a configuration error (reply.from_addr must be "
                       "the account reply.smtp.username); not retried, all sending paused until the reply config "
                       "is fixed (then `intake outbox --retry`)", permanent=True, fatal=True, hold="config"),
}
# HL:* are refusals of the sending IP (too many connections, too much mail, suspended for spam):
# the account's problem, not the receipt's, so they pause all sending like MI:SFQ.
IP_BAN = Reaction("163.com refuses the sending IP for now (HL:*); all sending paused for 15 minutes",
                  fatal=True, hold="window")
_TAG = re.compile(r"\b(DT|MI|RP|HL):([A-Z]{3})\b")


def netease_tag(text: str) -> str | None:
    m = _TAG.search(text)
    return f"{m.group(1)}:{m.group(2)}" if m else None


def _tagged(code: int, text: str, stage: str) -> DeliveryError | None:
    """The refusal per :data:`NETEASE` when its text carries a known tag, else None."""
    tag = netease_tag(text)
    if tag is None:
        return None
    reaction = NETEASE.get(tag) or (IP_BAN if tag.startswith("HL:") else None)
    if reaction is None:
        return None
    return DeliveryError(f"{stage}{text} — {tag}: {reaction.meaning}", permanent=reaction.permanent,
                         fatal=reaction.fatal or code == 421, tag=tag, retry_after=reaction.retry_after,
                         hold=reaction.hold, plain=reaction.plain)


def _reply_text(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {' '.join(text.split())}".strip()


def classify_smtp_error(e: Exception, password_env: str = "") -> DeliveryError:
    """Map smtplib's exceptions to retry / fail, with a last_error text staff can act on.

    A 163.com tag (:data:`NETEASE`) decides before the reply code, at whatever stage it comes
    (MAIL FROM, RCPT TO or DATA).
    """
    if isinstance(e, DeliveryError):
        return e
    if isinstance(e, smtplib.SMTPAuthenticationError):
        where = f"${password_env}" if password_env else "the environment variable"
        return DeliveryError(
            f"SMTP login refused: {_reply_text(e.smtp_code, e.smtp_error)} — check reply.smtp.username and the "
            f"password / 授权码 (client authorization code, not the web password) in {where}",
            permanent=False, fatal=True)
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        code, resp = next(iter(e.recipients.values()), (451, b"recipient refused"))
        text = _reply_text(code, resp)
        return (_tagged(code, text, "recipient refused: ")
                or DeliveryError(f"recipient refused: {text}", permanent=code >= 500, fatal=code == 421))
    if isinstance(e, smtplib.SMTPResponseException):
        tagged = _tagged(e.smtp_code, _reply_text(e.smtp_code, e.smtp_error),
                         "sender refused: " if isinstance(e, smtplib.SMTPSenderRefused) else "")
        if tagged is not None:
            return tagged
    if isinstance(e, smtplib.SMTPSenderRefused):
        # MAIL FROM refused: not this receipt's fault but the account's (no login, from_addr not the
        # account, sending quota), so it is retried and the batch stops rather than failing every row.
        return DeliveryError(
            f"sender refused: {_reply_text(e.smtp_code, e.smtp_error)} — check reply.smtp.username and that "
            "reply.from_addr is that account's address", permanent=False, fatal=True)
    if isinstance(e, smtplib.SMTPResponseException):
        code = e.smtp_code
        text = _reply_text(code, e.smtp_error)
        # no known tag: 4xx retried with back-off, 5xx failed and shown to staff.
        # 421: the server is closing the connection; any other code leaves the session usable.
        return DeliveryError(text, permanent=500 <= code < 600, fatal=code == 421 or code < 400)
    if isinstance(e, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"connection lost: {e}", permanent=False, fatal=True)
    if isinstance(e, ssl.SSLCertVerificationError):
        return DeliveryError(f"TLS certificate not trusted: {e.verify_message or e} (set reply.smtp.ca_file?)",
                             permanent=False, fatal=True)
    if isinstance(e, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"server does not support what the config asks: {e}", permanent=False, fatal=True)
    if isinstance(e, ConfigError):
        return DeliveryError(str(e), permanent=False, fatal=True)
    if isinstance(e, socket.timeout | TimeoutError):
        return DeliveryError(f"timeout: {e}", permanent=False, fatal=True)
    if isinstance(e, OSError | smtplib.SMTPException):
        return DeliveryError(f"connection error: {type(e).__name__}: {e}", permanent=False, fatal=True)
    return DeliveryError(f"{type(e).__name__}: {e}", permanent=False, fatal=True)


# ---------------------------------------------------------------- transports


class FolderTransport:
    """Writes each receipt to ``<outbox_dir>/<message_pk>-<hash>.eml`` (the embedded default);
    reminders and alerts to ``reminder-<pk>-<hash>.eml`` / ``alert-<pk>-<hash>.eml``.

    The name depends only on the row, and the file appears atomically (temp file, fsync,
    rename), so a crash before the row is marked sent finds the file and does not write again.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, row: OutboxRow) -> Path:
        digest = hashlib.sha256(_message_id_of(row.raw).encode() or row.raw).hexdigest()[:16]
        if row.reminder_pk is not None:
            return self.directory / f"reminder-{row.reminder_pk}-{digest}.eml"
        if row.alert_pk is not None:
            return self.directory / f"alert-{row.alert_pk}-{digest}.eml"
        return self.directory / f"{row.message_pk}-{digest}.eml"

    def deliver(self, row: OutboxRow, mail_from: str, raw: bytes | None = None,
                before_data: Callable[[], None] | None = None) -> str | None:
        """Write the file unless it exists. ``before_data`` is not called: writing again is harmless."""
        target = self.path_for(row)
        if target.exists():
            return None
        try:
            atomic_write(target, row.raw if raw is None else raw)
        except OSError as e:
            raise DeliveryError(f"cannot write {target}: {e}", permanent=False, fatal=True) from e
        return None

    def close(self) -> None:
        pass


@functools.lru_cache(maxsize=4)
def _verifying_context(ca_file: str | None, _stamp: int) -> ssl.SSLContext:
    """System CAs plus ``ca_file``, verification on; made once per CA file (and its mtime) and shared:
    loading the system CA bundle costs ~40 ms of CPU, which a receipt sent on its own connection paid
    every time (2.5 s of the daemon's 17 s CPU in a 60-message backlog). A context may be used by
    several connections and threads at once. A failure is not cached (lru_cache keeps only results)."""
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(ca_file)
    return ctx


def _message_id_of(raw: bytes) -> str:
    return str(BytesParser(policy=policy.default).parsebytes(raw, headersonly=True).get("Message-ID") or "").strip()


class SmtpTransport:
    """One authenticated connection, opened on first use and reused for the whole batch — and, held by the
    daemon, for the next batches while receipts keep coming (a TLS handshake and AUTH per receipt were
    most of the main process's CPU in a rush). A connection idle for :data:`IDLE_CHECK_SECONDS` is
    asked NOOP before the next mail: one the server dropped meanwhile is replaced, not counted against
    the receipt."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.conn: smtplib.SMTP | None = None
        self._used = 0.0  # time.monotonic() of the connection's last command

    def _tls_context(self) -> ssl.SSLContext:
        ca = self.cfg.path(self.cfg.reply.smtp.ca_file) if self.cfg.reply.smtp.ca_file else None
        try:
            stamp = ca.stat().st_mtime_ns if ca is not None else 0
        except OSError:
            stamp = -1  # missing: load_verify_locations says so, on every connection
        return _verifying_context(str(ca) if ca is not None else None, stamp)

    def _connect(self) -> smtplib.SMTP:
        s = self.cfg.reply.smtp
        conn: smtplib.SMTP
        if s.security == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            _no_delay(conn)
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=self._tls_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, secret(s.password_env, "reply.smtp.password_env"))
        except BaseException:
            _quietly_close(conn)
            raise
        return conn

    def deliver(self, row: OutboxRow, mail_from: str, raw: bytes | None = None,
                before_data: Callable[[], None] | None = None) -> str | None:
        """Send one mail; None, or (several recipients, some refused) which ones and why.

        ``raw`` replaces the row's bytes (the plain variant after DT:SPM); ``before_data`` runs
        after the envelope was accepted and just before DATA (the outbox commits ``sending``
        there), so everything up to it is known not to have delivered anything.
        """
        recipients = row.recipients
        if not row.to_addr.isascii():  # would need SMTPUTF8, which 163.com / QQ do not offer
            raise DeliveryError(f"recipient address is not ASCII: {row.to_addr!r}", permanent=True)
        self._drop_if_dead()
        try:
            if self.conn is None:
                self.conn = self._connect()
            self._used = time.monotonic()
            refused = _sendmail(self.conn, mail_from, recipients, row.raw if raw is None else raw, before_data)
        except Exception as e:
            err = classify_smtp_error(e, self.cfg.reply.smtp.password_env)
            if err.fatal:
                self.close()
            else:
                self._reset()
            raise err from e
        if not refused:
            return None
        return "; ".join(f"recipient refused: {addr}: {_reply_text(code, resp)}" for addr, (code, resp) in refused.items())

    def _drop_if_dead(self) -> None:
        """A connection left idle may have been closed by the server (they time idle sessions out): NOOP
        finds out, and a dead one is closed so the next mail opens a fresh one."""
        if self.conn is None or time.monotonic() - self._used < IDLE_CHECK_SECONDS:
            return
        try:
            code, _ = self.conn.noop()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code == 250:
            self._used = time.monotonic()
        else:
            _quietly_close(self.conn)
            self.conn = None

    def _reset(self) -> None:
        """After a refused message the session stays open; RSET clears the half-done transaction."""
        if self.conn is not None:
            try:
                self.conn.rset()
            except (smtplib.SMTPException, OSError):
                self.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(self.conn)
            self.conn = None


def _sendmail(conn: smtplib.SMTP, mail_from: str, recipients: list[str], payload: bytes,
              before_data: Callable[[], None] | None) -> dict[str, tuple[int, bytes]]:
    """:meth:`smtplib.SMTP.sendmail`, with ``before_data`` called between the last RCPT and DATA.

    Raises what sendmail raises (SMTPSenderRefused, SMTPRecipientsRefused when every recipient was
    refused, SMTPDataError); returns the refused recipients when some were accepted. The caller
    resets or closes the session after an error.
    """
    conn.ehlo_or_helo_if_needed()
    options = [f"size={len(payload)}"] if conn.does_esmtp and conn.has_extn("size") else []
    code, resp = conn.mail(mail_from, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, resp, mail_from)
    refused: dict[str, tuple[int, bytes]] = {}
    for addr in recipients:
        code, resp = conn.rcpt(addr)
        if code not in (250, 251):
            refused[addr] = (code, resp)
            if code == 421:  # the server is closing the connection
                raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        raise smtplib.SMTPRecipientsRefused(refused)
    if before_data is not None:
        before_data()
    code, resp = conn.data(payload)
    if code != 250:
        raise smtplib.SMTPDataError(code, resp)
    return refused


def _no_delay(conn: smtplib.SMTP) -> None:
    """Small commands go out at once: with Nagle's algorithm, MAIL FROM after a mail's DATA on a reused
    connection waited for the server's delayed ACK (~40 ms for a 22 KB receipt, measured on 127.0.0.1)."""
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


def _quietly_close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except OSError:
        pass


def make_transport(cfg: Config) -> FolderTransport | SmtpTransport:
    if cfg.reply.transport == "smtp":
        return SmtpTransport(cfg)
    return FolderTransport(cfg.outbox_dir)
