"""What the rush benchmark sends: realistic submissions and the big 54 MB / 100-attachment message.

Submissions are the generated corpus of ``bench/corpus_eval.py`` (tests/fixtures: 申报表, 成果报告,
证实性材料, 工作总结, 统计表, 推荐表, 评审汇总表 as docx/xlsx/pdf and legacy .doc/.xls/.wps/.et, loose,
zipped with GBK names, in folders, in 7z; complete, incomplete and late), so the benchmark and the
accuracy evaluation read the same kind of mail. Generating one takes about a second (LibreOffice
makes the legacy files), so a corpus is cached under the temp dir, keyed by its size, seed and a
hash of the fixture code that made it.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import random
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

#: The styles of a deadline rush: plain and zipped, legacy, incomplete and late ones. Scanned-only and
#: planted-defect mail is left to corpus_eval (OCR time is measured by bench/ocr_speed.py).
STYLES = ("loose", "mixed", "zip-gbk", "legacy", "incomplete", "loose", "zip-folders", "late", "7z", "mixed")
CACHE = Path(tempfile.gettempdir()) / "qc-bench-cache"


@dataclass(frozen=True)
class Submission:
    raw: bytes
    message_id: str
    received_at: datetime  # INTERNALDATE given at APPEND, so on-time mail is on time
    style: str


def _fixture_hash() -> str:
    h = hashlib.sha256()
    for f in sorted((ROOT / "tests" / "fixtures").glob("*.py")) + [ROOT / "bench" / "corpus_eval.py",
                                                                     Path(__file__)]:
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def submissions(n: int, seed: int = 20, cache: bool = True) -> list[Submission]:
    """``n`` submissions cycling through :data:`STYLES`, each from a different unit."""
    path = CACHE / f"rush-{n}-{seed}-{_fixture_hash()}.pickle"
    if cache and path.exists():
        return pickle.loads(path.read_bytes())  # noqa: S301 - our own cache file
    from corpus_eval import corpus

    out = []
    for _label, raw, expected in corpus(n, seed, STYLES):
        head = BytesHeaderParser().parsebytes(raw)
        out.append(Submission(raw, str(head["Message-ID"]).strip(),
                              datetime.fromisoformat(expected["message"]["received_at"]), expected["style"]))
    if cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(out))
    return out


def tiny_messages(n: int) -> list[bytes]:
    """Small already-answered mail to fill a mailbox for the idle-poll measurement."""
    from tests.fixtures.mail import build_message

    one = build_message([], subject="QC材料", message_id="<fill@example.org>")
    return [one.replace(b"<fill@example.org>", f"<fill{i}@example.org>".encode()) for i in range(n)]


def _photo_docx(caption: str, jpeg: bytes) -> bytes:
    """A 证实性材料 page: a caption and one photo, as associations send activity records."""
    import docx
    from docx.shared import Cm

    d = docx.Document()
    d.add_paragraph(caption)
    d.add_picture(io.BytesIO(jpeg), width=Cm(15))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _noise_jpeg(rng: random.Random, side: int) -> bytes:
    """A photo-sized JPEG that does not compress away (random pixels)."""
    from PIL import Image

    img = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _side_for(nbytes: int, rng: random.Random) -> int:
    """The square size whose noise JPEG is about ``nbytes`` (calibrated once on a sample)."""
    side = 400
    size = len(_noise_jpeg(rng, side))
    return max(32, int(side * (nbytes / size) ** 0.5))


def big_message(sub: Submission, attachments: int = 100, target_mb: float = 54.0, seed: int = 5,
                tag: str = "big") -> tuple[bytes, str]:
    """One submission's own files plus photo-record .docx files up to ``attachments`` files and about
    ``target_mb`` MB of raw message (base64 included): the shape of the issue's 54 MB message. Returns
    (raw, Message-ID)."""
    from email import message_from_bytes, policy

    from tests.fixtures.mail import build_message

    msg = message_from_bytes(sub.raw, policy=policy.default)
    files: list[tuple[str, bytes]] = []
    for i, part in enumerate(msg.iter_attachments()):
        data = part.get_payload(decode=True)
        files.append((part.get_filename() or f"附件{i}", data if isinstance(data, bytes) else b""))
    own = sum(len(d) for _n, d in files)
    extra = max(1, attachments - len(files))
    # base64 is 4/3 of the bytes; python-docx's template adds ~50 KB to every file
    per = max(20_000, int((target_mb * 2**20 * 0.75 - own) / extra) - 50_000)
    rng = random.Random(seed)
    side = _side_for(per, rng)
    for i in range(extra):
        files.append((f"证实性材料-活动照片{i + 1:03d}.docx",
                      _photo_docx(f"QC小组活动现场照片 {i + 1}", _noise_jpeg(rng, side))))
    mid = f"<{tag}-{seed}@example-zhixie.cn>"
    raw = build_message(files, subject=str(msg["Subject"]), from_addr=f"{tag}{seed}@example-zhixie.cn",
                        from_name=str(msg["From"].addresses[0].display_name or "质量协会"), message_id=mid)
    return raw, mid
