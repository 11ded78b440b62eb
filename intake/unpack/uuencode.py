"""uuencoded files inside a plain-text body (``begin 644 附件1.doc`` … ``end``).

Why: old mailers (Outlook Express with "uuencode" sending, some OA systems and scripts) put the
attachments into the text body instead of MIME parts; they must be read like attachments. The name
on the ``begin`` line is bytes as the sender's system wrote them (often raw GBK), decoded by the
caller with the body's charset. Lines are decoded one by one with :func:`binascii.a2b_uu` after
restoring the length the line's first character announces: mail transports strip trailing spaces
(which are zero bits in uuencode) and some encoders add a checksum character at the end.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

_BEGIN = re.compile(rb"begin[ \t]+[0-7]{3,4}[ \t]+(\S[^\r\n]*?)[ \t]*")
_MAX_FILES = 500  # the collector's part limit applies anyway; this bounds the scan


@dataclass
class UuFile:
    raw_name: bytes
    data: bytes
    complete: bool  # False: the body ended (or garbage began) before the ``end`` line


def _width(line: bytes) -> int:
    """The characters an encoded line has: its length character, then 4 for every 3 bytes."""
    n = (line[0] - 0x20) & 0x3F
    return 1 + (n + 2) // 3 * 4


def _data_line(line: bytes) -> bytes | None:
    """One encoded line → its bytes; None when the line is not uuencoded data."""
    if not line or any(c < 0x20 or c > 0x60 for c in line):
        return None
    want = _width(line)
    line = line[:want].ljust(want, b"`")  # restore stripped trailing spaces; drop a checksum character
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:
        return None


def _closing(lines: list[bytes], i: int) -> bool:
    return i < len(lines) and lines[i].strip() in (b"", b"`", b"end")


def extract(payload: bytes) -> tuple[list[UuFile], bytes]:
    """The uuencoded files of a text body, and the body without them."""
    if b"begin" not in payload:
        return [], payload
    lines = payload.splitlines(keepends=True)
    files: list[UuFile] = []
    kept: list[bytes] = []
    i = 0
    while i < len(lines):
        m = _BEGIN.fullmatch(lines[i].rstrip(b"\r\n"))
        first = _data_line(lines[i + 1].rstrip(b"\r\n ")) if m and i + 1 < len(lines) else None
        if m is None or first is None or len(files) >= _MAX_FILES:
            kept.append(lines[i])
            i += 1
            continue
        chunks: list[bytes] = []
        complete = False
        i += 1
        while i < len(lines):
            raw = lines[i].rstrip(b"\r\n")
            line = raw.rstrip(b" ") or b"`"  # trailing spaces are zero bits: restored by _data_line
            if line == b"end":
                complete = True
                i += 1
                break
            decoded = _data_line(line)
            # every line but the last of a file is full (45 bytes, "M"); a shorter one has its full
            # length or is followed by the closing "`"/"end", or the text has resumed ("-- " is a signature)
            if decoded is None or (line[:1] != b"M" and len(raw) < _width(line) and not _closing(lines, i + 1)):
                break  # the file was cut
            chunks.append(decoded)
            i += 1
        files.append(UuFile(m.group(1), b"".join(chunks), complete))
    return files, b"".join(kept)
