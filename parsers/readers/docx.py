"""Word .docx → Document, walking the body XML in order (python-docx opens the package).

python-docx's object API repeats merged cells, hides nested-table text from the parent and
cannot see content-control checkboxes (env-facts §6), so the body is walked as XML: text
comes only from ``w:t`` nodes (lxml's itertext duplicates text on these elements), tables
are laid out on their grid from ``gridSpan``/``vMerge``, and checkboxes become ☑/☐.

Two things of the filled-in template are carried over besides text: a content control still
showing its prompt (``w:showingPlcHdr``, or text in the PlaceholderText style) gives no text at
all — the field is empty; and text a person set off by highlighting, shading, bold or underline
within a cell or paragraph (the chosen ``问题解决型`` of ``问题解决型 创新型``) is listed: in
``Table.emphasis`` by grid position, for paragraphs in ``Document.meta["emphasis"]`` (paragraph text
→ fragments). Extractors decide what that means; a wholly bold cell (a header) is not listed.
"""

from __future__ import annotations

import contextvars
import io
import re
import zipfile
import zlib
from collections.abc import Iterable

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from parsers.model import Block, Division, Document, Problem, Table
from parsers.readers import numbering, symbols

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


T, TAB, BR, CR, SYM = (_q(W, t) for t in ("t", "tab", "br", "cr", "sym"))
P, TBL, TR, TC, SDT, SDT_CONTENT, CUSTOM_XML = (
    _q(W, t) for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent", "customXml")
)
R, FLD_CHAR, TXBX = _q(W, "r"), _q(W, "fldChar"), _q(W, "txbxContent")
ALT, CHOICE = _q(MC, "AlternateContent"), _q(MC, "Choice")
VAL = _q(W, "val")

#: The document's automatic numbering while its body is read (None: no lists, or not a package).
_numbering: contextvars.ContextVar[numbering.Numbering | None] = contextvars.ContextVar("numbering", default=None)
#: Emphasised fragments of the paragraphs read so far: paragraph text → fragments (see the module doc).
_emphasis: contextvars.ContextVar[dict[str, list[str]] | None] = contextvars.ContextVar("emphasis", default=None)
RPR, SDT_PR = _q(W, "rPr"), _q(W, "sdtPr")
#: Character styles of a content control's prompt (Word's built-in name; WPS writes the Chinese one).
PLACEHOLDER_STYLES = frozenset({"placeholdertext", "占位符文本"})
_OFF = ("0", "false", "off", "none")


#: Main-part content types of the Word packages python-docx refuses ("not a Word file"): templates
#: and macro-enabled files hold the same WordprocessingML body as a .docx, only the part's declared
#: type differs (the macros live in a separate vbaProject.bin, never run here).
_OTHER_MAIN_TYPES = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",  # .dotx
    "application/vnd.ms-word.document.macroenabled.main+xml",  # .docm
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml",  # .dotm
})
DOCUMENT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_CONTENT_TYPE = re.compile(rb"""(ContentType\s*=\s*)(["'])([^"']*)\2""")


def as_document_package(data: bytes) -> bytes:
    """The package with a template/macro main part declared as a document's, so python-docx opens
    .dotx/.docm/.dotm like .docx (openpyxl already opens .xltx/.xlsm/.xltm). Only
    ``[Content_Types].xml`` changes, in memory; any other package is returned as it is."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            name = next((n for n in z.namelist() if n.lower() == "[content_types].xml"), None)
            if name is None:
                return data
            types = z.read(name)

            def retype(m: re.Match[bytes]) -> bytes:
                declared = m[3].decode("ascii", "replace").strip().lower()
                return m[1] + m[2] + DOCUMENT_MAIN.encode() + m[2] if declared in _OTHER_MAIN_TYPES else m[0]

            fixed = _CONTENT_TYPE.sub(retype, types)
            if fixed == types:
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as w:
                for info in z.infolist():
                    w.writestr(info, fixed if info.filename == name else z.read(info))
            return out.getvalue()
    except Exception:  # noqa: BLE001 - a damaged package: python-docx will say what is wrong with it
        return data


def read(data: bytes, filename: str = "", timeout: float = 60.0) -> Document:
    """Read a .docx (also .dotx/.docm/.dotm); a broken package gives document.unreadable."""
    try:
        package = docx.Document(io.BytesIO(as_document_package(data)))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError, EOFError,
            zlib.error) as e:  # a damaged package (cut or corrupt member streams): the sender's file
        return Document(problems=[Problem("document.unreadable", f"docx: {type(e).__name__}: {e}")],
                        text_trusted=False)
    token = _numbering.set(_load_numbering(package))
    try:
        return read_body(package.element.body)
    finally:
        _numbering.reset(token)


def _load_numbering(package) -> numbering.Numbering | None:
    """The package's list definitions; a missing or broken numbering part just means no numbers."""
    try:
        part = package.part
        num_el = None
        for rel in part.rels.values():
            if rel.reltype.endswith("/numbering") and not rel.is_external:
                num_el = etree.fromstring(rel.target_part.blob) if not hasattr(rel.target_part, "element") \
                    else rel.target_part.element
        if num_el is None:
            return None
        styles_el = part.styles.element if part.styles is not None else None
        return numbering.load(num_el, styles_el)
    except Exception:
        return None


def read_body(body: etree._Element) -> Document:
    """The blocks of a ``w:body`` (also used for other containers of paragraphs and tables), with a
    division where a page or section break begins a new page (one .docx may hold several forms)."""
    blocks: list[Block] = []
    divisions: list[Division] = []
    broken = False
    emphasis: dict[str, list[str]] = {}
    token = _emphasis.set(emphasis)
    try:
        for child in body:
            broken = broken or _break_before(child)
            if broken and blocks and (not divisions or divisions[-1].start < len(blocks)):
                divisions.append(Division(len(blocks), "section"))
            _blocks([child], blocks)
            broken = _break_after(child)
    finally:
        _emphasis.reset(token)
    if divisions:
        divisions.insert(0, Division(0, "section"))
    return Document(blocks=blocks, divisions=divisions, meta={"emphasis": emphasis} if emphasis else {})


def _break_before(el: etree._Element) -> bool:
    """A paragraph that starts on a new page: ``pageBreakBefore``, or a page break before any text."""
    if el.tag != P:
        return False
    before = el.find(f"{_q(W, 'pPr')}/{_q(W, 'pageBreakBefore')}")
    if before is not None:
        return before.get(VAL, "1").lower() not in ("0", "false", "off")
    for node in el.iter(T, BR):
        if node.tag == BR and node.get(_q(W, "type")) == "page":
            return True
        if node.tag == T and (node.text or "").strip():
            return False
    return False


def _break_after(el: etree._Element) -> bool:
    """A paragraph that ends its page: a section break (``sectPr`` in its properties) or a page break
    after its text."""
    if el.tag != P:
        return False
    props = el.find(_q(W, "pPr"))
    if props is not None and props.find(_q(W, "sectPr")) is not None:
        return True
    seen_text = False
    for node in el.iter(T, BR):
        if node.tag == T and (node.text or "").strip():
            seen_text = True
        elif node.tag == BR and node.get(_q(W, "type")) == "page" and seen_text:
            return True
    return False


def _blocks(container: Iterable[etree._Element], out: list[Block]) -> None:
    """Paragraphs and tables of a container, in order; text boxes follow their paragraph."""
    for child in container:
        if child.tag == P:
            text, boxes, frags = _paragraph(child)
            if text.strip():
                out.append(text.strip())
                _note_emphasis(text.strip(), frags)
            out.extend(boxes)
        elif child.tag == TBL:
            table = _table(child)
            out.append(table)
            out.extend(_flatten(table.nested))
        elif child.tag in (SDT, CUSTOM_XML, SDT_CONTENT):
            if child.tag == SDT and _showing_prompt(child):
                continue  # an unfilled block-level control: its prompt paragraph is no text
            inner = child.find(SDT_CONTENT) if child.tag == SDT else child
            if inner is not None:
                _blocks(inner, out)


def _showing_prompt(sdt: etree._Element) -> bool:
    """A content control nobody filled in: Word's ``w:showingPlcHdr``, or every run of its content in
    the placeholder character style (editors that drop the flag). Its prompt is not a value."""
    flag = sdt.find(f"{SDT_PR}/{_q(W, 'showingPlcHdr')}")
    if flag is not None and flag.get(VAL, "1").lower() not in _OFF:
        return True
    content = sdt.find(SDT_CONTENT)
    if content is None:
        return False
    runs = [r for r in content.iter(R) if "".join(t.text or "" for t in r.iter(T)).strip()]
    if not runs:
        return False
    for r in runs:
        style = r.find(f"{RPR}/{_q(W, 'rStyle')}")
        if style is None or (style.get(VAL) or "").lower() not in PLACEHOLDER_STYLES:
            return False
    return True


def _run_emphasis(r: etree._Element) -> bool:
    """Direct formatting that sets a run off: highlight, shading, bold, underline."""
    props = r.find(RPR)
    if props is None:
        return False
    hl = props.find(_q(W, "highlight"))
    if hl is not None and (hl.get(VAL) or "none").lower() != "none":
        return True
    shd = props.find(_q(W, "shd"))
    if shd is not None:
        fill = (shd.get(_q(W, "fill")) or "auto").lower()
        if fill not in ("auto", "ffffff", "") or (shd.get(VAL) or "clear").lower() not in ("clear", "nil"):
            return True
    for tag in ("b", "bCs"):
        b = props.find(_q(W, tag))
        if b is not None and (b.get(VAL) or "1").lower() not in _OFF:
            return True
    u = props.find(_q(W, "u"))
    return u is not None and (u.get(VAL) or "single").lower() not in _OFF


def _telling(text: str, frags: list[str]) -> list[str]:
    """The emphasised fragments of a text, none when all of it is emphasised (that tells nothing)."""
    frags = [f.strip() for f in frags if f.strip()]
    if not frags or not text or re.sub(r"\s", "", "".join(frags)) == re.sub(r"\s", "", text):
        return []
    return frags


def _note_emphasis(text: str, frags: list[str]) -> None:
    """Remember the emphasised fragments of a paragraph."""
    table = _emphasis.get()
    frags = _telling(text, frags)
    if table is None or not frags:
        return
    known = table.setdefault(text, [])
    known.extend(f for f in frags if f not in known)


class _Emph:
    """Emphasised fragments of one paragraph as it is read; adjacent emphasised runs join."""

    def __init__(self) -> None:
        self.frags: list[str] = []
        self.open = False

    def add(self, text: str, emphasised: bool) -> None:
        if emphasised:
            if self.open:
                self.frags[-1] += text
            else:
                self.frags.append(text)
            self.open = True
        elif text.strip():
            self.open = False


def _flatten(tables: list[Table]) -> list[Table]:
    """Nested tables depth-first, each right after its parent."""
    out: list[Table] = []
    for t in tables:
        out.append(t)
        out.extend(_flatten(t.nested))
    return out


def _paragraph(p: etree._Element) -> tuple[str, list[Block], list[str]]:
    """A paragraph's text, its text boxes, and its emphasised fragments."""
    parts: list[str] = []
    boxes: list[Block] = []
    lists = _numbering.get()
    label = lists.of_paragraph(p) if lists is not None else ""
    emph = _Emph()
    _inline(p, parts, boxes, None, emph)
    text = "".join(parts)
    if label and text.strip():
        text = label + text.lstrip()
    return text, boxes, emph.frags


def _run_font(r: etree._Element) -> str | None:
    fonts = r.find(f"{_q(W, 'rPr')}/{_q(W, 'rFonts')}")
    if fonts is None:
        return None
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        name = fonts.get(_q(W, attr))
        if name and symbols.is_symbol_font(name):
            return name
    return None


def _checkbox_glyph(checked: bool) -> str:
    return symbols.CHECKED if checked else symbols.UNCHECKED


def _content_control_checkbox(sdt: etree._Element) -> str | None:
    """☑/☐ for a w14:checkbox content control, None for any other content control."""
    box = sdt.find(f"{_q(W, 'sdtPr')}/{_q(W14, 'checkbox')}")
    if box is None:
        return None
    checked = box.find(_q(W14, "checked"))
    val = checked.get(_q(W14, "val"), "1") if checked is not None else "0"
    return _checkbox_glyph(val.lower() in ("1", "true", "on"))


def _form_field_checkbox(fld: etree._Element) -> str | None:
    """☑/☐ for a legacy FORMCHECKBOX field (``w:checked`` wins over ``w:default``)."""
    if fld.get(_q(W, "fldCharType")) != "begin":
        return None
    box = fld.find(f"{_q(W, 'ffData')}/{_q(W, 'checkBox')}")
    if box is None:
        return None
    state = False
    default = box.find(_q(W, "default"))
    if default is not None:
        state = default.get(VAL, "1").lower() in ("1", "true", "on")
    checked = box.find(_q(W, "checked"))
    if checked is not None:
        state = checked.get(VAL, "1").lower() in ("1", "true", "on")
    return _checkbox_glyph(state)


def _inline(el: etree._Element, parts: list[str], boxes: list[Block], font: str | None,
            emph: _Emph | None = None, emphasised: bool = False) -> None:
    """Collect a paragraph's visible text in order; text-box content goes to ``boxes``; emphasised
    run text also to ``emph``."""
    for child in el:
        tag = child.tag
        if tag == T:
            text = symbols.map_text(font, child.text or "") if font else (child.text or "")
            parts.append(text)
            if emph is not None:
                emph.add(text, emphasised)
        elif tag == TAB:
            parts.append("\t")
        elif tag in (BR, CR):
            parts.append("\n")
        elif tag == SYM:
            try:
                code = int(child.get(_q(W, "char"), ""), 16)
            except ValueError:
                continue
            glyph = symbols.symbol_char(child.get(_q(W, "font")), code)
            if glyph:
                parts.append(glyph)
        elif tag == R:
            _inline(child, parts, boxes, _run_font(child), emph, _run_emphasis(child))
        elif tag == SDT:
            glyph = _content_control_checkbox(child)
            if glyph is not None:
                parts.append(glyph)
            elif not _showing_prompt(child):
                content = child.find(SDT_CONTENT)
                if content is not None:
                    _inline(content, parts, boxes, font, emph, emphasised)
        elif tag == FLD_CHAR:
            glyph = _form_field_checkbox(child)
            if glyph:
                parts.append(glyph)
        elif tag == TXBX:
            _blocks(child, boxes)
        elif tag == ALT:
            choice = child.find(CHOICE)  # Fallback repeats the same content (VML): read one
            if choice is not None:
                _inline(choice, parts, boxes, font, emph, emphasised)
        elif isinstance(tag, str):  # hyperlink, ins, smartTag, fldSimple, drawing, pict ...
            _inline(child, parts, boxes, font, emph, emphasised)


def _wrapped(el: etree._Element, tag: str):
    """Direct children with ``tag``, looking through content controls and custom XML wrappers."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in (SDT, CUSTOM_XML):
            inner = child.find(SDT_CONTENT) if child.tag == SDT else child
            if inner is not None:
                yield from _wrapped(inner, tag)


def _int_prop(props: etree._Element | None, tag: str, default: int) -> int:
    """An integer ``w:val`` of a property child (gridSpan, gridBefore), ``default`` when absent or bad."""
    node = props.find(tag) if props is not None else None
    val = node.get(VAL) if node is not None else None
    if val is None:
        return default
    try:
        return int(val)
    except ValueError:
        return default


def _cell(tc: etree._Element) -> tuple[str, list[Table], list[str]]:
    """A cell's own text (lines joined by newlines), its nested tables and its emphasised fragments."""
    lines: list[str] = []
    nested: list[Table] = []
    frags: list[str] = []

    def walk(container: etree._Element) -> None:
        for child in container:
            if child.tag == P:
                text, boxes, own = _paragraph(child)
                lines.append(text)
                frags.extend(own)
                for b in boxes:
                    if isinstance(b, Table):
                        nested.append(b)
                    else:
                        lines.append(b)
            elif child.tag == TBL:
                nested.append(_table(child))
            elif child.tag in (SDT, CUSTOM_XML):
                if child.tag == SDT and _showing_prompt(child):
                    continue
                inner = child.find(SDT_CONTENT) if child.tag == SDT else child
                if inner is not None:
                    walk(inner)

    walk(tc)
    text = "\n".join(line.strip() for line in lines if line.strip())
    return text, nested, _telling(text, frags)


def _table(tbl: etree._Element) -> Table:
    """A w:tbl laid out on its grid; merged cells repeat their text in every covered position."""
    grid: list[list[str]] = []
    nested: list[Table] = []
    emphasis: dict[tuple[int, int], list[str]] = {}
    tc_pr, tr_pr = _q(W, "tcPr"), _q(W, "trPr")
    for tr in _wrapped(tbl, TR):
        row: list[str] = []
        col = max(0, _int_prop(tr.find(tr_pr), _q(W, "gridBefore"), 0))
        row.extend([""] * col)
        for tc in _wrapped(tr, TC):
            props = tc.find(tc_pr)
            span = max(1, _int_prop(props, _q(W, "gridSpan"), 1))
            vmerge = props.find(_q(W, "vMerge")) if props is not None else None
            hmerge = props.find(_q(W, "hMerge")) if props is not None else None
            text, inner, frags = _cell(tc)
            nested.extend(inner)
            r = len(grid)
            if vmerge is not None and vmerge.get(VAL, "continue") != "restart":
                above = grid[-1] if grid else []
                texts = [above[c] if c < len(above) else "" for c in range(col, col + span)]
                frags = [] if not grid else emphasis.get((r - 1, col), [])
            elif hmerge is not None and hmerge.get(VAL, "continue") != "restart" and row:
                texts = [row[-1]] * span
                frags = emphasis.get((r, col - 1), [])
            else:
                texts = [text] * span
            if frags:
                emphasis.update({(r, c): frags for c in range(col, col + span)})
            row.extend(texts)
            col += span
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    grid = [r + [""] * (width - len(r)) for r in grid]
    return Table(grid=grid, nested=nested, emphasis=emphasis)
