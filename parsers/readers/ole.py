"""OLE compound files (legacy .doc/.xls/.wps/.et, and password-protected .docx/.xlsx): what is inside.

One module for both places that need it: the unpack stage sniffs the format from the bytes,
and the reader dispatcher refuses an encrypted package before any reader opens it. olefile
parses the container; the encryption flags on top of it are the formats' own:

- Office 2007+ with a password: the zip is wrapped in an OLE file holding ``EncryptedPackage``
  and ``EncryptionInfo`` streams (MS-OFFCRYPTO), whatever the extension says;
- Word 97+: bit ``fEncrypted`` (0x0100) of the FIB flags word at offset 10 of ``WordDocument``;
- Excel 97+: a ``FILEPASS`` record (0x002F) among the first records of the workbook stream.

Only streams at the root decide the kind: a workbook with an embedded Word object carries a
``WordDocument`` stream deep in its ``ObjectPool``/``MBD…`` storages, and is still a workbook.
Word 6.0/95 files are compound files like Word 97's (a root ``WordDocument`` stream, wIdent 0xA5DC,
nFib 0x65–0x69, no ``1Table``); the converter reads them all.

Older Word binaries are no compound file at all: Word for Windows 2.0 starts the file with its FIB
(wIdent 0xA5DB, nFib 0x2D), and so does a bare Word 6 document stream (0xA5DC, 0x65). Those two
pairs are exactly what LibreOffice's "Microsoft WinWord 1/2/5" filter detects and reads
(:func:`is_bare_word`); their FIB keeps ``fEncrypted`` in the same flags word as Word 97.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import cast

import olefile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class OleInfo:
    kind: str  # encrypted_ooxml | word | excel | other
    encrypted: bool = False


def is_ole(data: bytes) -> bool:
    return data[:8] == OLE_MAGIC


#: (wIdent, nFib) of the Word binaries that are not compound files (see the module docstring)
BARE_WORD_FIBS = frozenset({(0xA5DB, 0x2D), (0xA5DC, 0x65)})


def is_bare_word(data: bytes) -> bool:
    """A Word 2.0 file (or a Word 6 document stream) without an OLE container."""
    return len(data) >= 32 and struct.unpack_from("<HH", data) in BARE_WORD_FIBS


def bare_word_encrypted(data: bytes) -> bool:
    return is_bare_word(data) and _word_encrypted(data[:16])


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def inspect(data: bytes) -> OleInfo | None:
    """What the compound file is, or None when the bytes are not a readable compound file."""
    if not is_ole(data):
        return None
    try:
        # types-olefile ties the stream-name type to the argument's (bytes here); with the default
        # path_encoding (None on Python 3) olefile names streams and storages with str
        ole = cast("olefile.OleFileIO[str]", olefile.OleFileIO(data))
    except Exception:  # noqa: BLE001 - olefile raises assorted errors on damaged containers
        return None
    try:
        root = {entry[0].lower(): entry[0] for entry in ole.listdir(streams=True, storages=False) if len(entry) == 1}
        if "encryptedpackage" in root:
            return OleInfo("encrypted_ooxml", True)
        for name in ("workbook", "book"):  # before WordDocument: see the module docstring
            if name in root:
                return OleInfo("excel", _excel_encrypted(_head(ole, root[name], 8192)))
        if "worddocument" in root:
            return OleInfo("word", _word_encrypted(_head(ole, root["worddocument"], 16)))
        return OleInfo("other")
    except Exception:  # noqa: BLE001 - a damaged directory or FAT: not readable
        return None
    finally:
        ole.close()


def is_encrypted_ooxml(data: bytes) -> bool:
    info = inspect(data)
    return info is not None and info.kind == "encrypted_ooxml"


def _head(ole: olefile.OleFileIO[str], name: str, size: int) -> bytes:
    with ole.openstream(name) as stream:
        return bytes(stream.read(size))


def _word_encrypted(head: bytes) -> bool:
    return len(head) >= 12 and bool(struct.unpack_from("<H", head, 10)[0] & 0x0100)


def _excel_encrypted(stream: bytes) -> bool:
    off = 0
    for _ in range(64):
        if off + 4 > len(stream):
            return False
        rtype, rlen = struct.unpack_from("<HH", stream, off)
        if rtype == 0x002F:
            return True
        if rtype == 0x000A:  # EOF of the globals substream
            return False
        off += 4 + rlen
    return False
