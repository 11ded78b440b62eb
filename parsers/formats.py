"""Which contract formats are the same kind of copy, for every stage that asks "is this the Word copy?".

Why one place: the notice asks for the 申报表 as Word *and* as a sealed PDF, and offices send the
editable copy as .docx, .doc, WPS, RTF saved as .doc, OpenDocument .odt or Word's "web page"
(MHTML, format ``html``). Pairing, the copy checks, the group list and the OCR shortcut must agree
on which formats are that copy; a list in each of them drifted as formats were added.
"""

from __future__ import annotations

#: editable word-processor copies (the notice's "Word 版")
WORD_FORMATS: tuple[str, ...] = ("docx", "doc", "wps", "rtf", "odt", "html")
#: the sealed copy: a PDF, or a photo/scan of the page
PDF_FORMATS: tuple[str, ...] = ("pdf", "image")
#: spreadsheets (the 统计表/推荐表/评审汇总表 come as any of these)
SHEET_FORMATS: tuple[str, ...] = ("xlsx", "xls", "et", "ods", "csv")
