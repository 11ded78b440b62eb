"""Tick-box glyphs typed in symbol fonts, mapped to the Unicode characters they show.

Chinese Word forms often tick a box by typing "R" in Wingdings 2 (shown as ☑) or by inserting
a ``w:sym`` from Wingdings; the stored text is then a plain letter or a private-use code.
Only box and tick glyphs are mapped: other symbol-font text is left as it is.
"""

from __future__ import annotations

CHECKED = "☑"
UNCHECKED = "☐"

_WINGDINGS = {0xFE: "☑", 0xFD: "☒", 0xA8: "□", 0x6F: "□", 0x71: "❑", 0xFC: "✓", 0xFB: "✗", 0x78: "☒"}
_WINGDINGS_2 = {0x52: "☑", 0x53: "☒", 0x54: "☒", 0x51: "☒", 0x50: "✓", 0x4F: "✗", 0xA3: "□"}


def _table(font: str | None) -> dict[int, str] | None:
    name = (font or "").strip().lower()
    if name == "wingdings 2":
        return _WINGDINGS_2
    if name == "wingdings":
        return _WINGDINGS
    return None


def is_symbol_font(font: str | None) -> bool:
    return _table(font) is not None


def symbol_char(font: str | None, code: int) -> str | None:
    """The Unicode glyph for ``code`` (a w:sym hex code, possibly in the F0xx range) in ``font``."""
    table = _table(font)
    if table is None:
        return None
    if 0xF000 <= code <= 0xF0FF:
        code -= 0xF000
    return table.get(code)


def map_text(font: str | None, text: str) -> str:
    """Replace tick/box letters typed in a symbol font; other characters stay."""
    table = _table(font)
    if table is None:
        return text
    return "".join(table.get(ord(ch) if ord(ch) < 0xF000 else ord(ch) - 0xF000, ch) for ch in text)
