"""Strict Open XML (ISO/IEC 29500 Strict) .docx/.xlsx → the transitional package the readers open.

Why: Word and Excel offer "Strict Open XML 文档/工作簿" in 另存为, and some document systems
export it. The body is the same WordprocessingML / SpreadsheetML, but every namespace and
relationship type lives under ``http://purl.oclc.org/ooxml/`` instead of
``http://schemas.openxmlformats.org/...``; python-docx then finds no main document and openpyxl no
workbook. Renaming the namespaces back in memory is exact for what we read (text, tables, merges,
cached values) and costs milliseconds, where a LibreOffice round trip costs a second (measured in
tests/readers/test_exported_formats.py: both give the same fields).
"""

from __future__ import annotations

import io
import zipfile
import zlib

_T = "http://schemas.openxmlformats.org/"
_S = "http://purl.oclc.org/ooxml/"

#: strict → transitional, longest first (a relationship type begins with its namespace)
STRICT_TO_TRANSITIONAL: tuple[tuple[str, str], ...] = (
    (_S + "officeDocument/relationships/extendedProperties", _T + "officeDocument/2006/relationships/extended-properties"),
    (_S + "officeDocument/relationships/customProperties", _T + "officeDocument/2006/relationships/custom-properties"),
    (_S + "officeDocument/relationships/metadata/core-properties",
     _T + "package/2006/relationships/metadata/core-properties"),
    (_S + "officeDocument/relationships", _T + "officeDocument/2006/relationships"),
    (_S + "officeDocument/extendedProperties", _T + "officeDocument/2006/extended-properties"),
    (_S + "officeDocument/customProperties", _T + "officeDocument/2006/custom-properties"),
    (_S + "officeDocument/docPropsVTypes", _T + "officeDocument/2006/docPropsVTypes"),
    (_S + "officeDocument/sharedTypes", _T + "officeDocument/2006/sharedTypes"),
    (_S + "officeDocument/customXml", _T + "officeDocument/2006/customXml"),
    (_S + "officeDocument/bibliography", _T + "officeDocument/2006/bibliography"),
    (_S + "officeDocument/math", _T + "officeDocument/2006/math"),
    (_S + "wordprocessingml/main", _T + "wordprocessingml/2006/main"),
    (_S + "spreadsheetml/main", _T + "spreadsheetml/2006/main"),
    (_S + "presentationml/main", _T + "presentationml/2006/main"),
    (_S + "schemaLibrary/main", _T + "schemaLibrary/2006/main"),
    (_S + "drawingml/wordprocessingDrawing", _T + "drawingml/2006/wordprocessingDrawing"),
    (_S + "drawingml/spreadsheetDrawing", _T + "drawingml/2006/spreadsheetDrawing"),
    (_S + "drawingml/chartDrawing", _T + "drawingml/2006/chartDrawing"),
    (_S + "drawingml/lockedCanvas", _T + "drawingml/2006/lockedCanvas"),
    (_S + "drawingml/compatibility", _T + "drawingml/2006/compatibility"),
    (_S + "drawingml/picture", _T + "drawingml/2006/picture"),
    (_S + "drawingml/diagram", _T + "drawingml/2006/diagram"),
    (_S + "drawingml/chart", _T + "drawingml/2006/chart"),
    (_S + "drawingml/main", _T + "drawingml/2006/main"),
)
_MARK = _S.encode()
#: what a damaged package raises when a member is read (a cut or corrupt deflate stream: zlib.error)
_DAMAGED = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, KeyError, zlib.error)
_XML_PARTS = (".xml", ".rels")


def is_strict(data: bytes) -> bool:
    """An OOXML package whose relationships or main part use the Strict namespaces."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = {n.lower(): n for n in z.namelist()}
            for key in ("_rels/.rels", "word/document.xml", "xl/workbook.xml"):
                if key in names and _MARK in z.read(names[key])[:65536]:
                    return True
    except _DAMAGED:
        return False
    return False


def to_transitional(data: bytes) -> bytes:
    """The package with every Strict namespace and relationship type renamed to its transitional
    twin (XML and .rels parts only; media untouched). A package that cannot be opened is returned
    as it is: its reader says what is wrong with it."""
    pairs = [(s.encode(), t.encode()) for s, t in STRICT_TO_TRANSITIONAL]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as w:
                for info in z.infolist():
                    body = z.read(info)
                    if info.filename.lower().endswith(_XML_PARTS) and _MARK in body:
                        for strict, transitional in pairs:
                            body = body.replace(strict, transitional)
                    w.writestr(info, body)
            return out.getvalue()
    except _DAMAGED:
        return data
