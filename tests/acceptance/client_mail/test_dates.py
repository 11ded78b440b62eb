"""Receipt time from the headers real servers and clients write (contract: topmost Received:,
else Date:; compared in Beijing time, 15 September inclusive)."""

from __future__ import annotations

import pytest

from tests.acceptance.client_mail.conftest import rules_of
from tests.acceptance.client_mail.wire import leaf, text_part

BASE = [("From", "a@jsqa.org.cn"), ("To", "66073178@163.com"), ("Subject", "材料"), ("MIME-Version", "1.0")]


def _msg(date_headers: list[tuple[str, str]]) -> bytes:
    part = text_part("见附件")
    head, body = part.split(b"\r\n\r\n", 1)
    items = [tuple(line.decode().split(": ", 1)) for line in head.split(b"\r\n")]
    return leaf(date_headers + BASE + items, body)


def _rcv(date: str, comment: str = "") -> tuple[str, str]:
    return ("Received", f"from smtp.jsqa.org.cn (unknown [58.213.1.2]){comment}\r\n\tby mx.163.com (Coremail) with SMTP "
                        f"id _____wD3\r\n\tfor <66073178@163.com>; {date}")


CASES = {
    # topmost of several hops wins; +0000 around midnight Beijing time on the deadline
    "late after midnight Beijing": ([_rcv("Tue, 15 Sep 2020 16:30:00 +0000"), _rcv("Tue, 15 Sep 2020 15:00:00 +0000"),
                                     ("Date", "Tue, 15 Sep 2020 23:00:00 +0800")], "2020-09-16T00:30:00+08:00", True),
    "last second of the 15th": ([_rcv("Tue, 15 Sep 2020 15:59:59 +0000")], "2020-09-15T23:59:59+08:00", False),
    "comment after the date": ([_rcv("Tue, 15 Sep 2020 23:10:00 +0800 (CST)", " (HELO mail)")],
                               "2020-09-15T23:10:00+08:00", False),
    "CST is China time": ([_rcv("Wed, 16 Sep 2020 08:00:00 CST")], "2020-09-16T08:00:00+08:00", True),
    "topmost unreadable: next hop": ([("Received", "from a by mx.163.com; yesterday evening"),
                                      _rcv("Tue, 15 Sep 2020 10:00:00 +0800"),
                                      ("Date", "Wed, 16 Sep 2020 10:00:00 +0800")], "2020-09-15T10:00:00+08:00", False),
    "Received without date: Date": ([("Received", "from a by mx id 1"), ("Date", "Mon, 14 Sep 2020 10:00:00 +0800")],
                                     "2020-09-14T10:00:00+08:00", False),
    "Date only, late": ([("Date", "Wed, 16 Sep 2020 00:00:01 +0800")], "2020-09-16T00:00:01+08:00", True),
    "two-digit year": ([("Date", "15 Sep 20 23:59:00 +0800")], "2020-09-15T23:59:00+08:00", False),
    "zone-less is local time": ([("Date", "2020-09-15 20:00:00")], "2020-09-15T20:00:00+08:00", False),
    "-0000 is UTC": ([("Date", "Tue, 15 Sep 2020 20:00:00 -0000")], "2020-09-16T04:00:00+08:00", True),
    "Chinese webmail date": ([("Date", "2020年9月15日 星期二 下午9:30")], "2020-09-15T21:30:00+08:00", False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_receipt_time(case, check):
    headers, when, late = CASES[case]
    out = check(_msg(headers))
    assert out["message"]["received_at"] == when
    assert (out["status"] == "late") is late
    assert ("deadline.late" in rules_of(out)) is late


def test_no_dates_at_all_is_never_late(check):
    out = check(_msg([]))
    assert out["message"]["received_at"] is None
    assert out["status"] == "incomplete" and "deadline.late" not in rules_of(out)


def test_received_option_overrides_headers(check):
    out = check(_msg([_rcv("Wed, 16 Sep 2020 08:00:00 +0800")]), "--received", "2020-09-15T12:00:00+08:00")
    assert out["message"]["received_at"] == "2020-09-15T12:00:00+08:00" and out["status"] != "late"
