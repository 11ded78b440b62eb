"""Repairs for broken mail: what real clients and cut connections do to MIME, and how we still read it.

Kept apart from the parse (:mod:`intake.unpack.mime`) so the normal path stays readable and each
workaround says which breakage it answers:

- a ``boundary`` value folded over two lines (Outlook 2000: ``boundary="----=_NextPart`` CRLF
  `` _000_…"``): the parameter is unfolded before the parse (:func:`unfolded_boundaries`);
- a multipart the lenient parse cannot split: the strict stdlib parser (RFC 5322 header
  grammar: comments, folding) is tried next (:func:`strict_parse`), then the repeated ``--token``
  line in the body is taken as the boundary (:func:`with_guessed_boundary`);
- a message cut off in transit: closing boundary missing *and* a last part that cannot end
  there (:func:`truncated`);
- a wrong Content-Transfer-Encoding: base64 text labelled 7bit, raw binary labelled base64
  (:func:`decoded_payload`), an attached message that was itself base64/QP-encoded (:func:`message_bytes`).
"""

from __future__ import annotations

import base64
import binascii
import email.message
import email.policy
import quopri
import re
from collections import Counter

from intake.unpack.feed import parse_bytes

Message = email.message.Message
_FIELD = re.compile(rb"(?im)^content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*")
_BOUNDARY = re.compile(rb'(?i)\bboundary\s*=\s*(?:"([^"]*)"|([^;"]*))')
_FOLD = re.compile(rb"\r?\n(?=[ \t])")


def split_failed(msg: Message) -> bool:
    """Declared multipart, but the parser found no parts (missing or wrong boundary)."""
    if msg.get_content_maintype() != "multipart":
        return False
    payload = msg.get_payload()
    return not isinstance(payload, list) or not payload


def unfolded_boundaries(raw: bytes) -> bytes:
    """``raw`` with every ``boundary`` parameter whose *value* is folded over lines written on one
    line. The lenient parser keeps the line break inside the value, so no delimiter line matches
    and every attachment is lost.

    RFC 5322 unfolding keeps the white space after the break (``----=_NextPart _000_…``); the
    client that folded may instead have meant the value without it. The body decides: the
    variant whose ``--`` delimiter line occurs is written, else the RFC one. Other header folding
    is left as it is.
    """
    out: list[bytes] = []
    pos = 0
    for field in _FIELD.finditer(raw):
        m = _BOUNDARY.search(field.group(0))
        if m is None:
            continue
        group = 1 if m.group(1) is not None else 2
        value = m.group(group)
        if not _FOLD.search(value):
            continue
        rfc = _FOLD.sub(b"", value).strip()
        joined = re.sub(rb"\r?\n[ \t]+", b"", value).strip()
        rest = raw[field.end() :]
        chosen = joined if (b"\n--" + joined) in rest and (b"\n--" + rfc) not in rest else rfc
        start, end = field.start() + m.start(), field.start() + m.end()
        out += [raw[pos:start], b'boundary="' + chosen + b'"']
        pos = end
    if not out:
        return raw
    return b"".join(out) + raw[pos:]


def strict_parse(raw: bytes) -> Message | None:
    """The stdlib's strict parse (``policy.default``: the RFC 5322 grammar for structured headers,
    so ``boundary="x" (comment)`` is ``x``), when it splits a multipart the lenient parse could not."""
    try:
        msg = parse_bytes(raw, email.policy.default)
    except Exception:  # noqa: BLE001 - a parser failing on hostile input is one repair that did not work
        return None
    return None if split_failed(msg) else msg


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
        try:  # compat32: as received (a strictly parsed message would re-fold and re-encode its headers)
            data = payload[0].as_bytes(policy=email.policy.compat32)
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
