"""Is there a red seal (公章) on a PDF? A cheap colour-and-shape heuristic, not a verification.

Each page is rendered at 72 dpi with pdfium (1 px = 1 pt) and the strongly red pixels are
masked (r > 180, g < 90, b < 90; ``PdfBitmap.to_pil()`` gives RGB although pdfium renders BGR).
Counting alone is not enough: Chinese official letters have red headings (红头) and red rules,
which at 72 dpi give as many red pixels as a seal (measured: 16 pt red heading + a 12 pt red
note ≈ 900 px, a 4 cm seal ≈ 1,300 px). So red pixels are grouped into blobs and a seal is a
blob that is seal-sized and roughly round/square: a heading or rule is far wider than tall.
"""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageFilter

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

_HIGH = [255 if v > 180 else 0 for v in range(256)]
_LOW = [255 if v < 90 else 0 for v in range(256)]


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


def red_mask(image: Image.Image) -> Image.Image:
    """An L image, 255 where the pixel is strongly red."""
    r, g, b = image.convert("RGB").split()
    return ImageChops.multiply(ImageChops.multiply(r.point(_HIGH), g.point(_LOW)), b.point(_LOW))


def red_pixels_of(image: Image.Image) -> int:
    """Number of strongly red pixels in an image."""
    return red_mask(image).histogram()[255]


def red_blobs(mask: Image.Image) -> list[Blob]:
    """Connected groups of red pixels, found on a coarse grid (dilated by one cell)."""
    w, h = mask.size
    cw, ch = (w + CELL - 1) // CELL, (h + CELL - 1) // CELL
    coarse = mask.resize((cw, ch), Image.Resampling.BOX).point(lambda v: 255 if v > 0 else 0)
    coarse = coarse.filter(ImageFilter.MaxFilter(3))
    on = coarse.tobytes()
    seen = bytearray(cw * ch)
    blobs: list[Blob] = []
    for start in range(cw * ch):
        if not on[start] or seen[start]:
            continue
        seen[start] = 1
        stack = [start]
        x0, y0, x1, y1 = cw, ch, 0, 0
        while stack:
            i = stack.pop()
            x, y = i % cw, i // cw
            x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    nx, ny = x + dx, y + dy
                    if 0 <= nx < cw and 0 <= ny < ch:
                        j = ny * cw + nx
                        if on[j] and not seen[j]:
                            seen[j] = 1
                            stack.append(j)
        box = (x0 * CELL, y0 * CELL, min(w, (x1 + 1) * CELL), min(h, (y1 + 1) * CELL))
        pixels = mask.crop(box).histogram()[255]
        if pixels:
            # the dilation widened the box by one cell each side: shrink it back to the red pixels
            tight = mask.crop(box).getbbox()
            if tight:
                box = (box[0] + tight[0], box[1] + tight[1], box[0] + tight[2], box[1] + tight[3])
            blobs.append(Blob(box, pixels))
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
                blobs = red_blobs(red_mask(page.render(scale=scale * shrink).to_pil()))
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
