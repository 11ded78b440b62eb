"""OCR for scans and photos: a page image → the neutral model, so the form extractors read a scanned
申报表/推荐表/统计表/评审汇总表 as they read a Word one.

Engine: RapidOCR (PP-OCRv6 text detection and recognition, and the 0°/180° text-line classifier)
on onnxruntime. The ONNX models ship inside the ``rapidocr`` wheel and are named here by path
(:func:`engine`), so rapidocr's own model lookup, which downloads a model it does not find, never
runs: OCR works without any network. The engine is loaded once per (worker) process, on first use.

One page:

1. **prepare**: RGB, scaled to about 200 dpi on A4 (long side 1,600–2,400 px); strongly red pixels
   (seals, red headings) whitened, so a seal over a name does not hide the black text under it, and
   the page turned grey.
2. **detect** the text boxes once. **Orientation**: when most long boxes stand upright the page
   lies on its side (90°/270°); the classifier, asked about the widest lines of the page turned
   upright, says whether it is upside down (180°). **Skew**: the median angle of the long boxes;
   0.3°–10° is turned back. The page and its boxes are rotated together.
3. **recognise** the boxes in batches; the time limit is looked at between batches (no thread, no
   signal: a worker process is only ever killed from outside).
4. **layout**: ruled lines are found with numpy on the binarised page, text boxes masked out (long
   runs of dark pixels along a row or a column). Lines that touch make a table; its grid is the
   distinct line positions, and two grid positions with no line between them are one merged cell
   (every position holding that cell's text, the model's rule). Each text box goes to the cell under
   its centre; lines of a cell are joined with ``\\n`` as pdfplumber does. Boxes outside tables are
   grouped into lines by vertical overlap, each line a paragraph (``标签：值`` lines stay as they are).

Over a limit (:class:`OcrOptions`: pages, seconds a page, the document's own time limit) a page
raises :class:`OcrStopped` and the caller keeps the old answer (``document.scanned`` /
``document.image``: manual review); nothing is half-read.
"""

from __future__ import annotations

import io
import itertools
import math
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageOps

from parsers.model import Block, Document, Problem, Table
from parsers.readers import seal
from parsers.readers.ocr_options import OcrOptions

if TYPE_CHECKING:
    from rapidocr import RapidOCR

MAX_SIDE = 2400  # long side of a page after scaling (A4 at 200 dpi is 2,339 px)
MIN_SIDE = 1600  # smaller pages (a 100-dpi scan, a small photo) are enlarged towards 2,000 px …
MAX_ENLARGE = 2.5  # … by at most this much
DET_SIDE = 1280  # the detector sees the page at most this large (boxes mapped back); 1,600: +0.5 s a page, no gain
REC_CHUNK = 48  # boxes recognised between two looks at the clock
MIN_TEXT_SCORE = 0.5  # recognitions below this are noise (rapidocr's own default)
MAX_SKEW = 10.0  # degrees: beyond, a page is not "skewed" but something else; left as it is
MIN_SKEW = 0.3
MIN_CHARS = 20  # fewer recognised characters than this on all pages: nothing useful was read
MIN_CONFIDENCE = 0.6
MAX_IMAGE_PIXELS = 60_000_000  # a photo is at most ~50 Mpx; a decompression bomb is refused before decoding
MIN_IMAGE_SIDE = 200  # logos and signature icons: not documents
#: onnxruntime threads per session; 1: a worker per core already keeps the cores busy, and two
#: workers each spinning two threads on two cores were slower than one each (bench/ocr_speed.py)
THREADS = 1


class OcrStopped(Exception):
    """A limit was reached (or OCR is not available): the caller keeps the document unread."""


@dataclass
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str = ""
    score: float = 0.0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def h(self) -> float:
        return self.y1 - self.y0


@dataclass
class Page:
    """One page read: its blocks (paragraphs and tables, top to bottom) and what was seen."""

    blocks: list[Block]
    scores: list[float]
    rotation: int = 0  # degrees the page was turned (counter-clockwise) to read it
    skew: float = 0.0
    seconds: float = 0.0

    @property
    def text(self) -> str:
        """What was read, without spaces (blocks in order)."""
        return "".join("".join(_texts(b).split()) for b in self.blocks)

    @property
    def chars(self) -> int:
        return len(self.text)


@dataclass
class Result:
    pages: list[Page] = field(default_factory=list)

    @property
    def scores(self) -> list[float]:
        return [s for p in self.pages for s in p.scores]

    @property
    def confidence(self) -> float:
        return float(statistics.fmean(self.scores)) if self.scores else 0.0

    @property
    def useful(self) -> bool:
        return sum(p.chars for p in self.pages) >= MIN_CHARS and self.confidence >= MIN_CONFIDENCE

    def meta(self) -> dict[str, Any]:
        return {"read_by": "ocr", "confidence": round(self.confidence, 3),
                "ocr_rotation": [p.rotation for p in self.pages], "ocr_skew": [round(p.skew, 2) for p in self.pages],
                "ocr_seconds": round(sum(p.seconds for p in self.pages), 2)}


def _texts(block: Block) -> str:
    return block if isinstance(block, str) else block.text()


# ------------------------------------------------------------------------------------ the engine

_engine: RapidOCR | None = None


def engine() -> RapidOCR:
    """The process's RapidOCR, loaded on first use from the models inside the rapidocr package."""
    global _engine
    if _engine is None:
        try:
            import rapidocr
        except ImportError as e:  # not installed: scans stay for manual review
            raise OcrStopped(f"OCR not available: {e}") from e
        models = Path(rapidocr.__file__).parent / "models"
        paths = {kind: _model(models, kind) for kind in ("det", "rec", "cls")}
        _engine = rapidocr.RapidOCR(params={
            "Global.log_level": "critical",
            "Det.model_path": str(paths["det"]),
            "Rec.model_path": str(paths["rec"]),
            "Cls.model_path": str(paths["cls"]),
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_SIDE,
            # one line at a time: no padding to the widest line of a batch, which both costs time and
            # changes what is read (a ■ at a line's start was dropped in batches of 6; 3.1 s vs 3.9 s a page)
            "Rec.rec_batch_num": 1,
            "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
            "EngineConfig.onnxruntime.inter_op_num_threads": THREADS,
        })
    return _engine


def _model(models: Path, kind: str) -> Path:
    """The packaged ONNX file of one stage (``PP-OCRv6_det_small.onnx`` …): never a download."""
    found = sorted(models.glob(f"*{kind}*.onnx"))
    if not found:
        raise OcrStopped(f"OCR not available: no {kind} model in {models}")
    return found[-1]


def _detect(gray3: np.ndarray) -> np.ndarray:
    """Text boxes (N × 4 points, clockwise from top left) of an H × W × 3 page."""
    out = engine()._load_det_model()(gray3)
    return np.zeros((0, 4, 2), np.float32) if out.boxes is None else np.asarray(out.boxes, np.float32)


def _detect_scaled(gray: np.ndarray, f: float) -> np.ndarray:
    """:func:`_detect` on ``gray`` scaled by ``f``, the boxes mapped back to ``gray``'s pixels."""
    h, w = gray.shape
    small = Image.fromarray(gray.astype(np.uint8)).resize((max(1, round(w * f)), max(1, round(h * f))),
                                                         Image.Resampling.BOX)
    quads = _detect(np.repeat(np.asarray(small)[:, :, None], 3, axis=2))
    return quads * np.array([w / small.width, h / small.height], np.float32)


def _classify(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    return list(engine()._load_cls_model()(crops).cls_res or [])


def _recognise(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    from rapidocr.ch_ppocr_rec import TextRecInput

    out = engine()._load_rec_model()(TextRecInput(img=crops))
    return list(zip(out.txts or (), out.scores or (), strict=True))


def _crop(gray3: np.ndarray, quad: np.ndarray) -> np.ndarray:
    from rapidocr.utils.process_img import get_rotate_crop_image

    crop = get_rotate_crop_image(gray3, quad.astype(np.float32))
    # a white margin: a glyph flush with the box's edge (■ before 问题解决型) is otherwise dropped
    pad = max(2, round(min(crop.shape[:2]) * 0.15))
    return np.pad(crop, ((pad, pad), (pad, pad), (0, 0)), constant_values=255)


# ------------------------------------------------------------------------------------ reading

def read_images(images: Iterable[Image.Image], options: OcrOptions, deadline: float) -> Result:
    """OCR of each page image; :class:`OcrStopped` past ``options`` or ``deadline`` (time.monotonic())."""
    result = Result()
    slowest = 0.0
    for n, image in enumerate(images, start=1):
        if n > options.max_pages:
            raise OcrStopped(f"more than {options.max_pages} pages to OCR")
        start = time.monotonic()
        if start + slowest > deadline:
            raise OcrStopped(f"the document's time limit would pass before page {n} was read")
        page = read_page(image, min(deadline, start + options.seconds_per_page))
        page.seconds = time.monotonic() - start
        if page.seconds > options.seconds_per_page:
            raise OcrStopped(f"page {n} took {page.seconds:.1f}s (limit {options.seconds_per_page:g}s a page)")
        slowest = max(slowest, page.seconds)
        result.pages.append(page)
    return result


def read_page(image: Image.Image, deadline: float = math.inf, enlarge: bool = True, detect_at: float = 1.0,
              enough: Callable[[str], bool] | None = None) -> Page:
    """One page image → its blocks, upright and deskewed. For the title strip of :func:`read_title`:
    ``enlarge=False``, a small image is read as it is, not enlarged towards 200 dpi; ``detect_at`` < 1,
    the text boxes are found on the image scaled by it (the detector's cost goes with the pixels; for
    large print only) and read at full size; ``enough``, the boxes are read from the top and reading stops
    once the text so far satisfies it."""
    gray = _prepared(image, enlarge)
    gray3 = np.repeat(gray[:, :, None], 3, axis=2)
    quads = _detect(gray3) if detect_at >= 1 else _detect_scaled(gray, detect_at)
    _check(deadline)
    if not len(quads):
        return Page([], [])
    turn, skew = _orientation(quads)
    angle = turn + skew
    if angle:
        gray, quads = _rotated(gray, quads, angle)
        gray3 = np.repeat(gray[:, :, None], 3, axis=2)
    if _upside_down(gray3, quads):
        gray, quads = _rotated(gray, quads, 180)
        gray3 = np.repeat(gray[:, :, None], 3, axis=2)
        turn += 180
    _check(deadline)
    quads = _split_at_gaps(gray, quads)
    boxes = _read_boxes(gray3, quads, deadline) if enough is None else _read_until(gray3, quads, deadline, enough)
    return Page(_layout(gray, boxes), [b.score for b in boxes], turn % 360, skew)


TITLE_STRIP = 0.22  # the top of a form's first page: its title (and 附件N)
#: the strip is read this wide (an A4 page at ~100 dpi): a title is large print, and half the resolution
#: halves the probe (measured on the rush corpus's scans: 0.75 → 0.4 s, every title read the same)
TITLE_WIDTH = 850
#: the strip's text boxes are found at half that again (the detector was 0.3 of a probe's 0.7 s; the
#: titles of 84 scanned forms — blurred, skewed, shrunk — were found the same; at 0.4 a blurred one was not)
TITLE_DETECT_AT = 0.5
TITLE_LINES = 3  # boxes recognised between two looks for the title words


def read_title(page: Image.Image, deadline: float = math.inf, words: tuple[str, ...] = ()) -> str:
    """The OCR'd text (no spaces) of the top :data:`TITLE_STRIP` of a page image, where a form's title is:
    what a title probe (:attr:`OcrOptions.title_probe`) reads of a scan instead of the whole page. With
    ``words``, reading stops at the first line that completes one of them (the rest is not needed)."""
    strip = page.crop((0, 0, page.width, max(1, int(page.height * TITLE_STRIP))))
    if strip.width > TITLE_WIDTH:
        f = TITLE_WIDTH / strip.width
        strip = strip.resize((TITLE_WIDTH, max(1, round(strip.height * f))), Image.Resampling.LANCZOS)
    return read_page(strip, deadline, enlarge=False, detect_at=TITLE_DETECT_AT,
                     enough=(lambda text: any(w in text for w in words)) if words else None).text


def probe_hit(options: OcrOptions, head: str) -> dict[str, str] | None:
    """What a document records when its title probe's text (``head``, :func:`read_title`) holds one of the
    probe's title words — the form it is classified as, and what was read — or None: not that form."""
    if not any(w in head for w in options.title_probe):
        return None
    return {"title_form": options.probe_form, "title_text": head[:80]}


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise OcrStopped("time limit reached while reading a page")


def _prepared(image: Image.Image, enlarge: bool = True) -> np.ndarray:
    """The page as a grey uint8 array at about 200 dpi, red whitened (see the module docstring)."""
    rgb = image.convert("RGB")
    long = max(rgb.size)
    f = 1.0
    if long > MAX_SIDE:
        f = MAX_SIDE / long
    elif long < MIN_SIDE and enlarge:
        f = min(MAX_ENLARGE, 2000 / long)
    if f != 1.0:
        size = (max(1, round(rgb.width * f)), max(1, round(rgb.height * f)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS if f < 1 else Image.Resampling.BICUBIC)
    arr = np.asarray(rgb, dtype=np.int16)
    r = arr[..., 0]
    redness = r - np.maximum(arr[..., 1], arr[..., 2])
    red = (redness > 25) & (r > 80)  # seal ink, and its pink JPEG fringe; black text under a seal stays
    gray = np.array(rgb.convert("L"), dtype=np.int16)
    gray[red] = np.minimum(255, r[red] + redness[red])
    return gray.astype(np.uint8)


def _long_edges(quads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(angle of each box's long edge in degrees, -90..90; long/short ratio)."""
    e1 = quads[:, 1] - quads[:, 0]
    e2 = quads[:, 3] - quads[:, 0]
    l1, l2 = np.hypot(e1[:, 0], e1[:, 1]), np.hypot(e2[:, 0], e2[:, 1])
    v = np.where((l1 >= l2)[:, None], e1, e2)
    ratio = np.maximum(l1, l2) / np.maximum(np.minimum(l1, l2), 1e-6)
    ang = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
    ang = np.where(ang > 90, ang - 180, np.where(ang <= -90, ang + 180, ang))
    return ang, ratio


def _orientation(quads: np.ndarray) -> tuple[int, float]:
    """(0 or 90: the page lies on its side, skew in degrees) from the text lines' long edges."""
    ang, ratio = _long_edges(quads)
    lines = ang[ratio >= 2.5]
    if not len(lines):
        return 0, 0.0
    upright = np.abs(lines) > 45
    turn = 90 if upright.sum() > (~upright).sum() else 0
    residual = lines[upright] - np.sign(lines[upright]) * 90 if turn else lines[~upright]
    skew = float(np.median(residual)) if len(residual) else 0.0
    if not MIN_SKEW <= abs(skew) <= MAX_SKEW:
        skew = 0.0
    return turn, skew


def _rotated(gray: np.ndarray, quads: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The page turned ``angle`` degrees counter-clockwise (canvas enlarged, white filled) and its boxes."""
    img = Image.fromarray(gray)
    out = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    t = math.radians(angle)
    c, s = math.cos(t), math.sin(t)
    d = quads - np.array([img.width / 2, img.height / 2], np.float32)
    x = c * d[..., 0] + s * d[..., 1] + out.width / 2
    y = -s * d[..., 0] + c * d[..., 1] + out.height / 2
    return np.array(out, dtype=np.uint8), _clockwise(np.stack([x, y], axis=-1).astype(np.float32))


def _clockwise(quads: np.ndarray) -> np.ndarray:
    """Each box's points re-ordered clockwise from the top-left one (after a rotation)."""
    out = np.empty_like(quads)
    for i, q in enumerate(quads):
        centre = q.mean(axis=0)
        order = np.argsort(np.arctan2(q[:, 1] - centre[1], q[:, 0] - centre[0]))  # clockwise on screen
        q = q[order]
        start = int(np.argmin(q[:, 0] + q[:, 1]))
        out[i] = np.roll(q, -start, axis=0)
    return out


def _upside_down(gray3: np.ndarray, quads: np.ndarray) -> bool:
    """The classifier's vote over the page's widest text lines (up to 16 of moderate length)."""
    ang, ratio = _long_edges(quads)
    widths = np.hypot(*(quads[:, 1] - quads[:, 0]).T)
    pick = [i for i in np.argsort(-widths) if 2.0 <= ratio[i] <= 12 and abs(ang[i]) < 45][:16]
    if not pick:
        return False
    votes = _classify([_crop(gray3, quads[i]) for i in pick])
    flipped = sum(s for label, s in votes if "180" in label)
    upright = sum(s for label, s in votes if "180" not in label)
    return flipped > upright


def _split_at_gaps(gray: np.ndarray, quads: np.ndarray) -> np.ndarray:
    """Boxes cut where they hold a blank wider than about one character: the detector joins
    ``…315号    邮编：250996`` into one box and the recogniser drops the spaces, so the label would
    stick to the value before it. The cut pieces become words of one line again (joined by a space)."""
    paper = float(np.percentile(gray, 50))
    thr = min(180.0, paper - 60)
    out = []
    for q in quads:
        x0, y0 = int(max(0, q[:, 0].min())), int(max(0, q[:, 1].min()))
        x1, y1 = int(q[:, 0].max()), int(q[:, 1].max())
        h = y1 - y0
        if h <= 4 or x1 - x0 < 3 * h or np.ptp(q[:, 1]) > 1.6 * (q[3, 1] - q[0, 1] + 1):
            out.append(q)  # short, or not level: as it is
            continue
        inked = (gray[y0:y1, x0:x1] < thr).sum(axis=0) >= 2
        on = np.flatnonzero(inked)
        if len(on) < 2:
            out.append(q)
            continue
        gaps = np.flatnonzero(np.diff(on) > 0.8 * h)
        start = x0 + on[0]
        for gi in gaps:
            end = x0 + on[gi] + 1
            out.append(_quad(start - 0.15 * h, y0, end + 0.15 * h, y1))
            start = x0 + on[gi + 1]
        if len(gaps):
            out.append(_quad(start - 0.15 * h, y0, x0 + on[-1] + 1 + 0.15 * h, y1))
        else:
            out.append(q)
    return np.array(out, np.float32).reshape(-1, 4, 2)


def _quad(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def _read_boxes(gray3: np.ndarray, quads: np.ndarray, deadline: float) -> list[Box]:
    crops = [_crop(gray3, q) for q in quads]
    order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / max(1, crops[i].shape[0]))
    texts: dict[int, tuple[str, float]] = {}
    for k in range(0, len(order), REC_CHUNK):
        _check(deadline)
        chunk = order[k:k + REC_CHUNK]
        for i, hit in zip(chunk, _recognise([crops[i] for i in chunk]), strict=True):
            texts[i] = hit
    boxes = []
    gray = gray3[:, :, 0]
    for i, q in enumerate(quads):
        text, score = texts.get(i, ("", 0.0))
        text = _ticked(gray, q, text.strip())
        if text and score >= MIN_TEXT_SCORE:
            xs, ys = q[:, 0], q[:, 1]
            boxes.append(Box(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), text, float(score)))
    return boxes


def _read_until(gray3: np.ndarray, quads: np.ndarray, deadline: float, enough: Callable[[str], bool]) -> list[Box]:
    """:func:`_read_boxes` from the top, :data:`TITLE_LINES` boxes at a time, until the text read so far
    (in reading order) satisfies ``enough`` — then the boxes read so far."""
    order = np.argsort([float(q[:, 1].min()) for q in quads], kind="stable")
    boxes: list[Box] = []
    for k in range(0, len(order), TITLE_LINES):
        boxes += _read_boxes(gray3, quads[order[k:k + TITLE_LINES]], deadline)
        if enough("".join(b.text for b in sorted(boxes, key=lambda b: (b.y0, b.x0))).replace(" ", "")):
            break
    return boxes


def _ticked(gray: np.ndarray, quad: np.ndarray, text: str) -> str:
    """Put back a filled tick box ■ the recogniser dropped (it often does, before 问题解决型): a solid
    dark square of about a character's size inside the box, at its place in the line."""
    if not text or "■" in text:
        return text
    x0, y0 = int(max(0, quad[:, 0].min())), int(max(0, quad[:, 1].min()))
    x1, y1 = int(quad[:, 0].max()), int(quad[:, 1].max())
    region = gray[y0:y1, x0:x1] < 128
    if region.size == 0:
        return text
    h = y1 - y0
    cols = np.flatnonzero(region.any(axis=0))
    if not len(cols):
        return text
    for part in np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1):
        block = region[:, part[0]:part[-1] + 1]
        rows = np.flatnonzero(block.mean(axis=1) >= 0.5)  # dense rows: a speck of dust is no part of it
        if not len(rows):
            continue
        block = block[rows[0]:rows[-1] + 1]
        used = np.flatnonzero(block.mean(axis=0) >= 0.5)
        if not len(used):
            continue
        block = block[:, used[0]:used[-1] + 1]
        bh, bw = block.shape
        if 0.35 * h <= bh <= 0.9 * h and 0.75 <= bw / bh <= 1.33 and block.mean() >= 0.85:
            at = round(len(text) * (part[0] / max(1, region.shape[1])))
            return text[:at] + "■" + text[at:]
    return text


# ------------------------------------------------------------------------------------ layout

@dataclass
class _Seg:
    pos: float  # y of a horizontal rule, x of a vertical one
    a: float  # start along the rule
    b: float  # end


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    """True where a pixel lies in a run of at least ``length`` True pixels along its row."""
    h, w = mask.shape
    if w < length or length < 1:
        return np.zeros_like(mask)
    c = np.zeros((h, w + 1), np.int32)
    np.cumsum(mask, axis=1, out=c[:, 1:])
    full = (c[:, length:] - c[:, :-length]) == length  # the run of `length` starting at x is all ink
    f = np.zeros((h, full.shape[1] + 1), np.int32)
    np.cumsum(full, axis=1, out=f[:, 1:])
    x = np.arange(w)
    hi = np.minimum(x + 1, full.shape[1])
    lo = np.clip(x - length + 1, 0, full.shape[1])
    return (f[:, hi] - f[:, lo]) > 0


def _segments(mask: np.ndarray, length: int, gap: int) -> list[_Seg]:
    """Rules along the rows of ``mask``: bands of rows with long runs, each cut into its segments."""
    runs = _runs(mask, length)
    rows = np.flatnonzero(runs.any(axis=1))
    out: list[_Seg] = []
    if not len(rows):
        return out
    bands = np.split(rows, np.flatnonzero(np.diff(rows) > 2) + 1)
    for band in bands:
        profile = runs[band[0]:band[-1] + 1].any(axis=0)
        on = np.flatnonzero(profile)
        parts = np.split(on, np.flatnonzero(np.diff(on) > gap) + 1)
        for p in parts:
            if p[-1] - p[0] + 1 >= length:
                out.append(_Seg(float(band.mean()), float(p[0]), float(p[-1] + 1)))
    return out


def _rules(gray: np.ndarray, boxes: list[Box], unit: float) -> tuple[list[_Seg], list[_Seg]]:
    """(horizontal, vertical) ruled lines of the page, the text boxes masked out."""
    paper = float(np.percentile(gray, 50))
    ink = gray < min(180.0, paper - 60)
    for b in boxes:  # shrunk a little: a box that touches a rule must not cut it
        dy, dx = b.h * 0.2, b.h * 0.15
        ink[int(b.y0 + dy):max(int(b.y0 + dy), int(b.y1 - dy)), int(b.x0 + dx):max(int(b.x0 + dx), int(b.x1 - dx))] = False
    # bridge 1-px holes (noise, a faint scan) along each direction
    horiz = ink.copy()
    horiz[:, 1:] |= ink[:, :-1]
    horiz[:, :-1] |= ink[:, 1:]
    vert = ink.copy()
    vert[1:, :] |= ink[:-1, :]
    vert[:-1, :] |= ink[1:, :]
    gap = max(3, int(unit * 0.3))
    h = _segments(horiz, max(12, int(unit * 1.2)), gap)
    v = _segments(vert.T, max(10, int(unit * 0.8)), gap)
    return h, v


@dataclass
class _Grid:
    box: tuple[float, float, float, float]
    xs: list[float]
    ys: list[float]
    h: list[_Seg]
    v: list[_Seg]


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _tables(h: list[_Seg], v: list[_Seg], tol: float) -> list[_Grid]:
    """Rules that touch one another make one table (at least two of each direction)."""
    n = len(h) + len(v)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, hs in enumerate(h):
        for j, vs in enumerate(v):
            if hs.a - tol <= vs.pos <= hs.b + tol and vs.a - tol <= hs.pos <= vs.b + tol:
                parent[find(i)] = find(len(h) + j)
    groups: dict[int, tuple[list[_Seg], list[_Seg]]] = {}
    for i, hs in enumerate(h):
        groups.setdefault(find(i), ([], []))[0].append(hs)
    for j, vs in enumerate(v):
        groups.setdefault(find(len(h) + j), ([], []))[1].append(vs)
    out = []
    for hh, vv in groups.values():
        if len(hh) < 2 or len(vv) < 2:
            continue
        ys = _cluster([s.pos for s in hh], tol)
        xs = _cluster([s.pos for s in vv], tol)
        if len(ys) < 2 or len(xs) < 2:
            continue
        out.append(_Grid((xs[0], ys[0], xs[-1], ys[-1]), xs, ys, hh, vv))
    return out


def _covered(segs: list[_Seg], pos: float, a: float, b: float, tol: float) -> bool:
    """Whether rules at ``pos`` cover most of ``a``..``b`` (a cell border is there)."""
    span = b - a
    if span <= 0:
        return True
    got = sum(max(0.0, min(b, s.b) - max(a, s.a)) for s in segs if abs(s.pos - pos) <= tol)
    return got >= span * 0.5


def _table(grid: _Grid, boxes: list[Box], tol: float) -> Table:
    xs, ys = grid.xs, grid.ys
    n_r, n_c = len(ys) - 1, len(xs) - 1
    parent = list(range(n_r * n_c))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    m = tol  # stay clear of the crossings
    for r in range(n_r):
        for c in range(n_c):
            if c + 1 < n_c and not _covered(grid.v, xs[c + 1], ys[r] + m, ys[r + 1] - m, tol):
                parent[find(r * n_c + c)] = find(r * n_c + c + 1)
            if r + 1 < n_r and not _covered(grid.h, ys[r + 1], xs[c] + m, xs[c + 1] - m, tol):
                parent[find(r * n_c + c)] = find((r + 1) * n_c + c)
    inside: dict[int, list[Box]] = {}
    for b in boxes:
        r = _index(ys, b.cy)
        c = _index(xs, b.cx)
        inside.setdefault(find(r * n_c + c), []).append(b)
    text = {k: "\n".join(_line_text(line) for line in _lines(v)) for k, v in inside.items()}
    return Table(grid=[[text.get(find(r * n_c + c), "") for c in range(n_c)] for r in range(n_r)])


def _index(edges: list[float], v: float) -> int:
    for i in range(len(edges) - 1):
        if v < edges[i + 1]:
            return i
    return len(edges) - 2


def _lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into text lines (vertical overlap of at least half the smaller box), top to bottom."""
    lines: list[list[Box]] = []
    spans: list[tuple[float, float]] = []
    for b in sorted(boxes, key=lambda b: b.cy):
        for k in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
            y0, y1 = spans[k]
            overlap = min(y1, b.y1) - max(y0, b.y0)
            if overlap >= 0.5 * min(b.h, y1 - y0):
                lines[k].append(b)
                spans[k] = (min(y0, b.y0), max(y1, b.y1))
                break
        else:
            lines.append([b])
            spans.append((b.y0, b.y1))
    order = sorted(range(len(lines)), key=lambda k: spans[k][0])
    return [sorted(lines[k], key=lambda b: b.x0) for k in order]


def _line_text(line: list[Box]) -> str:
    out = line[0].text
    for prev, b in zip(line, line[1:], strict=False):
        gap = b.x0 - prev.x1
        h = max(prev.h, b.h)
        out += ("" if gap < 0.3 * h else " " if gap < 1.5 * h else "    ") + b.text
    return out


def _layout(gray: np.ndarray, boxes: list[Box]) -> list[Block]:
    if not boxes:
        return []
    unit = statistics.median(b.h for b in boxes)
    tol = max(4.0, unit * 0.3)
    h, v = _rules(gray, boxes, unit)
    grids = _tables(h, v, tol)
    placed: list[tuple[float, int, Block]] = []
    rest = list(boxes)
    for g in sorted(grids, key=lambda g: g.box[1]):
        x0, y0, x1, y1 = g.box
        mine = [b for b in rest if x0 <= b.cx <= x1 and y0 <= b.cy <= y1]
        if not mine:
            continue
        rest = [b for b in rest if b not in mine]
        placed.append((y0, 0, _table(g, mine, tol)))
    for line in _lines(rest):
        placed.append((min(b.y0 for b in line), 1, _line_text(line)))
    placed.sort(key=lambda p: (p[0], p[1]))
    return [b for _, _, b in placed]


# ------------------------------------------------------------------------------------ images

def image_frames(img: Image.Image) -> Iterator[Image.Image]:
    """Each frame of a (multi-page TIFF) image, upright by its EXIF orientation (phone photos)."""
    for i in range(getattr(img, "n_frames", 1)):
        img.seek(i)
        frame = ImageOps.exif_transpose(img) if i == 0 else img.copy()
        yield frame if frame is not None else img


def seal_in_image(img: Image.Image) -> bool:
    """The red-seal check of :mod:`parsers.readers.seal` on a photo or scan, the image taken for an A4
    page at 72 dpi (the size the seal heuristic is measured at)."""
    f = 842 / max(img.size)
    small = img.convert("RGB").resize((max(1, round(img.width * f)), max(1, round(img.height * f))),
                                      Image.Resampling.BOX)
    return any(b.seal_like for b in seal.red_blobs(seal.red_mask(small)))


def read_image(data: bytes, filename: str = "", timeout: float = 60.0, options: OcrOptions | None = None) -> Document:
    """An image attachment (JPEG/PNG/TIFF/BMP/GIF/WebP): OCR'd, or ``document.image`` when that fails."""
    started = time.monotonic()
    options = options or OcrOptions()

    def unread(why: str) -> Document:
        return Document(problems=[Problem("document.image", f"image file: {why}")], text_trusted=False,
                        meta={"ocr": why})

    if options.max_pages <= 0:
        return unread(f"no text layer ({options.reason})")
    try:
        img = Image.open(io.BytesIO(data))
        w, h = img.size
        if w * h > MAX_IMAGE_PIXELS:
            return unread(f"{w}×{h} px: too large to OCR")
        if max(w, h) < MIN_IMAGE_SIDE:
            return unread(f"{w}×{h} px: too small to be a page")
        # decoded here, so a truncated file fails now; one frame over the limit is enough to say so
        frames = list(itertools.islice(image_frames(img), options.max_pages + 1))
        sealed = seal_in_image(frames[0])
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as e:
        return unread(f"cannot be decoded ({type(e).__name__}: {e})"[:200])
    deadline = started + max(1.0, timeout - 5.0)
    if options.title_probe:
        try:
            head = read_title(frames[0], deadline, options.title_probe)
        except OcrStopped as e:
            return unread(f"no text layer; OCR stopped: {e}")
        if (hit := probe_hit(options, head)) is not None:  # the rest is read later (options.reason)
            doc = unread(f"no text layer ({options.reason})")
            doc.meta.update(hit, seal_detected=sealed)
            return doc
    try:
        result = read_images(frames, options, deadline)
    except OcrStopped as e:
        return unread(f"no text layer; OCR stopped: {e}")
    if not result.useful:
        return unread(f"no text layer; OCR read nothing useful (confidence {result.confidence:.2f})")
    blocks = [b for p in result.pages for b in p.blocks]
    return Document(blocks=blocks, meta={"pages": len(frames), "seal_detected": sealed, **result.meta()})
