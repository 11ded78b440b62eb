"""The bare-library floor: how long the libraries alone take to read a set of attachments on this
machine's cores, with none of our code in between.

Why: "is the pipeline fast?" only has an answer next to what it cannot beat. The floor opens every
attachment of the given messages the cheapest way that still gets all its text and table cells:
python-docx (paragraphs, every table cell), openpyxl (every cell, cached values), xlrd, pdfplumber
(text and tables of every page; a page without text — a scan — rendered by pypdfium2 at 200 dpi and read
by RapidOCR, as the pipeline must), and LibreOffice headless for the legacy Word/WPS files — all of them
in ONE soffice run, the cheapest way to use it — after which the converted files are read as above.
Reading is spread over one process per core (warmed up first: the daemon's workers are preloaded
too), and the LibreOffice run goes on beside them. MIME decoding and unpacking archives happen before
the clock starts; the seal check, classification and rules are not part of the floor.

    .venv/bin/python bench/floor.py            # the floor of the rush benchmark's corpus
"""

from __future__ import annotations

import email
import email.policy
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def attachments(raw: bytes) -> list[tuple[str, bytes]]:
    """Every file of a message, archives (zip, 7z) expanded, as (name, bytes)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out: list[tuple[str, bytes]] = []
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True)
        out += _expand(part.get_filename() or "", data if isinstance(data, bytes) else b"")
    return out


def _expand(name: str, data: bytes) -> list[tuple[str, bytes]]:
    if data[:4] == b"PK\x03\x04" and name.lower().endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [m for i in z.infolist() if not i.is_dir() for m in _expand(i.filename, z.read(i))]
    if data[:6] == b"7z\xbc\xaf\x27\x1c":
        import py7zr
        import py7zr.io

        factory = py7zr.io.BytesIOFactory(64 << 20)  # py7zr 1.x: no read(), extract into memory
        with py7zr.SevenZipFile(io.BytesIO(data)) as z:
            z.extractall(factory=factory)
        out = []
        for n, product in factory.products.items():
            product.seek(0)
            out += _expand(n, product.read())
        return out
    return [(name, data)]


def kind(name: str, data: bytes) -> str:
    """Which library reads it: docx, xlsx, xls, pdf, legacy (LibreOffice → docx) or skip."""
    ext = name.rsplit(".", 1)[-1].lower()
    if data.startswith(b"%PDF"):
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
        return "xlsx" if any(n.startswith("xl/") for n in names) else "docx" if any(
            n.startswith("word/") for n in names) else "skip"
    if data[:8] == OLE:
        return "xls" if ext in ("xls", "et") else "legacy"
    if ext in ("doc", "wps", "xls", "et"):  # HTML or RTF saved under a legacy name
        return "legacy"
    return "skip"


def read_one(item: tuple[str, bytes]) -> int:
    """Open one file with its library and touch all its text; returns the characters seen."""
    k, data = item
    n = 0
    if k == "docx":
        import docx

        d = docx.Document(io.BytesIO(data))
        n += sum(len(p.text) for p in d.paragraphs)
        for t in d.tables:
            for row in t.rows:
                n += sum(len(c.text) for c in row.cells)
    elif k == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                n += sum(len(str(v)) for v in row if v is not None)
    elif k == "xls":
        import xlrd

        book = xlrd.open_workbook(file_contents=data, formatting_info=True)
        for sh in book.sheets():
            for r in range(sh.nrows):
                n += sum(len(str(v)) for v in sh.row_values(r))
    elif k in ("pdf", "pdf_text_only"):
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            blank = []
            for i, page in enumerate(pdf.pages):
                n += sum(len(str(c)) for t in page.extract_tables() for row in t for c in row)
                text = page.extract_text() or ""
                n += len(text)
                if not text.strip():
                    blank.append(i)
        n += _ocr_pages(data, blank) if k == "pdf" else 0
    return n


_engine = None


def _ocr_pages(data: bytes, pages: list[int]) -> int:
    """A scan has no text for pdfplumber: the floor of reading it is rendering its pages at 200 dpi
    (pypdfium2) and RapidOCR on them, with its packaged models and its own defaults."""
    global _engine
    if not pages:
        return 0
    import pypdfium2 as pdfium
    import rapidocr

    if _engine is None:
        models = Path(rapidocr.__file__).parent / "models"
        path = {k: str(sorted(models.glob(f"*{k}*.onnx"))[-1]) for k in ("det", "rec", "cls")}
        _engine = rapidocr.RapidOCR(params={"Global.log_level": "critical", "Det.model_path": path["det"],
                                            "Rec.model_path": path["rec"], "Cls.model_path": path["cls"],
                                            "EngineConfig.onnxruntime.intra_op_num_threads": 1})
    n = 0
    pdf = pdfium.PdfDocument(data)
    try:
        for i in pages:
            image = pdf[i].render(scale=200 / 72).to_pil()
            out = _engine(image)
            n += sum(len(t) for t in (out.txts or ()))
    finally:
        pdf.close()
    return n


def _warm(_: int) -> int:
    import docx  # noqa: F401
    import openpyxl  # noqa: F401
    import pdfplumber  # noqa: F401
    import xlrd  # noqa: F401

    return os.getpid()


def _soffice(files: list[tuple[str, bytes]], work: Path, profile_dir: Path) -> subprocess.Popen[bytes] | None:
    """Start ONE LibreOffice run converting every legacy file to docx/xlsx (by its name's kind)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None or not files:
        return None
    inputs = []
    for i, (name, data) in enumerate(files):
        ext = name.rsplit(".", 1)[-1].lower() or "bin"
        p = work / f"in{i}.{ext}"
        p.write_bytes(data)
        inputs.append(str(p))
    writer = [p for p in inputs if not p.endswith((".xls", ".et"))]
    calc = [p for p in inputs if p.endswith((".xls", ".et"))]
    script = []
    profile = profile_dir.as_uri()
    base = f"'{exe}' -env:UserInstallation={profile} --headless --norestore --nologo --nolockcheck"
    if writer:
        script.append(f"{base} --convert-to docx --outdir '{work}/out' " + " ".join(f"'{p}'" for p in writer))
    if calc:
        script.append(f"{base} --convert-to xlsx --outdir '{work}/out' " + " ".join(f"'{p}'" for p in calc))
    return subprocess.Popen(["sh", "-c", " && ".join(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def twin_scans(raws: list[bytes]) -> set[str]:
    """sha256 of the sealed 申报表 scans the daemon leaves for after the receipt (its second look): what a
    receipt needs of them is pdfplumber finding no text, not their OCR. Which files those are is the
    pipeline's decision (by the content of the Word copies that came with them), so the pipeline reads
    the messages once to say (before the clock; none of its reading is timed)."""
    from intake.pipeline import LATER, read_message
    from intake.workers import ReadingPool

    out: set[str] = set()
    with ReadingPool() as pool:
        for raw in raws:
            for doc in read_message(raw, pool, twins_later=True).documents:
                if doc.sha256 and any(LATER in (p.detail or "") for p in doc.problems):
                    out.add(doc.sha256)
    return out


def measure(raws: list[bytes], processes: int = 0, later: set[str] | None = None) -> dict[str, float | int]:
    """Wall seconds for the libraries alone to read every attachment of ``raws`` on ``processes``
    processes (0 = one per core), LibreOffice converting the legacy files alongside. ``later``: sha256
    of PDFs whose scanned pages are not OCR'd (:func:`twin_scans`)."""
    import hashlib

    procs = processes or os.cpu_count() or 1
    items: list[tuple[str, bytes]] = []
    legacy: list[tuple[str, bytes]] = []
    skipped_ocr = 0
    for raw in raws:
        for name, data in attachments(raw):
            k = kind(name, data)
            if k == "pdf" and later and hashlib.sha256(data).hexdigest() in later:
                k, skipped_ocr = "pdf_text_only", skipped_ocr + 1
            if k == "legacy":
                legacy.append((name, data))
            elif k != "skip":
                items.append((k, data))
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp, ProcessPoolExecutor(procs) as pool:
        work = Path(tmp)
        list(pool.map(_warm, range(procs * 2)))
        # LibreOffice's very first start builds its profile (seconds): not part of any floor
        (work / "warm").mkdir()
        warm = _soffice([("warm.doc", b"{\\rtf1 warm}")], work / "warm", work / "profile")
        if warm is not None:
            warm.wait()
        children0, own0 = _children_cpu(), time.process_time()
        t0 = time.perf_counter()
        lo = _soffice(legacy, work, work / "profile")
        done = list(pool.map(timed_read, items, chunksize=1))
        converted: list[tuple[str, bytes]] = []
        lo_cpu = 0.0
        if lo is not None:
            lo.wait()
            lo_cpu = _children_cpu() - children0  # soffice waited; the pool's workers still run (not counted here)
            for p in sorted((work / "out").glob("*")):
                converted.append((p.suffix.lstrip("."), p.read_bytes()))
            done += pool.map(timed_read, converted, chunksize=1)
        secs = time.perf_counter() - t0
        own = time.process_time() - own0
    readers = sum(cpu for _n, cpu in done)
    return {"seconds": round(secs, 2), "documents": len(items) + len(legacy), "legacy": len(legacy),
            "converted": len(converted), "processes": procs, "chars": sum(n for n, _cpu in done),
            "scans_not_ocrd": skipped_ocr, "cpu_seconds": round(readers + lo_cpu + own, 2),
            "cpu_seconds_by_part": {"readers": round(readers, 2), "libreoffice": round(lo_cpu, 2),
                                    "main": round(own, 2)}}


def _children_cpu() -> float:
    """CPU seconds of this process's ended and waited children (LibreOffice's run, its soffice.bin included)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed_read(item: tuple[str, bytes]) -> tuple[int, float]:
    """:func:`read_one` and the CPU seconds it took in its worker (user + system)."""
    start = time.process_time()
    n = read_one(item)
    return n, time.process_time() - start


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import argparse

    import workload

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="submissions (the rush corpus)")
    args = ap.parse_args()
    raws = [s.raw for s in workload.submissions(args.n)]
    print(measure(raws, later=twin_scans(raws)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
