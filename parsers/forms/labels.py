"""Finding a value by its label, in tables and in running text.

A label is matched however it was typed: inner spaces (``企 业 名 称``), full-width letters
(``ＱＣ小组名称``), a bracketed note (``企业名称（公章为准）``) and a trailing colon are all
tolerated. The value of a label is, in order:

(a) the rest of the same cell / line after the label (``企业名称：某某公司``), up to the next label;
(b) the next *different* cell to the right (merged cells count once); blank cells are skipped
    in spreadsheets, but a blank followed by another label means the value is empty;
(c) the next different cell below, when the cell to the right is another label or there is
    none (tables whose first row holds the labels).

A value is never another label. Paragraphs after a notes line (``注：``) are ignored until the
next table: notes quote the campaign office's own phone, e-mail and postcode.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from parsers.forms.normalize import MEMO_LONGEST, MEMO_SIZE, clean_text, squash
from parsers.model import Document, Table

_NOTE = r"(?:\s*[(（\[【][^()（）\[\]【】]{0,20}[)）\]】])?"
_COLON = r"\s*[:：]"
_SEP_BEFORE = r"(?:^|(?<=[\s_|，,;；。]))"
_TRAIL = re.compile(r"[\s_＿:：]+$")
_BRACKETS = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]")
#: Words that end a value in running text even without a colon (the stamp line of a form).
STOP_WORDS = ["推荐质协章", "单位盖章", "盖章"]
#: A compound label (qualifier + known label, e.g. 联系人手机): at most this long, with a qualifier of
#: at most this many characters.
COMPOUND_MAX = 8
COMPOUND_PREFIX_MAX = 3


def norm_label(text: str) -> str:
    """Canonical label text: no white space, NFKC, no bracketed notes, no trailing colon/underscores.
    Short texts are memoised: every label lookup asks about every cell of the form (~130,000 calls for a
    backlog of 60)."""
    return _norm_label_short(text) if len(text) <= MEMO_LONGEST else _norm_label(text)


@functools.lru_cache(maxsize=MEMO_SIZE)
def _norm_label_short(text: str) -> str:
    return _norm_label(text)


def _norm_label(text: str) -> str:
    t = squash(text)
    t = _BRACKETS.sub("", t)
    return _TRAIL.sub("", t).upper()


def _char_class(ch: str) -> str:
    """A regex class for one label character in its half- and full-width spellings."""
    if ch.isascii() and ch.isalnum():
        return "[" + re.escape(ch.lower()) + re.escape(ch.upper()) + chr(ord(ch.upper()) + 0xFEE0) + \
            chr(ord(ch.lower()) + 0xFEE0) + "]"
    if ch in "、,，":
        return "[、,，]"
    if ch in "/／":
        return "[/／]"
    return re.escape(ch)


def _alias_pattern(alias: str) -> str:
    chars = [c for c in squash(alias)]
    return r"\s*".join(_char_class(c) for c in chars)


@dataclass(frozen=True)
class Label:
    """A field's label: its key and every way forms spell it (longest first wins)."""

    key: str
    aliases: tuple[str, ...]
    bare: bool = False  # recognised mid-line without a colon (a stamp word such as 推荐质协章)

    @property
    def normed(self) -> set[str]:
        return {norm_label(a) for a in self.aliases}


@dataclass
class Hit:
    """One label occurrence inside a text: where it is and what follows it."""

    key: str
    start: int
    end: int  # after the label, its note and its colon
    colon: bool


class LabelSet:
    """The labels of one form, plus words that only serve to end a value."""

    def __init__(self, labels: Iterable[Label], stops: Iterable[str] = STOP_WORDS) -> None:
        self.labels = list(labels)
        self.by_key = {lb.key: lb for lb in self.labels}
        self._bare = {lb.key for lb in self.labels if lb.bare}
        pairs = [(a, lb.key) for lb in self.labels for a in lb.aliases]
        pairs += [(s, "") for s in stops]
        pairs.sort(key=lambda p: len(squash(p[0])), reverse=True)
        self._pairs = [(re.compile(_SEP_BEFORE + "(" + _alias_pattern(a) + ")" + _NOTE + "(" + _COLON + ")?"), k)
                       for a, k in pairs]
        self._normed = {norm_label(a) for a, _ in pairs}
        self._key_of = {norm_label(a): k for a, k in pairs if k}
        self._suffixes = sorted(self._key_of, key=len, reverse=True)
        self._memo: dict[tuple[str, bool], list[Hit]] = {}  # every label is looked up in every cell

    def whole_key(self, text: str) -> str | None:
        """The key when the whole text is one label: an alias as written, or a compound label
        whose head noun (Chinese puts it last) is an alias: ``详细通讯地址``, ``联系人手机``.

        The qualifier before the head must be short Chinese text without digits, so a value
        that merely ends in a label word (a long address, a name list) is not taken for one.
        """
        n = norm_label(text)
        if not n:
            return None
        if n in self._key_of:
            return self._key_of[n]
        if len(n) > COMPOUND_MAX or not re.fullmatch(r"[\u4e00-\u9fff]+", n):
            return None
        for a in self._suffixes:
            if len(a) >= 2 and n.endswith(a) and 1 <= len(n) - len(a) <= COMPOUND_PREFIX_MAX:
                return self._key_of[a]
        return None

    def is_label(self, text: str) -> bool:
        """True when the whole text is a label (of this form or a stop word), e.g. ``邮编：``."""
        n = norm_label(text)
        if not n:
            return False
        if n in self._normed or self.whole_key(text):
            return True
        t = squash(text)
        return t.endswith((":", "：")) and len(t) <= 16 and not re.search(r"\d", t)

    def hits(self, text: str, start_only: bool = False) -> list[Hit]:
        """Label occurrences (see :meth:`_find_hits`), memoised: each field's lookup scans every cell, so
        a cell is asked about once per field; the memo makes that one regex pass per distinct text."""
        found = self._memo.get((text, start_only))
        if found is None:
            found = self._find_hits(text, start_only)
            if len(self._memo) > 100_000:
                self._memo.clear()
            self._memo[(text, start_only)] = found
        return list(found)

    def _find_hits(self, text: str, start_only: bool = False) -> list[Hit]:
        """Label occurrences: at the start of the text, or after a separator and with a colon.

        A label in the middle of a line needs its colon (``联系人：张三 手机：138…``), so that
        ordinary words inside a value are not taken for labels; stop words need none.
        """
        found: list[Hit] = []
        compound = self.whole_key(text)
        if compound and norm_label(text) not in self._key_of:
            t = text.rstrip()
            return [Hit(compound, 0, len(t), t.endswith((":", "：")))]
        for rx, key in self._pairs:
            for m in rx.finditer(text):
                s, e = m.start(1), m.end()
                if start_only and text[:s].strip():
                    continue
                colon = m.group(2) is not None
                at_start = not text[:s].strip()
                if not (at_start or colon or key == "" or key in self._bare):
                    continue
                if any(h.start <= s < h.end or s <= h.start < e for h in found):
                    continue
                found.append(Hit(key, s, e, colon))
        found.sort(key=lambda h: h.start)
        return found

    def inline(self, text: str, key: str, cut: bool = True, cell: bool = False) -> str | None:
        """The text after label ``key`` in the same cell/line, or None when the label is absent.

        Returns '' when the label is there with nothing after it. ``cut=False`` keeps everything
        after the label (a free-text field that may mention other labels). In a cell, a label
        without colon must be followed by a separator (a value glued to a label is too likely to
        be a longer label, e.g. ``课题名称及类型``).
        """
        hs = self.hits(text)
        for i, h in enumerate(hs):
            if h.key != key:
                continue
            rest_end = hs[i + 1].start if (cut and i + 1 < len(hs)) else len(text)
            rest = text[h.end:rest_end]
            if cell and not h.colon and rest and not re.match(r"[\s_]", rest):
                continue
            value = clean_text(rest) or ""
            return "" if value and self.is_label(value) else value
        return None


# --- where to look ---------------------------------------------------------------------------

_NOTE_LINE = re.compile(r"^\s*(注|说明|备注)\s*[0-9０-９]?\s*[:：.、]")


def body_blocks(doc: Document) -> Iterator[str | Table]:
    """Blocks in reading order without the notes paragraphs (they quote the office's contacts)."""
    in_notes = False
    for b in doc.blocks:
        if isinstance(b, Table):
            in_notes = False
            yield b
            continue
        if _NOTE_LINE.match(b):
            in_notes = True
        if not in_notes:
            yield b


def _distinct_cells(t: Table) -> Iterator[tuple[int, int]]:
    """Positions of each cell once: merged cells repeated in the grid are skipped."""
    for r, row in enumerate(t.grid):
        for c, text in enumerate(row):
            if c > 0 and row[c - 1] == text:
                continue
            if r > 0 and t.cell(r - 1, c) == text and text:
                continue
            yield r, c


@dataclass
class Found:
    """A located value: its text and where it was (table/row/col or paragraph index)."""

    text: str
    table: Table | None = None
    row: int = -1
    col: int = -1


def value_in_table(t: Table, r: int, c: int, ls: LabelSet) -> str | None:
    """Rules (b) and (c) for a label alone in cell (r, c)."""
    pos = t.right_of(r, c)
    if pos is not None and not t.cell(*pos).strip():
        # a blank to the right: skip blanks (unmerged spreadsheet cells); a label after them
        # means this field was left empty
        rr, cc = pos
        while cc < t.n_cols and not t.cell(rr, cc).strip():
            cc += 1
        nxt = t.cell(rr, cc)
        if nxt.strip() and not ls.is_label(nxt):
            return clean_text(nxt)
        return None
    if pos is not None and not ls.is_label(t.cell(*pos)):
        return clean_text(t.cell(*pos))
    down = t.below(r, c)
    if down is not None:
        v = t.cell(*down)
        if v.strip() and not ls.is_label(v):
            return clean_text(v)
    return None


def locate(doc: Document, ls: LabelSet, key: str, cut: bool = True) -> Found | None:
    """Where label ``key`` is; ``text`` is its value ('' when the label is there but empty).

    Tables are searched before running text; the first occurrence with a value wins, else the
    first occurrence at all.
    """
    first: Found | None = None
    blocks = list(body_blocks(doc))
    for b in blocks:
        if not isinstance(b, Table):
            continue
        for r, c in _distinct_cells(b):
            cell = b.cell(r, c)
            rest = ls.inline(cell, key, cut=cut, cell=True)
            if rest is None:
                continue
            if rest == "" and ls.whole_key(cell) == key:
                rest = value_in_table(b, r, c, ls) or ""
            f = Found(rest, b, r, c)
            if rest:
                return f
            first = first or f
    for i, b in enumerate(blocks):
        if isinstance(b, Table):
            continue
        rest = ls.inline(b, key, cut=cut)
        if rest is None:
            continue
        f = Found(rest, None, i, -1)
        if rest:
            return f
        first = first or f
    return first


def value_of(doc: Document, ls: LabelSet, key: str, cut: bool = True) -> str | None:
    """The value of label ``key`` as text, or None."""
    f = locate(doc, ls, key, cut=cut)
    return clean_text(f.text) if f else None


def columns_after_label(t: Table, r: int, c: int, ls: LabelSet) -> list[int]:
    """The columns of the distinct cells right of (r, c) up to the next label."""
    out: list[int] = []
    prev = t.cell(r, c)
    for cc in range(c + 1, t.n_cols):
        txt = t.cell(r, cc)
        if txt == prev:
            continue
        prev = txt
        if ls.is_label(txt):
            break
        out.append(cc)
    return out


def emphasised_near(doc: Document, f: Found, ls: LabelSet) -> list[str]:
    """Fragments set off by formatting (see :attr:`Table.emphasis`) where a label's value can be: its
    own cell, the cells after it up to the next label and the cell below it, or its paragraph."""
    if f.table is None:
        blocks = list(body_blocks(doc))
        b = blocks[f.row] if 0 <= f.row < len(blocks) else None
        return list((doc.meta.get("emphasis") or {}).get(b, [])) if isinstance(b, str) else []
    t = f.table
    spots = [(f.row, f.col)] + [(f.row, cc) for cc in columns_after_label(t, f.row, f.col, ls)]
    down = t.below(f.row, f.col)
    if down is not None:
        spots.append(down)
    out: list[str] = []
    for pos in spots:
        out.extend(x for x in t.emphasis.get(pos, []) if x not in out)
    return out


def row_after_label(t: Table, r: int, c: int, ls: LabelSet) -> str:
    """The cells right of (r, c) up to the next label, joined: a tick-box area such as
    ``☑ | 问题解决型 | □ | 创新型`` spread over several cells."""
    return " ".join(t.cell(r, cc) for cc in columns_after_label(t, r, c, ls))


#: The recommending unit, written above most forms (``推荐省市、行业：江苏省质量协会``).
RECOMMENDER = Label("recommender", ("推荐省市、行业", "推荐省市行业", "推荐省市", "推荐单位", "省市、行业"))


def texts(doc: Document) -> Iterator[str]:
    """Every distinct cell and paragraph text of the body, in reading order."""
    for b in body_blocks(doc):
        if isinstance(b, Table):
            for r, c in _distinct_cells(b):
                yield b.cell(r, c)
        else:
            yield b
