"""A tiny Compound File (OLE2) writer, to build .doc/.xls/.wps/.et and encrypted-OOXML sniffing fixtures.

Only what sniffing looks at: a directory of streams. Streams are padded to the 4096-byte mini-stream
cutoff so everything lives in regular sectors; the directory tree is a right-sibling chain.
"""

from __future__ import annotations

import math
import struct

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def make_cfb(streams: dict[str, bytes]) -> bytes:
    ss = 512
    items = [(name, data + b"\0" * (max(4096, len(data)) - len(data))) for name, data in streams.items()]
    items = [(n, d + b"\0" * (-len(d) % ss)) for n, d in items]
    n_dir = math.ceil((len(items) + 1) / 4)
    n_data = sum(len(d) // ss for _, d in items)
    n_fat = 1
    while n_fat * 128 < n_fat + n_dir + n_data:
        n_fat += 1
    fat = [FATSECT] * n_fat
    first_dir = len(fat)
    fat += [len(fat) + i + 1 for i in range(n_dir - 1)] + [END]
    starts = []
    for _, d in items:
        k = len(d) // ss
        starts.append(len(fat))
        fat += [len(fat) + i + 1 for i in range(k - 1)] + [END]
    fat += [FREE] * (n_fat * 128 - len(fat))
    header = MAGIC + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, n_fat, first_dir, 0, 4096, END, 0, END, 0)
    header += struct.pack("<109I", *(list(range(n_fat)) + [FREE] * (109 - n_fat)))
    entries = [_entry("Root Entry", 5, NOSTREAM, 1 if items else NOSTREAM, END, 0)]
    for i, ((name, data), start) in enumerate(zip(items, starts, strict=True)):
        right = i + 2 if i + 1 < len(items) else NOSTREAM
        entries.append(_entry(name, 2, right, NOSTREAM, start, len(data)))
    directory = b"".join(entries)
    directory += b"".join(_entry("", 0, NOSTREAM, NOSTREAM, FREE, 0) for _ in range(n_dir * 4 - len(entries)))
    body = struct.pack(f"<{len(fat)}I", *fat) + directory + b"".join(d for _, d in items)
    return header + body


def _entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
    raw = name.encode("utf-16-le")
    name_field = (raw + b"\0\0").ljust(64, b"\0")
    name_len = len(raw) + 2 if name else 0
    return name_field + struct.pack("<HBBIII", name_len, kind, 1, NOSTREAM, right, child) + b"\0" * 36 + struct.pack(
        "<IQ", start, size
    )


def word_stream(encrypted: bool = False) -> bytes:
    """The start of a Word 97 FIB: wIdent, nFib, ..., flags with fEncrypted (0x0100)."""
    flags = 0x0100 if encrypted else 0
    return struct.pack("<HHHHHH", 0xA5EC, 0xC1, 0, 0x0804, 0, flags) + b"\0" * 500


def workbook_stream(encrypted: bool = False) -> bytes:
    """BIFF8: a BOF record, a FILEPASS record when encrypted, then EOF."""
    out = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)
    if encrypted:
        out += struct.pack("<HH", 0x002F, 6) + b"\x01\x00\x01\x00\x01\x00"
    return out + struct.pack("<HH", 0x000A, 0)
