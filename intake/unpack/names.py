"""Decoding header values and attachment names from the bytes on the wire.

Why by hand: mail-parser and the stdlib silently replace undecodable bytes, so a name written as
raw GBK (old Windows clients) or labelled ``gb2312`` while using GBK-only characters (镕, 喆, 珺)
comes out as ``�``. Here every header value is taken as wire bytes, decoded UTF-8 → GB18030, and
RFC 2047 words / RFC 2231 parameters are decoded with the Chinese charset labels widened to
GB18030 (a superset of gb2312 and gbk, so decoding with it never loses what the sender meant).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from urllib.parse import unquote_to_bytes

# Labels Chinese clients put on GBK text; gb18030 decodes all of them (superset).
_WIDEN = {"gb2312", "gbk", "gb_2312-80", "gb_2312", "euc-cn", "euccn", "cp936", "ms936", "x-gbk", "chinese",
          "csgb2312", "x-euc-cn", "gb18030"}


def codec_for(charset: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when it is unknown/absent."""
    if not charset:
        return None
    label = charset.strip().strip('"').lower()
    if label in _WIDEN:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes: the declared charset if it decodes cleanly, else UTF-8, else GB18030, else
    the declared (or UTF-8) codec with replacement characters. Never raises."""
    tried = []
    for codec in (codec_for(charset), "utf-8", "gb18030"):
        if codec and codec not in tried:
            tried.append(codec)
            try:
                return data.decode(codec)
            except (UnicodeDecodeError, LookupError):
                continue
    return data.decode(tried[0], errors="replace")


def wire_bytes(value: str | bytes) -> bytes:
    """The original bytes of a header value as the stdlib parser holds it (surrogate-escaped)."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogateescape")


def wire_text(value: str | bytes) -> str:
    """A header value as text, with raw 8-bit bytes decoded (UTF-8, else GB18030) and unfolded."""
    text = decode_bytes(wire_bytes(value))
    return re.sub(r"\r?\n(?=[ \t])", "", text)


_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")


def _word_bytes(enc: str, text: str) -> bytes:
    if enc in "bB":
        text = re.sub(r"[^A-Za-z0-9+/]", "", text)
        text += "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text)
        except (binascii.Error, ValueError):
            return text.encode("ascii", "replace")
    raw = text.replace("_", " ").encode("utf-8", "surrogateescape")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words anywhere in ``text`` (also inside quoted parameter values,
    where Outlook and Foxmail put them). Adjacent words of one charset are joined as bytes before
    decoding, because some clients split a multi-byte character across two words."""
    out: list[str] = []
    pending: list[tuple[str | None, bytes]] = []  # (charset, bytes) of adjacent words

    def flush() -> None:
        if pending:
            out.append(decode_bytes(b"".join(b for _, b in pending), pending[0][0]))
            pending.clear()

    pos = 0
    for m in _WORD.finditer(text):
        gap = text[pos : m.start()]
        if not (pending and gap.strip() == ""):
            flush()
            out.append(gap)
        charset = m.group(1)
        if pending and codec_for(pending[0][0]) != codec_for(charset):
            flush()
        pending.append((charset, _word_bytes(m.group(2), m.group(3))))
        pos = m.end()
    flush()
    out.append(text[pos:])
    return "".join(out)


def decode_header(value: str | bytes) -> str:
    """A full header value → readable text (raw bytes and RFC 2047 both handled), NFC."""
    return unicodedata.normalize("NFC", decode_words(wire_text(value)).strip())


def _split_params(text: str) -> list[tuple[str, str, bool]]:
    """``type/sub; a=1; b="x;y"`` → [(key, value, was_quoted)], quoted strings respected."""
    params: list[tuple[str, str, bool]] = []
    i, n = 0, len(text)
    while i < n and text[i] != ";":
        i += 1
    while i < n:
        i += 1  # skip ';'
        m = re.compile(r"\s*([^=;\s]+)\s*=\s*").match(text, i)
        if not m:
            while i < n and text[i] != ";":
                i += 1
            continue
        key, i = m.group(1).lower(), m.end()
        if i < n and text[i] == '"':
            i += 1
            buf = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(text[i])
                i += 1
            i += 1
            params.append((key, "".join(buf), True))
            while i < n and text[i] != ";":
                i += 1
        else:
            j = text.find(";", i)
            j = n if j < 0 else j
            params.append((key, text[i:j].strip(), False))
            i = j
    return params


def _decode_2231(value: str, charset: str | None) -> str:
    return decode_bytes(unquote_to_bytes(value.encode("utf-8", "surrogateescape")), charset)


def header_param(value: str | bytes, name: str) -> str | None:
    """One parameter (``filename``, ``name``, ``charset``...) of a structured header, decoded.

    Order of trust: RFC 2231 extended (``name*=charset'lang'%XX``), RFC 2231 continuations
    (``name*0*=``, ``name*1=``), then the plain value with any RFC 2047 words and raw 8-bit bytes.
    """
    name = name.lower()
    plain: str | None = None
    extended: str | None = None
    segments: dict[int, tuple[str, bool]] = {}
    for key, val, _quoted in _split_params(wire_text(value)):
        if key == name:
            plain = val if plain is None else plain
        elif key == name + "*":
            extended = val
        else:
            m = re.fullmatch(re.escape(name) + r"\*(\d{1,3})(\*?)", key)
            if m:
                segments.setdefault(int(m.group(1)), (val, bool(m.group(2))))
    if extended is not None:
        charset, _, rest = extended.partition("'")
        if _ == "":
            return unicodedata.normalize("NFC", _decode_2231(extended, None))
        _lang, _, encoded = rest.partition("'")
        return unicodedata.normalize("NFC", _decode_2231(encoded, charset))
    if segments:
        seg_charset: str | None = None
        chunks: list[bytes] = []
        for idx in sorted(segments):
            val, pct_encoded = segments[idx]
            if idx == sorted(segments)[0] and pct_encoded and val.count("'") >= 2:
                seg_charset, _lang, val = val.split("'", 2)
            raw = val.encode("utf-8", "surrogateescape")
            chunks.append(unquote_to_bytes(raw) if pct_encoded else raw)
        text = decode_bytes(b"".join(chunks), seg_charset)
        return unicodedata.normalize("NFC", decode_words(text))
    if plain is not None:
        return unicodedata.normalize("NFC", decode_words(plain))
    return None


def main_value(value: str | bytes) -> str:
    """The part before the first ``;`` (e.g. the MIME type), lower-cased."""
    return wire_text(value).split(";", 1)[0].strip().lower()


def clean_filename(name: str) -> str:
    """A MIME attachment name for display: NFC, no directories (old clients sent full Windows
    paths), no control characters."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc")
    name = re.split(r"[\\/]", name)[-1].strip()
    return name


def clean_member_path(name: str) -> tuple[str, bool]:
    """An archive member path made safe for display → (clean path, was it unsafe).

    Backslashes become ``/``, drive letters and leading ``/`` go, ``.``/``..``/empty segments go.
    Nothing is ever extracted to disk by this name; cleaning is for the receipt and the ledger.
    """
    original = unicodedata.normalize("NFC", name)
    text = "".join(ch for ch in original if unicodedata.category(ch) != "Cc")
    text = text.replace("\\", "/")
    drive = re.match(r"^[A-Za-z]:", text)
    text = text[2:] if drive else text
    raw_segments = text.split("/")
    segments = [s for s in raw_segments if s not in ("", ".", "..")]
    unsafe = bool(drive) or "\\" in original or text.startswith("/") or ".." in raw_segments
    return "/".join(segments), unsafe
