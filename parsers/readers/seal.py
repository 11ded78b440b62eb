"""Is there a red seal (公章) on a PDF? A cheap colour-and-shape heuristic, not a verification.

Each page is rendered at 72 dpi with pdfium (1 px = 1 pt) and the strongly red pixels are
masked (r > 180, g < 90, b < 90; pdfium renders BGR, so the channels go by the bitmap's mode).
Counting alone is not enough: Chinese official letters have red headings (红头) and red rules,
which at 72 dpi give as many red pixels as a seal (measured: 16 pt red heading + a 12 pt red
note ≈ 900 px, a 4 cm seal ≈ 1,300 px). So red pixels are grouped into blobs and a seal is a
blob that is seal-sized and roughly round/square: a heading or rule is far wider than tall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

DPI = 72
CELL = 6  # px per coarse cell when grouping red pixels into blobs (bridges gaps between seal glyphs)
# Seal size range: company seals are 38–45 mm round or 45×30 mm oval; 14–78 mm leaves room
# for small business seals and large scans. At 72 dpi 1 mm ≈ 2.83 px.
SEAL_MIN_SIDE = 40
SEAL_MAX_SIDE = 220
SEAL_MAX_ASPECT = 1.8  # 45×30 mm oval is 1.5; a heading line is > 5
# Measured (tests/fixtures/office.py, 72 dpi): a 4 cm ring + star + 2 words ≈ 1,300 red px;
# a ring alone of 3 cm at 2 pt ≈ 500. 300 keeps faint scans while a stray red word (< 150) stays out.
SEAL_MIN_PIXELS = 300
MAX_PAGES = 30  # seals are on the form pages at the front; long appendices need not be rendered
# A page is rendered at most this large (A0 at 72 dpi is 8.0 Mpx, A4 0.5 Mpx): a PDF may declare a
# 200-inch page, 207 Mpx at 72 dpi (2.2 GB of RSS). Larger pages are rendered smaller and their blobs
# scaled back, so sizes stay in 72-dpi pixels.
MAX_RENDER_PIXELS = 8_000_000



@dataclass
class Blob:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in px
    pixels: int

    @property
    def seal_like(self) -> bool:
        w, h = self.box[2] - self.box[0], self.box[3] - self.box[1]
        if not (SEAL_MIN_SIDE <= w <= SEAL_MAX_SIDE and SEAL_MIN_SIDE <= h <= SEAL_MAX_SIDE):
            return False
        return max(w, h) / min(w, h) <= SEAL_MAX_ASPECT and self.pixels >= SEAL_MIN_PIXELS


Mask = np.ndarray  # H×W uint8: 255 where the pixel is strongly red, else 0


def red_of(pixels: np.ndarray, order: str = "RGB") -> Mask:
    """The strongly red pixels of an H×W×3 (or ×4) array whose channels are in ``order`` (pdfium's own
    bitmaps are BGR): one OpenCV pass over the render's buffer, no PIL image in between (the check runs on
    every page of every PDF that may be a 申报表; numpy's three comparisons took 2.2 ms an A4 page)."""
    import cv2  # here, not at import: 0.15 s, and only the seal check and OCR need it (the OCR workers preload it)

    if pixels.ndim != 3 or pixels.shape[2] != len(order) or not set("RGB") <= set(order):
        return np.zeros(pixels.shape[:2], dtype=np.uint8)
    low = {"R": 181, "G": 0, "B": 0}
    high = {"R": 255, "G": 89, "B": 89}
    return cv2.inRange(np.ascontiguousarray(pixels), np.array([low.get(c, 0) for c in order], np.uint8),
                       np.array([high.get(c, 255) for c in order], np.uint8))


def red_mask(image: Image.Image) -> Mask:
    """The strongly red pixels of a PIL image."""
    return red_of(np.asarray(image.convert("RGB")))


def red_pixels_of(image: Image.Image) -> int:
    """Number of strongly red pixels in an image."""
    return int(np.count_nonzero(red_mask(image)))


def red_blobs(mask: Mask) -> list[Blob]:
    """Connected groups of red pixels, found on a coarse grid of CELL-px cells dilated by one cell (which
    bridges the gaps between a seal's glyphs and its ring); a page without red is done at the first test."""
    import cv2

    if not cv2.countNonZero(mask):
        return []
    h, w = mask.shape
    cw, ch = (w + CELL - 1) // CELL, (h + CELL - 1) // CELL
    padded = cv2.copyMakeBorder(mask, 0, ch * CELL - h, 0, cw * CELL - w, cv2.BORDER_CONSTANT, value=0)
    # a cell's mean is > 0 when any of its pixels is red (numpy's reshape-max took 3.7 ms an A4 page)
    cells = cv2.dilate(cv2.resize(padded, (cw, ch), interpolation=cv2.INTER_AREA), np.ones((3, 3), np.uint8))
    count, _labels, stats, _centres = cv2.connectedComponentsWithStats(cells, connectivity=8)
    blobs: list[Blob] = []
    for x, y, cells_w, cells_h, _area in stats[1:count]:
        left, top = int(x) * CELL, int(y) * CELL
        crop = mask[top:min(h, (y + cells_h) * CELL), left:min(w, (x + cells_w) * CELL)]
        pixels = cv2.countNonZero(crop)
        if pixels:  # the dilation widened the box by one cell each side: shrink it back to the red pixels
            bx, by, bw, bh = cv2.boundingRect(crop)
            blobs.append(Blob((left + bx, top + by, left + bx + bw, top + by + bh), int(pixels)))
    return blobs


def page_blobs(data: bytes, dpi: int = DPI, max_pages: int = MAX_PAGES) -> list[list[Blob]]:
    """Red blobs of each page (up to ``max_pages``)."""
    pdf = pdfium.PdfDocument(data)
    try:
        pages = []
        for i in range(min(len(pdf), max_pages)):
            page = pdf[i]
            try:
                scale = dpi / 72
                w, h = page.get_size()
                shrink = min(1.0, (MAX_RENDER_PIXELS / max(w * h * scale * scale, 1.0)) ** 0.5)
                bitmap = page.render(scale=scale * shrink)
                try:
                    blobs = red_blobs(red_of(bitmap.to_numpy(), bitmap.mode))
                finally:
                    bitmap.close()
                pages.append(blobs if shrink == 1.0 else [_scaled(b, 1 / shrink) for b in blobs])
            finally:
                page.close()
        return pages
    finally:
        pdf.close()


def _scaled(blob: Blob, f: float) -> Blob:
    x0, y0, x1, y1 = blob.box
    return Blob((round(x0 * f), round(y0 * f), round(x1 * f), round(y1 * f)), round(blob.pixels * f * f))


def seal_detected(data: bytes) -> tuple[bool, list[int]]:
    """(a seal-like red blob on some page, red pixel count per page)."""
    pages = page_blobs(data)
    found = any(b.seal_like for blobs in pages for b in blobs)
    return found, [sum(b.pixels for b in blobs) for blobs in pages]
