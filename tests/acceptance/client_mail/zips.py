"""Zip files written byte by byte, as particular tools write them.

Why by hand: ``zipfile`` always sets the UTF-8 flag on non-ASCII names and writes clean headers;
the archives people send do not — Windows Explorer writes GBK bytes without the flag, macOS
Archive Utility writes NFD UTF-8 bytes without the flag and adds ``__MACOSX/._*`` entries.
"""

from __future__ import annotations

import struct
import unicodedata
import zlib

Entry = tuple[bytes, bytes]  # (name bytes as written, data)


def raw_zip(entries: list[Entry], utf8_flag: bool = False, deflate: bool = True,
            extra_for: dict[bytes, bytes] | None = None) -> bytes:
    """A PKZIP 2.0 archive of ``entries`` with the name bytes exactly as given."""
    out = bytearray()
    central = bytearray()
    flags = 0x800 if utf8_flag else 0
    for name, data in entries:
        if deflate and data:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            packed = c.compress(data) + c.flush()
            method = 8
        else:
            packed, method = data, 0
        crc = zlib.crc32(data) & 0xFFFFFFFF
        extra = (extra_for or {}).get(name, b"")
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0x6E00, 0x5121, crc, len(packed),
                           len(data), len(name), len(extra)) + name + extra + packed
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314 if not utf8_flag else 0x033F, 20, flags,
                               method, 0x6E00, 0x5121, crc, len(packed), len(data), len(name), len(extra), 0, 0, 0,
                               0o100644 << 16 if not name.endswith(b"/") else 0x10, offset) + name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    return bytes(out + central + end)


def windows_explorer(files: list[tuple[str, bytes]]) -> bytes:
    """Windows 'Send to → Compressed folder' on Chinese Windows: GBK names, no UTF-8 flag."""
    return raw_zip([(n.encode("gbk"), d) for n, d in files])


def macos_archive_utility(files: list[tuple[str, bytes]], folder: str = "QC材料") -> bytes:
    """macOS Finder 'Compress': NFD UTF-8 names *without* the flag, a folder entry, and an
    AppleDouble ``__MACOSX/._name`` beside every file."""
    entries: list[Entry] = [(unicodedata.normalize("NFD", folder + "/").encode(), b"")]
    for n, d in files:
        path = unicodedata.normalize("NFD", f"{folder}/{n}").encode()
        entries.append((path, d))
        dot = unicodedata.normalize("NFD", f"__MACOSX/{folder}/._{n}").encode()
        entries.append((dot, b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 40))
    return raw_zip(entries)


def sevenzip_utf8(files: list[tuple[str, bytes]]) -> bytes:
    """7-Zip: UTF-8 names with the flag set."""
    return raw_zip([(n.encode(), d) for n, d in files], utf8_flag=True)
