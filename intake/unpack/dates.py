"""Dates of a message: the ``Date:`` header and the topmost ``Received:`` header.

Why the topmost Received: the receipt time that matters for the deadline is when *our* server
accepted the message (the first Received: line, added last); ``Date:`` is the sender's clock.

A date written with a zone is taken as written, except the abbreviation ``CST``, which every
Chinese server means as China Standard Time (+08:00) and the RFC 822 table as US Central: our
senders are Chinese. ``-0000`` ("zone unknown", RFC 5322 §3.3) is, by that RFC, UTC. A date with
no zone at all (web forms, scripts, ``2020-09-15 20:00``) is the sender's local clock, which for
this campaign's senders is Beijing time: reading it as UTC would push an evening submission on
the deadline day past midnight and call it late.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

BEIJING = timezone(timedelta(hours=8), "CST")
_ISO_LIKE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+|\D{0,12}?)(上午|下午|晚上)?\s*(\d{1,2})[:：](\d{2})"
    r"(?:[:：](\d{2}))?\s*([+-]\d{2}:?\d{2}|Z|UTC|GMT)?"
)


def parse_date(value: str | None) -> datetime | None:
    """An RFC 5322 date (or an ISO-like/Chinese one some webmail writes) → aware datetime, else None."""
    if not value:
        return None
    text = re.sub(r"\s+", " ", value).strip()
    text = re.sub(r"\([^)]*\)", "", text).strip()  # "+0800 (CST)" comments
    text = re.sub(r"(?i)\bCST$", "+0800", text)  # China Standard Time, not US Central
    dt: datetime | None
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        dt = _parse_iso_like(text)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC if text.endswith("-0000") else BEIJING)
    return dt


def _parse_iso_like(text: str) -> datetime | None:
    m = _ISO_LIKE.search(text)
    if not m:
        return None
    y, mo, d = (int(m.group(i)) for i in range(1, 4))
    h, mi, s = int(m.group(5)), int(m.group(6)), int(m.group(7) or 0)
    if m.group(4) in ("下午", "晚上") and h < 12:
        h += 12
    zone = m.group(8)
    try:
        dt = datetime(y, mo, d, h, mi, s)
        if zone in ("Z", "UTC", "GMT"):
            return dt.replace(tzinfo=UTC)
        if zone:
            return datetime.fromisoformat(dt.isoformat() + zone[:3] + ":" + zone[-2:])
    except ValueError:
        return None
    return dt  # no zone: parse_date decides


def received_date(received_headers: list[str]) -> datetime | None:
    """Date of the topmost ``Received:`` header: the text after its last ``;``. When the topmost
    one has no readable date, the next hop's (another server's clock, seconds earlier) is still
    closer to the receipt time than the sender's ``Date:``."""
    for value in received_headers:
        if ";" in value and (dt := parse_date(value.rsplit(";", 1)[1])) is not None:
            return dt
    return None
