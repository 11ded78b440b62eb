"""From raw message bytes to a delivered receipt, through the real unpack, pipeline and bundled campaign."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.config import Config
from intake.pipeline import check_message
from intake.reply.outbox import enqueue, send_pending
from intake.reply.receipt import compose_receipt
from intake.reply.suppress import no_receipt_reason
from intake.unpack import unpack_message
from rules import load_campaign
from tests.fixtures.mail import build_message

CST = timezone(timedelta(hours=8))


def test_submission_to_receipt_file(engine: Engine, add_message: Callable[..., int], cfg: Config) -> None:
    raw = build_message([("说明.txt", "附件材料稍后补交。".encode())], subject="某某省质量协会QC小组推荐材料",
                        name_encoding="rfc2047", received=datetime(2020, 9, 14, 10, 31, tzinfo=CST),
                        message_id="<e2e.1@example-zhixie.cn>")
    campaign = load_campaign()
    unpacked = unpack_message(raw)
    assert no_receipt_reason(unpacked, [cfg.reply.from_addr]) is None
    result = check_message(raw, campaign).to_json()

    msg = compose_receipt(cfg, campaign, unpacked, result, None)
    pk = add_message(unpacked.from_addr or "")
    with Session(engine) as s:
        assert enqueue(s, pk, msg)
        s.commit()
    assert send_pending(cfg, engine) == 1
    [path] = cfg.outbox_dir.glob("*.eml")
    sent = message_from_bytes(path.read_bytes(), policy=policy.default)

    assert sent["Subject"] == "回执：某某省质量协会QC小组推荐材料"
    assert sent["In-Reply-To"] == "<e2e.1@example-zhixie.cn>"
    assert sent["To"].addresses[0].addr_spec == "zhangsan@example-zhixie.cn"
    text = sent.get_body(("plain",)).get_content()
    assert "说明.txt" in text and "识别为：未识别" in text
    assert "2020年9月14日 10:31" in text
    status_text = {"complete": "材料齐全", "incomplete": "材料不全", "late": "逾期"}[result["status"]]
    assert f"本次检查结果：{status_text}" in text
    for finding in result["findings"]:  # whatever the rule file finds, the unit is told all of it
        assert finding["message"] in text


def test_auto_reply_is_recognised_after_real_unpack(cfg: Config) -> None:
    raw = build_message([], subject="自动回复：2020年QC小组推荐材料",
                        extra_headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"})
    assert no_receipt_reason(unpack_message(raw), [cfg.reply.from_addr]) == "auto-submitted"
    raw = build_message([], from_addr="qc-intake@example.org", from_name="质协")
    assert no_receipt_reason(unpack_message(raw), [cfg.reply.from_addr]) == "own-address"
