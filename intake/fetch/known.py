"""Is a message on the server already in the ledger? Told from its Message-ID header and its size.

Used after a UIDVALIDITY change (a restored or recreated mailbox): every message comes back under a
new UID, and downloading hundreds of bodies only to find them duplicates wastes the deadline
week's bandwidth. A message whose Message-ID is recorded and whose stored raw bytes have exactly
the server's RFC822.SIZE is the same message; anything less certain is fetched (dedupe by SHA-256
still catches it).
"""

from __future__ import annotations

import email.parser
import email.policy

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.store.rows import MessageRow


def message_id_of(header_block: bytes) -> str | None:
    try:
        h = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(header_block)
        return str(h.get("Message-ID") or "").strip() or None
    except Exception:  # noqa: BLE001 - an unparsable header: not recognised, simply fetched
        return None


def already_stored(engine: Engine, header_block: bytes, size: int) -> bool:
    mid = message_id_of(header_block)
    if mid is None or size <= 0:
        return False
    with Session(engine) as s:
        return any(m.raw_size == size for m in s.exec(select(MessageRow).where(MessageRow.message_id == mid)).all())
