"""intake/unpack/feed.py: the sliced parse gives the stdlib's tree at a fraction of its memory."""

from __future__ import annotations

import email
import email.policy
import os
import tracemalloc
from email.message import EmailMessage

from intake.unpack.feed import SLICE, parse_bytes


def _message(attachments: int, size: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "=?gbk?b?uePO98rQ?= <a@b.cn>"
    msg["Subject"] = "关于报送2020年度优秀QC小组的材料"
    msg.set_content("见附件。\n" * 50)
    for i in range(attachments):
        msg.add_attachment(os.urandom(size), maintype="application", subtype="pdf", filename=f"附件{i}.pdf")
    return bytes(msg)


def test_the_same_tree_as_the_stdlib_whatever_the_slice_boundaries():
    raws = [_message(3, 5000), _message(1, SLICE * 3 + 17),
            b"From: a@b\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
            b"Content-Type: text/plain\r\n\r\n\xb9\xfa\xbc\xd2\r\n--zz--\r\n",  # raw GBK, CRLF
            b"no headers at all", b""]
    for raw in raws:
        for policy in (email.policy.compat32, email.policy.default):
            ours = parse_bytes(raw, policy)
            theirs = email.message_from_bytes(raw, policy=policy)
            assert ours.as_bytes() == theirs.as_bytes()
            assert [p.get_content_type() for p in ours.walk()] == [p.get_content_type() for p in theirs.walk()]
            assert [len(p.defects) for p in ours.walk()] == [len(p.defects) for p in theirs.walk()]


def test_a_big_message_is_parsed_in_about_twice_its_size_not_eight_times():
    raw = _message(40, 250_000)  # ~13.5 MB of base64
    tracemalloc.start()
    try:
        msg = parse_bytes(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(msg.get_payload()) == 41
    assert peak < 3 * len(raw), f"peak {peak / 1e6:.0f} MB for a {len(raw) / 1e6:.0f} MB message"


def test_the_stored_row_s_headers_are_read_from_the_header_block_alone():
    """Ingest reads Message-ID/From/Subject before any parsing; handed the whole message, the header
    parser would keep every line of a big one (intake/record/ingest.py)."""
    from intake.record.ingest import headers_of

    raw = _message(20, 250_000)
    tracemalloc.start()
    try:
        head = headers_of(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert head["subject"] == "关于报送2020年度优秀QC小组的材料" and head["from_addr"] == "a@b.cn"
    assert peak < len(raw) / 10, f"peak {peak / 1e6:.1f} MB for a {len(raw) / 1e6:.1f} MB message"
    assert headers_of(b"From: x@y.cn\nSubject: only headers\n")["subject"] == "only headers"
