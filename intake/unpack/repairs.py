"""Repairs for broken mail: what real clients and cut connections do to MIME, and how we still read it.

Kept apart from the parse (:mod:`intake.unpack.mime`) so the normal path stays readable and each
workaround says which breakage it answers:

- a multipart whose ``boundary`` is missing or wrong: the repeated ``--token`` line in the body
  is taken as the boundary (:func:`with_guessed_boundary`);
- a message cut off in transit: closing boundary missing *and* a last part that cannot end
  there (:func:`truncated`);
- a wrong Content-Transfer-Encoding: base64 text labelled 7bit, raw binary labelled base64
  (:func:`decoded_payload`), an attached message that was itself base64/QP-encoded (:func:`message_bytes`).
"""

from __future__ import annotations

import base64
import binascii
import email.message
import quopri
import re
from collections import Counter

Message = email.message.Message


def split_failed(msg: Message) -> bool:
    """Declared multipart, but the parser found no parts (missing or wrong boundary)."""
    if msg.get_content_maintype() != "multipart":
        return False
    payload = msg.get_payload()
    return not isinstance(payload, list) or not payload


def with_guessed_boundary(raw: bytes) -> bytes | None:
    """Recover a multipart whose boundary parameter is missing or wrong: take the ``--token`` line
    that repeats in the body and write it into the top-level Content-Type."""
    m = re.search(rb"\r?\n\r?\n", raw)
    if not m:
        return None
    head, body = raw[: m.start()], raw[m.start() :]
    found = Counter(re.findall(rb"(?m)^--([!-~]{1,70}?)(?:--)?[ \t]*\r?$", body))
    if not found:
        return None
    token, count = found.most_common(1)[0]
    if count < 2:
        return None
    ct = re.search(rb"(?im)^content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", head)
    if not ct:
        return None
    value = re.sub(rb'(?i);\s*boundary=("[^"]*"|[^;\s]*)', b"", ct.group(0))
    new_ct = value + b'; boundary="' + token.replace(b'"', b"") + b'"'
    return head[: ct.start()] + new_ct + head[ct.end() :] + body


def truncated(msg: Message) -> bool:
    """Closing boundary missing *and* a base64 part ending badly: the message was cut off in transit
    (a missing closing boundary alone is a harmless client quirk)."""
    names = {type(d).__name__ for d in msg.defects}
    if "CloseBoundaryNotFoundDefect" not in names:
        return False
    payload = msg.get_payload()
    if not isinstance(payload, list) or not payload:
        return False
    last = payload[-1]
    if not isinstance(last, Message) or last.is_multipart():
        return False
    try:
        last.get_payload(decode=True)
    except Exception:
        return True
    if any("Base64" in type(d).__name__ for d in last.defects):
        return True
    return _cut_base64(last)


def _cut_base64(part: Message) -> bool:
    """The last part ends where its file cannot end: a zip (docx/xlsx/zip) without its central
    directory, a PDF without ``%%EOF``, or a base64 body whose last line is as long as the ones
    before it and unpadded (encoders end on a short or padded line unless the length fits exactly)."""
    data = decoded_payload(part)
    if data.startswith(b"PK\x03\x04") and b"PK\x05\x06" not in data[-65600:]:
        return True
    if data.startswith(b"%PDF-") and b"%%EOF" not in data[-4096:]:
        return True
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() != "base64":
        return False
    payload = part.get_payload()
    lines = [ln.strip() for ln in payload.splitlines() if ln.strip()] if isinstance(payload, str) else []
    return len(lines) >= 2 and len(lines[-1]) == len(lines[-2]) and not lines[-1].endswith("=")


_MAGICS = (b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c",
           b"\x89PNG", b"\xff\xd8\xff", b"\x78\x9f\x3e\x22")
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/=\s]+")


def decoded_payload(node: Message) -> bytes:
    """The decoded bytes of a leaf part, trusting the bytes over a wrong Content-Transfer-Encoding:
    base64 text labelled 7bit/8bit (some web forms and scripts) is decoded, and raw binary labelled
    base64 is kept as it is, when that is what turns it into a recognisable file."""
    raw = node.get_payload()
    wire = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    cte = str(node.get("Content-Transfer-Encoding", "") or "").strip().lower()
    if cte == "base64" and wire.lstrip().startswith(_MAGICS):
        return wire.lstrip()
    try:
        data = node.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        return wire
    if cte in ("", "7bit", "8bit", "binary") and len(wire) >= 64 and _BASE64_TEXT.fullmatch(wire):
        try:
            decoded = base64.b64decode(re.sub(rb"\s+", b"", wire) + b"==", validate=False)
        except (binascii.Error, ValueError):
            decoded = b""
        if decoded.startswith(_MAGICS):
            return decoded
    return data


def message_bytes(node: Message) -> bytes:
    payload = node.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        try:
            data = payload[0].as_bytes()
        except Exception:
            data = bytes(str(payload[0]), "utf-8", "surrogateescape")
        return undo_cte(data, str(node.get("Content-Transfer-Encoding", "") or "").strip().lower())
    return decoded_payload(node)


def undo_cte(data: bytes, cte: str) -> bytes:
    """An attached message the sender's client base64- or QP-encoded (RFC 2046 forbids it, some
    webmail does it anyway): the parser took the encoded text for the message, so decode it."""
    try:
        # a label over plain message bytes is wrong, not the bytes: decode only what is encoded
        if cte == "base64" and not re.match(rb"\s*[!-9;-~]+:", data):
            return base64.b64decode(re.sub(rb"\s+", b"", data) + b"==", validate=False)
        if cte == "quoted-printable" and (b"=3D" in data or b"=0D" in data):
            return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        pass
    return data
