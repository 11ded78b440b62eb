"""Outlook's own containers: TNEF (``winmail.dat``) and attached Outlook items (``.msg``).

Both are opened like archives (:mod:`intake.unpack.archives`): a generator of
:class:`~intake.unpack.archives.Member` / :class:`~parsers.model.Problem` under the same limits,
plus :class:`BodyText` for a ``.msg``'s body (the collector adds it to the texts searched for
download links). The collector lists the container with format ``tnef``/``msg`` and its
attachments with ``container`` = its name; an embedded item comes out as its own ``.msg`` part and
is opened in turn, under the depth limit.

**TNEF** ([MS-OXTNEF]): what Outlook sends in "rich text" mode — the real attachments wrapped in one
``application/ms-tnef`` part. tnefparse's object and MAPI-property parsers read it; the attribute
loop is ours because ``tnefparse.TNEF`` copies the rest of the stream for every attribute (quadratic
on a large winmail.dat), decodes 8-bit names with whatever code page the stream claims (GBK bytes
labelled cp1252 fail, and one failure drops the attachment's remaining properties) and strips
trailing NUL bytes from binary data (a zip ends in two). Names: ``PR_ATTACH_LONG_FILENAME``, as
UTF-16 (``PT_UNICODE``) or as 8-bit text in the OEM code page (``PT_STRING8``: GBK from a Chinese
Windows), else ``attAttachTitle`` (the same 8-bit text), decoded by :func:`~intake.unpack.names.decode_bytes`.
A TNEF with no attachments (a rich-text body only) is ``document.tnef`` on its part.

**.msg** ([MS-OXMSG]): an OLE compound file whose root holds ``__properties_version1.0`` and
``__substg1.0_XXXXTTTT`` streams, one ``__attach_version1.0_#N`` storage per attachment. extract-msg
opens it and its attachments; names and bodies are read from the raw streams (UTF-16 ``…001F``, or
8-bit ``…001E`` in the item's code page) for the same reason as above.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from intake.unpack.archives import Member, precheck
from intake.unpack.names import base_name, decode_bytes
from intake.unpack.types import Limits
from parsers.model import Problem

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TNEF_MAGIC = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian
_MAX_TNEF_ATTRIBUTES = 100_000  # a real winmail.dat has a dozen per attachment
_UNNAMED = "未命名附件"


@dataclass
class BodyText:
    """The body of a container item (a .msg): searched for download links like the message's own."""

    ctype: str  # text/plain | text/html
    text: str


Item = Member | Problem | BodyText


# --- telling an Outlook item from other compound files ----------------------------------------------

def is_msg(data: bytes) -> bool:
    """An Outlook item (.msg): a compound file whose root has ``__properties_version1.0`` and
    ``__substg1.0_`` streams. Word, Excel and WPS files never have either."""
    if not data.startswith(OLE_MAGIC):
        return False
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - olefile raises assorted errors on damaged containers
        return False
    try:
        root = [entry[0].lower() for entry in ole.listdir(streams=True, storages=False) if len(entry) == 1]
    except Exception:  # noqa: BLE001
        return False
    finally:
        ole.close()
    return "__properties_version1.0" in root and any(n.startswith("__substg1.0_") for n in root)


# --- shared: names and the Outlook signature pictures ---------------------------------------------

#: File names mail clients make up for the pictures of an HTML body (Outlook's image001.png,
#: Word-editor ~WRD000.jpg, ATT00001.gif, Foxmail's _Foxmail.1.png), never a sender's own file
_GENERATED_IMAGE = re.compile(
    r"(?i)^(?:image\d+|~wrd\d+|att\d+|_foxmail\.\d+|clip_image\d+|outlook-[\w-]+|inline\d*)(?:@[^.]*)?"
    r"\.(?:png|jpe?g|gif|bmp|emz|wmz|tiff?)$")


def body_picture(filename: str, content_id: str | None) -> bool:
    """A picture of an HTML body referenced by ``cid:`` (a signature logo): it has a Content-ID and
    either no name, a name a mail client generated (``image001.png``) or a Content-ID that starts
    with its name (Outlook's ``image001.png@01D6875C.8A4B2C30``). A picture the sender named
    herself (Apple Mail sends ``盖章页.jpg`` inline, with a Content-ID) is an attachment."""
    if not content_id:
        return False
    cid = content_id.strip().strip("<>").strip()
    name = filename.strip()
    return not name or bool(_GENERATED_IMAGE.match(name)) or (bool(cid) and cid.lower().startswith(name.lower() + "@"))


def _member(raw_name: str, data: bytes, problems: list[Problem] | None = None, named: bool = True) -> Member:
    """An attachment of a TNEF/.msg: a mail attachment's name, so only its base name is kept (a
    path in it is reported like one in a MIME name)."""
    name, unsafe = base_name(raw_name)
    if not name:
        name, named = _UNNAMED, False
    return Member(name, data, problems or [], raw_name if unsafe else None, named=named)


def _sized(name: str, data: bytes, limits: Limits, room: Callable[[], int], named: bool = True) -> Member:
    refusal = precheck(name, len(data), None, limits, room())
    if refusal is not None:
        return _member(name, b"", [refusal], named)
    return _member(name, data, named=named)


def _charset(codepage: int | None) -> str | None:
    return f"cp{codepage}" if codepage else None


# --- TNEF -------------------------------------------------------------------------------------

@dataclass
class _TnefAttachment:
    title: bytes | None = None
    data: bytes | None = None
    long_name: str | None = None
    short_name: str | None = None
    display_name: str | None = None
    method: int = 1
    embedded: bytes | None = None
    content_id: str | None = None
    props: list[Any] = field(default_factory=list)


def _mapi_text(prop: Any, charset: str | None) -> str:
    """A MAPI string property decoded with ``decode_mapi(..., "latin-1")``: UTF-16 as it is, 8-bit
    text (latin-1 gives back its bytes) decoded as the sender's code page / GBK / UTF-8."""
    if prop.attr_type == 0x001F:
        return "".join(prop.raw_data).split("\x00", 1)[0]
    raw = b"".join(s.encode("latin-1") if isinstance(s, str) else s for s in prop.raw_data)
    return decode_bytes(raw.split(b"\x00", 1)[0], charset)


def _tnef_attachment_props(att: _TnefAttachment, data: bytes, charset: str | None) -> None:
    from tnefparse.mapi import IMESSAGE_SIG, decode_mapi

    for p in decode_mapi(data, "latin-1"):
        if p.name in (0x3707, 0x3704, 0x3001, 0x3712) and p.attr_type in (0x001E, 0x001F):
            text = _mapi_text(p, charset)
            if p.name == 0x3707:
                att.long_name = text
            elif p.name == 0x3704:
                att.short_name = text
            elif p.name == 0x3001:
                att.display_name = text
            else:
                att.content_id = text
        elif p.name == 0x3705 and p.attr_type == 0x0003:
            att.method = p.data
        elif p.name == 0x3701 and p.raw_data:
            raw = p.raw_data[0] if isinstance(p.raw_data[0], bytes) else b""
            if raw.startswith(IMESSAGE_SIG):
                att.embedded = raw[len(IMESSAGE_SIG):]
            elif att.data is None:
                att.data = raw  # (padded to 4 bytes; attAttachData, exact, is what Outlook writes)


def _tnef_attributes(data: bytes) -> Generator[Any, None, str | None]:
    """Each attribute of the stream as a ``tnefparse`` TNEFObject, copying only that attribute;
    returns why it stopped early (damage), None at a clean end."""
    from tnefparse.tnef import TNEFObject

    offset, count = 6, 0
    while offset < len(data):
        if len(data) - offset < 11 and not data[offset:].strip(b"\x00"):
            return None  # padding after the last attribute
        if len(data) - offset < 11:
            return f"第 {count + 1} 个属性不完整（文件被截断）"
        (length,) = struct.unpack_from("<I", data, offset + 5)
        end = offset + 11 + length
        if end > len(data):
            return f"第 {count + 1} 个属性超出文件末尾（文件被截断）"
        count += 1
        if count > _MAX_TNEF_ATTRIBUTES:
            return f"属性超过 {_MAX_TNEF_ATTRIBUTES} 个"
        yield TNEFObject(data[offset:end])
        offset = end
    return None


def tnef_members(data: bytes, limits: Limits, room: Callable[[], int]) -> Generator[Item, None, None]:
    """The attachments of a winmail.dat; ``document.tnef`` when it holds none (rich-text body only)."""
    from tnefparse.tnef import TNEF

    if not data.startswith(TNEF_MAGIC):
        yield Problem("document.tnef", "不是有效的 TNEF 文件（签名不符）")
        return
    charset: str | None = None
    attachments: list[_TnefAttachment] = []
    attributes = _tnef_attributes(data)
    damage: str | None = None
    while True:
        try:
            obj = next(attributes)
        except StopIteration as stop:
            damage = stop.value
            break
        if obj.name == TNEF.ATTOEMCODEPAGE and len(obj.data) >= 4:
            charset = _charset(struct.unpack_from("<I", obj.data)[0])
        if obj.level != TNEF.LVL_ATTACHMENT:
            continue
        if obj.name == TNEF.ATTATTACHRENDDATA or not attachments:
            attachments.append(_TnefAttachment())
        att = attachments[-1]
        if obj.name == TNEF.ATTATTACHTITLE:
            att.title = bytes(obj.data).split(b"\x00", 1)[0]
        elif obj.name == TNEF.ATTATTACHDATA:
            att.data = bytes(obj.data)
        elif obj.name == TNEF.ATTATTACHMENT:
            _tnef_attachment_props(att, bytes(obj.data), charset)
    found = 0
    for att in attachments:
        if att.method == 6 or (att.data is None and att.embedded is None):
            continue  # an OLE object drawn in the rich-text body (ATTACH_OLE), not a file
        name = att.long_name or (decode_bytes(att.title, charset) if att.title else "") or att.short_name
        if att.embedded is not None:
            found += 1
            yield _sized(name or att.display_name or "附带的邮件", att.embedded, limits, room,
                         named=bool(name))
            continue
        if body_picture(name or "", att.content_id) and _is_picture(name or ""):
            continue
        found += 1
        yield _sized(name or "", att.data or b"", limits, room, named=bool(name))
    if damage is not None and found:
        yield Problem("archive.corrupt", f"winmail.dat 已损坏：{damage}，其后的附件未能取出")
    elif not found:
        why = f"已损坏（{damage}），未能取出附件" if damage else "其中只有邮件正文（RTF格式），没有附件"
        yield Problem("document.tnef", f"Outlook TNEF（winmail.dat）：{why}")


def _is_picture(name: str) -> bool:
    return name.lower().rsplit(".", 1)[-1] in ("png", "jpg", "jpeg", "gif", "bmp", "emz", "wmz", "tif", "tiff")


# --- .msg -------------------------------------------------------------------------------------

def _stream(obj: Any, name: str) -> bytes | None:
    try:
        value = obj.getStream(name)
    except Exception:  # noqa: BLE001 - a missing or damaged stream is just absent
        return None
    return value if isinstance(value, bytes) else None


def _string(obj: Any, pid: str, charset: str | None) -> str | None:
    """A string property from its raw stream: ``…001F`` UTF-16, else ``…001E`` 8-bit text."""
    raw = _stream(obj, f"__substg1.0_{pid}001F")
    if raw is not None:
        return raw.decode("utf-16-le", "replace").split("\x00", 1)[0]
    raw = _stream(obj, f"__substg1.0_{pid}001E")
    if raw is not None:
        return decode_bytes(raw.split(b"\x00", 1)[0], charset)
    return None


def _msg_charset(msg: Any) -> str | None:
    for prop in ("3FFD0003", "3FDE0003"):  # PR_MESSAGE_CODEPAGE, PR_INTERNET_CPID
        try:
            value = msg.getPropertyVal(prop)
        except Exception:  # noqa: BLE001
            value = None
        if isinstance(value, int) and value:
            return _charset(value)
    return None


def _msg_bodies(msg: Any, charset: str | None) -> Iterable[BodyText]:
    text = _string(msg, "1000", charset)
    if text:
        yield BodyText("text/plain", text)
    html = _stream(msg, "__substg1.0_10130102")
    if html:
        yield BodyText("text/html", decode_bytes(html, charset))


def msg_members(data: bytes, limits: Limits, room: Callable[[], int]) -> Generator[Item, None, None]:
    """The attachments of an Outlook item (.msg) and its body; an attached item comes out as a
    ``.msg`` of its own (extract-msg writes it out), opened in turn by the collector."""
    import extract_msg
    from extract_msg.enums import AttachmentType, ErrorBehavior

    behaviour = (ErrorBehavior.ATTACH_SUPPRESS_ALL | ErrorBehavior.STANDARDS_VIOLATION
                 | ErrorBehavior.NAMED_NAME_STREAM | ErrorBehavior.RTFDE)
    try:
        msg = extract_msg.openMsg(io.BytesIO(data), delayAttachments=True, strict=False, errorBehavior=behaviour)
    except Exception as e:  # noqa: BLE001 - extract-msg and olefile raise many types on damaged files
        yield Problem("archive.corrupt", f"Outlook 邮件（.msg）无法打开：{type(e).__name__}: {e}")
        return
    try:
        storages = {d[0] for d in msg.listDir(False, True, False) if d and d[0].startswith("__attach")}
        if len(storages) > limits.max_parts:  # refused before extract-msg builds an object for each
            yield Problem("archive.too_many", f"Outlook 邮件中有 {len(storages)} 个附件，超过上限 {limits.max_parts} 个")
            return
        charset = _msg_charset(msg)
        yield from _msg_bodies(msg, charset)
        for att in msg.attachments:
            name = _string(att, "3707", charset) or _string(att, "3704", charset) or ""
            display = _string(att, "3001", charset) or ""
            if att.type == AttachmentType.MSG:
                inner: Any = att.data
                title = name or display or (_string(inner, "0037", charset) or "").strip()
                shown = title if title.lower().endswith(".msg") else f"{title or '附带的邮件'}.msg"
                try:
                    exported = inner.exportBytes(allowBadEmbed=True)
                except Exception as e:  # noqa: BLE001
                    yield _member(shown, b"", [Problem("archive.corrupt", f"{shown}: 附带的 Outlook 邮件无法取出（{e}）")],
                                  named=bool(name))
                    continue
                yield _sized(shown, exported, limits, room, named=bool(name))
            elif att.type == AttachmentType.DATA:
                name = name or display
                content = att.data if isinstance(att.data, bytes) else b""
                if _is_picture(name) and body_picture(name, _string(att, "3712", charset)):
                    continue  # the signature logo of the item's HTML body
                yield _sized(name, content, limits, room, named=bool(name))
            elif att.type == AttachmentType.BROKEN:
                shown = name or display or _UNNAMED
                yield _member(shown, b"", [Problem("archive.corrupt", f"{shown}: 附件数据损坏，无法取出")],
                              named=bool(name or display))
            # web references (OneDrive links) and OLE objects drawn in the body are no files
    except Exception as e:  # noqa: BLE001 - as above, for damage found while reading the attachments
        yield Problem("archive.corrupt", f"Outlook 邮件（.msg）已损坏：{type(e).__name__}: {e}")
    finally:
        try:
            msg.close()
        except Exception:  # noqa: BLE001
            pass
