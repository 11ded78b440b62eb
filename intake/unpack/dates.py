"""Dates of a message: the ``Date:`` header and the topmost ``Received:`` header.

Why the topmost Received: the receipt time that matters for the deadline is when *our* server
accepted the message (the first Received: line, added last); ``Date:`` is the sender's clock.

A date without a zone (or with RFC 5322's ``-0000``, "zone unknown") is taken as UTC, as
RFC 5322 §3.3 says of ``-0000``; we never guess +08:00, so a missing zone can only make a message
look earlier by hours in Beijing, and staff see the raw header in the ledger.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_ISO_LIKE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{2}:?\d{2}|Z|UTC|GMT)?"
)


def parse_date(value: str | None) -> datetime | None:
    """An RFC 5322 date (or an ISO-like one some webmail writes) → aware datetime, else None."""
    if not value:
        return None
    text = re.sub(r"\s+", " ", value).strip()
    text = re.sub(r"\([^)]*\)", "", text).strip()  # "+0800 (CST)" comments
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        dt = _parse_iso_like(text)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def _parse_iso_like(text: str) -> datetime | None:
    m = _ISO_LIKE.search(text)
    if not m:
        return None
    y, mo, d, h, mi = (int(m.group(i)) for i in range(1, 6))
    s = int(m.group(6) or 0)
    zone = m.group(7)
    try:
        dt = datetime(y, mo, d, h, mi, s)
        if zone and zone not in ("Z", "UTC", "GMT"):
            return datetime.fromisoformat(dt.isoformat() + zone[:3] + ":" + zone[-2:])
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC)


def received_date(received_headers: list[str]) -> datetime | None:
    """Date of the topmost ``Received:`` header: the text after its last ``;``."""
    for value in received_headers[:1]:
        if ";" in value:
            return parse_date(value.rsplit(";", 1)[1])
    return None
