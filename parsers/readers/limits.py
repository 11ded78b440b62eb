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

The declared sizes do not bound memory, though: openpyxl and python-docx pay per XML *element*,
and an element can be 4 bytes (``<c/>``), so a 64 MB part compressing to 100 KB holds millions.
Measured (one process, peak RSS): a 41 KB xlsx with 5 million empty ``<c/>`` took 1.8 GB; a 118 KB
docx with 10 million ``<w:p/>`` 1.4 GB; a 120 KB xlsx whose shared-strings table has 4.9 million
``<si><t/></si>`` 523 MB and 79 s, one ``<si>`` of 4 million one-character runs 1.9 GB. So the
XML parts are streamed once before opening, nothing kept, and counted:

- start tags over all XML parts (:data:`MAX_PACKAGE_ELEMENTS`): python-docx (lxml) costs ~135 bytes
  an element, so 2 million in a docx is ~270 MB (a 成果报告 of 100 pages has well under 200,000);
  openpyxl ~400 bytes (1.99 million ``<xf/>`` in styles.xml took 859 MB), so an xlsx gets 800,000
  (~320 MB; a 30,000-cell workbook has about 100,000, a style-bloated one a few hundred thousand);
- worksheet cells (:data:`MAX_SHEET_CELLS`, 10× :data:`MAX_DOCUMENT_CELLS`): openpyxl makes a
  ``Cell`` per ``<c>`` (~350 bytes, about twice that when formulas make it load the workbook a
  second time); cells past :data:`MAX_DOCUMENT_CELLS` are cut from the document anyway;
- the shared-strings table (through expat): entries and characters at 10× what a document may
  hold (:data:`MAX_SHARED_STRINGS`, :data:`MAX_SHARED_CHARS`: every string a form shows is in a
  cell), and the elements of one entry (:data:`MAX_STRING_ELEMENTS`: openpyxl builds an entry's
  whole subtree, ~450 bytes an element, before joining it; 100,000 still fits a 100,000-character
  cell with a formatting run every 10 characters). The table's ``count``/``uniqueCount``
  attributes are not trusted (a crafted one says ``count="100000000"``, or 1): entries are counted.

Beyond any of them the document is refused with ``document.too_large`` before openpyxl or
python-docx allocate anything; every such case then peaks at the reader's own ~75 MB. Parts whose
declared sizes are too small to hold that many elements (an element is at least 3 bytes) are not
streamed at all: that is every real form, and zipfile never reads past a declared size.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.parsers import expat

from parsers.model import Block, Document, Problem, Table

MAX_TABLE_ROWS = 3_000  # rows of one table
MAX_DOCUMENT_CELLS = 30_000  # grid positions over all tables
MAX_BLOCKS = 20_000  # paragraphs and tables
MAX_TEXT_CHARS = 2_000_000  # characters over all paragraphs and cells
MAX_CELL_CHARS = 100_000  # one cell or paragraph (a 成果报告 section is < 20,000)

MAX_PACKAGE_MEMBERS = 5_000
MAX_XML_BYTES = 64 << 20  # one XML part, uncompressed (a 5,000-row table is ~8 MB)
MAX_PACKAGE_BYTES = 256 << 20  # all members, uncompressed

#: start tags over all XML parts of a package (see the module docstring for the measured costs)
MAX_PACKAGE_ELEMENTS = {"docx": 2_000_000, "xlsx": 800_000}
MAX_SHEET_CELLS = 10 * MAX_DOCUMENT_CELLS  # <c> elements over all worksheets of an xlsx
MAX_SHARED_STRINGS = 10 * MAX_DOCUMENT_CELLS  # <si> entries (each text cell shows at most one)
MAX_SHARED_CHARS = 10 * MAX_TEXT_CHARS  # characters over all entries
MAX_STRING_ELEMENTS = 100_000  # elements of one <si> (openpyxl builds one <si>'s subtree at once)

TOO_LARGE = "document.too_large"
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedstrings+xml"


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
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if _may_pass_a_count(infos, fmt):
                _count_elements(z, infos, fmt)
            if fmt == "xlsx" and (name := _shared_strings_part(z)) is not None and \
                    _may_pass_a_string_count(z.getinfo(name).file_size):
                with z.open(name) as stream:
                    _scan_shared_strings(stream)
    except _Exceeded as e:
        return Problem(TOO_LARGE, f"{fmt}: {e}")
    except Exception:  # noqa: BLE001 - damaged (CRC, deflate) or a DTD: the reader says what is wrong
        return None
    return None


class _Exceeded(Exception):
    """A limit was passed (the message says which)."""


class _Declared(Exception):
    """The XML declares a DTD: not ours to judge (openpyxl refuses entities through defusedxml)."""


_CHUNK = 1 << 20
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")  # <c ...>, <c/>, <x:c r="A1">; not <col>, <cfRule>


#: the fewest bytes an element takes (``<a>``, ``<c/>`` is 4): a part's declared size, which zipfile never
#: reads past, bounds how many elements it can hold — so parts too small to pass a count are not streamed
#: (a form's package is well under a megabyte of XML: decompressing it again was ~2 ms a document)
MIN_ELEMENT_BYTES = 3


def _may_pass_a_count(infos: list[zipfile.ZipInfo], fmt: str) -> bool:
    """Whether the XML parts are large enough to hold more elements (or worksheet cells) than allowed."""
    xml = sheets = 0
    for info in infos:
        name = info.filename.lower()
        if name.endswith((".xml", ".rels")):
            xml += info.file_size
            sheets += info.file_size if fmt == "xlsx" and name.startswith("xl/worksheets/") else 0
    budget = MAX_PACKAGE_ELEMENTS.get(fmt, max(MAX_PACKAGE_ELEMENTS.values()))
    return xml >= MIN_ELEMENT_BYTES * budget or sheets >= MIN_ELEMENT_BYTES * MAX_SHEET_CELLS


def _may_pass_a_string_count(size: int) -> bool:
    """Whether a shared-strings part of ``size`` bytes can pass one of its limits (without a DTD, which
    the scan refuses, a character takes at least a byte)."""
    fewest = min(MAX_SHARED_STRINGS, MAX_STRING_ELEMENTS)
    return size >= MIN_ELEMENT_BYTES * fewest or size > MAX_SHARED_CHARS


def _count_elements(z: zipfile.ZipFile, infos: list[zipfile.ZipInfo], fmt: str) -> None:
    """Start tags over all XML parts and, for an xlsx, cells over its worksheets, each part streamed
    1 MB at a time; raises :class:`_Exceeded` at the first limit passed."""
    tags = cells = 0
    budget = MAX_PACKAGE_ELEMENTS.get(fmt, max(MAX_PACKAGE_ELEMENTS.values()))
    for info in infos:
        name = info.filename.lower()
        if not name.endswith((".xml", ".rels")):
            continue
        sheet = fmt == "xlsx" and name.startswith("xl/worksheets/")
        with z.open(info) as stream:
            tail = b""
            while chunk := stream.read(_CHUNK):
                # a tag cut by the chunk boundary is counted with the next chunk
                buf = tail + chunk
                cut = buf.rfind(b"<", max(0, len(buf) - 64))
                region, tail = (buf, b"") if cut < 0 else (buf[:cut], buf[cut:])
                tags += region.count(b"<") - region.count(b"</") - region.count(b"<?") - region.count(b"<!")
                if tags > budget:
                    raise _Exceeded(f"more than {budget} XML elements (at {info.filename})")
                if sheet:
                    cells += sum(1 for _ in _CELL.finditer(region))
                    if cells > MAX_SHEET_CELLS:
                        raise _Exceeded(f"more than {MAX_SHEET_CELLS} worksheet cells (at {info.filename})")
            tags += tail.count(b"<") - tail.count(b"</") - tail.count(b"<?") - tail.count(b"<!")
            cells += sum(1 for _ in _CELL.finditer(tail)) if sheet else 0
    if tags > budget:
        raise _Exceeded(f"more than {budget} XML elements")
    if cells > MAX_SHEET_CELLS:
        raise _Exceeded(f"more than {MAX_SHEET_CELLS} worksheet cells")


_OVERRIDE = re.compile(rb"""<(?:\w+:)?Override\b[^>]*>""")
_ATTR = re.compile(rb"""\b(PartName|ContentType)\s*=\s*["']([^"']*)["']""")


def _shared_strings_part(z: zipfile.ZipFile) -> str | None:
    """The shared-strings part as openpyxl finds it: the ``[Content_Types].xml`` override with its
    content type (``xl/sharedStrings.xml`` in every writer we know, but the name is not fixed)."""
    names = {n.lower(): n for n in z.namelist()}
    manifest = names.get("[content_types].xml")
    if manifest is None:
        return None
    for tag in _OVERRIDE.findall(z.read(manifest)):
        attrs = {k.decode(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(tag)}
        if attrs.get("ContentType", "").lower() == SHARED_STRINGS_TYPE:
            return names.get(attrs.get("PartName", "").lstrip("/").lower())
    return None


def _scan_shared_strings(stream) -> None:
    """Count the entries, the characters and each entry's elements of a shared-strings part, 64 KB
    at a time through expat; raises :class:`_Exceeded` at the first limit passed. Nothing is kept."""
    strings = chars = 0
    depth = 0  # inside an <si>: the element depth in it; 0 outside
    in_string = 0  # elements of the current <si>

    def start(tag: str, attrs: object) -> None:
        nonlocal strings, depth, in_string
        if depth:
            depth += 1
            in_string += 1
            if in_string > MAX_STRING_ELEMENTS:
                raise _Exceeded(f"shared strings: an entry of more than {MAX_STRING_ELEMENTS} elements")
        elif tag.rsplit(" ", 1)[-1] == "si":
            strings += 1
            if strings > MAX_SHARED_STRINGS:
                raise _Exceeded(f"shared strings: more than {MAX_SHARED_STRINGS} entries")
            depth = in_string = 1

    def end(tag: str) -> None:
        nonlocal depth
        if depth:
            depth -= 1

    def text(data: str) -> None:
        nonlocal chars
        if depth:
            chars += len(data)
            if chars > MAX_SHARED_CHARS:
                raise _Exceeded(f"shared strings: more than {MAX_SHARED_CHARS} characters")

    def declared(*_: object) -> None:
        raise _Declared

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = declared
    parser.EntityDeclHandler = declared
    while chunk := stream.read(1 << 16):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


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
