"""The OCR limits of one document, apart from the OCR itself.

Why a module of its own: the daemon's main process builds these from ``[limits]`` for every message
and hands them to the workers; importing :mod:`parsers.readers.ocr` for them would load numpy, PIL
and pdfium into a process that never OCRs anything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OcrOptions:
    """``[limits]`` ocr_max_pages and ocr_seconds_per_page (intake/config.py). ``max_pages = 0``: no OCR."""

    max_pages: int = 10
    seconds_per_page: float = 20.0
    #: why OCR is off (max_pages = 0) for this document, for the problem's detail — or, with
    #: ``title_probe``, why the rest was not read once the probe found the title
    reason: str = "OCR switched off"
    #: OCR only the first this many pages of a PDF (0: all): the sealed scan of a 申报表 that came with
    #: its Word copy is read only for the names on its first page, to compare them with the Word copy
    first_pages: int = 0
    #: ``first_pages`` for such a twin (``[limits] ocr_twin_pages``; 0: the twin is not OCR'd at all —
    #: about 2 s of a core a page, the price of the comparison in a deadline rush)
    twin_pages: int = 1
    #: a scan (PDF or image) whose name says nothing: OCR the top of its first page first, and when one of these
    #: title words is there, read no more (the document is marked ``probe_form``; ``reason`` says why
    #: the rest waits); otherwise OCR it whole as usual. A strip costs a fraction of a page.
    title_probe: tuple[str, ...] = ()
    probe_form: str = ""
