"""The IMAP source (imapclient): incremental by UID, UIDVALIDITY remembered, never deletes.

Server requirements, by method:

- ``fetch``: LOGIN; ``ID`` is sent when advertised (163.com refuses SELECT without it);
  SELECT; ``UID SEARCH UID n:*`` (RFC 3501) — one cheap command answers "anything new?", and is
  asked again (after a NOOP) after each round that found mail, so mail arriving during a pass joins it;
  ``UID FETCH BODY.PEEK[] INTERNALDATE`` in batches of explicit UIDs (imapclient 4.x cannot
  take ``1:*``, env-facts §1). PEEK, so fetching alone never marks anything read.
- ``done``: STORE ``\\Seen``; or MOVE (RFC 6851) when ``after = "move"``, falling back to
  COPY + ``\\Seen`` without MOVE (the message stays, so nothing is ever lost by a failed move).
- ``wait``: IDLE (RFC 2177) when advertised; otherwise returns False at once.

The resume point (``MailboxStateRow.last_uid``) only moves in ``done``, i.e. after the daemon
committed the message; a UIDVALIDITY change resets it to 0 and the daemon's dedupe (same bytes)
keeps the re-fetched messages from becoming duplicates.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake import __version__ as _version
from intake.config import ConfigError, ImapSourceConfig, secret
from intake.fetch import Incoming
from intake.store.rows import MailboxStateRow

log = logging.getLogger(__name__)

#: how long one fetch goes on taking mail that arrives while it runs; then the pass ends (and, having had
#: mail, is followed at once by another) — so a pass's end-of-pass work is never put off for long
FOLLOW_SECONDS = 60.0
BATCH = 20  # messages per FETCH at most …
BATCH_BYTES = 16 * 1024 * 1024  # … and at most this many bytes (RFC822.SIZE): a batch of big messages is
# fetched one by one, so the daemon never holds 20 × 50 MB, and a cut connection re-fetches little
AUTH_BACKOFF_SECONDS = 600.0  # after a rejected login (revoked 授权码): no tight retry loop
IDLE_MAX_SECONDS = 540.0  # re-issue IDLE before servers drop it (~10 min)


class ImapSource:
    def __init__(self, cfg: ImapSourceConfig, engine: Engine) -> None:
        self.cfg = cfg
        self.engine = engine
        self.name = f"imap:{cfg.username}@{cfg.host}/{cfg.folder}"
        self.client: imapclient.IMAPClient | None = None
        self.uidvalidity: int | None = None
        self._auth_blocked_until = 0.0
        self._idle_since: float | None = None
        self._moved_folder_ready = False

    # -- connection --------------------------------------------------------------------------

    def _ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cfg.ca_file or None)

    def connect(self) -> imapclient.IMAPClient:
        """Connect, log in, identify (ID) and select the folder; reuse a live connection."""
        if self.client is not None:
            return self.client
        if time.monotonic() < self._auth_blocked_until or self._refused_recently():
            raise LoginError("login refused earlier; waiting before trying again (check the password/授权码)")
        password = secret(self.cfg.password_env, "source.imap.password_env")
        c = self.cfg
        client = imapclient.IMAPClient(c.host, port=c.port, ssl=c.security == "ssl",
                                       ssl_context=self._ssl_context(), timeout=c.timeout)
        client.normalise_times = False  # INTERNALDATE stays aware (UTC), not naive local time
        quiet_protocol_trace(client)
        try:
            if c.security == "starttls":
                client.starttls(self._ssl_context())
            try:
                client.login(c.username, password)
            except LoginError as e:
                self._auth_blocked_until = time.monotonic() + AUTH_BACKOFF_SECONDS
                log.error("IMAP login to %s as %s refused: %s — check %s (for 163.com: the 授权码, "
                          "not the web password); next attempt in %d s", c.host, c.username, e,
                          c.password_env, AUTH_BACKOFF_SECONDS)
                self._record(error=f"login refused: {e}", last_poll_at=datetime.now(UTC))
                raise
            if client.has_capability("ID"):
                ident = {"name": c.id_name, "version": _version, "vendor": c.id_vendor}
                if c.id_support_email:
                    ident["support-email"] = c.id_support_email
                client.id_(ident)
            info = client.select_folder(c.folder)
        except Exception:
            _quiet_logout(client)
            raise
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        self.client = client
        self._idle_since = None
        return client

    def close(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            if self._idle_since is not None:
                try:
                    client.idle_done()
                except Exception:  # noqa: BLE001 - closing anyway
                    pass
            _quiet_logout(client)

    def _refused_recently(self) -> bool:
        """The back-off after a refused login lives in the ledger, so a restart does not log in again at
        once (a revoked 授权码 hammered at every restart gets the mailbox locked)."""
        st = self._state()
        text = (st.last_error or "").lower()
        if not (text.startswith(("login refused", "loginerror"))) or st.last_poll_at is None:
            return False
        when = st.last_poll_at if st.last_poll_at.tzinfo else st.last_poll_at.replace(tzinfo=UTC)
        return (datetime.now(UTC) - when).total_seconds() < AUTH_BACKOFF_SECONDS

    # -- state in the ledger ---------------------------------------------------------------

    def _state(self) -> MailboxStateRow:
        with Session(self.engine) as s:
            st = s.get(MailboxStateRow, self.name)
            return st if st is not None else MailboxStateRow(source=self.name)

    def _record(self, **changes: object) -> None:
        with Session(self.engine) as s:
            st = s.get(MailboxStateRow, self.name) or MailboxStateRow(source=self.name)
            for k, v in changes.items():
                setattr(st, "last_error" if k == "error" else k, v)
            s.add(st)
            s.commit()

    # -- Source protocol ---------------------------------------------------------------------

    def fetch(self) -> Iterator[Incoming]:
        try:
            self._check_alive()
            client = self.connect()
        except (OSError, IMAPClientError, ConfigError):
            self.close()
            raise
        st = self._state()
        last = st.last_uid
        if st.uidvalidity != self.uidvalidity:
            if st.uidvalidity is not None:
                log.warning("%s: UIDVALIDITY changed %s → %s; re-reading the folder (duplicates are skipped)",
                            self.name, st.uidvalidity, self.uidvalidity)
            last = 0
            self._record(uidvalidity=self.uidvalidity, last_uid=0)
        try:
            reread = last == 0 and st.uidvalidity is not None
            until = time.monotonic() + FOLLOW_SECONDS
            while True:
                uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
                if not uids:
                    break
                sizes = self._sizes(client, uids, reread=reread)
                for batch in _batches([u for u in uids if u in sizes], sizes):
                    data = client.fetch(batch, [b"BODY.PEEK[]", b"INTERNALDATE"])
                    for uid in batch:
                        # taken out of the batch, so this generator keeps no reference to a message it has
                        # handed over: a 54 MB body is not still held while the next batch is fetched
                        item = data.pop(uid, None)
                        if item is None or b"BODY[]" not in item:  # expunged meanwhile by someone else
                            continue
                        incoming = Incoming(raw=bytes(item.pop(b"BODY[]")), ref=f"{self.uidvalidity}:{uid}",
                                            internal_date=_utc(item.get(b"INTERNALDATE")), uid=uid)
                        del item
                        yield incoming
                        del incoming
                    del data
                # mail that came while these were fetched is taken in the same pass (a NOOP and a UID SEARCH more),
                # so the read-ahead stays full under a rush instead of each pass ending with idle workers
                last, reread = uids[-1], False
                if time.monotonic() > until:
                    break
                client.noop()  # the session sees mail appended since its last sync only after one (Dovecot)
        except (OSError, IMAPClientError):
            self.close()  # reconnect at the next poll
            raise

    def _sizes(self, client: imapclient.IMAPClient, uids: list[int], reread: bool) -> dict[int, int]:
        """RFC822.SIZE of each UID to fetch (one command). After a UIDVALIDITY change (``reread``) the
        messages already in the ledger are recognised from their Message-ID and size before any body
        is downloaded again: they are marked done and left out."""
        if not uids:
            return {}
        items = [b"RFC822.SIZE", b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"] if reread else [b"RFC822.SIZE"]
        data = client.fetch(uids, items)
        sizes = {u: int(d.get(b"RFC822.SIZE") or 0) for u, d in data.items()}
        if reread:
            from intake.fetch.known import already_stored

            for uid in sorted(sizes):
                head = data[uid].get(b"BODY[HEADER.FIELDS (MESSAGE-ID)]") or b""
                if already_stored(self.engine, head, sizes[uid]):
                    log.info("%s: UID %s is already in the ledger (Message-ID and size): not fetched again",
                             self.name, uid)
                    self.done(Incoming(raw=b"", ref=f"{self.uidvalidity}:{uid}", uid=uid))
                    del sizes[uid]
        return sizes

    def _check_alive(self) -> None:
        """End IDLE and NOOP on a kept connection; close it when the server has dropped it."""
        if self.client is None:
            return
        try:
            self._end_idle()
            self.client.noop()
        except (OSError, IMAPClientError):
            self._idle_since = None
            self.close()

    def done(self, item: Incoming) -> None:
        """Mark (``\\Seen``) or move the message, then advance the resume point past it."""
        if item.uid is None or self.client is None:
            return
        client = self.client
        if self.cfg.after == "move":
            self._move(client, item.uid)
        else:
            client.add_flags([item.uid], [imapclient.SEEN], silent=True)
        st = self._state()
        if item.uid > st.last_uid:
            self._record(last_uid=item.uid, uidvalidity=self.uidvalidity)

    def _move(self, client: imapclient.IMAPClient, uid: int) -> None:
        target = self._server_name(client, self.cfg.move_to)
        if not self._moved_folder_ready:
            if not client.folder_exists(target):
                client.create_folder(target)
                log.info("%s: created folder %s", self.name, target)
            self._moved_folder_ready = True
        client.add_flags([uid], [imapclient.SEEN], silent=True)
        if client.has_capability("MOVE"):
            client.move([uid], target)
        else:  # COPY + \Seen: the original stays (we never delete or EXPUNGE)
            client.copy([uid], target)

    @staticmethod
    def _server_name(client: imapclient.IMAPClient, name: str) -> str:
        """``move_to`` is written with "/" for levels; use the server's own hierarchy delimiter."""
        if "/" not in name:
            return name
        try:
            listing = client.list_folders("", "")  # LIST "" "": just the delimiter (RFC 3501 §6.3.8)
            delim = listing[0][1] if listing else None
        except IMAPClientError:
            delim = None
        if isinstance(delim, bytes):
            delim = delim.decode()
        return name.replace("/", delim) if delim else name

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s in IDLE for new mail; False at once without IDLE support."""
        if not self.cfg.idle or self.client is None or not self.client.has_capability("IDLE"):
            return False
        now = time.monotonic()
        if self._idle_since is not None and now - self._idle_since > IDLE_MAX_SECONDS:
            self._end_idle()
        if self._idle_since is None:
            self.client.idle()
            self._idle_since = now
        responses = self.client.idle_check(timeout=timeout)
        if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
            self._end_idle()
            return True
        return False

    def _end_idle(self) -> None:
        if self._idle_since is not None and self.client is not None:
            self._idle_since = None
            self.client.idle_done()


def quiet_protocol_trace(client: imapclient.IMAPClient) -> None:
    """imaplib's protocol trace off unless its logger is asked for DEBUG.

    Why: IMAPClient sets imaplib's ``debug`` to 5 and routes it to the ``imapclient.imaplib`` logger;
    at that level imaplib formats every response it stores, literals included, with ``%r`` before
    the logger can decline it — a 54 MB message became a ~124 MB string for nothing, on top of the
    literal itself (and the CPU to make it). ``debug`` is an attribute of imaplib's own object, the
    only switch there is for it."""
    trace = logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG)
    client._imap.debug = 5 if trace else 0  # noqa: SLF001 - see the docstring


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def _batches(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    """UIDs in fetch batches of at most BATCH messages and BATCH_BYTES bytes (a bigger message alone)."""
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= BATCH or total + size > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def _quiet_logout(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may already be gone
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass
