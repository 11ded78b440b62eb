"""IMAP source options: STARTTLS, the ID command, COPY fallback without MOVE, and the IDLE loop."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import imapclient
import pytest

from intake.run.daemon import Daemon, run
from intake.run.scheduler import _idle_loop
from tests.fixtures.mail import build_message

pytestmark = pytest.mark.integration
SENT = datetime(2020, 9, 14, 10, 31, tzinfo=timezone(timedelta(hours=8)))


def test_starttls_and_id_command(dovecot, make_cfg, ledger):
    user = dovecot.new_user()
    dovecot.append(user, build_message([], message_id="<tls@x>"), msg_time=SENT)
    imap = dovecot.source_config(user, security="starttls", port=dovecot.imap_port, id_support_email="ops@example.org")
    cfg = make_cfg(imap=imap)
    assert run(cfg, once=True).processed == 1
    log = dovecot.log()
    assert f"user=<{user}>" in log and 'ID sent: name=qc-intake' in log and "support-email=ops@example.org" in log


def test_certificate_verification_is_on(dovecot, make_cfg, ledger):
    user = dovecot.new_user()
    cfg = make_cfg(imap=dovecot.source_config(user, ca_file=""))  # self-signed server, no CA given
    daemon = Daemon(cfg)
    try:
        assert daemon.run_pass().fetched == 0
        assert "CERTIFICATE_VERIFY_FAILED" in ledger(cfg).mailbox_state(daemon.source.name).last_error
    finally:
        daemon.close()


def test_move_falls_back_to_copy_without_move_capability(dovecot, make_cfg, monkeypatch):
    user = dovecot.new_user()
    dovecot.append(user, build_message([], message_id="<cp@x>"), msg_time=SENT)
    real = imapclient.IMAPClient.has_capability
    monkeypatch.setattr(imapclient.IMAPClient, "has_capability",
                        lambda self, cap: False if cap.upper() == "MOVE" else real(self, cap))
    cfg = make_cfg(imap=dovecot.source_config(user, after="move", move_to="Archive/2020"))
    assert run(cfg, once=True).processed == 1
    assert dovecot.count(user, "Archive.2020") == 1  # "/" written in the config, the server uses "."
    assert dovecot.count(user, "INBOX") == 1  # the original stays (never deleted), marked seen
    assert b"\\Seen" in dovecot.flags(user)[1]
    assert run(cfg, once=True).fetched == 0


def test_idle_loop_processes_new_mail_within_seconds_and_stops(dovecot, make_cfg, ledger):
    user = dovecot.new_user()
    cfg = make_cfg(imap=dovecot.source_config(user, idle=True))
    cfg.schedule.poll_seconds = 300  # only IDLE can explain a fast pick-up
    daemon = Daemon(cfg)
    stop = threading.Event()
    t = threading.Thread(target=_idle_loop, args=(cfg, daemon, stop), daemon=True)
    t.start()
    try:
        time.sleep(0.5)
        dovecot.append(user, build_message([], message_id="<idle-loop@x>"), msg_time=SENT)
        began = time.monotonic()
        while time.monotonic() - began < 10 and not ledger(cfg).messages():
            time.sleep(0.1)
        assert [m.message_id for m in ledger(cfg).messages()] == ["<idle-loop@x>"]
        assert time.monotonic() - began < 5
    finally:
        stop.set()
        t.join(timeout=5)
        daemon.close()
    assert not t.is_alive()


def _fetch_peak(dovecot, make_cfg, raw: bytes) -> tuple[int, bytes]:  # noqa: ANN001
    """Traced peak of Python memory while the IMAP source fetches the one message ``raw``, and its bytes."""
    import tracemalloc

    from intake.fetch.imap import ImapSource
    from intake.store.migrations import open_ledger

    user = dovecot.new_user()
    dovecot.append(user, raw, msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user))
    source = ImapSource(cfg.source.imap, open_ledger(cfg))
    try:
        source.connect()
        tracemalloc.start()
        try:
            got = [item.raw for item in source.fetch()]
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        source.close()
    assert len(got) == 1
    return peak, got[0]


def test_a_fetched_message_is_held_once_not_formatted_for_the_protocol_trace(dovecot, make_cfg, caplog):
    """IMAPClient turns on imaplib's trace (debug 5), which formats every stored response with %r before
    the logger declines it: an 8 MB message cost ~27 MB more. Off unless the imaplib logger wants DEBUG."""
    payload = bytes(range(256)) * (8 * 4096)  # 8 MiB of bytes that repr into \\x.. escapes
    raw = build_message([("附件3 统计表.pdf", payload)], message_id="<big-trace@x>")
    peak, got = _fetch_peak(dovecot, make_cfg, raw)
    assert got == raw
    assert peak < 1.6 * len(raw)
    caplog.set_level("DEBUG", logger="imapclient.imaplib")  # someone asked for the protocol trace: it is kept
    peak, _ = _fetch_peak(dovecot, make_cfg, raw)
    assert peak > 2.5 * len(raw)
