"""PDF → Document with pdfplumber: ruled tables as grids and the text around them, in page order.

Text outside the table boxes becomes one paragraph per line, ordered with the tables by
their top edge, so a label line above a table keeps its place. pdfplumber leaves the
positions covered by a merged cell as None; they are filled from the cell that covers them
geometrically so the grid obeys the model's merged-cell rule. Pages without characters but
with images are scanned; ``(cid:NNN)`` characters mean a font without a Unicode map.
"""

from __future__ import annotations

import io

import pdfplumber
import pypdfium2 as pdfium
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from parsers.model import Block, Document, Problem, Table
from parsers.readers import seal

MAX_DETAILED_PAGES = 50  # beyond this, plain text via pdfium (25× faster); forms are a few pages
CID_RATIO = 0.05  # share of (cid:) characters above which the text is not trusted
MIN_TEXT_CHARS = 20  # fewer visible characters than this in the whole file, with images: scanned
# Glyphs a subset font maps to nothing come out as NUL and other C0 controls: drop them.
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n")


def _clean(text: str) -> str:
    return text.translate(_CONTROL).strip()


def _encrypted(exc: BaseException) -> bool:
    seen = exc
    while seen is not None:
        if isinstance(seen, PDFPasswordIncorrect | PDFEncryptionError):
            return True
        if any(isinstance(a, PDFPasswordIncorrect | PDFEncryptionError) for a in getattr(seen, "args", ())):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def read(data: bytes, filename: str = "", timeout: float = 60.0) -> Document:
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as e:
        if _encrypted(e):
            return Document(problems=[Problem("document.encrypted", "pdf: password required")], text_trusted=False)
        return Document(problems=[Problem("document.unreadable", f"pdf: {_reason(e)}")], text_trusted=False)
    try:
        doc = _read_open(pdf, data)
    except Exception as e:  # pdfminer can fail late, on a damaged page stream
        if _encrypted(e):
            return Document(problems=[Problem("document.encrypted", "pdf: password required")], text_trusted=False)
        return Document(problems=[Problem("document.unreadable", f"pdf: {_reason(e)}")], text_trusted=False)
    finally:
        pdf.close()
    try:
        found, counts = seal.seal_detected(data)
        doc.meta["seal_detected"] = found
        doc.meta["red_pixels"] = counts
    except Exception as e:  # rendering is a nicety; never lose the text over it
        doc.meta["seal_detected"] = None
        doc.meta["seal_error"] = _reason(e)
    return doc


def _reason(e: BaseException) -> str:
    inner = e.args[0] if getattr(e, "args", None) and isinstance(e.args[0], BaseException) else e
    return f"{type(inner).__name__}: {inner}"[:300]


def _read_open(pdf, data: bytes) -> Document:
    blocks: list[Block] = []
    scanned_pages: list[int] = []
    chars = cid_chars = 0
    n_pages = len(pdf.pages)
    for i, page in enumerate(pdf.pages[:MAX_DETAILED_PAGES]):
        page_chars = [c for c in page.chars if not c.get("text", "").isspace()]
        chars += len(page_chars)
        cid_chars += sum(1 for c in page_chars if c.get("text", "").startswith("(cid:"))
        if not page_chars and page.images:
            scanned_pages.append(i + 1)
        blocks.extend(_page_blocks(page))
        page.flush_cache()
    if n_pages > MAX_DETAILED_PAGES:
        blocks.extend(_plain_text_tail(data, MAX_DETAILED_PAGES))
    doc = Document(blocks=blocks, meta={"pages": n_pages, "scanned_pages": scanned_pages})
    if chars < MIN_TEXT_CHARS and scanned_pages:
        doc.meta["scanned"] = True
        doc.text_trusted = False
        doc.problems.append(Problem("document.scanned", f"pdf: {len(scanned_pages)} of {n_pages} pages are images"))
    else:
        doc.meta["scanned"] = False
    if chars and cid_chars / chars > CID_RATIO:
        doc.text_trusted = False
        doc.problems.append(Problem("document.cid_text", f"pdf: {cid_chars} of {chars} characters are (cid:NNN)"))
    return doc


def _page_blocks(page) -> list[Block]:
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside(obj) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    placed: list[tuple[float, int, Block]] = []
    for line in page.filter(outside).extract_text_lines(return_chars=False):
        text = _clean(line["text"])
        if text:
            placed.append((line["top"], 1, text))
    for t in tables:
        grid = _grid(t)
        if grid:
            placed.append((t.bbox[1], 0, Table(grid=grid)))
    placed.sort(key=lambda p: (p[0], p[1]))
    return [b for _, _, b in placed]


def _grid(table) -> list[list[str]]:
    """The table's text grid with merged (None) positions filled from the covering cell."""
    texts = table.extract()
    cells = table.cells  # bboxes of real cells; a merged cell is one bbox spanning several positions
    lefts = sorted({round(c[0], 1) for c in cells})
    tops = sorted({round(c[1], 1) for c in cells})
    x_end, y_end = table.bbox[2], table.bbox[3]
    origins = []
    for r, row in enumerate(table.rows):
        for c, bbox in enumerate(row.cells):
            if bbox is not None:
                origins.append((bbox, r, c))
    grid: list[list[str]] = []
    for r, row in enumerate(texts):
        out = []
        for c, value in enumerate(row):
            if value is None and r < len(tops) and c < len(lefts):
                cx = (lefts[c] + (lefts[c + 1] if c + 1 < len(lefts) else x_end)) / 2
                cy = (tops[r] + (tops[r + 1] if r + 1 < len(tops) else y_end)) / 2
                value = next(
                    (texts[r0][c0] for (x0, top, x1, bottom), r0, c0 in origins
                     if x0 <= cx <= x1 and top <= cy <= bottom),
                    "",
                )
            out.append(_clean(value or ""))
        grid.append(out)
    width = max((len(r) for r in grid), default=0)
    grid = [r + [""] * (width - len(r)) for r in grid]
    return grid if any(any(r) for r in grid) else []


def _plain_text_tail(data: bytes, start: int) -> list[Block]:
    """Lines of the pages after ``start`` via pdfium's fast text layer (no tables)."""
    out: list[Block] = []
    pdf = pdfium.PdfDocument(data)
    try:
        for i in range(start, len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            out.extend(line.strip() for line in textpage.get_text_range().splitlines() if line.strip())
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return out
