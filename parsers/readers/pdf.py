"""PDF → Document with pdfplumber: ruled tables as grids and the text around them, in page order.

Text outside the table boxes becomes one paragraph per line, ordered with the tables by
their top edge, so a label line above a table keeps its place. pdfplumber leaves the
positions covered by a merged cell as None; they are filled from the cell that covers them
geometrically so the grid obeys the model's merged-cell rule. Pages without characters but
with images are scanned; ``(cid:NNN)`` characters mean a font without a Unicode map.

A scanned PDF (no text layer at all) is OCR'd (:mod:`parsers.readers.ocr`): each page rendered by
pdfium at 200 dpi, read, and its blocks joined as a text PDF's are (running headers dropped, a table
going on over a page break made one). Over the OCR limits, or when OCR reads nothing useful, it stays
``document.scanned`` (manual review), as before.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import time
from collections.abc import Generator
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from PIL import Image

from parsers.model import Block, Division, Document, Problem, Table
from parsers.readers import ocr, seal
from parsers.readers.ocr import OcrStopped
from parsers.readers.ocr_options import OcrOptions

MAX_DETAILED_PAGES = 50  # beyond this, plain text via pdfium (25× faster); forms are a few pages
CID_RATIO = 0.05  # share of (cid:) characters above which the text is not trusted
MIN_TEXT_CHARS = 20  # fewer visible characters than this in the whole file, with images: scanned
OCR_DPI = 200  # scans are read at this resolution (A4: 1,654 × 2,339 px)
OCR_MAX_PIXELS = 6_000_000  # a larger page (A3, a 200-inch poster) is rendered smaller, not bigger than this
OCR_GRACE = 5.0  # seconds of the document's limit kept for the form extractors after OCR
# Glyphs a subset font maps to nothing come out as NUL and other C0 controls: drop them.
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n")


def _clean(text: str) -> str:
    return text.translate(_CONTROL).strip()


def _encrypted(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, PDFPasswordIncorrect | PDFEncryptionError):
            return True
        if any(isinstance(a, PDFPasswordIncorrect | PDFEncryptionError) for a in getattr(seen, "args", ())):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def read(data: bytes, filename: str = "", timeout: float = 60.0, ocr: OcrOptions | None = None,
         seals: bool = True) -> Document:
    """``ocr``: limits for OCR of a scanned PDF (default :class:`OcrOptions`; ``max_pages = 0``: none).
    ``seals=False``: no seal check (:func:`seal_meta`); the caller adds it when the file may be a 申报表."""
    started = time.monotonic()
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        if _sideways(pdf):
            pdf.close()
            pdf = pdfplumber.open(io.BytesIO(_unrotated(data)))
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
    if seals:
        doc.meta.update(seal_meta(data))
    if doc.meta.get("scanned"):
        doc = _ocr_scanned(doc, data, ocr if ocr is not None else OcrOptions(),
                           started + max(1.0, timeout - OCR_GRACE))
    return doc


def seal_meta(data: bytes) -> dict[str, Any]:
    """The red-seal guess of each page (rendered at 72 dpi, :mod:`parsers.readers.seal`): ``seal_pages``
    (a file of several forms), ``seal_detected``, ``red_pixels``; ``seal_detected`` None when rendering
    failed — a nicety, never a reason to lose the text."""
    try:
        pages = seal.page_blobs(data)
    except Exception as e:  # noqa: BLE001 - pdfium on a damaged file: the text is already read
        return {"seal_detected": None, "seal_error": _reason(e)}
    sealed = [any(b.seal_like for b in blobs) for blobs in pages]
    return {"seal_pages": sealed, "seal_detected": any(sealed),
            "red_pixels": [sum(b.pixels for b in blobs) for blobs in pages]}


def _ocr_scanned(doc: Document, data: bytes, options: OcrOptions, deadline: float) -> Document:
    """The scanned PDF's pages OCR'd into blocks; ``doc`` (document.scanned) unchanged, with the reason
    noted in ``meta["ocr"]`` and the problem's detail, when OCR is off, over a limit or reads nothing."""
    def unread(why: str) -> Document:
        doc.meta["ocr"] = why
        for p in doc.problems:
            if p.rule == "document.scanned":
                p.detail = f"{p.detail}; {why}"
        return doc

    pages = int(doc.meta.get("pages") or 0)
    wanted = min(pages, options.first_pages) if options.first_pages > 0 else pages
    if options.max_pages <= 0:
        return unread(options.reason)
    if wanted > options.max_pages:
        return unread(f"OCR not tried: {pages} pages, over the limit of {options.max_pages}")
    if options.title_probe:
        try:
            head = _title_strip_text(data, deadline, options.title_probe)
        except OcrStopped as e:
            return unread(f"OCR stopped: {e}")
        if (hit := ocr.probe_hit(options, head)) is not None:
            doc.meta.update(hit)
            return unread(options.reason)
    try:
        with contextlib.closing(_page_images(data)) as images:
            result = ocr.read_images(itertools.islice(images, wanted), options, deadline)
    except OcrStopped as e:
        return unread(f"OCR stopped: {e}")
    if not result.useful:
        return unread(f"OCR read nothing useful (confidence {result.confidence:.2f})")
    blocks, divisions = _joined(_without_furniture([p.blocks for p in result.pages]))
    meta = {k: v for k, v in doc.meta.items() if k != "ocr"}
    return Document(blocks=blocks, meta={**meta, **result.meta()}, divisions=divisions)


TITLE_DPI = 100  # a title probe renders the first page at this: the title is large print (ocr.TITLE_WIDTH)


def _title_strip_text(data: bytes, deadline: float, words: tuple[str, ...] = ()) -> str:
    """The OCR'd text (no spaces) of the top of the first page, where a form's title is (:func:`ocr.read_title`)."""
    with contextlib.closing(_page_images(data, TITLE_DPI)) as images:
        page = next(images, None)
    return "" if page is None else ocr.read_title(page, deadline, words)


def _page_images(data: bytes, dpi: int = OCR_DPI) -> Generator[Image.Image, None, None]:
    """Each page rendered at ``dpi`` (smaller for pages over :data:`OCR_MAX_PIXELS`), one at a time."""
    pdf = pdfium.PdfDocument(data)
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                w, h = page.get_size()
                scale = dpi / 72
                scale *= min(1.0, (OCR_MAX_PIXELS / max(w * h * scale * scale, 1.0)) ** 0.5)
                image = page.render(scale=scale, rotation=0).to_pil()
            finally:
                page.close()
            yield image
    finally:
        pdf.close()


def _sideways(pdf) -> bool:
    """A page turned with /Rotate over upright text (rotated in a viewer, or a scanner's auto-rotate):
    pdfplumber applies the rotation to the characters, so every line comes out as a column. Only when
    most characters of the rotated pages are then not upright; a landscape page drawn rotated and
    turned back by /Rotate reads upright and stays as it is."""
    turned = [p for p in pdf.pages[:MAX_DETAILED_PAGES] if (p.rotation or 0) % 360]
    if not turned:
        return False
    chars = [c for p in turned for c in p.chars if not c.get("text", "").isspace()]
    return bool(chars) and sum(1 for c in chars if not c.get("upright", True)) > len(chars) / 2


def _unrotated(data: bytes) -> bytes:
    """The same PDF with every page's /Rotate cleared (pdfium rewrites it; text and images untouched)."""
    doc = pdfium.PdfDocument(data)
    try:
        for page in doc:
            page.set_rotation(0)
        buf = io.BytesIO()
        doc.save(buf)
        return buf.getvalue()
    finally:
        doc.close()


def _reason(e: BaseException) -> str:
    inner = e.args[0] if getattr(e, "args", None) and isinstance(e.args[0], BaseException) else e
    return f"{type(inner).__name__}: {inner}"[:300]


def _read_open(pdf, data: bytes) -> Document:
    scanned_pages: list[int] = []
    chars = cid_chars = 0
    n_pages = len(pdf.pages)
    pages: list[list[Block]] = []
    for i, page in enumerate(pdf.pages[:MAX_DETAILED_PAGES]):
        page_chars = [c for c in page.chars if not c.get("text", "").isspace()]
        chars += len(page_chars)
        cid_chars += sum(1 for c in page_chars if c.get("text", "").startswith("(cid:"))
        if not page_chars and page.images:
            scanned_pages.append(i + 1)
        pages.append(_page_blocks(page))
        page.flush_cache()
    blocks, divisions = _joined(_without_furniture(pages))
    if n_pages > MAX_DETAILED_PAGES:
        blocks.extend(_plain_text_tail(data, MAX_DETAILED_PAGES))
    doc = Document(blocks=blocks, meta={"pages": n_pages, "scanned_pages": scanned_pages}, divisions=divisions)
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


_PAGE_NO = re.compile(r"^[-—–\s]*(第\s*)?\d{1,3}\s*(页)?(\s*/\s*(共\s*)?\d{1,3}\s*页?)?[-—–\s]*$")


def _page_no_block(block: Block) -> bool:
    return isinstance(block, str) and _PAGE_NO.match(block) is not None


_PAGE_LABEL = re.compile(r"^\s*第\s*\d{1,3}\s*页\s*[,，/]?\s*(共\s*\d{1,3}\s*页)?\s*$|"
                         r"^\s*(page\s*)?\d{1,3}\s*(of|/)\s*\d{1,3}\s*$", re.IGNORECASE)


def _page_number(text: str) -> bool:
    """``- 1 -``, ``2``, ``第 1 页 共 4 页``, ``1/4``, ``Page 1 of 4``."""
    return bool(_PAGE_NO.match(text) or _PAGE_LABEL.match(text))


def _without_furniture(pages: list[list[Block]]) -> list[list[Block]]:
    """Pages without their running headers and footers (a Word export repeats the unit's name or the
    title at the top of every page and ``- 1 -`` at the bottom): they are not the document's text, and
    between two parts of a table they would keep the parts apart.

    A page's first or last line is furniture when it is a page number, or when the very same line is
    the first, resp. last, line of at least half the pages, and of two at least (a title that differs
    by its page number, ``申报表（第1页）``, is the page's own text).
    """
    def edge(page: list[Block], at: int) -> str | None:
        b = page[at] if page else None
        return b if isinstance(b, str) else None

    counts: dict[tuple[int, str], int] = {}
    for page in pages:
        for at in (0, -1):
            line = edge(page, at)
            if line is not None:
                key = (at, re.sub(r"\s+", "", line))
                counts[key] = counts.get(key, 0) + 1
    needed = max(2, (len(pages) + 1) // 2)
    out: list[list[Block]] = []
    for page in pages:
        page = list(page)
        for at in (0, -1):
            line = edge(page, at)
            if line is not None and (_page_number(line) or counts.get((at, re.sub(r"\s+", "", line)), 0) >= needed):
                del page[at]
        out.append(page)
    return out


def _joined(pages: list[list[Block]]) -> tuple[list[Block], list[Division]]:
    """The pages' blocks as one stream, each page marked where its own blocks begin (a page whose
    first table goes on from the page before begins after that table)."""
    blocks: list[Block] = []
    divisions: list[Division] = []
    for n, page_blocks in enumerate(pages, start=1):
        divisions.append(Division(_continue_table(blocks, page_blocks), "page", str(n)))
    return blocks, divisions


def _continue_table(blocks: list[Block], page: list[Block]) -> int:
    """Append a page's blocks; a table that ends one page and starts the next is one table.

    Word breaks a long table (and a long row, such as the 简介 cell) across pages; the next page then
    starts with the rest of it, often under a repeated header row. The two parts are joined when the
    first page ends with a table (a page number after it aside) and the next starts with one: the
    repeated header is dropped and the rows appended. A row Word split at the break is joined back
    into one (see :func:`_split_row`). Returns where the page's own blocks begin in ``blocks``.
    """
    tail = len(blocks)
    while tail > 0 and _page_no_block(blocks[tail - 1]):
        tail -= 1
    head = 0
    while head < len(page) and _page_no_block(page[head]):
        head += 1
    if tail == 0 or head >= len(page) or not isinstance(blocks[tail - 1], Table) or not isinstance(page[head], Table):
        start = len(blocks)
        blocks.extend(page)
        return start
    first, second = blocks[tail - 1], page[head]
    assert isinstance(first, Table) and isinstance(second, Table)
    width = max(first.n_cols, second.n_cols)
    rows = [_widened(r, width) for r in second.grid]
    grid = [_widened(r, width) for r in first.grid]
    repeated = len(grid) > 1 and bool(rows) and rows[0] == grid[0]
    if repeated:
        rows = rows[1:]  # the header row Word repeats on every page
    if grid and rows and _split_row(grid, rows[0], repeated):
        grid[-1] = [f"{a}\n{b}" if a and b else (a or b) for a, b in zip(grid[-1], rows[0], strict=True)]
        rows = rows[1:]
    del blocks[tail - 1:]
    blocks.append(Table(grid=grid + rows))
    blocks.extend(page[head + 1:])
    return tail


def _widened(row: list[str], width: int) -> list[str]:
    """A row padded to ``width``: a one-cell (merged) row repeats its text, others get blanks."""
    if len(set(row)) == 1:
        return row + [row[-1] if row else ""] * (width - len(row))
    return row + [""] * (width - len(row))


def _split_row(grid: list[list[str]], row: list[str], list_table: bool) -> bool:
    """Whether ``row``, the first after a page break, is the rest of the row before the break.

    Either both are one merged cell (a long 简介 cell), or, in a list (its header repeated on the new
    page, or numbered rows), ``row`` is blank in a column that every other data row fills (序号, 分数):
    a row of its own would have those too. A form of label/value rows is no list: there a blank label
    is a vertically merged label (小组成员 over two rows of names) that went on over the break.
    """
    last = grid[-1]
    if len(set(last)) == 1 and len(set(row)) == 1 and row[0]:
        return True
    if not any(row) or len(grid) < 3:
        return False
    body = grid[1:]
    if not (list_table or all(re.fullmatch(r"\d{1,4}", r[0].strip()) for r in body)):
        return False
    full = [c for c in range(len(row)) if all(r[c].strip() for r in body)]
    return bool(full) and any(not row[c].strip() for c in full) and any(row[c].strip() for c in range(len(row)))


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
