"""Outlook's containers written by hand, from the format descriptions: TNEF (winmail.dat,
[MS-OXTNEF]) and Outlook items (.msg, [MS-OXMSG]: a compound file with ``__substg1.0_`` streams).

No library writes either format, and a fixture written by the same library that reads it would
share its mistakes; these writers follow the specifications only, with the variants Outlook really
produces (long names as UTF-16 MAPI properties or as 8-bit GBK, attachments without a long name,
embedded messages).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from tests.unpack.cfbgen import make_cfb

# --- TNEF ------------------------------------------------------------------------------------

TNEF_SIGNATURE = 0x223E9F78
LVL_MESSAGE, LVL_ATTACHMENT = 0x01, 0x02
# attribute types (atp*) and ids (att*), [MS-OXTNEF] 2.1.3.1
ATP_STRING, ATP_TEXT, ATP_BYTE, ATP_WORD, ATP_DWORD = 0x0001, 0x0002, 0x0006, 0x0007, 0x0008
ATT_TNEF_VERSION, ATT_OEM_CODEPAGE, ATT_MESSAGE_CLASS, ATT_BODY = 0x9006, 0x9007, 0x8008, 0x800C
ATT_ATTACH_REND_DATA, ATT_ATTACH_TITLE, ATT_ATTACH_DATA, ATT_ATTACHMENT = 0x9002, 0x8010, 0x800F, 0x9005
# MAPI property types and ids
PT_LONG, PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT = 0x0003, 0x001E, 0x001F, 0x0102, 0x000D
PR_DISPLAY_NAME, PR_ATTACH_DATA_OBJ, PR_ATTACH_FILENAME = 0x3001, 0x3701, 0x3704
PR_ATTACH_METHOD, PR_ATTACH_LONG_FILENAME, PR_ATTACH_CONTENT_ID = 0x3705, 0x3707, 0x3712
IMESSAGE_IID = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"


def tnef_attribute(level: int, attr_id: int, attr_type: int, data: bytes) -> bytes:
    """level, attribute id (id in the low word, type in the high word), length, data, checksum
    (the sum of the data bytes modulo 65536)."""
    return struct.pack("<BHHI", level, attr_id, attr_type, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def mapi_props(props: list[tuple[int, int, bytes | int]]) -> bytes:
    """An attMsgProps/attAttachment value: count, then each (type, id, value); variable-size values
    as a count of values (1), their length and the bytes padded to 4."""
    out = struct.pack("<I", len(props))
    for ptype, pid, value in props:
        out += struct.pack("<HH", ptype, pid)
        if ptype == PT_LONG:
            assert isinstance(value, int)
            out += struct.pack("<I", value)
        else:
            assert isinstance(value, bytes)
            out += struct.pack("<II", 1, len(value)) + value + b"\0" * (-len(value) % 4)
    return out


@dataclass
class TnefFile:
    title: bytes | None  # attAttachTitle, in the OEM code page (8.3 name or the long name itself)
    data: bytes
    long_name: str | bytes | None = None  # PR_ATTACH_LONG_FILENAME: str → PT_UNICODE, bytes → PT_STRING8
    method: int = 1  # ATTACH_BY_VALUE; 5 = embedded message (data is then a TNEF stream)
    content_id: str | None = None


def make_tnef(files: list[TnefFile], body: bytes | None = b"", codepage: int = 936) -> bytes:
    """A winmail.dat: version, OEM code page, message class, the body, then each attachment
    (attAttachRendData opens it, then its title, data and MAPI properties)."""
    out = struct.pack("<IH", TNEF_SIGNATURE, 0x0A1B)
    out += tnef_attribute(LVL_MESSAGE, ATT_TNEF_VERSION, ATP_DWORD, struct.pack("<I", 0x00010000))
    out += tnef_attribute(LVL_MESSAGE, ATT_OEM_CODEPAGE, ATP_BYTE, struct.pack("<II", codepage, 0))
    out += tnef_attribute(LVL_MESSAGE, ATT_MESSAGE_CLASS, ATP_WORD, b"IPM.Microsoft Mail.Note\0")
    if body is not None:
        out += tnef_attribute(LVL_MESSAGE, ATT_BODY, ATP_TEXT, body)
    for f in files:
        rend = struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0)
        out += tnef_attribute(LVL_ATTACHMENT, ATT_ATTACH_REND_DATA, ATP_BYTE, rend)
        if f.title is not None:
            out += tnef_attribute(LVL_ATTACHMENT, ATT_ATTACH_TITLE, ATP_STRING, f.title + b"\0")
        props: list[tuple[int, int, bytes | int]] = [(PT_LONG, PR_ATTACH_METHOD, f.method)]
        if f.method == 5:
            props.append((PT_OBJECT, PR_ATTACH_DATA_OBJ, IMESSAGE_IID + f.data))
        else:
            out += tnef_attribute(LVL_ATTACHMENT, ATT_ATTACH_DATA, ATP_BYTE, f.data)
        if isinstance(f.long_name, str):
            props.append((PT_UNICODE, PR_ATTACH_LONG_FILENAME, (f.long_name + "\0").encode("utf-16-le")))
        elif isinstance(f.long_name, bytes):
            props.append((PT_STRING8, PR_ATTACH_LONG_FILENAME, f.long_name + b"\0"))
        if f.content_id:
            props.append((PT_UNICODE, PR_ATTACH_CONTENT_ID, (f.content_id + "\0").encode("utf-16-le")))
        out += tnef_attribute(LVL_ATTACHMENT, ATT_ATTACHMENT, ATP_BYTE, mapi_props(props))
    return out


# --- .msg ------------------------------------------------------------------------------------

STORE_UNICODE_OK = 0x00040000


@dataclass
class MsgFile:
    long_name: str | bytes | None  # str: a ...001F (UTF-16) stream; bytes: a ...001E (8-bit) stream
    data: bytes = b""
    short_name: str | None = None
    embedded: Msg | None = None  # an attached Outlook item (PR_ATTACH_METHOD 5, storage 3701000D)
    content_id: str | None = None
    hidden: bool = False
    mime: str | None = None


@dataclass
class Msg:
    subject: str = "转发：推荐材料"
    body: str | None = "您好，附件是推荐材料，请查收。"
    html: bytes | None = None
    files: list[MsgFile] = field(default_factory=list)
    unicode: bool = True  # False: 8-bit strings (…001E) in code page ``codepage``
    codepage: int = 936


def _prop(pid: int, ptype: int, value: int, flags: int = 6) -> bytes:
    return struct.pack("<IIQ", (pid << 16) | ptype, flags, value)


def _text(msg: Msg, text: str | bytes) -> tuple[str, bytes]:
    """(stream name suffix, bytes) of a string property in the message's string encoding."""
    if isinstance(text, bytes):
        return "001E", text
    if msg.unicode:
        return "001F", text.encode("utf-16-le")
    return "001E", text.encode("gbk")


def _msg_streams(msg: Msg, prefix: str, top: bool) -> dict[str, bytes]:
    props = _prop(0x340D, 0x0003, STORE_UNICODE_OK if msg.unicode else 0) + _prop(0x3FFD, 0x0003, msg.codepage)
    header = struct.pack("<QIIII", 0, 0, len(msg.files), 0, len(msg.files)) + (b"\0" * 8 if top else b"")
    streams = {f"{prefix}__properties_version1.0": header + props}
    if top:  # the named-property map (GUID, entry and string streams), empty: no named properties
        streams.update({f"__nameid_version1.0/__substg1.0_000{n}0102": b"" for n in (2, 3, 4)})
    for pid, value in ((0x001A, "IPM.Note"), (0x0037, msg.subject), (0x1000, msg.body)):
        if value is not None:
            suffix, raw = _text(msg, value)
            streams[f"{prefix}__substg1.0_{pid:04X}{suffix}"] = raw
    if msg.html is not None:
        streams[f"{prefix}__substg1.0_10130102"] = msg.html
    for i, f in enumerate(msg.files):
        at = f"{prefix}__attach_version1.0_#{i:08X}/"
        method = 5 if f.embedded is not None else 1
        aprops = _prop(0x3705, 0x0003, method) + _prop(0x0E21, 0x0003, i)
        if f.hidden:
            aprops += _prop(0x7FFE, 0x000B, 1)
        streams[f"{at}__properties_version1.0"] = b"\0" * 8 + aprops
        for pid, value in ((0x3707, f.long_name), (0x3704, f.short_name), (0x3712, f.content_id), (0x370E, f.mime)):
            if value is not None:
                suffix, raw = _text(msg, value)
                streams[f"{at}__substg1.0_{pid:04X}{suffix}"] = raw
        if f.embedded is not None:
            streams.update(_msg_streams(f.embedded, f"{at}__substg1.0_3701000D/", False))
        else:
            streams[f"{at}__substg1.0_37010102"] = f.data
    return streams


def make_msg(msg: Msg) -> bytes:
    """The .msg Outlook saves (or attaches as an "Outlook item"): a compound file whose root holds
    ``__properties_version1.0`` and ``__substg1.0_XXXXTTTT`` streams, one ``__attach_version1.0_#N``
    storage per attachment (an embedded item as storage ``__substg1.0_3701000D``)."""
    return make_cfb(_msg_streams(msg, "", True), exact=True)
