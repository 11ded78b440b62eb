"""Which format a file really is, from its bytes (the declared type and the extension are hints only).

Why: senders rename files (a PDF saved as ``申报表.docx``), WPS Office writes OOXML into ``.wps``,
webmail labels everything ``application/octet-stream``, and "Excel" exports from web systems
are HTML named ``.xls``. The reader must be chosen by what the bytes are. The sender's file
name is always kept; only ``format`` follows the bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from parsers.model import Problem
from parsers.readers import ole

_EXT_FORMAT = {
    "docx": "docx", "docm": "docx", "doc": "doc", "dot": "doc", "xlsx": "xlsx", "xlsm": "xlsx", "xls": "xls",
    "pdf": "pdf", "wps": "wps", "et": "et", "zip": "zip", "rar": "rar", "7z": "7z", "eml": "eml",
    "txt": "txt", "csv": "txt", "png": "image", "jpg": "image", "jpeg": "image", "gif": "image",
    "bmp": "image", "tif": "image", "tiff": "image", "webp": "image",
}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_MAIL_HEADERS = {"from", "to", "cc", "subject", "date", "received", "message-id", "mime-version",
                 "return-path", "content-type", "reply-to", "x-mailer", "delivered-to"}
_TNEF_MAGIC = b"\x78\x9f\x3e\x22"  # Outlook's "rich text" wrapper (winmail.dat, application/ms-tnef)
_OFFICE_TEXT_EXT = {"doc": "doc", "xls": "xls", "wps": "wps", "et": "et"}  # HTML/RTF/XML saved by Office


@dataclass
class Sniffed:
    format: str
    problems: list[Problem] = field(default_factory=list)


def extension(filename: str) -> str:
    """Lower-case extension without the dot ('' when none)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def sniff(data: bytes, filename: str = "", declared: str = "") -> Sniffed:
    """The contract format of ``data`` (docx doc xlsx xls pdf wps et zip rar 7z eml txt image other)."""
    ext = extension(filename)
    head = data[:1024]
    if not data:
        return Sniffed(_EXT_FORMAT.get(ext, "other"))
    if data.startswith(b"%PDF-"):
        return Sniffed("pdf")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        kind = _zip_kind(data)
        if kind == "zip" and _EXT_FORMAT.get(ext) in ("docx", "xlsx") and not _zip_opens(data):
            return Sniffed(_EXT_FORMAT[ext])  # a cut-off .docx/.xlsx: the reader reports it as damaged
        return Sniffed(kind)
    if data.startswith(_TNEF_MAGIC):
        return Sniffed("other", [Problem("document.tnef", "Outlook TNEF（winmail.dat）：附件被封装在其中，无法读取")])
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(data, ext)
    if data.startswith((b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")):
        return Sniffed("rar")
    if data.startswith(b"7z\xbc\xaf\x27\x1c"):
        return Sniffed("7z")
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP") or _is_bmp(data):
        return Sniffed("image")
    if b"%PDF-" in head:  # after the container magics: a stored PDF member shows this inside a zip too
        return Sniffed("pdf")
    text = _as_text(data)
    if text is not None:
        if _looks_like_mail(text, declared, ext):
            return Sniffed("eml")
        stripped = text.lstrip("\ufeff \r\n\t").lower()
        if ext in _OFFICE_TEXT_EXT and stripped.startswith(("<", "{\\rtf")):
            return Sniffed(_OFFICE_TEXT_EXT[ext])  # LibreOffice reads Office's HTML/XML/RTF flavours
        if stripped.startswith("{\\rtf"):
            return Sniffed("doc")
        return Sniffed("txt")
    return Sniffed(_EXT_FORMAT.get(ext, "other"))


def _zip_opens(data: bytes) -> bool:
    try:
        zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False
    return True


def _zip_kind(data: bytes) -> str:
    """docx / xlsx for OOXML (also inside .wps/.et from WPS Office), else zip."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return "zip"
    lower = [n.lower() for n in names]
    if "word/document.xml" in lower:  # not just any "word/" folder: users zip folders named Word too
        return "docx"
    if "xl/workbook.xml" in lower:
        return "xlsx"
    if "[content_types].xml" in lower:
        try:
            types = zipfile.ZipFile(io.BytesIO(data)).read(names[lower.index("[content_types].xml")])[:65536]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            return "zip"
        if b"wordprocessingml" in types:
            return "docx"
        if b"spreadsheetml" in types:
            return "xlsx"
        return "other"  # pptx, xps, ...: OOXML we do not read
    return "zip"


def _ole_kind(data: bytes, ext: str) -> Sniffed:
    info = ole.inspect(data)
    if info is None:
        return Sniffed(_EXT_FORMAT.get(ext, "other") if ext in ("doc", "xls", "wps", "et") else "other")
    if info.kind == "encrypted_ooxml":
        ooxml = {"doc": "docx", "docx": "docx", "wps": "docx", "xls": "xlsx", "xlsx": "xlsx", "et": "xlsx"}
        return Sniffed(ooxml.get(ext, "other"), [Problem("document.encrypted", "加密的 Office 文档（需要密码才能打开）")])
    if info.kind == "excel":
        fmt = "et" if ext == "et" else "xls"
        return Sniffed(fmt, [Problem("document.encrypted", "加密的 Excel 文档")] if info.encrypted else [])
    if info.kind == "word":
        fmt = "wps" if ext == "wps" else "doc"
        return Sniffed(fmt, [Problem("document.encrypted", "加密的 Word 文档")] if info.encrypted else [])
    return Sniffed(ext if ext in ("doc", "xls", "wps", "et") else "other")  # damaged, Works .wps, .ppt, .msg ...


def _is_bmp(data: bytes) -> bool:
    return data[:2] == b"BM" and len(data) >= 26 and data[6:10] == b"\x00\x00\x00\x00"


def _as_text(data: bytes) -> str | None:
    """The start of ``data`` as text when it is plausibly text (UTF-8/16 or GB18030, no NULs)."""
    sample = data[:65536]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return sample[2:].decode("utf-16", "replace")
    if b"\x00" in sample:
        return None
    for codec in ("utf-8", "gb18030"):
        try:
            text = sample.decode(codec)
        except UnicodeDecodeError as e:
            if len(sample) == 65536 and e.start >= len(sample) - 4:
                text = sample[: e.start].decode(codec)  # a character cut by the sample window
            else:
                continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f\x1a\x1b")
        return text if controls <= len(text) // 100 else None
    return None


def _looks_like_mail(text: str, declared: str, ext: str) -> bool:
    """An RFC 822 header block: several known header names before the first blank line."""
    header_block = re.split(r"\r?\n\r?\n", text, maxsplit=1)[0]
    names = re.findall(r"^([!-9;-~]+):", header_block, flags=re.MULTILINE)
    known = sum(1 for n in names if n.lower() in _MAIL_HEADERS)
    if declared.lower().startswith("message/") or ext == "eml":
        return known >= 1
    return known >= 3 and "from" in {n.lower() for n in names}
