"""Raw MIME written byte by byte, the way particular mail clients write it.

Why not ``email.message.EmailMessage``: the stdlib writes clean, modern MIME. Real clients do not
— 163 webmail puts RFC 2047 words inside quoted ``filename=``, Foxmail labels GBK text
``gb2312``, Thunderbird splits long names into RFC 2231 continuations, old clients send raw 8-bit
header bytes. Building the bytes by hand is the only way to test what actually arrives.
"""

from __future__ import annotations

import base64
import quopri
import re
from urllib.parse import quote_from_bytes

CRLF = b"\r\n"
Header = tuple[str, str | bytes]


def _b(value: str | bytes, charset: str = "utf-8") -> bytes:
    return value if isinstance(value, bytes) else value.encode(charset)


def b64_lines(data: bytes, width: int = 76, eol: bytes = CRLF) -> bytes:
    """Base64 wrapped at ``width`` characters (163/QQ use 76, Outlook 76, some webmails 72)."""
    text = base64.b64encode(data)
    return eol.join(text[i : i + width] for i in range(0, len(text), width)) + eol


def qp_body(data: bytes) -> bytes:
    return quopri.encodestring(data).replace(b"\n", CRLF)


def word(text: str, charset: str = "utf-8", enc: str = "B") -> str:
    """One RFC 2047 encoded word (``=?charset?B?...?=``); no splitting."""
    raw = text.encode(charset)
    if enc.upper() == "B":
        payload = base64.b64encode(raw).decode("ascii")
    else:
        payload = "".join(chr(c) if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else f"={c:02X}"
                          for c in raw)
    return f"=?{charset}?{enc}?{payload}?="


def words(text: str, charset: str = "utf-8", enc: str = "B", chunk: int = 10) -> str:
    """Several encoded words split every ``chunk`` characters and folded, as Outlook writes them."""
    parts = [word(text[i : i + chunk], charset, enc) for i in range(0, len(text), chunk)]
    return "\r\n ".join(parts)


def rfc2231(text: str, charset: str = "utf-8", lang: str = "") -> str:
    """``charset'lang'%XX...`` (the value of ``filename*=``)."""
    return f"{charset}'{lang}'" + quote_from_bytes(text.encode(charset), safe="")


def rfc2231_continued(param: str, text: str, charset: str = "utf-8", size: int = 30) -> str:
    """``param*0*=utf-8''%E7..; param*1*=%E8..`` folded one segment per line (Thunderbird).
    Segments never cut a ``%XX`` triplet, but do cut multi-byte characters (RFC 2231 allows it)."""
    tokens = re.findall(r"%[0-9A-F]{2}|.", quote_from_bytes(text.encode(charset), safe=""))
    segs: list[str] = []
    for tok in tokens:
        if not segs or len(segs[-1]) + len(tok) > size:
            segs.append("")
        segs[-1] += tok
    out = [f"{param}*{n}*={charset + chr(39) * 2 if n == 0 else ''}{seg}" for n, seg in enumerate(segs)]
    return ";\r\n ".join(out)


def headers(items: list[Header], eol: bytes = CRLF) -> bytes:
    return b"".join(_b(k) + b": " + _b(v) + eol for k, v in items)


def leaf(items: list[Header], body: bytes, eol: bytes = CRLF) -> bytes:
    """One MIME entity: headers, blank line, body (already encoded)."""
    return headers(items, eol) + eol + body


def multipart(
    subtype: str,
    parts: list[bytes],
    boundary: str,
    items: list[Header] | None = None,
    preamble: bytes = b"This is a multi-part message in MIME format.\r\n",
    close: bool = True,
    eol: bytes = CRLF,
) -> bytes:
    """A multipart entity whose own headers are ``items`` + the Content-Type written here."""
    head = list(items or []) + [("Content-Type", f'multipart/{subtype};{eol.decode()}\tboundary="{boundary}"')]
    body = preamble + eol
    for p in parts:
        body += b"--" + boundary.encode() + eol + p
        if not p.endswith(eol):
            body += eol
    if close:
        body += b"--" + boundary.encode() + b"--" + eol
    return leaf(head, body, eol)


def attachment(
    data: bytes,
    name_params: str,
    ctype: str = "application/octet-stream",
    disposition: str = "attachment",
    cte: str = "base64",
    extra: list[Header] | None = None,
    ct_name: str | None = None,
) -> bytes:
    """An attachment part. ``name_params`` is written verbatim after ``disposition;`` (e.g.
    ``filename="=?GBK?B?...?="``); ``ct_name`` likewise after ``Content-Type: ...;``."""
    ct = f"{ctype};\r\n\t{ct_name}" if ct_name else ctype
    body = b64_lines(data) if cte == "base64" else (qp_body(data) if cte == "quoted-printable" else data)
    items: list[Header] = [("Content-Type", ct), ("Content-Transfer-Encoding", cte)]
    items += list(extra or [])
    if disposition:
        items.append(("Content-Disposition", f"{disposition};\r\n\t{name_params}" if name_params else disposition))
    return leaf(items, body)


def text_part(text: str, charset: str = "utf-8", subtype: str = "plain", cte: str = "base64") -> bytes:
    data = text.encode(charset)
    body = b64_lines(data) if cte == "base64" else (qp_body(data) if cte == "quoted-printable" else data)
    return leaf([("Content-Type", f'text/{subtype}; charset="{charset}"'), ("Content-Transfer-Encoding", cte)], body)


