"""Decoding header values and attachment names from the bytes on the wire.

Why by hand: mail-parser and the stdlib silently replace undecodable bytes, so a name written as
raw GBK (old Windows clients) or labelled ``gb2312`` while using GBK-only characters (镕, 喆, 珺)
comes out as ``�``. Here every header value is taken as wire bytes; RFC 2047 words / RFC 2231
parameters are decoded with their declared charset (Chinese labels widened to GB18030, a superset
of gb2312 and gbk, so decoding with it never loses what the sender meant), and bytes without a
label (or not fitting it) by :func:`decode_bytes`: UTF-8, else GB18030 *only* when the result is
Chinese — ``Fr\xf6sche`` is valid GBK too — else Western text. Control characters and terminal
escapes never reach a name or a subject (:func:`strip_controls`).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from email.utils import getaddresses
from urllib.parse import unquote_to_bytes

# Labels Chinese clients put on GBK text; gb18030 decodes all of them (superset).
_WIDEN = {"gb2312", "gbk", "gb_2312-80", "gb_2312", "euc-cn", "euccn", "cp936", "ms936", "x-gbk", "chinese",
          "csgb2312", "x-euc-cn", "gb18030"}
#: Labels real mail carries that Python's codec registry does not know (or knows as a narrower set).
_ALIASES = {"windows-874": "cp874", "x-windows-874": "cp874", "windows-31j": "cp932", "x-sjis": "shift_jis",
            "x-mac-roman": "mac-roman", "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949"}
#: Labels that say nothing about the bytes: treated as no label when the bytes do not fit them.
_NO_LABEL = {"", "unknown-8bit", "x-unknown", "unknown", "us-ascii", "ascii", "utf-8", "utf8", "default"}
_CHINESE_LABEL = re.compile(r"gb|euc-?cn|936|chinese|hz")
#: How many non-ASCII bytes charset-normalizer needs before its guess is worth more than cp1252's
#: (on a short name it picks cp1006 for "Frösche").
_GUESS_MIN_BYTES = 16


def _label(charset: str | None) -> str:
    return (charset or "").strip().strip('"').strip().lower()


def codec_for(charset: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when it is unknown/absent."""
    label = _label(charset)
    if not label:
        return None
    if label in _WIDEN:
        return "gb18030"
    for candidate in (_ALIASES.get(label, label), re.sub(r"^(?:x-)?windows-", "cp", label), label.removeprefix("x-")):
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    return None


def _gb_allowed(charset: str | None) -> bool:
    """GB18030 may be tried on bytes that do not fit their label only when the label is a Chinese
    one or says nothing (absent, ``unknown-8bit``, the ``us-ascii``/``utf-8`` defaults clients stamp
    on everything): bytes labelled ``windows-874`` or ``iso-8859-1`` are never Chinese."""
    label = _label(charset)
    return label in _NO_LABEL or label in _WIDEN or bool(_CHINESE_LABEL.search(label))


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F
            or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF)


def looks_chinese(text: str) -> bool:
    """Mostly CJK: a Han character at least, and CJK (Han, CJK and full-width punctuation) for at
    least 80% of the non-ASCII characters (GBK also holds ①, ×, —, Greek and kana, used sparingly)."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    han = sum(1 for ch in wide if _is_cjk(ch) and not (0x3000 <= ord(ch) <= 0x303F or 0xFF00 <= ord(ch) <= 0xFFEF))
    return han > 0 and sum(1 for ch in wide if _is_cjk(ch)) >= 0.8 * len(wide)


_LATIN_PUNCT = frozenset(b"\x80\x85\x91\x92\x93\x94\x96\x97\xa0\xab\xbb\xb0\xa1\xbf\xa9\xae\xb7")


def latin_plausible(data: bytes) -> bool:
    """Western single-byte text (cp1252/Latin-1): every run of 8-bit bytes is at most two long and
    made of letters (ö, ç, ã …), some run sits inside a word, and typographic punctuation (« » “ ” –)
    only stands next to a space or an ASCII sign, as it does in text. GBK read that way gives long
    runs and symbols glued into words (申报表 → ``Éê±¨±í``, 镕基 → ``éF»ù``)."""
    runs = list(re.finditer(rb"[\x80-\xff]+", data))
    if not runs or any(len(r.group(0)) > 2 for r in runs):
        return False
    for r in runs:
        for i in range(r.start(), r.end()):
            b = data[i]
            if b in _LATIN_PUNCT:
                before = data[i - 1 : i] if i else b" "
                after = data[i + 1 : i + 2] or b" "
                if not (before.isspace() or after.isspace() or _ascii_sign(before) or _ascii_sign(after)):
                    return False
                continue
            category = unicodedata.category(bytes([b]).decode("cp1252", "replace"))
            if not category.startswith("L"):
                return False
            # é then F (镕 to GBK), a then É: words do not change case around an accent
            after, before = data[i + 1 : i + 2], data[i - 1 : i] if i else b""
            if (category == "Ll" and after.isupper()) or (category == "Lu" and before.islower()):
                return False
    return re.search(rb"[A-Za-z][\x80-\xff]|[\x80-\xff][A-Za-z]", data) is not None


def _ascii_sign(b: bytes) -> bool:
    return len(b) == 1 and b[0] < 0x80 and not b.isalnum() and not b.isspace()


def _common_han(data: bytes) -> bool:
    """Whether the bytes, read as GB18030, hold a GB2312 level-1 character (the 3,755 common ones,
    rows B0–D7): Western text read as GBK only ever gives rare ones (``Fr鰏che``, ``Forma玢o``)."""
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            i += 1
        elif i + 1 < n and 0x30 <= data[i + 1] <= 0x39:
            i += 4  # a four-byte GB18030 sequence
        else:
            if 0xB0 <= b <= 0xD7 and i + 1 < n and 0xA1 <= data[i + 1] <= 0xFE:
                return True
            i += 2
    return False


def _iso2022(data: bytes) -> str | None:
    """7-bit text with ISO-2022 designations (``ESC $ B`` …, old Japanese/Chinese mailers): those
    escapes are a charset, not text. iso2022_jp_2 also covers GB2312 (``ESC $ A``) and KS C 5601."""
    if not data.isascii() or not re.search(rb"\x1b[$(.][@-Z]|\x1b\$[()][@-Z]", data):
        return None
    for codec in ("iso2022_jp_2", "iso2022_jp_ext", "iso2022_kr"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def _guess(data: bytes) -> str | None:
    """charset-normalizer's reading, for text long enough for its statistics to mean something."""
    if sum(1 for b in data if b > 0x7F) < _GUESS_MIN_BYTES:
        return None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # noqa: BLE001 - a guess that fails is no guess
        return None
    return str(best) if best is not None else None


#: Latin-1's C1 range read as cp1252 (€ … „ “ ” —); cp1252's five undefined bytes stay as Latin-1
#: reads them (C1 controls, stripped from names and subjects by :func:`strip_controls`).
_CP1252 = {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def _western(data: bytes) -> str:
    """cp1252 text, never failing (Latin-1 for the bytes cp1252 leaves undefined)."""
    return data.decode("latin-1").translate(_CP1252)


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes. Never raises.

    1. the declared charset, when Python knows it (codec aliases; Chinese labels widened to
       GB18030) and the bytes decode with it;
    2. UTF-8, when the bytes are valid UTF-8; 7-bit ISO-2022 text by its escapes;
    3. GB18030 only when the label is Chinese or says nothing, the bytes are valid GB18030 and
       the result is mostly CJK, and the bytes are not plausibly Western text (``Frösche`` is
       valid GBK too: ``Fr鰏che``) unless a common Han character says they are Chinese;
    4. Western text (cp1252) when the bytes look like it; charset-normalizer for longer text;
       cp1252/Latin-1, which read every byte.
    """
    codec = codec_for(charset)
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    if (iso := _iso2022(data)) is not None:
        return iso
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    latin = latin_plausible(data)
    if _gb_allowed(charset):
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = ""
        # both readings possible (Forma\xe7\xe3o is 玢 to GBK): a common Han character decides
        if looks_chinese(text) and (not latin or _common_han(data)):
            return text
    if not latin and (guessed := _guess(data)) is not None:
        return guessed
    return _western(data)


_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[ -/]*[0-~])?|\x9b[0-?]*[ -/]*[@-~]")


def strip_controls(text: str, keep: str = "\t\n") -> str:
    """Text without terminal escape sequences (ESC …, CSI …) and without C0/C1 control characters
    (except those in ``keep``): they never belong in a subject or a file name."""
    text = _ESCAPE.sub("", text)
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) != "Cc")


def wire_bytes(value: str | bytes) -> bytes:
    """The original bytes of a header value as the stdlib parser holds it (surrogate-escaped)."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogateescape")


def wire_str(value: str | bytes) -> str:
    """A header value as the parser holds it: text with each 8-bit byte kept as a surrogate."""
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def unfold(text: str) -> str:
    """RFC 5322 unfolding: a line break followed by white space is that white space."""
    return re.sub(r"\r?\n(?=[ \t])", "", text)


def wire_text(value: str | bytes) -> str:
    """A header value as text, with raw 8-bit bytes decoded (:func:`decode_bytes`) and unfolded."""
    return unfold(decode_bytes(wire_bytes(value)))


def _bare_text(text: str) -> str:
    """Text between encoded words: raw 8-bit bytes (surrogates) decoded as undeclared bytes."""
    if text.isascii():
        return (_iso2022(text.encode("ascii")) or text) if "\x1b" in text else text
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(wire_bytes(text))


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
    decoding, because some clients split a multi-byte character across two words.

    ``text`` may still hold raw 8-bit bytes (surrogate-escaped, as the parser keeps them): bytes
    inside a word are decoded with the word's charset (a raw ``ö`` in ``=?iso-8859-1?Q?…?=``),
    bytes outside words by :func:`decode_bytes` — never the whole value with one guess first."""
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
            out.append(_bare_text(gap))
        charset = m.group(1)
        if pending and codec_for(pending[0][0]) != codec_for(charset):
            flush()
        pending.append((charset, _word_bytes(m.group(2), m.group(3))))
        pos = m.end()
    flush()
    out.append(_bare_text(text[pos:]))
    return "".join(out)


def decode_header(value: str | bytes) -> str:
    """A full header value → readable text (raw bytes and RFC 2047 both handled), NFC, without
    control characters other than tab and newline (:func:`strip_controls`)."""
    text = decode_words(unfold(wire_str(value)))
    text = strip_controls(text, keep="\t\n").replace("\r", "").strip()
    return unicodedata.normalize("NFC", text)


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
                # a backslash right after a raw 8-bit byte is the second byte of a GBK character;
                # one before anything but a quote or a backslash is a Windows path separator that
                # the client did not escape (``filename="C:\\temp\\x.docx"``), kept as it is
                if (text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\'
                        and not (i and "\udc81" <= text[i - 1] <= "\udcfe")):
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
    for key, val, _quoted in _split_params(unfold(wire_str(value))):
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
    return base_name(name)[0]


def base_name(name: str) -> tuple[str, bool]:
    """An attachment's name without directories → (base name, did it carry a path).

    Old clients sent full Windows paths (``C:\\temp\\附件1.docx``), hostile ones ``../../x``; the
    file is read by its base name and the caller reports the original (``archive.unsafe_name``,
    as for an archive member)."""
    text = strip_controls(unicodedata.normalize("NFC", name), keep="").strip()
    segments = re.split(r"[\\/]", text)
    base = segments[-1].strip()
    drive = re.match(r"^[A-Za-z]:", base)
    if drive:
        base = base[2:].strip()
    return base, len(segments) > 1 or bool(drive)


def clean_member_path(name: str) -> tuple[str, bool]:
    """An archive member path made safe for display → (clean path, was it unsafe).

    Backslashes become ``/``, drive letters and leading ``/`` go, ``.``/``..``/empty segments go.
    Nothing is ever extracted to disk by this name; cleaning is for the receipt and the ledger.
    """
    original = unicodedata.normalize("NFC", name)
    text = strip_controls(original, keep="")
    text = text.replace("\\", "/")
    drive = re.match(r"^[A-Za-z]:", text)
    text = text[2:] if drive else text
    raw_segments = text.split("/")
    segments = [s for s in raw_segments if s not in ("", ".", "..")]
    unsafe = bool(drive) or "\\" in original or text.startswith("/") or ".." in raw_segments
    return "/".join(segments), unsafe


#: Bounds of one address header: a real To:/Cc: names a few dozen people. A header of thousands of
#: addresses, or of comments/groups nested thousands deep, made ``getaddresses`` recurse past the
#: interpreter's limit and lost the whole message; now only what lies beyond these bounds is lost.
MAX_ADDRESSES = 500
MAX_ADDRESS_HEADER_CHARS = 256 * 1024
_MAX_ITEM_CHARS = 2000  # one mailbox: a 320-character address and a long display name fit easily


def address_items(value: str, limit: int = MAX_ADDRESSES) -> list[str]:
    """The mailboxes of an address header, split at the commas outside quotes, comments and angle
    brackets, in one linear pass (no recursion). Comments nested inside comments are dropped (they
    carry no address), group names and their ``;`` stay with the first/last member (``getaddresses``
    reads ``g: a@b`` and ``c@d;``). At most ``limit`` items, each at most 2,000 characters long."""
    items: list[str] = []
    buf: list[str] = []
    quoted = escaped = angle = False
    depth = 0

    def end_item() -> None:
        item = "".join(buf).strip()
        buf.clear()
        if item and len(item) <= _MAX_ITEM_CHARS:
            items.append(item)

    for ch in value[:MAX_ADDRESS_HEADER_CHARS]:
        if len(items) >= limit:
            break
        if escaped:
            escaped = False
            if depth <= 1:
                buf.append(ch)
            continue
        if ch == "\\" and (quoted or depth):
            escaped = True
            if depth <= 1:
                buf.append(ch)
            continue
        if quoted:
            quoted = ch != '"'
            buf.append(ch)
            continue
        if ch == "(":
            depth += 1
            if depth == 1:
                buf.append(ch)
            continue
        if depth:
            if ch == ")":
                depth -= 1
                if depth == 0:
                    buf.append(ch)
            elif depth == 1:
                buf.append(ch)
            continue
        if ch == '"':
            quoted = True
        elif ch == "<":
            angle = True
        elif ch == ">":
            angle = False
        elif ch == "," and not angle:
            end_item()
            continue
        if len(buf) <= _MAX_ITEM_CHARS:
            buf.append(ch)
    if len(items) < limit:
        end_item()
    return items[:limit]


def addresses(value: str, limit: int = MAX_ADDRESSES) -> list[tuple[str, str]]:
    """(display name as on the wire, address) of each mailbox with an address, bounded (see
    :func:`address_items`); a mailbox the stdlib cannot read is skipped, not the header."""
    out: list[tuple[str, str]] = []
    for item in address_items(value, limit):
        try:
            pairs = getaddresses([item])
        except Exception:  # noqa: BLE001 - one unreadable mailbox is that mailbox alone
            continue
        out += [(n, a) for n, a in pairs if a]
    return out[:limit]
