"""Sniffing OLE compound files: password-protected Office 2007+ documents are OLE, not zip.

An encrypted .docx/.xlsx is an OLE container holding an ``EncryptedPackage`` stream (MS-OFFCRYPTO),
whatever its extension; its directory entry names are UTF-16LE, so a byte search finds it
without parsing the container.
"""

from __future__ import annotations

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


def is_ole(data: bytes) -> bool:
    return data[:8] == OLE_MAGIC


def is_encrypted_ooxml(data: bytes) -> bool:
    return is_ole(data) and _ENCRYPTED_PACKAGE in data and _ENCRYPTION_INFO in data


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"
