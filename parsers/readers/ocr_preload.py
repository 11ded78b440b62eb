"""Imported by the daemon's fork server (``ReadingPool(warm_ocr=True)``): the OCR models loaded once.

Why a module: a fork server's preload list names modules to import, and the workers forked from it
inherit what the import did — here RapidOCR's three ONNX sessions (~1.2 s to load, single-threaded,
safe to use after a fork), so a worker's first scanned page does not wait for them. Without OCR
installed nothing happens: scans then stay for manual review, as the reader says.
"""

from __future__ import annotations

from parsers.readers.ocr import OcrStopped, engine

try:
    engine()
except OcrStopped:
    pass
