"""A forged sender gets no details: Authentication-Results trusted only from the configured receiving
server (RFC 8601 authserv-id), and From checked against Sender / Return-Path."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from sqlmodel import Session, select

from intake.reply.authenticity import doubtful_sender
from intake.run.daemon import run
from intake.store.migrations import open_ledger
from intake.store.rows import DocumentRow, MessageRow, OutboxRow

ROOT = Path(__file__).resolve().parents[2]
FROM = ("From", "江苏省质量协会 <qc20@sina.com>")


def test_only_the_configured_server_is_believed() -> None:
    fail = ("Authentication-Results", "mx.163.com; dkim=none; spf=fail smtp.mailfrom=qc20@sina.com; dmarc=fail")
    assert doubtful_sender([FROM, fail], "mx.163.com") is not None
    assert doubtful_sender([FROM, fail], "") is None  # no server configured: no header is believed
    forged_pass = ("Authentication-Results", "mx.163.com; dkim=pass; spf=pass; dmarc=pass")
    other = ("Authentication-Results", "evil.example; dmarc=fail")
    assert doubtful_sender([FROM, other, forged_pass], "mx.163.com") is None  # another server's word counts for nothing
    assert doubtful_sender([FROM, ("Authentication-Results", "mx.163.com; dkim=fail; dkim=pass header.d=sina.com")],
                           "mx.163.com") is None  # one good signature is enough


def test_from_must_agree_with_sender_and_return_path() -> None:
    assert doubtful_sender([FROM, ("Return-Path", "<bounce@mail.sina.com>")]) is None  # same organisation
    assert doubtful_sender([FROM, ("Return-Path", "<x@spoofer.example>")]) is not None
    assert doubtful_sender([FROM, ("Sender", "robot@other.example")]) is not None
    assert doubtful_sender([("From", "a@example.com.cn"), ("Return-Path", "<b@mail.example.com.cn>")]) is None


def test_a_forged_submission_is_recorded_but_its_receipt_has_no_details(tmp_path) -> None:
    from intake.config import Config

    cfg = Config()
    cfg.base_dir = tmp_path
    cfg.storage.data_dir = "var"
    cfg.source.folder.path = "inbox"
    (tmp_path / "inbox").mkdir()
    raw = (ROOT / "examples" / "inbox" / "01-jiangsu-complete.eml").read_bytes()
    forged = b"Authentication-Results: mx.163.com; spf=fail smtp.mailfrom=qc20@sina.com; dmarc=fail\r\n" + raw
    (tmp_path / "inbox" / "01.eml").write_bytes(forged)
    cfg.source.authserv_id = "mx.163.com"
    assert run(cfg, once=True).processed == 1
    with Session(open_ledger(cfg)) as s:
        msg = s.exec(select(MessageRow)).one()
        docs = s.exec(select(DocumentRow)).all()
        receipt = s.exec(select(OutboxRow)).one().raw
    assert "dmarc" in msg.result["sender_doubt"].lower() or "身份验证" in msg.result["sender_doubt"]
    assert len(docs) > 5  # read and checked as usual
    text = email.message_from_bytes(receipt, policy=policy.default).get_body(("plain",)).get_content()
    assert "无法确认发件人身份" in text and f"共 {len(docs)} 个" in text
    assert not any(d.filename in text for d in docs)  # no file names, values or findings
    assert "申报表" not in text and "全部材料的情况" not in text
