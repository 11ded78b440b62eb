"""Per-format read time of parsers.readers.read() on generated files.

Run: ``.venv/bin/python bench/read_speed.py [--repeat N] [--no-libreoffice]``. Prints one row
per case: file size, best and median wall time over N runs. Fixtures come from
tests/fixtures/office.py, so numbers are for form-sized documents (1–20 pages).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parsers.readers import office, read, seal  # noqa: E402
from tests.fixtures import office as build  # noqa: E402


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-libreoffice", action="store_true")
    args = ap.parse_args()

    pdf20 = build.pdf_form(pages=20)
    cases: list[tuple[str, str, bytes]] = [
        ("docx form (merges, nested, checkboxes)", "docx", build.docx_form()),
        ("xlsx form (merges, formula, percent)", "xlsx", build.xlsx_form()),
        ("xls form", "xls", build.xls_form()),
        ("pdf 1 page, table", "pdf", build.pdf_form()),
        ("pdf 20 pages, tables", "pdf", pdf20),
        ("pdf 1 page, sealed", "pdf", build.pdf_page(seal=True)),
        ("pdf scanned 1 page", "pdf", build.pdf_scanned(seal=True)),
        ("txt", "txt", "推荐单位：某省质量协会\n".encode() * 200),
    ]
    if not args.no_libreoffice and office.soffice():
        [doc] = office.convert_many([(build.html_form().encode(), "html")], "doc", infilter="HTML (StarWriter)")
        cases.append(("doc via LibreOffice", "doc", doc))
        cases.append(("et (xls bytes) via LibreOffice", "et", build.xls_form()))

    rows = []
    for label, fmt, data in cases:
        read(data, fmt, "warmup")  # imports, font caches, LibreOffice profile
        times = _time(lambda d=data, f=fmt: read(d, f, "bench"), args.repeat)
        rows.append((label, fmt, len(data), min(times), statistics.median(times)))
    seal_times = _time(lambda: seal.seal_detected(pdf20), args.repeat)
    rows.append(("  of which seal check, 20 pages", "pdf", len(pdf20), min(seal_times), statistics.median(seal_times)))
    if not args.no_libreoffice and office.soffice():
        [doc_bytes] = [c[2] for c in cases if c[1] == "doc"]
        many = [(doc_bytes, "doc")] * 10
        t = _time(lambda: office.convert_many(many, "docx"), max(1, args.repeat // 2))
        rows.append(("convert_many: 10 .doc in one soffice run", "doc", 10 * len(doc_bytes), min(t), statistics.median(t)))

    print(f"{'case':44} {'fmt':5} {'bytes':>9} {'best ms':>9} {'median ms':>10}")
    for label, fmt, size, best, med in rows:
        print(f"{label:44} {fmt:5} {size:>9} {best * 1000:>9.1f} {med * 1000:>10.1f}")


if __name__ == "__main__":
    main()
