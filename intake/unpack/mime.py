"""STUB — replaced by the unpack work: MIME via mail-parser, names, archives, sniffing."""

from __future__ import annotations

import email
import email.policy

from intake.unpack.types import Limits, Part, Unpacked


def unpack_message(raw: bytes, limits: Limits | None = None) -> Unpacked:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for p in msg.iter_attachments():
        parts.append(Part(p.get_filename() or "", None, p.get_content(), "other"))
    return Unpacked(str(msg.get("Message-ID") or ""), None, None, [], str(msg.get("Subject") or ""),
                    None, None, list(msg.items()), "", parts)
