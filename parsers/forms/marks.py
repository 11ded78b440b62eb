"""Tick-box reading: which option of ``□问题解决型 □创新型`` (or ``□是 □否``) was chosen.

People tick in every way a keyboard allows: a filled box before the option (``☑问题解决型``),
a mark after it (``问题解决型√``, ``问题解决型（√）``), a mark in the next cell, or they delete
the other option. The rule: work out whether marks sit before or after the options in this
text, give each option the mark on that side, and answer only when exactly one option is ticked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from parsers.forms.normalize import nfkc

TICKED = "☑✓✔√■☒▣▇█●◉✅"
UNTICKED = "□☐▢○◯〇"
#: Symbol-font ticks that lost their font on the way (Word → PDF, WPS → LibreOffice): Wingdings
#: glyphs come out as private-use U+F0xx, letters typed in Wingdings/Wingdings 2 as themselves.
_LOST_FONT = str.maketrans({
    "\uf0fe": "☑", "\uf0fd": "☒", "\uf0fc": "✓", "\uf078": "☒", "\uf052": "☑", "\uf053": "☒", "\uf054": "☒",
    "\uf051": "☒", "\uf050": "✓", "\uf0a8": "□", "\uf06f": "□", "\uf0a3": "□", "\uf071": "□",
    "£": "□", "þ": "☑", "¨": "□",
})
#: Wingdings 2 letters that show a ticked box (R ☑, S/T/Q ☒), trusted only right before an option
#: in a text that also has a box glyph.
_W2_LETTER = re.compile(r"(?<![A-Za-z])[RSTQ](?=\s?(?:问题解决型|创新型|现场型|攻关型|管理型|服务型|是|否))")
_BOX = re.escape(TICKED + UNTICKED)
_BRACKETED = re.compile(r"[(\[【]\s*([" + _BOX + r"]?)\s*[)\]】]")


def _tokens(text: str, options: dict[str, list[str]]) -> list[tuple[str, str]]:
    """('opt', key) / ('mark', 'on'|'off') tokens in reading order; other text ignored."""
    t = text.translate(_LOST_FONT)
    if any(ch in t for ch in TICKED + UNTICKED):
        t = _W2_LETTER.sub("☑", t)
    t = nfkc(t)
    # '(√)' / '( )' → a bare mark / an empty box, so brackets need no special case later
    t = _BRACKETED.sub(lambda m: m.group(1) or "□", t)
    spots: list[tuple[int, int, str, str]] = []
    for key, words in options.items():
        for w in sorted(words, key=len, reverse=True):
            for m in re.finditer(re.escape(w), t):
                if not any(s <= m.start() < e for s, e, _, _ in spots):
                    spots.append((m.start(), m.end(), "opt", key))
    for m in re.finditer("[" + _BOX + "]", t):
        if not any(s <= m.start() < e for s, e, _, _ in spots):
            spots.append((m.start(), m.end(), "mark", "on" if m.group(0) in TICKED else "off"))
    spots.sort()
    return [(kind, val) for _, _, kind, val in spots]


def chosen(text: str | None, options: dict[str, list[str]]) -> str | None:
    """The key of the single ticked option, or None (none or several ticked, or unreadable).

    Without any mark, an option standing alone counts as chosen (the other one was deleted).
    """
    if not text:
        return None
    toks = _tokens(text, options)
    opts = [v for k, v in toks if k == "opt"]
    if not opts:
        return None
    if not any(k == "mark" for k, _ in toks):
        distinct = set(opts)
        return opts[0] if len(distinct) == 1 else None
    before = toks[0][0] == "mark"
    ticked: set[str] = set()
    for i, (kind, val) in enumerate(toks):
        if kind != "opt":
            continue
        j = i - 1 if before else i + 1
        if 0 <= j < len(toks) and toks[j][0] == "mark" and toks[j][1] == "on":
            ticked.add(val)
    return next(iter(ticked)) if len(ticked) == 1 else None


#: What a cell of a tick column holds when its option is *not* chosen (besides nothing at all).
_NOT_TICKED = re.compile(r"^[" + re.escape(UNTICKED) + r"×✗✘xX/\\\-－—]*$|^(否|无|不是|非)$")


def ticked_cell(text: str | None) -> bool:
    """Whether a cell of a tick column (``课题类型`` over ``问题解决型 | 创新型``) marks its option:
    any mark or word people put there (✔ ✓ √ ■ ☑ 是 1 …), but not an empty box, a cross or 否."""
    t = re.sub(r"\s", "", nfkc((text or "").translate(_LOST_FONT)))
    return bool(t) and not _NOT_TICKED.match(t)


TOPIC_TYPES = {
    "问题解决型": ["问题解决型", "现场型", "攻关型", "管理型", "服务型"],
    "创新型": ["创新型"],
}
YES_NO = {"yes": ["是", "有"], "no": ["否", "无", "未"]}


def topic_type(text: str | None) -> str | None:
    """问题解决型 / 创新型 / None. The older subtypes (现场型, 攻关型 …) are 问题解决型 by the standard."""
    return chosen(text, TOPIC_TYPES)


def emphasised_choice(text: str | None, fragments: Iterable[str], options: dict[str, list[str]] = TOPIC_TYPES) -> str | None:
    """The option a person set off by highlighting, bold or underline (the reader lists such
    fragments), when ``text`` offers the options without ticking any: exactly one option may be
    emphasised, and a text with a tick is left to :func:`chosen` (both ticked stays no choice)."""
    if not text or any(ch in TICKED for ch in nfkc(text.translate(_LOST_FONT))):
        return None
    keys = {k for f in fragments for k, words in options.items() if any(w in nfkc(f) for w in words)}
    return next(iter(keys)) if len(keys) == 1 else None


def yes_no(text: str | None) -> bool | None:
    """True / False / None from a 是/否 tick box."""
    c = chosen(text, YES_NO)
    return None if c is None else c == "yes"
