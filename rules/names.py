"""Comparing company and group names across forms.

Two strengths: :func:`exact_key` is what the cross check uses to decide a *mismatch* (certificates
are printed from these names, so only white space and full-width/half-width forms are forgiven);
:func:`loose_key` is what *pairing* uses to decide which documents belong to which group (quotes,
brackets and punctuation ignored, so “攀登”QC小组 in a form pairs with 攀登QC小组 in a file name).
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACE = re.compile(r"[\s\u3000]+")
_PUNCT = re.compile(r"[\"'“”‘’「」『』《》〈〉()（）\[\]【】<>·・,，.。、:：;；!！?？_\-—–~～/\\]+")


def exact_key(name: object) -> str:
    """White space removed, NFKC-folded (full-width letters/digits/brackets as half-width)."""
    return "" if name is None else _exact(str(name))


def bare_key(name: object) -> str:
    """:func:`exact_key` without punctuation and quotes, case kept: a name's parts as a message may show them."""
    return "" if name is None else _bare(str(name))


def loose_key(name: object) -> str:
    """:func:`bare_key` lower-case, for pairing."""
    return "" if name is None else _loose(str(name))


# Cached: a campaign has a few thousand names, and the rules fold each of them many times over a
# message (every pairing, suffix and uniqueness check), hundreds of thousands of times in a reprocess.
@functools.lru_cache(maxsize=1 << 16)
def _exact(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@functools.lru_cache(maxsize=1 << 16)
def _bare(text: str) -> str:
    return _PUNCT.sub("", _exact(text))


@functools.lru_cache(maxsize=1 << 16)
def _loose(text: str) -> str:
    return _bare(text).lower()


def mentions(text: object, name: object, min_len: int = 2) -> bool:
    """True when ``name`` (loosely) occurs in ``text`` — a file name, a review entry's name."""
    key = loose_key(name)
    return len(key) >= min_len and key in loose_key(text)


def quoted(name: object) -> str:
    """A name as a message shows it: in “” unless it already carries its own quotes (“攀登”QC小组)."""
    text = "" if name is None else str(name)
    return text if any(q in text for q in "“”\"「」") else f"“{text}”"
