"""End to end against a real Dovecot (IMAP) and a real aiosmtpd (SMTP) on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import imapclient
import pytest

from intake.fetch.imap import ImapSource
from intake.record.process import Processor
from intake.run.daemon import Daemon, run
from tests.fixtures.mail import build_message
from tests.integration.conftest import parse

CST = timezone(timedelta(hours=8))
SENT = datetime(2020, 9, 14, 10, 31, tzinfo=CST)

pytestmark = pytest.mark.integration


def submission(**kw) -> bytes:  # noqa: ANN003
    kw.setdefault("received", SENT)
    return build_message([("附件1 申报表.docx", b"PK\x03\x04 not really a docx")], **kw)


def test_imap_pass_records_marks_seen_and_sends_one_threaded_receipt(dovecot, smtp_server, make_cfg, ledger):
    user = dovecot.new_user()
    raw = submission(message_id="<first.qc@example-zhixie.cn>")
    dovecot.append(user, raw, msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user), smtp=smtp_server)

    stats = run(cfg, once=True)

    assert (stats.fetched, stats.processed, stats.failed, stats.sent) == (1, 1, 0, 1)
    led = ledger(cfg)
    [msg] = led.messages()
    assert msg.state == "processed" and msg.message_id == "<first.qc@example-zhixie.cn>"
    assert msg.received_at == SENT  # INTERNALDATE, not the Date: header
    assert msg.source_ref.endswith(":1")
    assert b"\\Seen" in dovecot.flags(user)[1]
    assert smtp_server.wait_for(1)
    mail_from, rcpts, content = smtp_server.messages[0]
    receipt = parse(content)
    assert rcpts == ["zhangsan@example-zhixie.cn"]
    assert receipt["In-Reply-To"] == "<first.qc@example-zhixie.cn>"
    assert "<first.qc@example-zhixie.cn>" in receipt["References"]
    assert str(receipt["Subject"]).startswith("回执：")
    [ob] = led.outbox()
    assert ob.state == "sent" and ob.message_pk == msg.id

    # (b) a second pass: nothing new, nothing sent twice
    stats = run(cfg, once=True)
    assert (stats.fetched, stats.processed, stats.sent) == (0, 0, 0)
    assert len(led.messages()) == 1 and len(smtp_server.messages) == 1
    assert led.mailbox_state(f"imap:{user}@127.0.0.1/INBOX").last_uid == 1


def test_uidvalidity_change_creates_no_duplicate_and_no_second_receipt(dovecot, smtp_server, make_cfg, ledger):
    user = dovecot.new_user()
    dovecot.append(user, submission(message_id="<uv1@example-zhixie.cn>"), msg_time=SENT)
    dovecot.append(user, submission(message_id="<uv2@example-zhixie.cn>", subject="第二封"), msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user), smtp=smtp_server)
    run(cfg, once=True)
    assert smtp_server.wait_for(2)

    new_uv = dovecot.reset_uidvalidity(user)
    stats = run(cfg, once=True)

    # recognised from Message-ID + size before any body is downloaded again: nothing fetched, nothing twice
    assert stats.fetched == 0 and stats.processed == 0
    assert len(ledger(cfg).messages()) == 2
    assert len(smtp_server.messages) == 2
    state = ledger(cfg).mailbox_state(f"imap:{user}@127.0.0.1/INBOX")
    assert state.uidvalidity == new_uv and state.last_uid == 2


def test_auto_reply_is_recorded_but_gets_no_receipt(dovecot, smtp_server, make_cfg, ledger):
    user = dovecot.new_user()
    auto = build_message(subject="自动回复：您的邮件已收到", from_addr="office@example-zhixie.cn",
                         extra_headers={"Auto-Submitted": "auto-replied"})
    dovecot.append(user, auto, msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user), smtp=smtp_server)

    stats = run(cfg, once=True)

    [msg] = ledger(cfg).messages()
    assert msg.state == "processed" and msg.no_receipt_reason
    assert msg.unit_key is None  # not a submission: joins no unit
    assert ledger(cfg).outbox() == [] and stats.sent == 0 and smtp_server.messages == []
    assert b"\\Seen" in dovecot.flags(user)[1]


def test_encoded_names_are_decoded_in_the_ledger(dovecot, smtp_server, make_cfg, ledger):
    user = dovecot.new_user()
    names = {"rfc2231": "附件1 申报表（王喆）.docx", "rfc2047": "附件4 推荐表.xlsx", "raw-gbk": "附件2 工作总结.docx"}
    for i, (enc, name) in enumerate(names.items()):
        dovecot.append(user, build_message([(name, b"PK\x03\x04 x")], name_encoding=enc, subject=f"材料{i}",
                                           from_name="某某省质量协会"), msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user), smtp=smtp_server)
    run(cfg, once=True)

    led = ledger(cfg)
    msgs = led.messages()
    assert [m.subject for m in msgs] == ["材料0", "材料1", "材料2"]
    assert [[d.filename for d in led.documents(m.id)] for m in msgs] == [[n] for n in names.values()]


def test_move_mode_moves_after_recording_and_never_deletes(dovecot, smtp_server, make_cfg, ledger):
    user = dovecot.new_user()
    dovecot.append(user, submission(message_id="<mv1@example-zhixie.cn>"), msg_time=SENT)
    dovecot.append(user, submission(message_id="<mv2@example-zhixie.cn>", subject="第二封"), msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user, after="move", move_to="已处理"), smtp=smtp_server)

    run(cfg, once=True)

    assert dovecot.count(user, "INBOX") == 0
    assert dovecot.count(user, "已处理") == 2
    assert all(b"\\Seen" in f for f in dovecot.flags(user, "已处理").values())
    assert len(ledger(cfg).messages()) == 2
    stats = run(cfg, once=True)
    assert stats.fetched == 0 and len(smtp_server.messages) == 2


def test_processing_crash_is_recorded_and_the_next_message_still_processed(
        dovecot, smtp_server, make_cfg, ledger, monkeypatch):
    user = dovecot.new_user()
    dovecot.append(user, submission(subject="BOOM 会让读取出错"), msg_time=SENT)
    dovecot.append(user, submission(subject="正常的一封"), msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user), smtp=smtp_server)
    original = Processor.judge_record

    def flaky(self, s, msg, read):  # noqa: ANN001, ANN202
        if "BOOM" in (msg.subject or ""):
            raise RuntimeError("reader exploded")
        return original(self, s, msg, read)

    monkeypatch.setattr(Processor, "judge_record", flaky)
    stats = run(cfg, once=True)

    assert (stats.processed, stats.failed, stats.sent) == (1, 1, 1)
    bad, good = ledger(cfg).messages()
    assert bad.state == "failed" and "reader exploded" in bad.error
    assert good.state == "processed"
    # both are safely recorded, so both are marked; the failed one waits for `intake reprocess`
    assert all(b"\\Seen" in f for f in dovecot.flags(user).values())

    monkeypatch.setattr(Processor, "judge_record", original)
    from intake.record.reprocess import reprocess

    report = reprocess(cfg, failed_only=True, progress=False)
    assert [c.message_pk for c in report.messages] == [bad.id]
    assert ledger(cfg).messages()[0].state == "processed"
    assert run(cfg, once=True).sent == 1  # its first receipt, now that it could be read
    assert smtp_server.wait_for(2) and len(smtp_server.messages) == 2


def test_login_failure_is_recorded_without_a_retry_loop(dovecot, make_cfg, ledger, monkeypatch):
    user = dovecot.new_user()
    cfg = make_cfg(imap=dovecot.source_config(user))
    monkeypatch.setenv(cfg.source.imap.password_env, "wrong-授权码".encode().hex())
    daemon = Daemon(cfg)
    try:
        assert daemon.run_pass().fetched == 0  # logged, not raised
        state = ledger(cfg).mailbox_state(daemon.source.name)
        assert "login" in state.last_error.lower() or "authentication" in state.last_error.lower()
        with pytest.raises(imapclient.exceptions.LoginError, match="waiting"):
            list(daemon.source.fetch())  # backed off: no new attempt against the server
    finally:
        daemon.close()
    restarted = Daemon(cfg)  # the back-off is in the ledger: a restart does not log in again at once
    try:
        with pytest.raises(imapclient.exceptions.LoginError, match="waiting"):
            list(restarted.source.fetch())
    finally:
        restarted.close()


def test_internaldate_is_aware_utc_and_idle_sees_new_mail(dovecot, make_cfg):
    user = dovecot.new_user()
    dovecot.append(user, submission(message_id="<idle1@x>"), msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user, idle=True))
    daemon = Daemon(cfg)
    src = daemon.source
    assert isinstance(src, ImapSource)
    try:
        [item] = list(src.fetch())
        assert item.internal_date == SENT and item.internal_date.tzinfo is not None
        assert item.internal_date.utcoffset() == timedelta(0) and item.internal_date.tzinfo == UTC
        src.done(item)
        assert src.wait(0.2) is False  # nothing new: IDLE times out
        dovecot.append(user, submission(message_id="<idle2@x>", subject="新的一封"), msg_time=SENT)
        assert any(src.wait(1.0) for _ in range(5))
        [item2] = list(src.fetch())  # IDLE ended, same connection reused
        assert item2.uid == 2
    finally:
        daemon.close()


def test_a_changed_uidvalidity_fetches_only_what_is_new(dovecot, smtp_server, make_cfg, ledger):
    user = dovecot.new_user()
    dovecot.append(user, submission(message_id="<uvk1@example-zhixie.cn>"), msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user), smtp=smtp_server)
    run(cfg, once=True)
    dovecot.reset_uidvalidity(user)
    dovecot.append(user, submission(message_id="<uvk2@example-zhixie.cn>", subject="新的一封"), msg_time=SENT)
    stats = run(cfg, once=True)
    assert (stats.fetched, stats.processed) == (1, 1)  # only the new one's body came over the wire
    assert len(ledger(cfg).messages()) == 2


def test_fetch_batches_are_bounded_by_bytes():
    from intake.fetch.imap import BATCH, BATCH_BYTES, _batches

    sizes = {1: 1000, 2: BATCH_BYTES, 3: 10, 4: 10, 5: BATCH_BYTES // 2, 6: BATCH_BYTES // 2 + 1}
    assert list(_batches([1, 2, 3, 4, 5, 6], sizes)) == [[1], [2], [3, 4, 5], [6]]
    many = {u: 1 for u in range(100)}
    assert [len(b) for b in _batches(list(many), many)] == [BATCH] * (100 // BATCH)


def test_mail_arriving_during_a_fetch_joins_the_same_pass(dovecot, smtp_server, make_cfg, ledger):
    """A rush: what arrives while a pass fetches is taken by that pass (one more UID SEARCH after a round
    that found mail), not left for the next; each message once, in UID order, and all get their receipt."""
    user = dovecot.new_user()
    dovecot.append(user, submission(message_id="<rush1@x>"), msg_time=SENT)
    cfg = make_cfg(imap=dovecot.source_config(user), smtp=smtp_server)
    daemon = Daemon(cfg)
    src = daemon.source
    assert isinstance(src, ImapSource)
    try:
        fetch = src.fetch()
        first = next(fetch)
        dovecot.append(user, submission(message_id="<rush2@x>", subject="第二封"), msg_time=SENT)
        dovecot.append(user, submission(message_id="<rush3@x>", subject="第三封"), msg_time=SENT)
        assert [first.uid, *(item.uid for item in fetch)] == [1, 2, 3]  # the same fetch, nothing twice
    finally:
        daemon.close()

    dovecot.append(user, submission(message_id="<rush4@x>", subject="第四封"), msg_time=SENT)
    daemon = Daemon(cfg)
    try:
        assert daemon.poll().processed == 4  # nothing was marked done above: the pass takes all four once
    finally:
        daemon.close()
    assert sorted(m.message_id for m in ledger(cfg).messages()) == [f"<rush{i}@x>" for i in range(1, 5)]


def test_the_daemon_sends_consecutive_receipts_on_one_smtp_connection(dovecot, smtp_server, make_cfg):
    """A rush's receipts leave one by one (the outbox is woken per message); the daemon keeps its SMTP
    connection between those sends instead of a TLS handshake and AUTH for each, and closes it at the end."""
    user = dovecot.new_user()
    cfg = make_cfg(imap=dovecot.source_config(user), smtp=smtp_server)
    daemon = Daemon(cfg)
    try:
        for i in (1, 2):
            dovecot.append(user, submission(message_id=f"<rush.{i}@example-zhixie.cn>"), msg_time=SENT)
            assert daemon.run_pass().sent == 1
        assert smtp_server.wait_for(2)
        assert smtp_server.authenticator.attempts == 1
    finally:
        daemon.close()
    assert daemon._transport is None  # noqa: SLF001 - closed with the daemon
