"""MIME: one raw message → :class:`Unpacked` (headers, body text, a flat list of parts).

mail-parser does the parsing and the defect list; names, subject and sender are then decoded
again from the raw header bytes (:mod:`intake.unpack.names`) because mail-parser drops bytes it
cannot decode. Workarounds for broken mail live in :mod:`intake.unpack.repairs`. Containers (zip/rar/7z,
Outlook's winmail.dat and .msg, attached messages) are expanded by :class:`intake.unpack.collect.Collector`,
which calls back into :func:`walk` for messages; uuencoded files in a text body are taken out here
(:mod:`intake.unpack.uuencode`).
"""

from __future__ import annotations

import email
import email.message
import html
import re
from collections.abc import Callable
from typing import TypeVar

import mailparser

from intake.unpack import uuencode
from intake.unpack.collect import Collector, unsafe_name
from intake.unpack.dates import parse_date, received_date
from intake.unpack.feed import parse_bytes
from intake.unpack.links import download_links
from intake.unpack.names import (
    MAX_ADDRESSES,
    addresses,
    base_name,
    decode_bytes,
    decode_header,
    decode_words,
    header_param,
    main_value,
    strip_controls,
    unfold,
    wire_str,
    wire_text,
)
from intake.unpack.outlook import body_picture
from intake.unpack.repairs import (
    decoded_payload,
    message_bytes,
    split_failed,
    strict_parse,
    truncated,
    unfolded_boundaries,
    with_guessed_boundary,
)
from intake.unpack.sniff import sniff
from intake.unpack.types import Limits, Part, Unpacked
from parsers.model import Problem

Message = email.message.Message
_MAX_MIME_NESTING = 40  # deeper multipart nesting is hostile; mail-parser refuses beyond its own bound
_ATTACHED = ("message/rfc822", "message/global")
T = TypeVar("T")
_IMAGE_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/bmp": "bmp", "image/tiff": "tif"}


def unpack_message(raw: bytes, limits: Limits | None = None) -> Unpacked:
    """Unpack one raw RFC 5322 message. Never raises: whatever could not be understood becomes a
    :class:`Problem` (``message.malformed`` when nothing sensible was found)."""
    try:
        return _unpack(bytes(raw or b""), limits or Limits())
    except Exception as e:  # the contract: bad input must never take the pipeline down
        return Unpacked(None, None, None, [], None, None, None, [], "",
                        problems=[Problem("message.malformed", f"无法解析邮件：{type(e).__name__}: {e}")])


def _parse(raw: bytes) -> tuple[Message, list[str]]:
    """mail-parser's message tree and its defects as flat strings; the stdlib when it gives up."""
    try:
        mp = mailparser.MailParser(parse_bytes(raw))  # what parse_from_bytes does, at a quarter of the memory
        defects = []
        for entry in mp.defects or []:
            for where, items in (entry.items() if isinstance(entry, dict) else [("", [entry])]):
                defects += [f"{where}: {d}" if where else str(d) for d in items]
        if mp.message is not None:
            return mp.message, defects
    except Exception as e:  # mail-parser raises its own errors on hostile input: fall back
        defects = [f"mail-parser: {type(e).__name__}: {e}"]
    return parse_bytes(raw), defects


def _split(raw: bytes, problems: list[Problem]) -> tuple[Message, list[str]]:
    """The message tree, with the repairs for a multipart that does not split, in order: folded
    ``boundary`` values unfolded (before any parse), the strict stdlib parse, the guessed boundary."""
    unfolded = unfolded_boundaries(raw)
    msg, defects = _parse(unfolded)
    if unfolded != raw:
        defects.append("boundary 参数跨行折叠，已展开后拆分")
    if split_failed(msg) and (strict := strict_parse(unfolded)) is not None:
        defects.append("multipart 宽松解析无法拆分，已按严格解析（RFC 5322）拆分")
        msg = strict
    if split_failed(msg):
        fixed = with_guessed_boundary(unfolded)
        if fixed is not None:
            defects.append("boundary 缺失或不符，已按正文中的分隔行恢复")
            msg = parse_bytes(fixed)
        if split_failed(msg):
            problems.append(Problem("message.malformed", "邮件声明为多部分但无法拆分（缺少或错误的 boundary），附件无法取出"))
    return msg, defects


def _unpack(raw: bytes, limits: Limits) -> Unpacked:
    problems: list[Problem] = []
    msg, defects = _split(raw, problems)
    headers = _headers(msg, defects)
    known = {n.lower() for n, _ in headers} & {"from", "to", "subject", "date", "message-id", "received"}
    if not raw.strip() or not known:
        problems.append(Problem("message.malformed", "没有可识别的邮件信头，不是一封完整的邮件"))
    # each header on its own: one that cannot be read is empty, never the whole message
    no_sender: tuple[str | None, str | None] = (None, None)
    from_name, from_addr = _header(defects, "From", lambda: _from(msg), no_sender)
    body_parts: list[tuple[str, str]] = []
    unpacked = Unpacked(
        message_id=_header(defects, "Message-ID", lambda: _first(msg, "Message-ID"), None),
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=_header(defects, "To/Cc", lambda: _recipients(msg), []),
        subject=_header(defects, "Subject", lambda: _decoded(msg, "Subject"), None),
        date=_header(defects, "Date", lambda: parse_date(_first(msg, "Date")), None),
        received=_header(defects, "Received",
                         lambda: received_date([wire_text(v) for v in raw_headers(msg, "Received")]), None),
        headers=headers,
        body_text="",
        defects=defects,
        problems=problems,
    )
    collector = Collector(limits, _open_attached)
    walk(msg, None, 0, collector, body_parts, unpacked.problems)
    unpacked.parts = collector.parts
    unpacked.body_text = _body(body_parts)
    links = download_links([t for _, t in body_parts + collector.bodies])  # .msg bodies too
    if links:
        problems.append(Problem("message.download_link", "正文中的下载链接：" + "；".join(links[:5])))
    if truncated(msg):
        problems.append(Problem("message.malformed", "邮件不完整（最后一个部分被截断），请重新发送"))
    return unpacked


def walk(
    node: Message,
    container: Part | None,
    depth: int,
    collector: Collector,
    body: list[tuple[str, str]] | None,
    problems: list[Problem],
    nesting: int = 0,
    related: bool = False,
) -> None:
    """Add every attachment of ``node`` to the collector. ``body`` collects the text bodies of the
    outer message only (None for attached messages, whose bodies are not ours to read; their
    uuencoded files are still theirs). ``related``: ``node`` is a resource of an HTML body (a child
    of multipart/related).

    Every branch counts: a named part is an attachment wherever it sits and whatever its
    disposition (Apple Mail puts attachments ``inline`` inside multipart/alternative or
    multipart/related), except the pictures an HTML body shows through ``cid:`` (Outlook's
    ``image001.png`` signature logo, :func:`intake.unpack.outlook.body_picture`)."""
    name_of_container = container.filename if container is not None else None
    ctype = node.get_content_type()
    if node.is_multipart() and node.get_content_maintype() == "multipart":
        if nesting >= _MAX_MIME_NESTING:
            problems.append(Problem("message.malformed", "MIME 嵌套层数过多，其余部分未处理"))
            return
        inner_related = node.get_content_subtype() == "related"
        for child in node.get_payload():
            if isinstance(child, Message):
                walk(child, container, depth, collector, body, problems, nesting + 1, inner_related)
        return
    cd = raw_header(node, "Content-Disposition")
    ct = raw_header(node, "Content-Type")
    disposition = main_value(cd) if cd is not None else ""
    filename, original = _filename(cd, ct)
    notices = [unsafe_name(original, filename)] if original is not None else []
    if related and _body_resource(node, disposition, filename):
        return  # the logo or pasted picture of an HTML body (Outlook signatures): not an attachment
    if ctype in _ATTACHED or (node.is_multipart() and node.get_content_maintype() == "message"):
        data = message_bytes(node)
        named = bool(filename)
        if not named:
            filename = _subject_name(node)
        _add(collector, Part(filename, name_of_container, data, "other", ctype, notices, depth=depth, named=named),
             container, problems)
        return
    if not filename:
        if ctype in ("text/plain", "text/html") and disposition != "attachment":
            text = _body_text(node, ctype, container, depth, collector, problems)
            if body is not None:
                body.append((ctype, text))
            return
        if node.get_content_maintype() not in ("application", "audio", "video") and disposition != "attachment":
            return  # unnamed inline images of an HTML body, delivery reports ...
    data = decoded_payload(node)
    named = bool(filename)
    if not named:
        filename = _unnamed(data, ctype, len(collector.parts) + 1)
    _add(collector, Part(filename, name_of_container, data, "other", ctype, notices, depth=depth, named=named),
         container, problems)


def _filename(cd: str | None, ct: str | None) -> tuple[str, str | None]:
    """The attachment's name: Content-Disposition ``filename``, else Content-Type ``name``. When the
    disposition only carries an ASCII stand-in (``ATT00001.docx``, ``attachment.docx``) and the type
    carries a real non-ASCII name, the real one is what the sender typed. Returns (base name, the
    original when it carried a path: ``C:\\temp\\x.docx``, ``../../x.docx``)."""
    from_cd = header_param(cd, "filename") if cd is not None else None
    from_ct = header_param(ct, "name") if ct is not None else None
    name = from_cd or from_ct
    if from_cd and from_ct and from_cd.isascii() and not from_ct.isascii():
        name = from_ct
    if not name:
        return "", None
    base, had_path = base_name(name)
    return base, (name if had_path and base else None)


def _body_resource(node: Message, disposition: str, filename: str) -> bool:
    """An image an HTML body shows through ``cid:`` (a Content-ID, not an attachment, and no name
    of the sender's own: see :func:`intake.unpack.outlook.body_picture`)."""
    if node.get_content_maintype() != "image" or disposition == "attachment":
        return False
    cid = raw_header(node, "Content-ID")
    return cid is not None and body_picture(filename, wire_text(cid))


def _body_text(node: Message, ctype: str, container: Part | None, depth: int, collector: Collector,
               problems: list[Problem]) -> str:
    """A text body; uuencoded files in a plain-text one (``begin 644 name`` … ``end``) become parts
    of the message (or of the attached message), and leave the text."""
    ct = raw_header(node, "Content-Type")
    charset = header_param(ct, "charset") if ct is not None else None
    payload = decoded_payload(node)
    if ctype == "text/plain":
        files, payload = uuencode.extract(payload)
        for f in files:
            raw_name = decode_bytes(f.raw_name, charset)
            name, had_path = base_name(raw_name)
            notices = [unsafe_name(raw_name, name)] if had_path and name else []
            if not f.complete:
                notices.append(Problem("archive.corrupt", f"{name}: uuencode 数据不完整（缺少 end 行），文件可能被截断"))
            named = bool(name)
            part = Part(name or _unnamed(f.data, "", len(collector.parts) + 1),
                        container.filename if container is not None else None, f.data, "other", "", notices,
                        depth=depth, named=named)
            _add(collector, part, container, problems)
    return decode_bytes(payload, charset)


def _add(collector: Collector, part: Part, container: Part | None, problems: list[Problem]) -> None:
    if not collector.add(part):
        collector.too_many(container, problems)


def _open_attached(part: Part, collector: Collector) -> None:
    """Collector callback: walk an attached message (MIME part or .eml inside an archive)."""
    data = unfolded_boundaries(part.data)
    inner = parse_bytes(data)
    if split_failed(inner):
        inner = strict_parse(data) or inner
    walk(inner, part, part.depth + 1, collector, None, part.problems)


def raw_headers(msg: Message, name: str) -> list[str]:
    """All values of a header as the parser stored them (surrogate-escaped wire text).

    Never ``msg.get()``: compat32 turns 8-bit values into ``Header`` objects that lose the bytes."""
    key = name.lower()
    return [v for k, v in msg.raw_items() if k.lower() == key]


def raw_header(msg: Message, name: str) -> str | None:
    values = raw_headers(msg, name)
    return values[0] if values else None


def _decoded(msg: Message, name: str) -> str | None:
    value = raw_header(msg, name)
    return decode_header(value) if value is not None else None


def _first(msg: Message, name: str) -> str | None:
    value = raw_header(msg, name)
    if value is None:
        return None
    text = wire_text(value).strip()
    return text or None


def _header(defects: list[str], name: str, read: Callable[[], T], empty: T) -> T:
    """One header read on its own: when it cannot be read, it alone is empty (and noted)."""
    try:
        return read()
    except Exception as e:  # noqa: BLE001 - hostile header values: lose that header, keep the message
        defects.append(f"{name}: 无法解析（{type(e).__name__}），按空处理")
        return empty


def _headers(msg: Message, defects: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in msg.raw_items():
        out.append((name, _header(defects, name, lambda: decode_header(value), "")))  # noqa: B023 - called at once
    return out


def _from(msg: Message) -> tuple[str | None, str | None]:
    value = raw_header(msg, "From")
    if value is None:
        return None, None
    text = unfold(wire_str(value))
    pairs = addresses(text, limit=1)
    if not pairs:
        m = re.search(r"[\w.+-]+@[\w.-]+", wire_text(value)[:4096])
        return None, (m.group(0).lower() if m else None)
    raw_name, addr = pairs[0]
    name = strip_controls(decode_words(raw_name)).strip().strip('"').strip() or None
    return name, wire_text(addr).strip().lower()


def _recipients(msg: Message) -> list[str]:
    """To: and Cc: addresses, at most :data:`MAX_ADDRESSES` in all."""
    found: list[str] = []
    for header in ("To", "Cc"):
        for value in raw_headers(msg, header):
            for _name, addr in addresses(unfold(wire_str(value)), MAX_ADDRESSES - len(found)):
                addr = wire_text(addr).strip().lower()  # raw 8-bit bytes decoded like any header text
                if "@" in addr:
                    found.append(addr)
            if len(found) >= MAX_ADDRESSES:
                return found
    return found


def _subject_name(node: Message) -> str:
    """File name of an attached message with none: its subject + ``.eml``, as mail clients show it."""
    payload = node.get_payload()
    subject = ""
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        subject = _decoded(payload[0], "Subject") or ""
    subject = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", subject).strip()[:120]
    return (subject or "(无主题)") + ".eml"


def _unnamed(data: bytes, ctype: str, n: int) -> str:
    """A display name for a part the sender named not at all (the part is ``named=False``): it
    looks like the notice's 附件N, so it must never be read as one."""
    fmt = sniff(data, "", ctype).format
    ext = _IMAGE_EXT.get(ctype, "jpg") if fmt == "image" else ("" if fmt == "other" else fmt)
    return f"未命名附件{n}" + (f".{ext}" if ext else "")


def _body(parts: list[tuple[str, str]]) -> str:
    """The plain-text body; an HTML-only body is reduced to its text."""
    plain = [t for c, t in parts if c == "text/plain"]
    if plain:
        return "\n".join(plain).strip()
    htmls = [t for c, t in parts if c == "text/html"]
    if not htmls:
        return ""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", "\n".join(htmls))
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"[ \t\u00a0]+", " ", re.sub(r"\n\s*\n+", "\n", text)).strip()
