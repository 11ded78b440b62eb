"""Value normalisation: what a person typed into a form cell → the contract's value.

Forms are filled by hand in Word/Excel/WPS, so the same value arrives as ``１２３４``, ``1,234``,
``3.2万个``, ``2020.9.10`` or ``二〇二〇年九月十日``. Everything here is pure and total: bad input
gives ``None`` (or the text as written), never an exception.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date

_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


#: NFKC's own mapping of the full-width ASCII forms (U+FF01–FF5E) and the ideographic space, done first by
#: str.translate: Chinese text has full-width punctuation in every line, which sends ``unicodedata.normalize``
#: to its slow path for the whole string; once they are mapped, the quick check passes nearly always.
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def nfkc(text: str) -> str:
    """Full-width digits, letters, colons and brackets → ASCII; ideographic space → space: NFKC, the same
    result as ``unicodedata.normalize("NFKC", text)`` in half its time on Chinese forms."""
    t = (text or "").translate(_FULL_WIDTH)
    return t if unicodedata.is_normalized("NFKC", t) else unicodedata.normalize("NFKC", t)


def squash(text: str) -> str:
    """NFKC and all white space removed: the form used to compare labels and keywords. Short texts (cells,
    labels, lines: asked about once per field looked up, ~200,000 times for a backlog of 60) are memoised."""
    return _squash_short(text) if len(text or "") <= MEMO_LONGEST else _SPACE.sub("", nfkc(text))


#: characters: a cell or a line, not a document's text; with MEMO_SIZE the memo holds at most ~5 MB
MEMO_LONGEST = 120
MEMO_SIZE = 8192


@functools.lru_cache(maxsize=MEMO_SIZE)
def _squash_short(text: str) -> str:
    return _SPACE.sub("", nfkc(text))


#: What people type into a form cell to mean "nothing here": a slash or a dash alone.
_PLACEHOLDER = re.compile(r"^[/／\\\-－—–─]{1,4}$")


#: The prompt an empty Word/WPS content control shows (and prints into a PDF): zh-CN and en-US wording
#: of Word 2010–365 (单击或点击此处输入文字。/ Click or tap here to enter text. / 选择一项。 / 单击或点击以输入日期。).
_PROMPT = re.compile(
    r"^(?:(?:请)?(?:单击或点击|单击或轻触|点击或轻触|单击|点击|轻触)(?:此处|这里)?(?:以)?(?:输入|键入|选择)"
    r"(?:文字|文本|日期|内容|一项)?|选择一项|(?:click|tap|click or tap)(?: here)? to (?:enter|select|choose)"
    r"(?: text| a date| an item)?|choose an item|enter text here)[。.．!！]*$",
    re.IGNORECASE,
)


def is_prompt(text: str | None) -> bool:
    """True when ``text`` is only a content control's prompt: the field was never filled in."""
    if not text:
        return False
    spaced = re.sub(r"\s+", " ", nfkc(text)).strip()  # English prompts keep their spaces, Chinese ones
    return bool(_PROMPT.match(spaced) or _PROMPT.match(squash(text)))  # may be wrapped anywhere


def clean_text(text: str | None) -> str | None:
    """Contract text value: strip surrounding white space (incl. full-width) and fill-in underscores.

    Inner text is kept as written; an empty result is ``None``. Decision: a cell holding only a
    slash or dash (``/``, ``—``, ``--``) is how Chinese forms mark a field left blank, so it is
    ``None`` too (a rule then says 未填写 instead of quoting a slash); a word such as ``无`` is an
    answer and is kept. So is a content control's prompt (``单击或点击此处输入文字。``): never a value.
    """
    if text is None:
        return None
    t = text.strip(" \t\r\n\u3000\u00a0_＿")
    if _PLACEHOLDER.match(t) or is_prompt(t):
        return None
    return t or None


def one_line(text: str | None) -> str | None:
    """A name-like value (企业名称, 小组名称, 课题名称, 地址) typed over two lines of its cell to fit:
    the line breaks are layout, not content (see :func:`unwrap`)."""
    return unwrap(text) if text else text


# --- numbers ---------------------------------------------------------------------------------

_NUM = re.compile(r"-?\d+(?:\.\d+)?")
_MAGNITUDE = {"亿": 1e8, "万": 1e4, "千": 1e3}
#: Words that answer a quantity with "none".
NONE_WORDS = {"无", "没有", "零", "〇"}


def _magnitude(unit: str) -> float | None:
    """Scale of a written unit ('万个' → 1e4, '个' → 1, '' → None meaning 'not stated')."""
    u = squash(unit)
    if not u or u.startswith("%") or "百分" in u:
        return None
    for k, v in _MAGNITUDE.items():
        if u.startswith(k):
            return v
    if u[0] in "个元人次项家":
        return 1.0
    return None


def parse_number(text: str | None, row_unit: str | None = None) -> int | float | None:
    """``'1,234.5'`` → 1234.5, ``'１２３４'`` → 1234, ``'85%'`` → 85, ``'3.2万个'`` → 3.2.

    The value is taken as written, in the unit the form names for the row. Only when the writer
    states a unit of a different magnitude (``'32000个'`` in a ``万个`` row, ``'1.2亿元'`` in a
    ``万元`` row) is it converted to the row's unit, because that is clearly what was meant.
    """
    if text is None:
        return None
    if isinstance(text, int | float):
        return text
    t = nfkc(text).replace(",", "").replace("，", "")
    t = _SPACE.sub("", t)
    m = _NUM.search(t)
    if not m:
        # '无' in a count or money cell is an answer: none, i.e. zero (a blank is None)
        return 0 if t.strip("。.") in NONE_WORDS else None
    raw = m.group(0)
    value: float = float(raw)
    written = _magnitude(t[m.end():])
    wanted = _magnitude(row_unit or "")
    if written is not None and wanted is not None and written != wanted:
        value = round(value * written / wanted, 10)
    if "." not in raw and value == int(value):
        return int(value)
    if value == int(value) and written is not None and wanted is not None and written != wanted:
        return int(value)
    return value


# --- phone numbers ---------------------------------------------------------------------------

_PHONE_CHARS = re.compile(r"^[\d\s\-+()（）\u2010-\u2015－.]+$")
_PHONE_SPLIT = re.compile(r"[;；,，/、]|\s{2,}|或")


def normalize_phone(text: str | None) -> str | None:
    """Phone numbers → digits only.

    Decision: separators (spaces, dashes, brackets, dots) are dropped and a landline keeps its
    leading-0 area code (``'(010) 66073178'`` → ``'01066073178'``), so a rule can tell an
    11-digit mobile (starts with 1) from a landline (starts with 0). A +86/0086 country code is
    dropped. When several numbers are given, the first is used. Text that is not a phone number
    at all (``'无'``, ``'见附件'``) is returned as written, so a rule can quote it.
    """
    t = clean_text(text)
    if t is None:
        return None
    t = nfkc(t).strip()
    first = next((p.strip() for p in _PHONE_SPLIT.split(t) if p.strip()), t)
    if not _PHONE_CHARS.match(first) or not re.search(r"\d", first):
        return t
    digits = re.sub(r"\D", "", first)
    if first.lstrip().startswith("+86") or (digits.startswith("0086") and len(digits) > 12):
        digits = digits[2:] if first.lstrip().startswith("+86") else digits[4:]
        if not digits.startswith("1"):
            digits = "0" + digits
    elif digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits = digits[2:]
    return digits or t


def landline_text(text: str | None) -> str | None:
    """A 电话 (landline) value: full-width digits made ASCII, otherwise kept as written.

    Decision: unlike a 手机 number, which has one canonical 11-digit form that rules check, a
    landline is free text people write with area-code dashes, extensions or two numbers
    (``025-84561234``, ``(010) 66073178；68416388``); the contract keeps inner text as written.
    """
    t = clean_text(text)
    return clean_text(nfkc(t)) if t is not None else None


# --- dates -----------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})(?!\d)\s*[日号]?")
_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
#: 二〇二〇年九月十日, also spaced out (``二 〇 二 〇 年``) or with a typed zero (``二0二0年``).
_CN_DATE = re.compile(r"((?:[〇○零ＯO0一二三四五六七八九]\s*){3}[〇○零ＯO0一二三四五六七八九])\s*年"
                      r"\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*[日号]")


def _cn_small(s: str) -> int | None:
    """'九' → 9, '十' → 10, '十二' → 12, '二十' → 20, '三十一' → 31."""
    if "十" not in s:
        return _CN_DIGIT.get(s) if len(s) == 1 else None
    tens, _, ones = s.partition("十")
    t = _CN_DIGIT.get(tens, 0) if tens else 1
    o = _CN_DIGIT.get(ones, 0) if ones else 0
    return t * 10 + o


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def find_date(text: str | None) -> str | None:
    """The first calendar date in the text as ``YYYY-MM-DD``; ``'年 月 日'`` (unfilled) → None."""
    if not text:
        return None
    t = nfkc(text)
    m = _DATE.search(t)
    if m:
        iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            return iso
    m = _CN_DATE.search(t)
    if m:
        y = "".join(str(_CN_DIGIT[c]) for c in m.group(1) if not c.isspace())
        mo, d = _cn_small(m.group(2)), _cn_small(m.group(3))
        if mo and d:
            return _iso(int(y), mo, d)
    return None


def strip_dates(text: str) -> str:
    """Remove dates and unfilled '年 月 日' from a line (e.g. after a stamp label)."""
    t = _DATE.sub("", nfkc(text))
    t = _CN_DATE.sub("", t)
    return re.sub(r"_*\s*年[\s_]*月[\s_]*日", "", t)


def normalize_digits(text: str | None) -> str | None:
    """Full-width digits and letters → ASCII, surrounding blanks stripped (e.g. 序号 '０１' → '01')."""
    t = clean_text(text)
    return nfkc(t).strip() if t else None


_WRAP = re.compile(r"(.)[ \t]*\n[ \t\u3000]*(.)")
_LATIN_TAIL = re.compile(r"[A-Za-z]+$")
_LATIN_HEAD = re.compile(r"^[A-Za-z]+")
#: An upper-case abbreviation (QC, PDCA, TPM) broken over two lines is one word, not two.
ABBREVIATION_MAX = 6


def unwrap(text: str) -> str:
    """Join lines a PDF wrapped inside a table cell (``'国网江苏省电\\n力有限公司'``).

    A PDF has no paragraph marks inside a cell, so every break there is taken for a soft wrap:
    removed next to Chinese text or digits, a space between two Latin letters (a wrapped word) —
    except inside a short upper-case abbreviation (``Q\\nC小组``: CJK line breaking splits anywhere).
    """
    def join(m: re.Match[str]) -> str:
        a, b = m.group(1), m.group(2)
        sep = ""
        if a.isascii() and a.isalpha() and b.isascii() and b.isalpha():
            left = _LATIN_TAIL.search(m.string[: m.start(1) + 1])
            right = _LATIN_HEAD.search(m.string[m.end(2) - 1:])
            word = (left.group(0) if left else a) + (right.group(0) if right else b)
            sep = "" if word.isupper() and len(word) <= ABBREVIATION_MAX else " "
        return a + sep + b

    prev = None
    while prev != text:
        prev, text = text, _WRAP.sub(join, text)
    return text
