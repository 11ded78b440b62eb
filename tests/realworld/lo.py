"""Batched LibreOffice conversions for the real-world cases (one soffice start per target format).

Real senders' PDFs come from Word/WPS "save as PDF" with embedded fonts and ruled tables, their
.xls/.doc from "save as 97-2003"; LibreOffice is the closest we have to both. Results are cached
per (bytes, target) for the session.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

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
        with tempfile.TemporaryDirectory(prefix="qc-realworld-") as tmp:
            t = Path(tmp)
            (t / "out").mkdir()
            paths = []
            for digest, (data, src) in sources.items():
                p = t / f"{digest[:20]}.{src}"
                p.write_bytes(data)
                paths.append(str(p))
            cmd = ["soffice", f"-env:UserInstallation=file://{t}/profile", "--headless", "--convert-to",
                   FILTERS[target], "--outdir", str(t / "out"), *paths]
            # HTML sources must open in Writer (Writer/Web cannot save .doc)
            if any(src == "html" for _d, src in sources.values()):
                cmd.insert(3, "--infilter=HTML (StarWriter)")
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout,
                                  env=dict(os.environ, HOME=os.environ.get("HOME") or tmp))
            for digest in sources:
                out = t / "out" / f"{digest[:20]}.{target}"
                if not out.exists():
                    raise RuntimeError(f"soffice wrote no {out.name}: {proc.stderr.decode(errors='replace')[-300:]}")
                _cache[(digest, target)] = out.read_bytes()
    return [_cache[k] for k in keys]
