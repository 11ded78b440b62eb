"""The outbox: one receipt per message, the folder transport, rate limiting and retry bookkeeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.config import Config
from intake.reply import outbox as reply
from intake.reply.outbox import backoff, enqueue, retry_failed, send_pending
from intake.reply.receipt import compose_receipt
from intake.store.rows import MessageRow, OutboxRow
from tests.reply.conftest import make_unpacked

T0 = datetime(2020, 9, 14, 2, 31, tzinfo=UTC)
OTHER_HOST = "another-host.invalid"


def receipt_for(cfg: Config, campaign: Any, sender: str = "zhangsan@163.com", subject: str = "推荐材料") -> EmailMessage:
    result = {"message": {"subject": subject}, "documents": [], "findings": [], "status": "complete"}
    return compose_receipt(cfg, campaign, make_unpacked(sender=sender, subject=subject), result, None)


def rows(engine: Engine) -> list[OutboxRow]:
    with Session(engine) as s:
        return list(s.exec(select(OutboxRow).order_by(OutboxRow.id)).all())


def queue(engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any, n: int = 1,
          sender: str = "zhangsan@163.com") -> list[int]:
    pks = [add_message(sender) for _ in range(n)]
    with Session(engine) as s:
        for i, pk in enumerate(pks):
            assert enqueue(s, pk, receipt_for(cfg, campaign, sender, f"推荐材料 第{i + 1}批"))
        s.commit()
    return pks


def test_enqueue_once_per_message(engine: Engine, add_message: Callable[..., int], cfg: Config,
                                  campaign: Any) -> None:
    pk = add_message()
    msg = receipt_for(cfg, campaign)
    with Session(engine) as s:
        assert enqueue(s, pk, msg) is True
        assert enqueue(s, pk, msg) is False
        s.commit()
    with Session(engine) as s:
        assert enqueue(s, pk, receipt_for(cfg, campaign, subject="另一个")) is False
        s.commit()
    [row] = rows(engine)
    assert (row.message_pk, row.state, row.attempts, row.to_addr) == (pk, "pending", 0, "zhangsan@163.com")
    assert row.subject == "回执：推荐材料"
    assert b"\r\n" in row.raw and b"\n" not in row.raw.replace(b"\r\n", b"")  # SMTP line endings
    assert message_from_bytes(row.raw, policy=policy.default)["Message-ID"].strip() == msg["Message-ID"]


def test_enqueue_leaves_the_commit_to_the_caller(engine: Engine, add_message: Callable[..., int], cfg: Config,
                                                 campaign: Any) -> None:
    pk = add_message()
    with Session(engine) as s:
        assert enqueue(s, pk, receipt_for(cfg, campaign))
        s.rollback()  # the daemon's transaction failed: no receipt without its message record
    assert rows(engine) == []


def test_racing_enqueue_loses_quietly_and_keeps_the_callers_work(
    engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two daemons on one ledger: the second insert meets the unique constraint, not an exception."""
    pk = add_message()
    with Session(engine) as s:
        assert enqueue(s, pk, receipt_for(cfg, campaign))
        s.commit()
    monkeypatch.setattr(reply, "_already_queued", lambda session, message_pk: False)  # the race window
    with Session(engine) as s:
        msg_row = s.get(MessageRow, pk)
        assert msg_row is not None
        msg_row.state = "processed"
        s.add(msg_row)
        assert enqueue(s, pk, receipt_for(cfg, campaign, subject="第二个")) is False
        s.commit()
    assert [r.subject for r in rows(engine)] == ["回执：推荐材料"]
    with Session(engine) as s:
        assert s.get(MessageRow, pk).state == "processed"


def test_folder_transport_writes_one_file_per_receipt(engine: Engine, add_message: Callable[..., int],
                                                      cfg: Config, campaign: Any) -> None:
    pks = queue(engine, add_message, cfg, campaign, n=2, sender="a@163.com")
    assert send_pending(cfg, engine, now=lambda: T0) == 2
    files = sorted(cfg.outbox_dir.glob("*.eml"))
    assert [f.name.split("-")[0] for f in files] == [str(pk) for pk in pks]
    assert not list(cfg.outbox_dir.glob(".tmp-*"))
    for f, row in zip(files, rows(engine), strict=True):
        assert f.read_bytes() == row.raw
        assert row.state == "sent" and row.sent_at is not None and row.attempts == 1
    # and never twice
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(hours=2)) == 0
    assert sorted(cfg.outbox_dir.glob("*.eml")) == files


def test_folder_transport_after_a_crash_does_not_write_again(engine: Engine, add_message: Callable[..., int],
                                                             cfg: Config, campaign: Any) -> None:
    queue(engine, add_message, cfg, campaign)
    assert send_pending(cfg, engine, now=lambda: T0) == 1
    [f] = cfg.outbox_dir.glob("*.eml")
    stamp = f.stat().st_mtime_ns
    with Session(engine) as s:  # the crash: the file was written, the "sent" commit was lost
        row = s.exec(select(OutboxRow)).one()
        row.state, row.sent_at = "pending", None
        s.add(row)
        s.commit()
    assert send_pending(cfg, engine, now=lambda: T0) == 1
    assert list(cfg.outbox_dir.glob("*.eml")) == [f] and f.stat().st_mtime_ns == stamp
    assert rows(engine)[0].state == "sent"


def test_unwritable_outbox_retries_with_backoff(engine: Engine, add_message: Callable[..., int], cfg: Config,
                                                campaign: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    cfg.reply.outbox_dir = str(blocker / "outbox")
    queue(engine, add_message, cfg, campaign)
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    [row] = rows(engine)
    assert row.state == "pending" and row.attempts == 1
    assert "cannot write" in (row.last_error or "")
    assert row.next_attempt_at is not None
    assert row.next_attempt_at.replace(tzinfo=UTC) == T0 + backoff(1)
    # not due yet: untouched
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(seconds=30)) == 0
    assert rows(engine)[0].attempts == 1
    # fixed, and due: delivered
    cfg.reply.outbox_dir = str(tmp_path / "outbox")
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(minutes=2)) == 1
    assert rows(engine)[0].state == "sent"


def test_gives_up_after_max_attempts(engine: Engine, add_message: Callable[..., int], cfg: Config,
                                     campaign: Any, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    cfg.reply.outbox_dir = str(tmp_path / "blocker" / "outbox")
    cfg.reply.max_attempts = 3
    queue(engine, add_message, cfg, campaign)
    t = T0
    for _ in range(5):
        send_pending(cfg, engine, now=lambda t=t: t)
        t += timedelta(hours=2)
    [row] = rows(engine)
    assert (row.state, row.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in (row.last_error or "")
    cfg.reply.outbox_dir = str(tmp_path / "outbox")
    assert retry_failed(engine) == 1
    assert send_pending(cfg, engine, now=lambda: t) == 1


def test_rate_limit_per_sender_defers(engine: Engine, add_message: Callable[..., int], cfg: Config,
                                      campaign: Any) -> None:
    cfg.reply.max_per_sender_per_hour = 2
    queue(engine, add_message, cfg, campaign, n=3, sender="robot@example.com")
    queue(engine, add_message, cfg, campaign, n=1, sender="person@163.com")
    assert send_pending(cfg, engine, now=lambda: T0) == 3
    states = [(r.to_addr, r.state) for r in rows(engine)]
    assert states == [("robot@example.com", "sent"), ("robot@example.com", "sent"),
                      ("robot@example.com", "pending"), ("person@163.com", "sent")]
    deferred = rows(engine)[2]
    assert deferred.attempts == 0 and "rate limit" in (deferred.last_error or "")
    assert deferred.next_attempt_at is not None and deferred.next_attempt_at.replace(tzinfo=UTC) == T0 + timedelta(hours=1)
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(minutes=30)) == 0
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(minutes=61)) == 1
    assert [r.state for r in rows(engine)] == ["sent"] * 4


def test_disabled_replies_send_nothing(engine: Engine, add_message: Callable[..., int], cfg: Config,
                                       campaign: Any) -> None:
    queue(engine, add_message, cfg, campaign)
    cfg.reply.enabled = False
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    assert rows(engine)[0].state == "pending"


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (20, 60)])
def test_backoff_doubles_up_to_an_hour(attempts: int, minutes: int) -> None:
    assert backoff(attempts) == timedelta(minutes=minutes)


def test_unanswerable_sender_ends_failed_not_crashed(engine: Engine, add_message: Callable[..., int], cfg: Config,
                                                     campaign: Any) -> None:
    """compose_receipt never crashes on an address it cannot write; the row fails visibly instead."""
    msg = receipt_for(cfg, campaign, sender="张三@例子.中国")
    assert msg["To"] is None
    pk = add_message()
    with Session(engine) as s:
        assert enqueue(s, pk, msg)
        s.commit()
    assert send_pending(cfg, engine, now=lambda: T0) == 0
    [row] = rows(engine)
    assert (row.state, row.last_error) == ("failed", "no recipient address")


def test_idn_domain_is_written_in_ascii(cfg: Config, campaign: Any) -> None:
    msg = receipt_for(cfg, campaign, sender="zhangsan@例子.中国")
    assert msg["To"].addresses[0].addr_spec == "zhangsan@xn--fsqu00a.xn--fiqs8s"


def test_row_taken_by_another_sender_is_skipped_and_the_batch_goes_on(
    engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, second = queue(engine, add_message, cfg, campaign, n=2)
    real_claim = reply._claim
    other = f"{OTHER_HOST} boot 4242 100"  # a sender on another machine, sharing the ledger

    def racing_claim(eng: Engine, row_id: int, at: datetime, token: str | None = None) -> bool:
        if row_id == rows(engine)[0].id:
            assert real_claim(eng, row_id, at, other)  # the other process wins the first row
        return real_claim(eng, row_id, at, token)

    monkeypatch.setattr(reply, "_claim", racing_claim)
    assert send_pending(cfg, engine, now=lambda: T0) == 1
    assert [f.name.split("-")[0] for f in cfg.outbox_dir.glob("*.eml")] == [str(second)]
    r1 = rows(engine)[0]
    assert r1.state == "pending" and r1.attempts == 0 and r1.claimed_by == other
    assert r1.next_attempt_at is not None and r1.next_attempt_at.replace(tzinfo=UTC) == T0 + reply.LEASE


def test_claim_from_another_host_is_trusted_for_the_lease(engine: Engine, add_message: Callable[..., int],
                                                          cfg: Config, campaign: Any) -> None:
    """Its liveness cannot be checked from here: the lease decides, as before."""
    queue(engine, add_message, cfg, campaign)
    assert reply._claim(engine, rows(engine)[0].id or 0, T0, f"{OTHER_HOST} boot 4242 100")  # then it died
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(minutes=1)) == 0
    assert send_pending(cfg, engine, now=lambda: T0 + reply.LEASE + timedelta(seconds=1)) == 1
    assert rows(engine)[0].state == "sent" and rows(engine)[0].claimed_by is None


def test_own_leftover_claim_is_released_at_the_next_run(engine: Engine, add_message: Callable[..., int],
                                                        cfg: Config, campaign: Any) -> None:
    """A claim of this very process that is not in hand (a run that raised) waits for nothing."""
    queue(engine, add_message, cfg, campaign)
    assert reply._claim(engine, rows(engine)[0].id or 0, T0)
    assert send_pending(cfg, engine, now=lambda: T0 + timedelta(seconds=1)) == 1
    [row] = rows(engine)
    assert (row.state, row.unknown_outcomes, row.claimed_by) == ("sent", 0, None)
