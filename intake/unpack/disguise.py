"""Programs dressed as documents: an executable or a script is never a form.

Why: a mailbox that receives files from hundreds of senders receives malware too, dressed as what
is expected — ``申报表.docx`` that is a Windows program, ``申报表.docx.exe`` (Windows hides the
last extension), or ``申报表\\u202excod.exe``, which a right-to-left override (U+202E) shows as
``申报表exe.docx``. Such a part gets ``document.executable`` (an error naming it), is never read,
expanded or classified (form ``unknown``), and its name is shown with every bidi and control
character escaped (``\\u202e``), so the receipt and the ledger show what the name really is.

:func:`inspect` is called on every part as it is added (:class:`intake.unpack.collect.Collector`),
wherever it came from: a MIME part, an archive member, a TNEF/.msg attachment, a uuencoded file.
"""

from __future__ import annotations

import struct
import unicodedata

from intake.unpack.types import Part
from parsers.model import Problem

#: Extensions Windows (or a Java runtime) runs when the file is opened
EXECUTABLE_EXT = frozenset({
    "exe", "scr", "com", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh", "ps1", "jar", "msi",
    "hta", "cpl",
})
_MACHO = {b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
          b"\xca\xfe\xba\xbe", b"\xbe\xba\xfe\xca"}
#: Extensions a form arrives with: a double extension ending in an executable one names one of these first
_DOCUMENT_EXT = frozenset({"doc", "docx", "docm", "dot", "dotx", "xls", "xlsx", "xlsm", "xlt", "xltx", "pdf", "wps",
                           "et", "txt", "zip", "rar", "7z", "jpg", "jpeg", "png", "ppt", "pptx", "rtf", "csv", "odt", "ods",
                           "htm", "html", "mht", "mhtml"})


def executable_content(data: bytes) -> str | None:
    """What kind of program the bytes are, or None: a Windows PE (``MZ`` with a ``PE\\0\\0`` header at
    ``e_lfanew``), ELF, Mach-O (thin or universal), or a script with a ``#!`` line."""
    if data[:2] == b"MZ" and len(data) >= 0x40:
        (offset,) = struct.unpack_from("<I", data, 0x3C)
        if data[offset:offset + 4] == b"PE\0\0":
            return "Windows 可执行程序（PE）"
    if data[:4] == b"\x7fELF":
        return "Linux 可执行程序（ELF）"
    if data[:4] in _MACHO:
        return "macOS 可执行程序（Mach-O）"
    if data[:2] == b"#!":
        return "脚本（#!）"
    return None


def _hidden(ch: str) -> bool:
    """Control characters and format characters (bidi overrides and isolates, zero-width marks):
    they change how a name looks, never what it is."""
    return unicodedata.category(ch) in ("Cc", "Cf")


def shown(name: str) -> str:
    """``name`` with every bidi and control character escaped (``\\u202e``), as it is displayed."""
    return "".join(f"\\u{ord(ch):04x}" if _hidden(ch) and ord(ch) <= 0xFFFF
                   else f"\\U{ord(ch):08x}" if _hidden(ch) else ch for ch in name)


def real_extension(name: str) -> str:
    """The extension Windows goes by: bidi and control characters removed, trailing dots and spaces
    ignored (``x.exe .`` runs as ``x.exe``), lower case; '' when none."""
    base = "".join(ch for ch in name if not _hidden(ch)).replace("\\", "/").rsplit("/", 1)[-1].rstrip(" .")
    return base.rsplit(".", 1)[-1].strip().lower() if "." in base else ""


def _reasons(data: bytes, name: str) -> list[str]:
    out = []
    content = executable_content(data)
    if content is not None:
        out.append(f"文件内容是{content}")
    ext = real_extension(name)
    if ext in EXECUTABLE_EXT:
        visible = "".join(ch for ch in name if not _hidden(ch)).rstrip(" .")
        inner = visible.rsplit(".", 1)[0]
        second = inner.rsplit(".", 1)[-1].strip().lower() if "." in inner else ""
        if second in _DOCUMENT_EXT:
            out.append(f"双扩展名：看似“.{second}”文件，实际扩展名为“.{ext}”")
        else:
            out.append(f"实际扩展名为“.{ext}”")
    if out and any(_hidden(ch) for ch in name):
        out.append("文件名中含有改变显示顺序的控制字符（" + "、".join(sorted({shown(ch) for ch in name if _hidden(ch)})) + "）")
    return out


def inspect(part: Part) -> bool:
    """Flag ``part`` when it is an executable or a script (see the module docstring); True when it is.

    Every name is shown with its bidi/control characters escaped, executable or not."""
    reasons = _reasons(part.data, part.filename)
    escaped = shown(part.filename)
    if escaped != part.filename:
        part.filename = escaped
    if not reasons:
        return False
    part.format = "other"  # never read, never expanded (a .jar is a zip, an SFX .exe holds a rar)
    part.named = False  # its name must not classify it: a program named 申报表.docx is no 申报表
    part.problems.append(Problem("document.executable", "；".join(reasons)))
    return True
