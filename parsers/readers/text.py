"""Plain-text files → one paragraph per non-empty line.

Chinese senders' .txt files are UTF-8, UTF-16 (Windows Notepad "Unicode") or GBK/GB18030
(Notepad "ANSI" on a Chinese system); BOMs decide first, then strict UTF-8, then GB18030.
"""

from __future__ import annotations

import codecs

from parsers.model import Document


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "gb18030"


def read(data: bytes, filename: str = "", timeout: float = 60.0) -> Document:
    text, encoding = decode(data)
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return Document(blocks=[line for line in lines if line], meta={"encoding": encoding})
