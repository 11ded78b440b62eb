"""Which format a file really is, from its bytes (the declared type and the extension are hints only).

Why: senders rename files (a PDF saved as ``申报表.docx``), WPS Office writes OOXML into ``.wps``,
webmail labels everything ``application/octet-stream``, and "Excel" exports from web systems
are HTML (or CSV) named ``.xls``, Word's "single file web page" is MHTML renamed ``.doc``, and "Word"
files from other editors are RTF. The reader must be chosen by what the bytes are. The sender's file
name is always kept; only ``format`` follows the bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from intake.unpack.outlook import is_msg
from parsers.model import Problem
from parsers.readers import ole
from parsers.readers.csvfile import delimiter
from parsers.readers.html import is_html, is_mhtml

_EXT_FORMAT = {
    "docx": "docx", "docm": "docx", "dotx": "docx", "dotm": "docx", "doc": "doc", "dot": "doc",
    "xlsx": "xlsx", "xlsm": "xlsx", "xltx": "xlsx", "xltm": "xlsx", "xls": "xls", "xlt": "xls",
    "pdf": "pdf", "wps": "wps", "et": "et", "zip": "zip", "rar": "rar", "7z": "7z", "eml": "eml",
    "txt": "txt", "csv": "csv", "rtf": "rtf", "odt": "odt", "ods": "ods", "htm": "html", "html": "html",
    "mht": "html", "mhtml": "html", "png": "image", "jpg": "image", "jpeg": "image", "gif": "image",
    "bmp": "image", "tif": "image", "tiff": "image", "webp": "image",
}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_MAIL_HEADERS = {"from", "to", "cc", "subject", "date", "received", "message-id", "mime-version",
                 "return-path", "content-type", "reply-to", "x-mailer", "delivered-to"}
_TNEF_MAGIC = b"\x78\x9f\x3e\x22"  # Outlook's "rich text" wrapper (winmail.dat, application/ms-tnef)
_OFFICE_TEXT_EXT = {"doc": "doc", "xls": "xls", "wps": "wps", "et": "et"}  # Office's XML flavours, saved by Office
#: Names that promise an Office document: when the bytes are a zip or an OOXML package, the OOXML
#: format the name stands for (WPS Office writes OOXML into .wps/.et; a password-protected one is OLE)
_OOXML_EXT = {ext: ("xlsx" if fmt in ("xls", "xlsx", "et") else "docx")
              for ext, fmt in _EXT_FORMAT.items() if fmt in ("doc", "docx", "wps", "xls", "xlsx", "et")}
#: OpenDocument ``mimetype`` → our format (.odt/.ods are zips, never archives to expand)
_ODF_TYPES = {"application/vnd.oasis.opendocument.text": "odt",
              "application/vnd.oasis.opendocument.text-template": "odt",
              "application/vnd.oasis.opendocument.spreadsheet": "ods",
              "application/vnd.oasis.opendocument.spreadsheet-template": "ods"}
_ODF_MANIFEST_ROOT = re.compile(
    rb"""<manifest:file-entry\b(?=[^>]*\bmanifest:full-path=["']/["'])[^>]*\bmanifest:media-type=["']([^"']+)["']""")
# main-part content types (lower case) of the packages the docx / xlsx readers open
_WORD_MAIN = (b"wordprocessingml.document.main", b"wordprocessingml.template.main",
              b"ms-word.document.macroenabled.main", b"ms-word.template.macroenabledtemplate.main")
_SHEET_MAIN = (b"spreadsheetml.sheet.main", b"spreadsheetml.template.main",
               b"ms-excel.sheet.macroenabled.main", b"ms-excel.template.macroenabled.main")


@dataclass
class Sniffed:
    format: str
    problems: list[Problem] = field(default_factory=list)


def extension(filename: str) -> str:
    """Lower-case extension without the dot ('' when none)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def sniff(data: bytes, filename: str = "", declared: str = "") -> Sniffed:
    """The contract format of ``data`` (docx doc xlsx xls pdf wps et zip rar 7z eml msg tnef txt image rtf odt ods
    html csv other)."""
    ext = extension(filename)
    head = data[:1024]
    if not data:
        return Sniffed(_EXT_FORMAT.get(ext, "other"))
    if data.startswith(b"%PDF-"):
        return Sniffed("pdf")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        kind = _zip_kind(data, ext)
        if kind == "zip" and ext in _OOXML_EXT and not _zip_opens(data):
            return Sniffed(_OOXML_EXT[ext])  # a cut-off .docx/.xlsx: the reader reports it as damaged
        return Sniffed(kind)
    if data.startswith(_TNEF_MAGIC):
        return Sniffed("tnef")  # opened by intake.unpack.outlook (document.tnef when it holds no attachment)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if is_msg(data):  # an attached Outlook item: intake.unpack.outlook
            return Sniffed("msg")
        return _ole_kind(data, ext)
    if ole.is_bare_word(data):  # Word 2.0: no OLE container; LibreOffice converts it like any .doc
        fmt = "wps" if ext == "wps" else "doc"
        return Sniffed(fmt, [Problem("document.encrypted", "加密的 Word 文档")] if ole.bare_word_encrypted(data) else [])
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
        return Sniffed(_text_kind(data, text, declared, ext))
    return Sniffed(_EXT_FORMAT.get(ext, "other"))


def _text_kind(data: bytes, text: str, declared: str, ext: str) -> str:
    """eml, rtf, html (HTML tables, MHTML web archives), csv, an Office XML flavour (its legacy name's
    format, for LibreOffice) or txt."""
    stripped = text.lstrip("\ufeff \r\n\t").lower()
    if stripped.startswith("{\\rtf"):
        return "rtf"
    if is_mhtml(data) and _web_archive(text, declared, ext):
        return "html"
    if _looks_like_mail(text, declared, ext):
        return "eml"
    if is_html(data):
        return "html"
    if ext in _OFFICE_TEXT_EXT and stripped.startswith("<"):
        return _OFFICE_TEXT_EXT[ext]  # XML Spreadsheet 2003 / Word 2003 XML: LibreOffice reads them
    if delimiter(text, prose_safe=ext != "csv") is not None or (ext == "csv" and stripped):
        return "csv"
    return "txt"


def _web_archive(text: str, declared: str, ext: str) -> bool:
    """A "single file web page" (Word/Excel/IE .mht): a multipart/related body whose headers are no
    mail's (Internet Explorer writes From/Subject/Date too, but never To, Received or Message-ID)."""
    if declared.lower().startswith("message/") or ext == "eml":
        return False
    header_block = re.split(r"\r?\n\r?\n", text, maxsplit=1)[0].lower()
    names = set(re.findall(r"^([!-9;-~]+):", header_block, flags=re.MULTILINE))
    return "multipart/related" in header_block and not names & {"to", "received", "message-id", "delivered-to"}


def _zip_opens(data: bytes) -> bool:
    try:
        zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False
    return True


def _zip_kind(data: bytes, ext: str = "") -> str:
    """docx / xlsx for OOXML (also inside .wps/.et from WPS Office), odt / ods for OpenDocument, else zip.

    A zip whose name promises an Office document (``统计表.xlsx``) and that is an empty zip, or an
    OOXML package without its main document (only ``[Content_Types].xml`` and a theme), is that
    document, damaged: the reader reports it as ``document.unreadable``. Listed as an archive it
    would vanish (no members, no finding) and the receipt would say the form never arrived. A real
    archive that was merely named .docx (members like ``Word/附件1.docx``) is still a zip.
    """
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return "zip"
    lower = [n.lower() for n in names]
    if (odf := _odf_kind(z, names, lower)) is not None:
        return odf
    if "word/document.xml" in lower:  # not just any "word/" folder: users zip folders named Word too
        return "docx"
    if "xl/workbook.xml" in lower:
        return "xlsx"
    if "[content_types].xml" in lower:
        try:
            types = z.read(names[lower.index("[content_types].xml")])[:65536].lower()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            return "zip"
        if any(t in types for t in _WORD_MAIN):
            return "docx"
        if any(t in types for t in _SHEET_MAIN):
            return "xlsx"
        if b".main" in types:  # (a pptx may embed a docx: its main part decides, not any Word type)
            return "other"  # pptx, xlsb, ...: OOXML whose main document we do not read
        if b"wordprocessingml" in types:
            return "docx"  # Word parts (styles, settings) without their document
        if b"spreadsheetml" in types:
            return "xlsx"
        return _ooxml_without_main(lower, ext)  # a package that lost its document
    if not names or any(n == "_rels/.rels" or n.startswith("docprops/") for n in lower):
        return _OOXML_EXT.get(ext, "zip")  # an empty zip, or OOXML parts without their manifest
    return "zip"


def _ooxml_without_main(lower: list[str], ext: str) -> str:
    """An OOXML package declaring no main document: the document the name (or the folders) says."""
    if ext in _OOXML_EXT:
        return _OOXML_EXT[ext]
    if any(n.startswith("word/") for n in lower):
        return "docx"
    if any(n.startswith("xl/") for n in lower):
        return "xlsx"
    return "other"


def _odf_kind(z: zipfile.ZipFile, names: list[str], lower: list[str]) -> str | None:
    """odt / ods / other for an OpenDocument package (its ``mimetype`` member, else its manifest's
    root entry), None for any other zip."""
    try:
        if "mimetype" in lower:
            media = z.read(names[lower.index("mimetype")])[:100].strip().decode("ascii", "replace")
        elif "meta-inf/manifest.xml" in lower:
            m = _ODF_MANIFEST_ROOT.search(z.read(names[lower.index("meta-inf/manifest.xml")])[:65536])
            if m is None:
                return None
            media = m[1].decode("ascii", "replace")
        else:
            return None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return None
    if not media.startswith("application/vnd.oasis.opendocument."):
        return None  # an EPUB (application/epub+zip) or any zip that happens to hold a "mimetype" file
    return _ODF_TYPES.get(media, "other")


def _ole_kind(data: bytes, ext: str) -> Sniffed:
    info = ole.inspect(data)
    legacy = _EXT_FORMAT.get(ext, "other")
    legacy = legacy if legacy in ("doc", "xls", "wps", "et") else "other"
    if info is None:
        return Sniffed(legacy)
    if info.kind == "encrypted_ooxml":
        return Sniffed(_OOXML_EXT.get(ext, "other"), [Problem("document.encrypted", "加密的 Office 文档（需要密码才能打开）")])
    if info.kind == "excel":
        fmt = "et" if ext == "et" else "xls"
        return Sniffed(fmt, [Problem("document.encrypted", "加密的 Excel 文档")] if info.encrypted else [])
    if info.kind == "word":
        fmt = "wps" if ext == "wps" else "doc"
        return Sniffed(fmt, [Problem("document.encrypted", "加密的 Word 文档")] if info.encrypted else [])
    return Sniffed(legacy)  # damaged, Works .wps, .ppt, .msg ...


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
