"""Size limits on what a reader may hand on: bounded work for everything after the read.

Why here and not in each reader: the form extractors scan every cell for every label (linear in
cells, but with a large constant: 200,000 cells took 100 s), so whatever a reader produced, the
Document passed on must be of a size a form can have. A real form has at most a few thousand
cells (a 评审汇总表 of 300 groups × 8 columns is 2,400); the limits are about 10× that. What is cut
is reported as ``document.too_large`` so a person looks at the file.

OOXML packages (docx/xlsx) are checked before they are opened: python-docx and openpyxl inflate
whole XML parts into memory (a 1 MB docx can hold a 400 MB ``document.xml``; 870 MB RSS), so
the declared uncompressed sizes in the zip directory are judged first. Python's zipfile stops at
the declared size and fails the CRC when a member holds more, so a lying directory does not
get past this either.
"""

from __future__ import annotations

import io
import zipfile

from parsers.model import Block, Document, Problem, Table

MAX_TABLE_ROWS = 3_000  # rows of one table
MAX_DOCUMENT_CELLS = 30_000  # grid positions over all tables
MAX_BLOCKS = 20_000  # paragraphs and tables
MAX_TEXT_CHARS = 2_000_000  # characters over all paragraphs and cells
MAX_CELL_CHARS = 100_000  # one cell or paragraph (a 成果报告 section is < 20,000)

MAX_PACKAGE_MEMBERS = 5_000
MAX_XML_BYTES = 64 << 20  # one XML part, uncompressed (a 5,000-row table is ~8 MB)
MAX_PACKAGE_BYTES = 256 << 20  # all members, uncompressed

TOO_LARGE = "document.too_large"


def package_problem(data: bytes, fmt: str) -> Problem | None:
    """A Problem when an OOXML package would inflate beyond the limits, else None (also for non-zips:
    the reader itself reports those)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except Exception:
        return None
    if len(infos) > MAX_PACKAGE_MEMBERS:
        return Problem(TOO_LARGE, f"{fmt}: {len(infos)} parts in the package (limit {MAX_PACKAGE_MEMBERS})")
    total = 0
    for info in infos:
        total += info.file_size
        if info.filename.lower().endswith((".xml", ".rels")) and info.file_size > MAX_XML_BYTES:
            return Problem(TOO_LARGE, f"{fmt}: {info.filename} is {info.file_size >> 20} MB uncompressed "
                                      f"(limit {MAX_XML_BYTES >> 20} MB)")
    if total > MAX_PACKAGE_BYTES:
        return Problem(TOO_LARGE, f"{fmt}: {total >> 20} MB uncompressed (limit {MAX_PACKAGE_BYTES >> 20} MB)")
    return None


def _clip(text: str, cut: list[str]) -> str:
    if len(text) > MAX_CELL_CHARS:
        cut.append(f"a text of {len(text)} characters")
        return text[:MAX_CELL_CHARS]
    return text


def cap_document(doc: Document) -> Document:
    """The document cut to the limits, with a ``document.too_large`` problem when anything was cut."""
    cut: list[str] = []
    blocks: list[Block] = []
    cells = chars = 0
    for b in doc.blocks:
        if len(blocks) >= MAX_BLOCKS:
            cut.append(f"{len(doc.blocks)} blocks")
            break
        if isinstance(b, Table) and b.grid:
            grid = b.grid
            if len(grid) > MAX_TABLE_ROWS:
                cut.append(f"a table of {len(grid)} rows")
                grid = grid[:MAX_TABLE_ROWS]
            width = max((len(r) for r in grid), default=0)
            room = (MAX_DOCUMENT_CELLS - cells) // max(width, 1)
            if room < len(grid):
                cut.append(f"more than {MAX_DOCUMENT_CELLS} table cells")
                grid = grid[:max(room, 0)]
            if grid is not b.grid or any(len(t) > MAX_CELL_CHARS for r in grid for t in r):
                grid = [[_clip(t, cut) for t in r] for r in grid]
            size = sum(len(t) for r in grid for t in r)
            if not grid or chars + size > MAX_TEXT_CHARS:
                if grid:
                    cut.append(f"more than {MAX_TEXT_CHARS} characters")
                break
            cells += len(grid) * width
            chars += size
            blocks.append(b if grid is b.grid else Table(grid=grid, nested=b.nested))
        elif isinstance(b, Table):
            blocks.append(b)
        else:
            b = _clip(b, cut)
            if chars + len(b) > MAX_TEXT_CHARS:
                cut.append(f"more than {MAX_TEXT_CHARS} characters")
                break
            chars += len(b)
            blocks.append(b)
    if not cut:
        return doc
    doc.blocks = blocks
    doc.problems.append(Problem(TOO_LARGE, "only the first part was read: " + "; ".join(dict.fromkeys(cut))[:300]))
    return doc
