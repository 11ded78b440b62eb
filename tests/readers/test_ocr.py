"""OCR of scans and photos (parsers/readers/ocr.py): forms drawn by code with PIL (WenQuanYi Zen Hei),
noise and blur added, turned 90°/180° or skewed 2°, a red seal over a field, also as an image-only
PDF page, read back by the same extractors as a Word copy. A malformed OCR'd mobile is a warning with
"人工核对", never an error, through the whole pipeline.

Each OCR'd page costs 3–5 s on 2 cores, so the pages are few and read once per module (fixtures);
the layout, limit and rule tests need no OCR at all. Everything runs offline: the models are the
ones inside the rapidocr wheel.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

pytest.importorskip("rapidocr")
pytest.importorskip("onnxruntime")

from parsers import forms, readers  # noqa: E402
from parsers.model import Table  # noqa: E402
from parsers.readers import ocr  # noqa: E402
from parsers.readers.ocr import Box  # noqa: E402
from parsers.readers.ocr_options import OcrOptions  # noqa: E402
from parsers.result import DocumentResult  # noqa: E402
from rules import load_campaign  # noqa: E402
from rules.engine import evaluate  # noqa: E402
from rules.ocr import NOTE  # noqa: E402

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
if not Path(FONT).exists():
    pytest.skip("fonts-wqy-zenhei not installed (.ci/run installs it)", allow_module_level=True)

A4 = (1654, 2339)  # 200 dpi
APP = {
    "recommender": "江苏省质量协会",
    "company": "南京钢铁股份有限公司",
    "group_name": "“攀登”QC小组",
    "topic": "降低转炉煤气放散率",
    "address": "南京市六合区卸甲甸1号",
    "postcode": "210035",
    "contact_dept": "质量管理部",
    "contact_person": "王建国",
    "mobile": "13912345678",
    "members": ["王建国", "李明", "张红", "陈亮", "刘洋", "赵磊"],
}
GROUPS = [("1", "南京钢铁股份有限公司", "“攀登”QC小组", "问题解决型"),
          ("2", "江苏苏美达集团有限公司", "追梦QC小组", "创新型"),
          ("3", "徐工集团工程机械股份有限公司", "精益QC小组", "问题解决型")]
KEYS = ("company", "group_name", "topic", "address", "postcode", "contact_dept", "contact_person", "mobile")


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def _grid(d: ImageDraw.ImageDraw, rows: list[list[tuple[str, int]]], x0: int, y0: int, col: int, row_h: int,
          font: ImageFont.FreeTypeFont) -> int:
    """A ruled table: each row a list of (text, columns spanned); returns the bottom edge."""
    y = y0
    for row in rows:
        h = row_h * max(1, max(t.count("\n") + 1 for t, _ in row))
        x = x0
        for text, span in row:
            d.rectangle([x, y, x + span * col, y + h], outline=0, width=2)
            d.multiline_text((x + 12, y + (h - 30 * (text.count("\n") + 1)) // 2), text, fill=0, font=font, spacing=8)
            x += span * col
        y += h
    return y


def application_image(seal: bool = False) -> Image.Image:
    """The 申报表 as the notice lays it out (a 10-column ruled grid), at 200 dpi."""
    img = Image.new("RGB", A4, "white")
    d = ImageDraw.Draw(img)
    f, big = _font(30), _font(44)
    d.text((160, 140), "附件1", fill=0, font=f)
    d.text((A4[0] // 2, 230), "全国优秀质量管理小组申报表", fill=0, font=big, anchor="mm")
    d.text((160, 300), f"推荐省市、行业：{APP['recommender']}", fill=0, font=f)
    m = APP["members"] + [""] * 4
    rows = [
        [("企业名称（公章为准）", 3), (APP["company"], 7)],
        [("QC小组名称", 3), (APP["group_name"], 7)],
        [("课题名称", 3), (APP["topic"], 7)],
        [("课题类型", 3), ("■问题解决型  □创新型", 7)],
        [("详细通信地址", 3), (APP["address"], 4), ("邮编", 1), (APP["postcode"], 2)],
        [("小组联系部门", 2), (APP["contact_dept"], 2), ("联系人", 1), (APP["contact_person"], 2), ("手机", 1),
         (APP["mobile"], 2)],
        [("小组成员名单", 10)],
        [(f"{i + 1} {m[i]}", 2) for i in range(5)],
        [(f"{i + 1} {m[i]}".rstrip(), 2) for i in range(5, 10)],
        [("QC小组简介和主要活动过程及效果：\n本小组成立于2016年，围绕降低煤气放散率开展活动，\n"
          "年创经济效益120万元。", 10)],
    ]
    _grid(d, rows, 150, 360, 136, 70, f)
    if seal:  # a company seal over the end of the company name and the group name (red, as stamped)
        red = (210, 30, 35)
        cx, cy, r = 1180, 470, 120
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=red, width=8)
        d.regular_polygon((cx, cy, 34), 5, fill=red)
        d.text((cx, cy + 70), "南京钢铁股份", fill=red, font=_font(26), anchor="mm")
    return img


def recommendation_image() -> Image.Image:
    img = Image.new("RGB", A4, "white")
    d = ImageDraw.Draw(img)
    f = _font(30)
    d.text((160, 140), "附件4", fill=0, font=f)
    d.text((A4[0] // 2, 230), "全国优秀质量管理小组推荐表", fill=0, font=_font(44), anchor="mm")
    d.text((160, 300), "推荐单位：江苏省质量协会", fill=0, font=f)
    d.text((160, 370), "一、全国优秀质量管理小组", fill=0, font=f)
    rows = [[("序号", 1), ("企业名称（以公章为准）", 5), ("小组名称", 3), ("课题类型", 2)]]
    rows += [[(s, 1), (c, 5), (g, 3), (t, 2)] for s, c, g, t in GROUPS]
    bottom = _grid(d, rows, 150, 430, 122, 70, f)
    d.text((160, bottom + 50), "二、评委名单", fill=0, font=f)
    judges = [[("序号", 1), ("姓名", 2), ("工作单位", 4), ("评委证书编号", 2), ("手机", 2)],
              [("1", 1), ("周敏", 2), ("江苏省质量协会", 4), ("PW2019001", 2), ("13851234567", 2)]]
    bottom = _grid(d, judges, 150, bottom + 110, 122, 70, f)
    d.text((160, bottom + 60), "填表人：李华    电话：025-83456789    日期：2020年9月1日", fill=0, font=f)
    return img


def scanned(img: Image.Image, angle: float = 0, seed: int = 1) -> Image.Image:
    """Printed and scanned: a little blur, grain and grey paper; turned by ``angle`` degrees. The grain
    comes from ``seed`` too (PIL's ``effect_noise`` draws on the C library's process-wide ``rand()``, so
    a scan made with it differed with whatever ran before it in the process)."""
    rng = random.Random(seed)
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    grain = np.random.default_rng(seed).normal(128, 18, (img.height, img.width))
    noise = Image.fromarray(np.clip(grain, 0, 255).astype(np.uint8)).convert("RGB")
    img = Image.blend(img, noise, 0.12)
    px = img.load()
    w, h = img.size
    for _ in range(3000):  # dust
        px[rng.randrange(w), rng.randrange(h)] = (90, 90, 90)
    if angle:
        img = img.rotate(angle, expand=True, fillcolor=(245, 245, 245), resample=Image.Resampling.BICUBIC)
    return img


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def image_pdf(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "PDF", resolution=200)
    return buf.getvalue()


def _fields(data: bytes, fmt: str, name: str, form: str):
    doc = readers.read(data, fmt, name)
    return doc, forms.classify(doc, name, fmt), forms.extract(form, doc, fmt)


# ------------------------------------------------------------------ OCR'd pages (a few seconds each)

@pytest.fixture(scope="module")
def clean_application():
    return _fields(png(scanned(application_image())), "image", "IMG_0001.png", "application")


def _assert_application(fields, skip=()):
    for k in KEYS:
        if k not in skip:
            assert fields[k] == APP[k], k
    assert fields["topic_type"] == "问题解决型"
    assert fields["members"][:6] == APP["members"]


def test_scanned_application_photo_reads_like_the_word_copy(clean_application):
    doc, form, fields = clean_application
    assert form == "application"  # by its content: the name says nothing
    assert doc.meta["read_by"] == "ocr" and doc.text_trusted and not doc.problems
    assert doc.meta["confidence"] > 0.9
    _assert_application(fields)
    assert fields["recommender"] == APP["recommender"]
    assert any(isinstance(b, Table) for b in doc.blocks)


@pytest.mark.parametrize("angle", [90, 180, 2])
def test_turned_and_skewed_pages_are_read_upright(angle):
    doc, form, fields = _fields(png(scanned(application_image(), angle, seed=angle)), "image", "scan.png",
                                "application")
    assert form == "application" and doc.meta["read_by"] == "ocr"
    if angle in (90, 180):
        assert doc.meta["ocr_rotation"] == [(360 - angle) % 360]
    else:
        assert abs(doc.meta["ocr_skew"][0] + angle) < 0.7
    _assert_application(fields)


def test_sealed_scan_as_an_image_pdf():
    """The sealed 申报表 scanned into a PDF (no text layer): OCR'd, the seal found; the field under the
    seal may come out wrong, the others must not."""
    data = image_pdf(scanned(application_image(seal=True)))
    doc, form, fields = _fields(data, "pdf", "申报表盖章版.pdf", "application")
    assert doc.meta["scanned"] is True and doc.meta["read_by"] == "ocr"
    assert not any(p.rule == "document.scanned" for p in doc.problems)
    assert fields["seal_detected"] is True
    # the ■ of 课题类型 near the seal is read too (it once failed only after other tests in the same
    # process: the scan's grain came from the C library's rand(), see scanned())
    _assert_application(fields, skip=("company", "group_name"))
    result = readers_result(data, "pdf", "申报表盖章版.pdf")
    assert result.read_by == "ocr" and 0.5 < result.confidence <= 1
    assert result.to_json()["read_by"] == "ocr" and result.to_json()["confidence"] == result.confidence


def test_a_title_probe_stops_at_the_title_and_finds_its_boxes_at_half_size(monkeypatch):
    """The probe of a scanned 申报表 recognises the lines down to its title and no more; a 推荐表's probe
    reads its whole strip and never says 申报表. The detector sees the strip at half size and still
    finds the title on a blurred scan."""
    recognised: list[int] = []
    real = ocr._recognise
    monkeypatch.setattr(ocr, "_recognise", lambda crops: (recognised.append(len(crops)), real(crops))[1])
    seen: list[tuple[int, int]] = []
    detect = ocr._detect
    monkeypatch.setattr(ocr, "_detect", lambda g3: (seen.append(g3.shape[:2]), detect(g3))[1])
    page = scanned(application_image()).filter(ImageFilter.GaussianBlur(1.0))
    whole = ocr.read_title(page)
    read_all = sum(recognised)
    recognised.clear()
    head = ocr.read_title(page, words=("申报表",))
    assert "全国优秀质量管理小组申报表" in whole and "申报表" in head
    assert "QC小组名称" in whole and "QC小组名称" not in head  # the rows under the title were not read
    assert 0 < sum(recognised) < read_all
    strip_width = ocr.TITLE_WIDTH
    assert seen and all(w <= strip_width * ocr.TITLE_DETECT_AT + 1 for _h, w in seen)
    recognised.clear()
    other = scanned(recommendation_image())
    assert "申报表" not in ocr.read_title(other, words=("申报表",))
    assert "推荐表" in ocr.read_title(other, words=("申报表",))


def readers_result(data: bytes, fmt: str, name: str) -> DocumentResult:
    from parsers.read_file import read_file

    return read_file(data, name, fmt)


def test_scanned_recommendation_gives_its_groups():
    doc, form, fields = _fields(png(scanned(recommendation_image())), "image", "附件4.jpg", "recommendation")
    assert form == "recommendation" and doc.meta["read_by"] == "ocr"
    got = [(g["seq"], g["company"], g["group_name"], g["topic_type"]) for g in fields["groups"]]
    assert got == GROUPS
    assert [(j["name"], j["certificate_no"], j["mobile"]) for j in fields["judges"]] == [
        ("周敏", "PW2019001", "13851234567")]


def test_malformed_ocr_mobile_is_a_warning_not_an_error():
    """A scanned 统计表 (an image attachment, no Excel copy) whose 手机 is 10 digits: through the whole
    pipeline the finding is a warning asking for a manual check."""
    import pypdfium2 as pdfium

    from intake.pipeline import check_message
    from tests.fixtures import data as fixture_data
    from tests.fixtures.form_backends import to_pdf
    from tests.fixtures.form_layouts import build
    from tests.fixtures.mail import build_message

    unit = fixture_data.make_unit(5, 1)
    unit.statistics.mobile = "1391234567"
    pdf = pdfium.PdfDocument(to_pdf(build("statistics", unit, 0)))
    page = pdf[0].render(scale=200 / 72).to_pil()
    pdf.close()
    raw = build_message([("附件3 统计表.png", png(scanned(page)))])
    result = check_message(raw, load_campaign())
    [doc] = result.documents
    assert doc.form == "statistics" and doc.read_by == "ocr"
    assert doc.fields["mobile"] == "1391234567"
    mobile = [f for f in result.findings if f.rule == "statistics.mobile.format"]
    assert mobile and all(f.severity == "warning" and f.message.endswith(NOTE) for f in mobile)
    assert not [f for f in result.findings if f.severity == "error" and f.document == doc.filename]
    assert result.to_json()["documents"][0]["read_by"] == "ocr"


# ------------------------------------------------------------------ limits, offline, memory (no full OCR)

def test_over_the_page_limit_stays_for_manual_review():
    page = scanned(application_image())
    buf = io.BytesIO()
    page.save(buf, "PDF", resolution=200, save_all=True, append_images=[page])
    t = time.monotonic()
    doc = readers.read(buf.getvalue(), "pdf", "扫描件.pdf", ocr=OcrOptions(max_pages=1))
    assert time.monotonic() - t < 5  # not OCR'd at all
    [p] = [p for p in doc.problems if p.rule == "document.scanned"]
    assert "over the limit of 1" in p.detail and not doc.text_trusted and "read_by" not in doc.meta


def test_a_page_over_its_seconds_stops_ocr():
    doc = readers.read(png(application_image()), "image", "x.png", ocr=OcrOptions(seconds_per_page=0.01))
    [p] = doc.problems
    assert p.rule == "document.image" and "OCR stopped" in p.detail and not doc.text_trusted


def test_ocr_switched_off_and_non_images():
    doc = readers.read(png(application_image()), "image", "x.png", ocr=OcrOptions(max_pages=0))
    assert [p.rule for p in doc.problems] == ["document.image"]
    assert [p.rule for p in readers.read(b"\x89PNG\r\n\x1a\nbroken", "image", "x.png").problems] == ["document.image"]
    tiny = Image.new("RGB", (120, 40), "white")
    assert not readers.read(png(tiny), "image", "logo.png").text_trusted


def test_models_come_from_the_package_and_nothing_is_downloaded(monkeypatch):
    import rapidocr
    from rapidocr.utils import download_file

    def no_download(*_a, **_k):
        raise AssertionError("rapidocr tried to download a model")

    monkeypatch.setattr(download_file.DownloadFile, "run", classmethod(no_download))
    monkeypatch.setattr(ocr, "_engine", None)
    eng = ocr.engine()
    package = Path(rapidocr.__file__).parent
    for stage in (eng.cfg.Det, eng.cfg.Rec, eng.cfg.Cls):
        assert Path(stage.model_path).is_relative_to(package) and Path(stage.model_path).exists()
    strip = Image.new("RGB", (900, 120), "white")
    ImageDraw.Draw(strip).text((20, 30), "企业名称：南京钢铁股份有限公司", fill=0, font=_font(40))
    page = ocr.read_page(strip)
    assert "南京钢铁股份有限公司" in " ".join(b for b in page.blocks if isinstance(b, str))


@pytest.mark.skipif(shutil.which("unshare") is None or sys.platform != "linux", reason="needs unshare")
def test_ocr_runs_without_network_under_the_workers_memory_limit(tmp_path):
    """In a fresh process with no network namespace (unshare -n, as root) and the workers' 2 GB address
    space limit (RLIMIT_AS): the engine loads from the package and reads a line."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2048 * 1024 * 1024, resource.RLIM_INFINITY))\n"
        "from PIL import Image, ImageDraw, ImageFont\n"
        "import parsers.read_file\n"
        "from parsers.readers import ocr\n"
        "img = Image.new('RGB', (900, 120), 'white')\n"
        f"ImageDraw.Draw(img).text((20, 30), '小组名称：攀登QC小组', fill=0, font=ImageFont.truetype({FONT!r}, 40))\n"
        "page = ocr.read_page(img)\n"
        "print('|'.join(b for b in page.blocks if isinstance(b, str)))\n", encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(["unshare", "-n", sys.executable, str(script)], capture_output=True, text=True,
                         cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=120)
    if run.returncode != 0 and "Operation not permitted" in run.stderr:
        pytest.skip("unshare -n needs root")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "攀登QC小组" in run.stdout


# ------------------------------------------------------------------ layout from boxes (no OCR)

def _ruled(cols: list[int], rows: list[int], missing: set[tuple[int, int]] = frozenset()):
    """A white page with a ruled grid; ``missing`` (row, col) drops the vertical border right of a cell."""
    import numpy as np

    g = np.full((rows[-1] + 60, cols[-1] + 60), 255, np.uint8)
    for y in rows:
        g[y:y + 2, cols[0]:cols[-1] + 2] = 0
    for ci, x in enumerate(cols):
        for ri in range(len(rows) - 1):
            if (ri, ci - 1) not in missing:
                g[rows[ri]:rows[ri + 1] + 2, x:x + 2] = 0
    return g


def test_layout_rebuilds_a_ruled_table_with_merged_cells_and_label_lines():
    gray = _ruled([100, 400, 700, 1000], [200, 270, 340], missing={(0, 1)})
    boxes = [Box(120, 215, 300, 250, "企业名称"), Box(420, 215, 900, 250, "南京钢铁股份有限公司"),
             Box(120, 285, 300, 320, "手机"), Box(420, 285, 600, 320, "13912345678"),
             Box(720, 285, 980, 320, "王建国"), Box(100, 100, 400, 135, "推荐单位："),
             Box(420, 100, 700, 135, "江苏省质量协会")]
    blocks = ocr._layout(gray, boxes)
    assert blocks[0] == "推荐单位： 江苏省质量协会"
    [table] = [b for b in blocks if isinstance(b, Table)]
    assert table.grid == [["企业名称", "南京钢铁股份有限公司", "南京钢铁股份有限公司"],
                          ["手机", "13912345678", "王建国"]]


def test_lines_group_by_overlap_and_keep_their_order():
    boxes = [Box(500, 102, 700, 140, "电话：025-1"), Box(100, 100, 300, 138, "填表人：李华"),
             Box(100, 160, 300, 196, "第二行")]
    assert [ocr._line_text(line) for line in ocr._lines(boxes)] == ["填表人：李华    电话：025-1", "第二行"]


# ------------------------------------------------------------------ rules (no OCR)

def _ocr_doc(doc: DocumentResult) -> DocumentResult:
    doc.read_by, doc.confidence = "ocr", 0.95
    return doc


def test_field_errors_on_an_ocr_document_become_warnings():
    from tests.rules import builders

    campaign = load_campaign()
    stats = _ocr_doc(builders.statistics(mobile="1391234567"))
    [f] = [f for f in evaluate(campaign, [stats], None, []) if f.rule == "statistics.mobile.format"]
    assert f.severity == "warning" and f.message.endswith(NOTE)
    plain = builders.statistics(mobile="1391234567")
    [f] = [f for f in evaluate(campaign, [plain], None, []) if f.rule == "statistics.mobile.format"]
    assert f.severity == "error" and NOTE not in f.message


def test_cross_checks_only_ocr_saw_are_warnings_and_real_gaps_stay_errors():
    """A scanned, sealed 推荐表 (OCR'd) feeds its groups to the checks: its company that differs from the
    Word 申报表 is a warning; a group with no 申报表 at all is still an error."""
    from tests.rules import builders

    campaign = load_campaign()
    docs = builders.submission()
    rec = next(d for d in docs if d.form == "recommendation")
    rec.fields["groups"][0]["company"] = "中国石化扬子石油化工有限公"  # one character lost to OCR
    _ocr_doc(rec)
    found = evaluate(campaign, docs, None, [])
    [mismatch] = [f for f in found if f.rule == "cross.company.mismatch"]
    assert mismatch.severity == "warning" and mismatch.message.endswith(NOTE)
    without_apps = [d for d in docs if d.form != "application"]
    missing = [f for f in evaluate(campaign, without_apps, None, []) if f.rule == "application.word.missing"]
    assert missing and any(f.severity == "error" for f in missing)


def test_a_sealed_copy_beside_its_word_copy_is_ocrd_on_its_first_page_only():
    """The notice's pair (申报表 Word + sealed scan): the Word copy is read for the fields, the scan's first
    page for the names to compare; a scan without its Word copy, or another form's scan, is read whole.
    Which Word files are 申报表 is what reading them said (their names may say nothing)."""
    from intake.pipeline import application_scans, defer_twins, ocr_word_twins, word_copies
    from intake.workers import Job

    def job(name: str, fmt: str) -> Job:
        return Job(b"", DocumentResult(name, None, fmt))

    def word(name: str, form: str = "application") -> int:
        return word_copies([DocumentResult(name, None, "docx", form=form)])

    jobs = [job("附件1 申报表-攀登（盖章）.pdf", "pdf"), job("附件4 推荐表.pdf", "pdf"), job("扫描件001.pdf", "pdf")]
    scans = application_scans(jobs)
    assert scans == [jobs[0]]  # a scanned 推荐表 or a scan named without a clue is read whole, first
    assert ocr_word_twins(scans, word("攀登QC小组.docx"), OcrOptions(max_pages=5)) is True
    assert jobs[0].ocr is not None and jobs[0].ocr.first_pages == 1 and jobs[0].ocr.max_pages == 5
    assert jobs[1].ocr is None and jobs[2].ocr is None

    alone = [job("申报表盖章.pdf", "pdf")]
    ocr_word_twins(application_scans(alone), word("成果报告.docx", "report"), None)
    assert alone[0].ocr is None  # no Word copy: the scan is the only source
    two = [job("1-申报表(盖章扫描件).pdf", "pdf"), job("2-申报表(盖章扫描件).pdf", "pdf")]
    ocr_word_twins(application_scans(two), word("1-申报表.docx"), None)
    assert [j.ocr for j in two] == [None, None]  # more scans than Word copies: one of them is the only copy

    rush = [job("附件1 申报表-攀登（盖章）.pdf", "pdf")]
    ocr_word_twins(rush, word("攀登.docx"), OcrOptions(max_pages=5, twin_pages=0))  # [limits] ocr_twin_pages = 0
    assert rush[0].ocr is not None and rush[0].ocr.max_pages == 0 and "ocr_twin_pages" in rush[0].ocr.reason
    later = [job("附件1 申报表-攀登（盖章）.pdf", "pdf")]
    clueless = [job("扫描件001.pdf", "pdf")]
    assert defer_twins(later, clueless, 2, None) is True  # the daemon: after the receipt
    assert later[0].ocr is not None and later[0].ocr.max_pages == 0
    # a Word copy is left over: the scan named without a clue has its title looked at first
    assert clueless[0].ocr is not None and "申报表" in clueless[0].ocr.title_probe
    none_spare = [job("扫描件001.pdf", "pdf")]
    defer_twins([job("附件1 申报表（盖章）.pdf", "pdf")], none_spare, 1, None)
    assert none_spare[0].ocr is None  # every Word copy has its scan: this one is read whole


def test_a_sealed_scan_whose_topic_differs_from_its_word_copy_is_reported():
    """Certificates are printed from the 申报表: a sealed scan (two pages, 200 dpi) whose 课题名称 is not the
    Word copy's is found — as a 人工核对 warning, since only OCR saw it — and only its first page is OCR'd."""
    import copy as copy_mod

    from intake.pipeline import check_message
    from tests.fixtures.data import make_unit
    from tests.fixtures.form_backends import scanned_pdf
    from tests.fixtures.forms import render
    from tests.fixtures.mail import build_message

    unit = make_unit(31, n_groups=1)
    group = unit.groups[0]
    other = copy_mod.deepcopy(group)
    other.topic = "降低某型号产品装配不良率"
    word = render("application", unit, "docx", 0, group)
    def two_pages(g) -> bytes:  # noqa: ANN001 - the form, then a page of its 成果报告 behind it
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(render("application", unit, "pdf", 0, g))
        doc.import_pages(pdfium.PdfDocument(render("evidence", unit, "pdf", 0, g)), [0])
        buf = io.BytesIO()
        doc.save(buf)
        return scanned_pdf(buf.getvalue(), dpi=200, seal_text=g.company[:8])

    scans = {"same": two_pages(group), "other": two_pages(other)}
    page_one = readers.read(scans["same"], "pdf", "x.pdf", ocr=OcrOptions(first_pages=1))
    assert page_one.meta["pages"] == 2 and len(page_one.meta["ocr_rotation"]) == 1  # one page OCR'd
    campaign = load_campaign()
    out = {}
    for name, scan in scans.items():
        raw = build_message([("附件1 申报表.docx", word), ("附件1 申报表（盖章）.pdf", scan)])
        out[name] = check_message(raw, campaign).to_json()
    mismatches = [f for f in out["other"]["findings"] if f["rule"] == "cross.application.copies_mismatch"]
    assert mismatches and all(f["severity"] == "warning" for f in mismatches)
    assert any("课题名称" in f["message"] for f in mismatches)
    assert not [f for f in out["same"]["findings"] if f["rule"] == "cross.application.copies_mismatch"]
    [pdf] = [d for d in out["same"]["documents"] if d["format"] == "pdf"]
    assert pdf["read_by"] == "ocr" and pdf["fields"]["topic"] == group.topic


def test_reprocess_keeps_a_document_ocrd():
    """`intake reprocess` rebuilds documents from the ledger rows, which keep no read_by: it comes back
    from the stored contract JSON, so an OCR'd document's errors stay warnings after a rule change."""
    from intake.record.recording import documents_from_rows
    from intake.store.rows import DocumentRow

    row = DocumentRow(position=0, filename="附件3.png", format="image", form="statistics", sha256="ab",
                      fields={"mobile": "1391234567"})
    [doc] = documents_from_rows([row], [{"filename": "附件3.png", "sha256": "ab", "read_by": "ocr",
                                         "confidence": 0.97}])
    assert (doc.read_by, doc.confidence) == ("ocr", 0.97)
    [other] = documents_from_rows([row], [{"filename": "附件3.png", "sha256": "cd", "read_by": "ocr"}])
    assert other.read_by is None
