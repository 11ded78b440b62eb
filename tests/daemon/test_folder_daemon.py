"""The daemon pass on the folder source with the folder transport: order, dedupe, crash recovery."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlmodel import Session, select

from intake.fetch import Incoming
from intake.run.daemon import Daemon, run
from intake.store.objects import Store
from intake.store.rows import MessageRow, OutboxRow
from tests.daemon.conftest import ON_TIME
from tests.fixtures.mail import build_message


@pytest.fixture
def cfg(any_ledger_cfg):  # noqa: ANN001, ANN201 - every test here runs on SQLite and on PostgreSQL
    return any_ledger_cfg


def _rows(daemon: Daemon, model):  # noqa: ANN001, ANN202
    with Session(daemon.engine) as s:
        return list(s.exec(select(model).order_by(model.id)).all())


def test_folder_pass_end_to_end_writes_receipts_once(cfg, drop):
    drop("01.eml", build_message([("附件3 统计表.xlsx", b"PK\x03\x04 x")], received=ON_TIME,
                                 message_id="<a@x>"))
    drop("02.eml", build_message([], subject="补充", from_addr="li@example-hy.cn", message_id="<b@x>"))
    drop("notes.txt", b"not a message")

    stats = run(cfg, once=True)

    assert (stats.fetched, stats.processed, stats.failed, stats.sent) == (2, 2, 0, 2)
    outbox = sorted((cfg.data_dir / "outbox").glob("*.eml"))
    assert len(outbox) == 2
    daemon = Daemon(cfg)
    try:
        m1, m2 = _rows(daemon, MessageRow)
        assert (m1.source_ref, m2.source_ref) == ("01.eml", "02.eml")
        assert m1.received_at == ON_TIME.astimezone(UTC)  # the Received: header, not the file's mtime
        assert m1.raw_path.startswith("objects/") and Store(cfg.data_dir / "objects").get(m1.sha256)
        assert m1.state == m2.state == "processed" and m1.result["message"]["message_id"] == "<a@x>"
        assert {o.state for o in _rows(daemon, OutboxRow)} == {"sent"}
        # a second pass does nothing and sends nothing
        again = daemon.run_pass()
        assert (again.fetched, again.processed, again.sent) == (0, 0, 0)
    finally:
        daemon.close()
    assert sorted((cfg.data_dir / "outbox").glob("*.eml")) == outbox


def test_maildir_files_are_taken_once_even_after_a_client_moves_them(cfg):
    inbox = cfg.path("inbox")
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir()
    (inbox / "new" / "1600000000.M1P1.host").write_bytes(build_message([], message_id="<m1@x>"))
    (inbox / "cur" / "1600000001.M2P1.host:2,S").write_bytes(build_message([], subject="二", message_id="<m2@x>"))
    assert run(cfg, once=True).processed == 2
    (inbox / "new" / "1600000000.M1P1.host").rename(inbox / "cur" / "1600000000.M1P1.host:2,S")
    assert run(cfg, once=True).fetched == 0


def test_same_message_id_and_body_is_a_duplicate_but_a_changed_body_is_not(cfg):
    base = build_message([("附件2 工作总结.docx", b"PK\x03\x04 v1")], message_id="<same@x>")
    redelivered = b"Received: from relay2 by mx; Mon, 14 Sep 2020 10:32:00 +0800\r\n" + base
    changed = build_message([("附件2 工作总结.docx", b"PK\x03\x04 v2")], message_id="<same@x>")
    daemon = Daemon(cfg)
    try:
        assert daemon.ingest(Incoming(base, "a")) is not None
        assert daemon.ingest(Incoming(base, "a-again")) is None  # same bytes
        assert daemon.ingest(Incoming(redelivered, "b")) is None  # same Message-ID, same body
        assert daemon.ingest(Incoming(changed, "c")) is not None  # a real resend with new content
    finally:
        daemon.close()


def test_a_message_left_stored_by_a_crash_is_processed_at_the_next_pass(cfg):
    daemon = Daemon(cfg)
    try:
        pk = daemon.ingest(Incoming(build_message([], message_id="<crash@x>"), "x.eml"))
        [msg] = _rows(daemon, MessageRow)
        assert msg.state == "stored" and msg.id == pk  # committed before any parsing
        stats = daemon.run_pass()
        assert stats.processed == 1 and stats.sent == 1
        assert _rows(daemon, MessageRow)[0].state == "processed"
    finally:
        daemon.close()


def test_a_storage_failure_stops_the_pass_without_recording_and_is_retried(cfg, drop, monkeypatch):
    drop("01.eml", build_message([], message_id="<disk@x>"))
    real_put = Store.put
    calls = {"n": 0}

    def failing_put(self, data, *digest):  # noqa: ANN001, ANN002, ANN202
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("No space left on device")
        return real_put(self, data, *digest)

    monkeypatch.setattr(Store, "put", failing_put)
    first = run(cfg, once=True)
    assert first.processed == 0 and first.sent == 0
    second = run(cfg, once=True)
    assert second.processed == 1 and second.sent == 1


def test_reply_disabled_records_why_no_receipt(cfg, drop):
    cfg.reply.enabled = False
    drop("01.eml", build_message([], message_id="<off@x>"))
    assert run(cfg, once=True).sent == 0
    daemon = Daemon(cfg)
    try:
        [msg] = _rows(daemon, MessageRow)
        assert "disabled" in msg.no_receipt_reason and _rows(daemon, OutboxRow) == []
    finally:
        daemon.close()


@pytest.mark.parametrize("missing", ["nope"])
def test_a_missing_inbox_folder_is_not_fatal(cfg, missing):
    cfg.source.folder.path = missing
    assert run(cfg, once=True).fetched == 0


def test_a_message_interrupted_by_kills_is_never_set_aside(cfg, drop):
    """A daemon killed from outside while it had a message in hand says nothing about the message."""
    daemon = Daemon(cfg)
    try:
        pk = daemon.ingest(Incoming(build_message([], message_id="<killed@x>"), "k.eml"))
        # as if many earlier starts were killed (SIGKILL, restarts) with this message in hand: still 'stored'
        stats = daemon.run_pass()
        [msg] = _rows(daemon, MessageRow)
        assert msg.id == pk and msg.state == "processed" and stats.processed == 1
    finally:
        daemon.close()


def test_a_failed_message_is_retried_by_itself_with_growing_delays(cfg, drop, monkeypatch):
    from datetime import datetime, timedelta

    from intake.record import process as process_mod

    drop("01.eml", build_message([], message_id="<flaky@x>"))
    real = process_mod.Processor.judge_record
    calls = []

    def flaky(self, s, msg, read):  # noqa: ANN001, ANN202
        calls.append(msg.id)
        if len(calls) <= 2:
            raise OSError("disk trouble")
        return real(self, s, msg, read)

    monkeypatch.setattr(process_mod.Processor, "judge_record", flaky)
    daemon = Daemon(cfg)
    try:
        assert daemon.run_pass().failed == 1
        [m] = _rows(daemon, MessageRow)
        assert m.state == "failed" and m.attempts == 1 and m.retry_at is not None
        first_delay = m.retry_at.replace(tzinfo=UTC) - datetime.now(UTC)
        assert timedelta(minutes=1) < first_delay <= process_mod.RETRY_FIRST
        assert daemon.run_pass().processed == 0 and len(calls) == 1  # not before its time
        from intake.staff.status import status_data

        with Session(daemon.engine) as s:
            [shown] = status_data(s, 600)["failed_messages"]  # staff see it, and when it is tried again
        assert shown["id"] == m.id and shown["attempts"] == 1 and "disk trouble" in shown["error"]
        assert shown["retry_at"] is not None
        with Session(daemon.engine) as s:  # its time has come
            row = s.get(MessageRow, m.id)
            row.retry_at = datetime.now(UTC) - timedelta(seconds=1)
            s.add(row)
            s.commit()
        assert daemon.run_pass().failed == 1
        [m] = _rows(daemon, MessageRow)
        assert m.attempts == 2
        assert m.retry_at.replace(tzinfo=UTC) - datetime.now(UTC) > first_delay * 3  # growing
        with Session(daemon.engine) as s:
            row = s.get(MessageRow, m.id)
            row.retry_at = datetime.now(UTC) - timedelta(seconds=1)
            s.add(row)
            s.commit()
        assert daemon.run_pass().processed == 1
        [m] = _rows(daemon, MessageRow)
        assert m.state == "processed" and m.error is None
    finally:
        daemon.close()
    assert process_mod.retry_delay(20) == process_mod.RETRY_MAX
