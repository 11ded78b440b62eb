"""How a receipt leaves: written to a folder (the embedded default) or sent by SMTP.

Kept apart from the outbox table (:mod:`intake.reply.outbox`), which decides *when* to send
and records the outcome; a transport only delivers one receipt and says how it went
(:class:`DeliveryError`: permanent or not, fatal to the connection or not).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import socket
import ssl
from email import policy
from email.parser import BytesParser
from pathlib import Path

from intake.config import Config, ConfigError, secret
from intake.store.objects import atomic_write
from intake.store.rows import OutboxRow

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """One receipt could not be delivered. ``permanent``: do not retry. ``fatal``: drop the connection."""

    def __init__(self, text: str, permanent: bool, fatal: bool = False) -> None:
        super().__init__(text)
        self.permanent = permanent
        self.fatal = fatal


def _reply_text(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {' '.join(text.split())}".strip()


def classify_smtp_error(e: Exception, password_env: str = "") -> DeliveryError:
    """Map smtplib's exceptions to retry / fail, with a last_error text staff can act on."""
    if isinstance(e, smtplib.SMTPAuthenticationError):
        where = f"${password_env}" if password_env else "the environment variable"
        return DeliveryError(
            f"SMTP login refused: {_reply_text(e.smtp_code, e.smtp_error)} — check reply.smtp.username and the "
            f"password / 授权码 (client authorization code, not the web password) in {where}",
            permanent=False, fatal=True)
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        code, resp = next(iter(e.recipients.values()), (451, b"recipient refused"))
        return DeliveryError(f"recipient refused: {_reply_text(code, resp)}", permanent=code >= 500)
    if isinstance(e, smtplib.SMTPSenderRefused):
        # MAIL FROM refused: not this receipt's fault but the account's (no login, from_addr not the
        # account, sending quota), so it is retried and the batch stops rather than failing every row.
        return DeliveryError(
            f"sender refused: {_reply_text(e.smtp_code, e.smtp_error)} — check reply.smtp.username and that "
            "reply.from_addr is that account's address", permanent=False, fatal=True)
    if isinstance(e, smtplib.SMTPResponseException):
        code = e.smtp_code
        text = _reply_text(code, e.smtp_error)
        if "DT:SPM" in text:
            text += " (rejected as spam by the server; see 163.com help_spam_16)"
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

    def deliver(self, row: OutboxRow, mail_from: str) -> str | None:
        target = self.path_for(row)
        if target.exists():
            return None
        try:
            atomic_write(target, row.raw)
        except OSError as e:
            raise DeliveryError(f"cannot write {target}: {e}", permanent=False, fatal=True) from e
        return None

    def close(self) -> None:
        pass


def _message_id_of(raw: bytes) -> str:
    return str(BytesParser(policy=policy.default).parsebytes(raw, headersonly=True).get("Message-ID") or "").strip()


class SmtpTransport:
    """One authenticated connection, opened on first use and reused for the whole batch."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.conn: smtplib.SMTP | None = None

    def _tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()  # verification on: system CAs ...
        if self.cfg.reply.smtp.ca_file:
            ctx.load_verify_locations(str(self.cfg.path(self.cfg.reply.smtp.ca_file)))  # ... plus this one
        return ctx

    def _connect(self) -> smtplib.SMTP:
        s = self.cfg.reply.smtp
        conn: smtplib.SMTP
        if s.security == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
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

    def deliver(self, row: OutboxRow, mail_from: str) -> str | None:
        """Send one mail; None, or (several recipients, some refused) which ones and why."""
        recipients = row.recipients
        if not row.to_addr.isascii():  # would need SMTPUTF8, which 163.com / QQ do not offer
            raise DeliveryError(f"recipient address is not ASCII: {row.to_addr!r}", permanent=True)
        try:
            if self.conn is None:
                self.conn = self._connect()
            refused = self.conn.sendmail(mail_from, recipients, row.raw)
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


def _quietly_close(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except OSError:
        pass


def make_transport(cfg: Config) -> FolderTransport | SmtpTransport:
    if cfg.reply.transport == "smtp":
        return SmtpTransport(cfg)
    return FolderTransport(cfg.outbox_dir)
