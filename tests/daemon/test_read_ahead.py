"""Read ahead (intake/record/ahead.py): a backlog's next messages are read while the oldest is recorded,
and yet everything is recorded, counted and marked done in arrival order."""

from __future__ import annotations

import threading

from sqlmodel import Session, col, select

from intake.fetch.folder import FolderSource
from intake.record.ahead import ReadAhead
from intake.record.process import Processor
from intake.run.daemon import Daemon
from intake.store.rows import MessageRow
from tests.fixtures.mail import build_message


def _drop_three(drop) -> None:  # noqa: ANN001
    for i in range(3):
        drop(f"{i:02d}.eml", build_message([], subject=f"第{i}封", message_id=f"<ahead{i}@x>"))


def _processed(daemon: Daemon) -> list[MessageRow]:
    with Session(daemon.engine) as s:
        return list(s.exec(select(MessageRow).order_by(col(MessageRow.id))).all())


def _one_pass(cfg) -> tuple:  # noqa: ANN001
    """One daemon pass over the inbox: its stats and the message rows after it."""
    daemon = Daemon(cfg)
    try:
        return daemon.run_pass(), _processed(daemon)
    finally:
        daemon.close()


def test_the_next_message_is_read_while_the_first_is_recorded_and_all_stays_in_order(cfg, drop, monkeypatch):
    cfg.workers.processes = 2
    _drop_three(drop)
    real_read, real_record = Processor.read, Processor.judge_record
    reads: list[str] = []
    second_read = threading.Event()
    recorded: list[str | None] = []
    done: list[str] = []

    def read(self, sha, raw=None):  # noqa: ANN001, ANN202
        reads.append(sha)
        if len(reads) == 1:  # one message at a time would wait here for ever
            assert second_read.wait(30), "the second message was not read while the first was"
        else:
            second_read.set()
        return real_read(self, sha, raw)

    def record(self, s, msg, read):  # noqa: ANN001, ANN202
        recorded.append(msg.subject)
        return real_record(self, s, msg, read)

    real_done = FolderSource.done

    def mark(self, item):  # noqa: ANN001, ANN202
        done.append(item.ref)
        return real_done(self, item)

    monkeypatch.setattr(Processor, "read", read)
    monkeypatch.setattr(Processor, "judge_record", record)
    monkeypatch.setattr(FolderSource, "done", mark)
    stats, rows = _one_pass(cfg)
    assert stats.processed == 3 and stats.failed == 0 and stats.sent == 3
    assert second_read.is_set()
    assert recorded == ["第0封", "第1封", "第2封"]  # recorded in arrival order
    assert [r.state for r in rows] == ["processed"] * 3
    assert [r.processed_at for r in rows] == sorted(r.processed_at for r in rows)
    assert [d.rsplit("/", 1)[-1] for d in done] == ["00.eml", "01.eml", "02.eml"]  # mailbox told in order


def test_large_messages_are_read_one_after_the_other(cfg, drop, monkeypatch):
    cfg.workers.processes = 2
    _drop_three(drop)
    events: list[str] = []
    real_read, real_record = Processor.read, Processor.judge_record

    def read(self, sha, raw=None):  # noqa: ANN001, ANN202
        events.append("read")
        return real_read(self, sha, raw)

    def record(self, s, msg, read):  # noqa: ANN001, ANN202
        events.append("record")
        return real_record(self, s, msg, read)

    monkeypatch.setattr(Processor, "read", read)
    monkeypatch.setattr(Processor, "judge_record", record)
    daemon = Daemon(cfg)
    try:
        pks = [daemon.ingest(item) for item in daemon.source.fetch()]
        with ReadAhead(daemon.processor, depth=2, max_bytes=1) as ahead:  # every message is "large"
            for pk in pks:
                ahead.add(pk)
            ahead.finish()
        rows = _processed(daemon)
    finally:
        daemon.close()
    assert events == ["read", "record"] * 3
    assert [r.state for r in rows] == ["processed"] * 3


def test_a_large_message_in_hand_is_recorded_before_the_next_is_fetched(cfg, drop, monkeypatch):
    """The daemon's pass: the next message's bytes are not fetched (held in memory) while a message of
    half the read-ahead bound or more is still being read."""
    from intake.record import ahead as ahead_mod

    cfg.workers.processes = 2
    _drop_three(drop)
    events: list[str] = []
    real_fetch, real_record = FolderSource.fetch, Processor.judge_record

    def fetch(self):  # noqa: ANN001, ANN202
        for item in real_fetch(self):
            events.append("fetch")
            yield item

    def record(self, s, msg, read, receipt=True):  # noqa: ANN001, ANN202
        events.append("record")
        return real_record(self, s, msg, read, receipt)

    monkeypatch.setattr(FolderSource, "fetch", fetch)
    monkeypatch.setattr(Processor, "judge_record", record)
    monkeypatch.setattr(ahead_mod, "MAX_BYTES", 2)  # every message is "large"
    stats, rows = _one_pass(cfg)
    assert events == ["fetch", "record"] * 3 and stats.processed == 3
    monkeypatch.setattr(ahead_mod, "MAX_BYTES", 32 * 1024 * 1024)  # small ones: fetched while others are read
    events.clear()
    for i in range(3):
        drop(f"1{i}.eml", build_message([], subject=f"又{i}封", message_id=f"<again{i}@x>"))
    _one_pass(cfg)
    assert events[:2] == ["fetch", "fetch"]


def test_a_reading_failure_is_that_message_s_alone(cfg, drop, monkeypatch):
    cfg.workers.processes = 2
    _drop_three(drop)
    real_read = Processor.read
    calls: list[str] = []

    def read(self, sha, raw=None):  # noqa: ANN001, ANN202
        calls.append(sha)
        if len(calls) == 2:
            raise OSError("disk trouble while reading ahead")
        return real_read(self, sha, raw)

    monkeypatch.setattr(Processor, "read", read)
    stats, rows = _one_pass(cfg)
    assert stats.processed == 2 and stats.failed == 1
    assert [r.state for r in rows] == ["processed", "failed", "processed"]
    assert "disk trouble while reading ahead" in (rows[1].error or "")
    assert rows[1].retry_at is not None  # tried again by itself later
