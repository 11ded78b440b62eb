"""Batched LibreOffice conversions for the real-world cases (one soffice start per target format).

Real senders' PDFs come from Word/WPS "save as PDF" with embedded fonts and ruled tables, their
.xls/.doc from "save as 97-2003"; LibreOffice is the closest we have to both. Results are cached
per (bytes, target) for the session.
"""

from __future__ import annotations

import hashlib
import shutil

from parsers.readers import office

#: target → (LibreOffice filter, extension of the source given to it)
FILTERS = {"pdf": "pdf", "xls": "xls:MS Excel 97", "doc": "doc:MS Word 97", "xlsx": "xlsx:Calc MS Excel 2007 XML"}

_cache: dict[tuple[str, str], bytes] = {}


def available() -> bool:
    return shutil.which("soffice") is not None


def convert_many(items: list[tuple[bytes, str, str]], timeout: float = 240.0) -> list[bytes]:
    """``[(data, source_ext, target)]`` → converted bytes, one soffice run per target."""
    keys = [(hashlib.sha256(d + s.encode()).hexdigest(), t) for d, s, t in items]
    todo: dict[str, dict[str, tuple[bytes, str]]] = {}
    for (digest, target), (data, src, _t) in zip(keys, items, strict=True):
        if (digest, target) not in _cache:
            todo.setdefault(target, {})[digest] = (data, src)
    for target, sources in todo.items():
        # HTML sources must open in Writer (Writer/Web cannot save .doc)
        html = any(src == "html" for _d, src in sources.values())
        outs = office.convert_many(list(sources.values()), FILTERS[target], timeout,
                                   infilter="HTML (StarWriter)" if html else None)
        for digest, out in zip(sources, outs, strict=True):
            if out is None:
                raise RuntimeError(f"soffice produced no .{target} for {digest[:20]}")
            _cache[(digest, target)] = out
    return [_cache[k] for k in keys]
