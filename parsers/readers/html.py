"""HTML tables saved as .xls and Word's "single file web page" (MHTML) saved as .doc → Document.

Why read them here and not through LibreOffice: web systems export "Excel" as an HTML table named
``.xls``, and Word's 另存为 "单个文件网页" writes MHTML that people rename ``.doc``; both are plain
tables already. lxml reads them in milliseconds, where LibreOffice costs a second and guesses
(Writer/Web vs Calc) which import filter the bytes want. Cells are laid out on their grid from
``colspan``/``rowspan`` (merged cells repeated, as every reader does), nested tables follow their
parent, and text outside tables becomes paragraphs. Excel's multi-sheet web pages (one HTML part
per sheet in the MHTML) are marked as sheets; Word's page breaks as sections.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import Message

from lxml import etree
from lxml import html as lxml_html

from parsers.model import Block, Division, Document, Problem, Table
from parsers.readers import symbols
from parsers.readers.cells import MAX_GRID_CELLS

#: Elements that end a line of text (a paragraph outside tables, a line inside a cell)
_BLOCK_TAGS = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "pre", "blockquote",
    "address", "center", "section", "article", "header", "footer", "tr", "form", "fieldset", "hr", "caption",
})
_SKIP_TAGS = frozenset({"head", "script", "style", "title", "xml", "template", "noscript", "object", "iframe"})
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_PAGE_BREAK = re.compile(r"page-break-before\s*:\s*always", re.IGNORECASE)
_FONT = re.compile(r"font-family\s*:\s*[\"']?([^;\"']+)", re.IGNORECASE)
MAX_SPAN = 1000  # a colspan/rowspan beyond this is a broken export, not a form


def is_mhtml(data: bytes) -> bool:
    """A MIME web archive (Word/Excel "single file web page"): MIME headers and a multipart/related body."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"mime-version") or (b"mime-version:" in head and b"multipart/related" in head) \
        or (head.startswith(b"from:") and b"multipart/related" in head)


def is_html(data: bytes) -> bool:
    """HTML (not XML Spreadsheet 2003, not RTF): an html/table/body tag near the start."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        head = data[2:8192].decode("utf-16", "replace").lower().encode("ascii", "replace")
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head and b"<html" not in head:
        return False  # Excel's XML Spreadsheet 2003: LibreOffice reads it
    return head.startswith((b"<!doctype html", b"<html", b"<table", b"<body", b"<head", b"<meta")) or (
        head.startswith(b"<") and (b"<html" in head or b"<table" in head))


def read(data: bytes, filename: str = "", timeout: float = 60.0) -> Document:
    """HTML or MHTML bytes → Document; a file with no HTML in it is ``document.unreadable``."""
    pages = _mhtml_pages(data) if is_mhtml(data) else [_decode(data, None)]
    if not pages:
        return Document(problems=[Problem("document.unreadable", "html: MHTML without an HTML part")],
                        text_trusted=False)
    blocks: list[Block] = []
    divisions: list[Division] = []
    sheets = len(pages) > 1
    for label, text in pages:
        try:
            root = lxml_html.document_fromstring(_XML_DECL.sub("", text) or "<html></html>")
        except (etree.ParserError, ValueError) as e:
            if sheets:
                continue
            return Document(problems=[Problem("document.unreadable", f"html: {type(e).__name__}: {e}")],
                            text_trusted=False)
        page = _Walker()
        page.walk(root)
        page.flush()
        if not page.blocks:
            continue
        offset = len(blocks)
        if sheets:
            divisions.append(Division(offset, "sheet", label))
        else:
            divisions.extend(Division(offset + d, "section") for d in page.breaks)
        blocks.extend(page.blocks)
    if divisions and divisions[0].start != 0 and not sheets:
        divisions.insert(0, Division(0, "section"))
    return Document(blocks=blocks, divisions=divisions, meta={"mhtml": is_mhtml(data)})


# ---------------------------------------------------------------- bytes → text

def _codec(name: str | None) -> str | None:
    """A Python codec for a declared charset; GB2312/GBK labels are read as GB18030 (their superset)."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936", "x-cp20936", "euc-cn", "hz-gb-2312"):
        return "gb18030"
    try:
        import codecs

        return codecs.lookup(label).name
    except LookupError:
        return None


def _decode(data: bytes, declared: str | None, label: str = "") -> tuple[str, str]:
    """(label, text): a BOM first, then the declared or meta charset, then UTF-8, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return label, data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return label, data.decode("utf-16", "replace")
    meta = _CHARSET.search(data[:8192])
    for codec in (_codec(declared), _codec(meta[1].decode("ascii", "replace")) if meta else None):
        if codec:
            try:
                return label, data.decode(codec)
            except UnicodeDecodeError:
                continue
    try:
        return label, data.decode("utf-8")
    except UnicodeDecodeError:
        return label, data.decode("gb18030", "replace")


def _mhtml_pages(data: bytes) -> list[tuple[str, str]]:
    """The text/html parts of a MIME web archive, in order. Excel's archive starts with a frameset
    page (the sheet tabs) and has one part per sheet; Word's has one page."""
    msg = email.message_from_bytes(data.lstrip(b"\xef\xbb\xbf \t\r\n"), policy=email.policy.compat32)
    parts: list[tuple[str, str]] = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_type() != "text/html":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        parts.append(_decode(payload, part.get_content_charset(), _part_label(part)))
    if len(parts) > 1:  # the frameset page and the tab strip carry no form
        parts = [p for p in parts if not re.search(r"<frameset\b", p[1], re.IGNORECASE)
                 and not p[0].lower().startswith("tabstrip")]
    return parts


def _part_label(part: Message) -> str:
    """A sheet's name as far as the archive says it (``sheet001.htm`` at worst)."""
    loc = str(part.get("Content-Location", "") or "")
    return loc.replace("\\", "/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------- tree → blocks

class _Walker:
    """Document order: text gathered into paragraphs, flushed at block boundaries; tables as grids."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.breaks: list[int] = []  # block indexes where a page break starts a new page
        self._line: list[str] = []

    def flush(self) -> None:
        text = _clean("".join(self._line))
        self._line = []
        if text:
            self.blocks.append(text)

    def walk(self, el: etree._Element, font: str | None = None) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag or tag in _SKIP_TAGS:  # comments, processing instructions, <head>, <style>, ...
            self._line.append(el.tail or "")
            return
        font = _font_of(el) or font
        if _PAGE_BREAK.search(el.get("style", "")):
            self.flush()
            if self.blocks and (not self.breaks or self.breaks[-1] < len(self.blocks)):
                self.breaks.append(len(self.blocks))
        if tag == "table":
            self.flush()
            self.blocks.extend(_tables(el))
        elif tag == "br":
            self._line.append("\n")
        else:
            block = tag in _BLOCK_TAGS
            if block:
                self.flush()
            self._line.append(symbols.map_text(font, el.text or ""))
            for child in el:
                self.walk(child, font)
            if block:
                self.flush()
        self._line.append(el.tail or "")


def _font_of(el: etree._Element) -> str | None:
    """A symbol font (Wingdings ticks) named by the element's style or ``<font face>``."""
    m = _FONT.search(el.get("style", "")) or (re.match(r"([^,]+)", el.get("face", "")) if el.tag == "font" else None)
    return m[1].strip() if m else None


def _clean(text: str) -> str:
    """HTML white space collapsed within lines (``&nbsp;`` is a space), empty lines dropped."""
    lines = (re.sub(r"[ \t\r\f\v\xa0\u3000]+", " ", ln).strip() for ln in text.replace("\r\n", "\n").split("\n"))
    return "\n".join(ln for ln in lines if ln)


def _tables(table: etree._Element) -> list[Table]:
    """The table and then its nested tables (depth first), as the docx reader lists them."""
    rows = [tr for tr in table.iter("tr") if _owner(tr) is table]
    cells: list[list[tuple[str, int, int]]] = []
    nested: list[Table] = []
    for tr in rows:
        row = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            inner = _CellText()
            inner.walk_children(td)
            for sub in inner.nested:
                nested.extend(_tables(sub))
            row.append((_clean(inner.text()), _span(td.get("colspan")), _span(td.get("rowspan"))))
        cells.append(row)
    grid = _layout(cells)
    if not any(any(t for t in r) for r in grid):
        return nested
    return [Table(grid=grid, nested=list(nested)), *nested]


def _owner(tr: etree._Element) -> etree._Element | None:
    """The table a row belongs to (its nearest table ancestor)."""
    p = tr.getparent()
    while p is not None and (not isinstance(p.tag, str) or p.tag.lower() != "table"):
        p = p.getparent()
    return p


def _span(value: str | None) -> int:
    try:
        n = int(str(value or "1").strip().split(".")[0] or 1)
    except ValueError:
        return 1
    return max(1, min(n, MAX_SPAN))  # rowspan="0" means "to the end" in HTML 4: treat as one row


class _CellText(_Walker):
    """A cell's text, lines kept; nested tables set aside for after the parent."""

    def __init__(self) -> None:
        super().__init__()
        self.nested: list[etree._Element] = []
        self._lines: list[str] = []

    def walk_children(self, td: etree._Element) -> None:
        font = _font_of(td)
        self._line.append(symbols.map_text(font, td.text or ""))
        for child in td:
            self.walk(child, font)
        self.flush()

    def walk(self, el: etree._Element, font: str | None = None) -> None:
        if isinstance(el.tag, str) and el.tag.lower() == "table":
            self.flush()
            self.nested.append(el)
            self._line.append(el.tail or "")
            return
        super().walk(el, font)

    def flush(self) -> None:
        text = _clean("".join(self._line))
        self._line = []
        if text:
            self._lines.append(text)

    def text(self) -> str:
        return "\n".join(self._lines)


def _layout(rows: list[list[tuple[str, int, int]]]) -> list[list[str]]:
    """Cells placed on the table's grid: a rowspan reserves the positions below, merged positions
    repeat the cell's text; bounded by :data:`MAX_GRID_CELLS`."""
    taken: dict[tuple[int, int], str] = {}
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for text, cs, rs in row:
            while (r, c) in taken:
                c += 1
            rs = min(rs, len(rows) - r)
            if len(taken) + cs * rs > MAX_GRID_CELLS:
                break
            for dr in range(rs):
                for dc in range(cs):
                    taken[(r + dr, c + dc)] = text
            c += cs
            width = max(width, c)
    height = len(rows)
    return [[taken.get((r, c), "") for c in range(width)] for r in range(height)]
