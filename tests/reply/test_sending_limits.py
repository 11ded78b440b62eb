"""163.com's refusals by their tag, not their number, and our own sending budget, against a real aiosmtpd server.

The server answers with NetEase's texts (``451 DT:SPM …``, ``451 MI:SFQ …``, ``554 MI:STC …``,
``553 DT:SUM …``); each test checks the row's state, its next attempt and the pause of all sending.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.config import Config
from intake.reply import limits
from intake.reply.outbox import retry_failed, send_pending
from intake.reply.transports import classify_smtp_error
from intake.store.rows import SenderStateRow
from tests.reply.test_smtp_send import queue, rows, use_server
from tests.servers.smtp import SmtpServer

T0 = datetime(2020, 9, 14, 2, 31, tzinfo=UTC)  # 10:31 Beijing time
NEXT_DAY = datetime(2020, 9, 14, 16, 0, tzinfo=UTC)  # 2020-09-15 00:00 Beijing time
SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.integration

SPM_451 = "451 DT:SPM 163 smtp7,C8CowAD3nCi1k19fQ3dBBQ--.1234S2 1600050660,please see http://mail.163.com/help/help_spam_16.htm?ip=1.2.3.4"
SPM_554 = "554 DT:SPM 163 smtp10,DsCowABHBsl3l19fkVFCAQ--.55S2 1600050660,please see http://mail.163.com/help/help_spam_16.htm?ip=1.2.3.4"
SFQ = "451 MI:SFQ 163 smtp7,C8CowAD3nCi1k19fQ3dBBQ--.1234S2 1600050660,please see http://mail.163.com/help/help_spam_16.htm"
QRC = "451 RP:QRC 163 smtp7,C8CowAD3nCi1k19fQ3dBBQ--.1234S2 1600050660"
IFC = "421 HL:IFC 163 smtp7,C8CowAD3nCi1k19fQ3dBBQ--.1234S2 1600050660"
STC = "554 MI:STC 163 smtp7,C8CowAD3nCi1k19fQ3dBBQ--.1234S2 1600050660,please see http://mail.163.com/help/help_spam_16.htm"
TRC = "550 RP:TRC 163 smtp7,C8CowAD3nCi1k19fQ3dBBQ--.1234S2 1600050660"
SUM = "553 DT:SUM 163 smtp7,C8CowAD3nCi1k19fQ3dBBQ--.1234S2 1600050660,please see http://mail.163.com/help/help_spam_16.htm"


def aware(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def pause(engine: Engine) -> SenderStateRow | None:
    with Session(engine) as s:
        return s.exec(select(SenderStateRow)).first()


def send(cfg: Config, engine: Engine, at: datetime) -> int:
    return send_pending(cfg, engine, now=lambda: at, tz=SHANGHAI)


@pytest.fixture
def two(smtp_server: SmtpServer, engine: Engine, add_message: Callable[..., int], cfg: Config, campaign: Any,
        monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """The SMTP server and two queued receipts (to a@163.com and b@163.com)."""
    use_server(cfg, smtp_server, monkeypatch)
    queue(engine, add_message, cfg, campaign, ["a@163.com", "b@163.com"])
    return smtp_server


# ---------------------------------------------------------------- DT:SPM


@pytest.mark.parametrize("answer", [SPM_451, SPM_554])
def test_spam_verdict_is_retried_later_with_the_text_part_only(two: SmtpServer, engine: Engine, cfg: Config,
                                                               answer: str) -> None:
    two.fail_next(1, answer)
    assert send(cfg, engine, T0) == 1  # the verdict is about this body: the batch goes on
    first, second = rows(engine)
    assert (first.state, first.attempts, first.plain) == ("pending", 1, True)
    assert "DT:SPM" in (first.last_error or "") and "plain-text" in (first.last_error or "")
    assert aware(first.next_attempt_at) == T0 + timedelta(minutes=2)
    assert second.state == "sent" and pause(engine) is None  # nothing held
    assert send(cfg, engine, T0 + timedelta(minutes=1)) == 0  # not before two minutes
    assert send(cfg, engine, T0 + timedelta(minutes=2)) == 1
    original = message_from_bytes(first.raw, policy=policy.default)
    assert original.is_multipart()  # the queued receipt had its HTML alternative
    resent = message_from_bytes(two.messages[-1][2], policy=policy.default)
    assert not resent.is_multipart() and resent.get_content_type() == "text/plain"
    assert resent["Message-ID"] == original["Message-ID"] == first.message_id  # the same mail
    for header in ("Subject", "In-Reply-To", "References", "From", "To", "Auto-Submitted"):
        assert resent[header] == original[header], header
    assert resent.get_content() == original.get_body(("plain",)).get_content()
    assert rows(engine)[0].state == "sent"


# ---------------------------------------------------------------- MI:SFQ / RP:QRC / HL:*


@pytest.mark.parametrize(("answer", "tag", "stage"), [
    (SFQ, "MI:SFQ", "DATA"), (QRC, "RP:QRC", "DATA"), (SFQ, "MI:SFQ", "RCPT"), (IFC, "HL:IFC", "DATA"),
])
def test_short_term_limit_holds_all_sending_for_15_minutes(two: SmtpServer, engine: Engine, cfg: Config,
                                                           answer: str, tag: str, stage: str) -> None:
    two.fail_next(1, answer, stage)
    assert send(cfg, engine, T0) == 0
    first, second = rows(engine)
    assert (first.state, first.attempts) == ("pending", 0)  # the account's limit, not this receipt's fault
    assert tag in (first.last_error or "") and "15 minutes" in (first.last_error or "")
    assert aware(first.next_attempt_at) == T0 + timedelta(minutes=15)
    assert (second.state, second.attempts, second.last_error) == ("pending", 0, None)  # not even tried
    held = pause(engine)
    assert held is not None and (held.kind, held.tag) == ("window", tag)
    assert aware(held.paused_until) == T0 + timedelta(minutes=15)
    assert send(cfg, engine, T0 + timedelta(minutes=5)) == 0  # the second row is due, but ALL sending waits
    assert two.messages == []
    assert send(cfg, engine, T0 + timedelta(minutes=15, seconds=1)) == 2
    assert [r.state for r in rows(engine)] == ["sent", "sent"]


# ---------------------------------------------------------------- MI:STC / RP:TRC


@pytest.mark.parametrize(("answer", "tag", "stage"), [(STC, "MI:STC", "DATA"), (TRC, "RP:TRC", "RCPT")])
def test_daily_limit_stops_sending_until_the_next_campaign_day(two: SmtpServer, engine: Engine, cfg: Config,
                                                               answer: str, tag: str, stage: str) -> None:
    two.fail_next(1, answer, stage)
    assert send(cfg, engine, T0) == 0
    first, second = rows(engine)
    assert (first.state, first.attempts) == ("pending", 0)  # a 5xx, and still not failed: the tag decides
    assert aware(first.next_attempt_at) == NEXT_DAY
    assert second.attempts == 0
    held = pause(engine)
    assert held is not None and (held.kind, held.tag, held.sender) == ("day", tag, cfg.reply.smtp.username)
    assert aware(held.paused_until) == NEXT_DAY and "tell staff" in (held.reason or "")
    with Session(engine) as s:  # what `intake outbox` / `intake status` read
        [shown] = limits.pauses(s, T0 + timedelta(hours=1))
    assert shown["active"] and shown["paused_until"] == NEXT_DAY and tag in shown["reason"]
    assert send(cfg, engine, NEXT_DAY - timedelta(minutes=1)) == 0
    assert two.messages == []
    assert send(cfg, engine, NEXT_DAY + timedelta(seconds=1)) == 2
    with Session(engine) as s:
        assert not limits.pauses(s, NEXT_DAY + timedelta(seconds=1))[0]["active"]


def test_the_next_day_is_the_campaign_time_zone_s() -> None:
    assert limits.next_day(T0, SHANGHAI) == NEXT_DAY
    assert limits.next_day(T0, ZoneInfo("Europe/Berlin")) == datetime(2020, 9, 14, 22, 0, tzinfo=UTC)
    assert limits.next_day(NEXT_DAY, SHANGHAI) == NEXT_DAY + timedelta(days=1)  # at midnight: the day after


# ---------------------------------------------------------------- DT:SUM


def test_envelope_from_mismatch_fails_is_never_retried_and_holds_sending(two: SmtpServer, engine: Engine,
                                                                         cfg: Config) -> None:
    two.fail_next(1, SUM)
    assert send(cfg, engine, T0) == 0
    first, second = rows(engine)
    assert first.state == "failed" and "DT:SUM" in (first.last_error or "")
    assert "reply.from_addr" in (first.last_error or "") and first.next_attempt_at is None
    assert (second.state, second.attempts) == ("pending", 0)
    held = pause(engine)
    assert held is not None and (held.kind, held.paused_until) == ("config", None)
    assert send(cfg, engine, T0 + timedelta(days=3)) == 0  # never by itself
    assert two.messages == [] and rows(engine)[0].state == "failed"
    # staff fix the config (here: the From address) — the pause was for the old config
    cfg.reply.from_addr = "qc-intake2@example.org"
    assert send(cfg, engine, T0 + timedelta(days=3)) == 1
    assert rows(engine)[0].state == "failed"  # the refused one waits for staff: `intake outbox --retry`
    assert retry_failed(engine) == 1
    assert send(cfg, engine, T0 + timedelta(days=3)) == 1
    assert [m[1] for m in two.messages] == [["b@163.com"], ["a@163.com"]]


def test_outbox_retry_lifts_a_config_pause(two: SmtpServer, engine: Engine, cfg: Config) -> None:
    two.fail_next(1, SUM)
    assert send(cfg, engine, T0) == 0
    assert limits.clear_pauses(engine, T0) == 1 and retry_failed(engine) == 1  # what `intake outbox --retry` does
    assert send(cfg, engine, T0 + timedelta(minutes=1)) == 2


# ---------------------------------------------------------------- untagged answers


def test_unknown_tag_and_untagged_4xx_are_retried_with_back_off(two: SmtpServer, engine: Engine, cfg: Config) -> None:
    two.fail_next(1, "451 MI:XYZ 163 smtp7 something new")
    two.fail_next(1, "452 4.3.1 Insufficient system storage")
    assert send(cfg, engine, T0) == 0
    for row in rows(engine):
        assert (row.state, row.attempts, row.plain) == ("pending", 1, False)
        assert aware(row.next_attempt_at) == T0 + timedelta(minutes=1)
    assert pause(engine) is None
    assert send(cfg, engine, T0 + timedelta(minutes=1)) == 2


def test_classification_table() -> None:
    import smtplib

    def c(code: int, text: str) -> Any:
        return classify_smtp_error(smtplib.SMTPDataError(code, text.encode()))

    spm = c(554, "DT:SPM 163 smtp7")
    assert (spm.tag, spm.permanent, spm.fatal, spm.plain, spm.hold) == ("DT:SPM", False, False, True, None)
    assert spm.retry_after == timedelta(minutes=2)
    assert (c(451, "MI:SFQ x").hold, c(451, "RP:QRC x").hold) == ("window", "window")
    assert (c(554, "MI:STC x").hold, c(550, "RP:TRC x").hold) == ("day", "day")
    dsum = c(553, "DT:SUM x")
    assert (dsum.hold, dsum.permanent, dsum.fatal) == ("config", True, True)
    assert c(554, "5.7.1 rejected").permanent and not c(451, "4.3.0 later").permanent
    assert c(550, "this is no DT:SPMX tag").tag is None


# ---------------------------------------------------------------- our own budget


def test_budget_per_15_minutes_defers_and_fails_nothing(smtp_server: SmtpServer, engine: Engine,
                                                        add_message: Callable[..., int], cfg: Config, campaign: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    cfg.reply.max_per_15_minutes = 2
    queue(engine, add_message, cfg, campaign, ["a@163.com", "b@qq.com", "c@126.com", "d@163.com"])
    assert send(cfg, engine, T0) == 2
    sent, waiting = rows(engine)[:2], rows(engine)[2:]
    assert [r.state for r in sent] == ["sent", "sent"]
    for row in waiting:
        assert (row.state, row.attempts) == ("pending", 0)
        assert "sending budget" in (row.last_error or "") and "max_per_15_minutes" in (row.last_error or "")
        assert aware(row.next_attempt_at) == T0 + timedelta(minutes=15)
    assert send(cfg, engine, T0 + timedelta(minutes=10)) == 0
    assert len(smtp_server.messages) == 2
    assert send(cfg, engine, T0 + timedelta(minutes=15)) == 2
    assert [r.state for r in rows(engine)] == ["sent"] * 4


def test_budget_per_day_defers_to_the_next_campaign_day(smtp_server: SmtpServer, engine: Engine,
                                                        add_message: Callable[..., int], cfg: Config, campaign: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    use_server(cfg, smtp_server, monkeypatch)
    cfg.reply.max_per_day = 3
    queue(engine, add_message, cfg, campaign, [f"u{i}@163.com" for i in range(5)])
    assert send(cfg, engine, T0) == 3
    assert send(cfg, engine, T0 + timedelta(hours=3)) == 0
    waiting = rows(engine)[3:]
    assert all(r.state == "pending" and r.attempts == 0 and aware(r.next_attempt_at) == NEXT_DAY for r in waiting)
    assert "max_per_day" in (waiting[0].last_error or "")
    assert send(cfg, engine, NEXT_DAY) == 2
    assert len(smtp_server.messages) == 5


def test_the_folder_transport_has_no_budget(engine: Engine, add_message: Callable[..., int], cfg: Config,
                                            campaign: Any, tmp_path: Path) -> None:
    cfg.reply.max_per_15_minutes = 1
    cfg.reply.max_per_day = 1
    queue(engine, add_message, cfg, campaign, ["a@163.com", "b@163.com", "c@163.com"])
    assert send(cfg, engine, T0) == 3
