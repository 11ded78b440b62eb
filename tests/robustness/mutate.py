"""Seeded mutation fuzzing of valid documents and messages through the readers and the pipeline.

Seeds are generated valid files (tests/fixtures/forms.py) of every format and a submission
message (tests/fixtures/mail.py); each case applies one mutation picked by a seeded RNG, so a
failure is reproduced by its case number. What counts as a failure: an exception out of
the pipeline (the stages of ``check_message``), an extractor or
classifier exception that the pipeline had to catch (a bug made invisible), JSON that breaks the
contract schema, or a case slower than ``slow_seconds``.

Public interface::

    seeds(lo_formats=True) -> list[(filename, fmt, bytes)]
    MUTATIONS: dict[name, fn(rng, data) -> bytes]
    run_fuzz(n, seed=0, time_budget=None, lo_formats=True, slow_seconds=30.0) -> stats dict
"""

from __future__ import annotations

import io
import json
import random
import re
import struct
import time
import traceback
import zipfile
from collections.abc import Callable

from tests.robustness.hostile import cyclic_fat, patch_zip

Mutation = Callable[[random.Random, bytes], bytes]


# ---- generic byte mutations ------------------------------------------------------------------


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))] if data else data


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 4, 32, 256))):
        if out:
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8) if rng.random() < 0.5 else rng.randrange(1, 256)
    return bytes(out)


def zero_range(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    n = rng.choice((16, 512, 4096, len(data)))
    return data[:i] + b"\0" * min(n, len(data) - i) + data[i + n:]


def duplicate_range(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.choice((8, 256, 8192, len(data))))
    return data[:j] + data[i:j] * rng.choice((1, 2, 50)) + data[j:]


# ---- zip (docx/xlsx) -------------------------------------------------------------------------

_EOCD = b"PK\x05\x06"
_CDIR = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"


def _is_zip(data: bytes) -> bool:
    return data[:4] == _LOCAL


def swap_central_directory(rng: random.Random, data: bytes) -> bytes:
    """Two central-directory entries trade their local-header offsets (names now point at the wrong
    data), or the end record points the directory somewhere else."""
    entries = [m.start() for m in re.finditer(re.escape(_CDIR), data)]
    out = bytearray(data)
    if len(entries) >= 2 and rng.random() < 0.7:
        a, b = rng.sample(entries, 2)
        oa, ob = struct.unpack_from("<I", out, a + 42)[0], struct.unpack_from("<I", out, b + 42)[0]
        struct.pack_into("<I", out, a + 42, ob)
        struct.pack_into("<I", out, b + 42, oa)
        return bytes(out)
    end = data.rfind(_EOCD)
    if end >= 0 and end + 20 <= len(out):
        struct.pack_into("<I", out, end + 16, rng.randrange(len(data) + 1))
    return bytes(out)


def wrong_declared_size(rng: random.Random, data: bytes) -> bytes:
    """A member's declared uncompressed size (local header and central directory) set to a lie."""
    entries = [m.start() for m in re.finditer(re.escape(_CDIR), data)]
    if not entries:
        return flip_bytes(rng, data)
    out = bytearray(data)
    e = rng.choice(entries)
    size = rng.choice((0, 1, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1 << 20)))
    struct.pack_into("<I", out, e + 24, size)
    local = struct.unpack_from("<I", out, e + 42)[0]
    if local + 26 <= len(out) and out[local:local + 4] == _LOCAL:
        struct.pack_into("<I", out, local + 22, size)
    return bytes(out)


def _main_part(data: bytes) -> str | None:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except Exception:
        return None
    for n in ("word/document.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"):
        if n in names:
            return n
    return names[0] if names else None


def break_xml(rng: random.Random, data: bytes) -> bytes:
    """The main XML part made invalid (cut, unbalanced, foreign bytes) or huge (content repeated)."""
    part = _main_part(data) if _is_zip(data) else None
    if part is None:
        return flip_bytes(rng, data)

    def mangle(xml: bytes) -> bytes:
        k = rng.randrange(5)
        if k == 0:
            return xml[: rng.randrange(len(xml) or 1)]
        if k == 1:
            i = rng.randrange(len(xml) or 1)
            return xml[:i] + b"<<&\xff\xfe</w:p>" + xml[i:]
        if k == 2:
            return xml.replace(b"</w:tc>", b"", 1).replace(b"</c>", b"", 1)
        if k == 3:  # much larger but valid: the body's runs repeated
            return re.sub(rb"(<w:p[ >].*?</w:p>)", lambda m: m[1] * 200, xml, count=5, flags=re.S)
        return xml.replace(b"<?xml", b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><?xml", 1)
    return patch_zip(data, part, mangle)


def shared_strings_out_of_range(rng: random.Random, data: bytes) -> bytes:
    """Shared-string indexes in the sheet pointing past the table (or negative, or not numbers)."""
    if not _is_zip(data) or _main_part(data) != "xl/worksheets/sheet1.xml":
        return flip_bytes(rng, data)
    bad = rng.choice((b"99999999", b"-1", b"1e9", b"x", b""))
    return patch_zip(data, "xl/worksheets/sheet1.xml",
                     lambda xml: re.sub(rb'(t="s"[^>]*>\s*<v>)\d+', lambda m: m[1] + bad, xml))


# ---- PDF -------------------------------------------------------------------------------------


def break_xref(rng: random.Random, data: bytes) -> bytes:
    """The cross-reference table's offsets or the startxref pointer made wrong."""
    if not data.startswith(b"%PDF"):
        return flip_bytes(rng, data)
    if rng.random() < 0.5:
        i = data.rfind(b"startxref")
        return data[:i] + b"startxref\n" + str(rng.randrange(len(data) * 2)).encode() + b"\n%%EOF\n" if i >= 0 else data
    return re.sub(rb"(\d{10}) (\d{5}) n", lambda m: b"%010d %s n" % (rng.randrange(len(data) * 2), m[2]), data)


def break_streams(rng: random.Random, data: bytes) -> bytes:
    """Bytes inside content/object streams damaged, or a stream's /Length made wrong."""
    spans = [(m.start(1), m.end(1)) for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S)]
    if not spans:
        return flip_bytes(rng, data)
    out = bytearray(data)
    a, b = rng.choice(spans)
    if rng.random() < 0.5:
        for _ in range(8):
            if b > a:
                out[rng.randrange(a, b)] = rng.randrange(256)
        return bytes(out)
    return re.sub(rb"/Length (\d+)", lambda m: b"/Length " + str(rng.randrange(1 << 31)).encode(), data, count=3)


# ---- CFB (doc/xls) ---------------------------------------------------------------------------


def cfb_cycle(rng: random.Random, data: bytes) -> bytes:
    return cyclic_fat(data) if data[:4] == b"\xd0\xcf\x11\xe0" else flip_bytes(rng, data)


MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate, "flip": flip_bytes, "zero": zero_range, "duplicate": duplicate_range,
    "zip-cdir": swap_central_directory, "zip-size": wrong_declared_size, "xml": break_xml,
    "sst": shared_strings_out_of_range, "xref": break_xref, "streams": break_streams, "cfb-cycle": cfb_cycle,
}
_FOR = {  # mutations that mean something for each format (the generic ones apply to all)
    "docx": ("zip-cdir", "zip-size", "xml"), "xlsx": ("zip-cdir", "zip-size", "xml", "sst"),
    "pdf": ("xref", "streams"), "xls": ("cfb-cycle",), "doc": ("cfb-cycle",), "eml": (),
    "html": (), "csv": (),
}
_GENERIC = ("truncate", "flip", "zero", "duplicate")


def seeds(lo_formats: bool = True) -> list[tuple[str, str, bytes]]:
    """Valid documents of every format, plus one whole submission message (format ``eml``)."""
    from tests.fixtures import exported
    from tests.fixtures.data import make_unit
    from tests.fixtures.forms import filename_for, render_many
    from tests.fixtures.mail import build_message

    unit = make_unit(5, 1)
    reqs = [("application", "docx"), ("statistics", "xlsx"), ("recommendation", "xlsx"), ("review", "pdf"),
            ("application", "pdf"), ("summary", "docx"), ("review", "docx")]
    if lo_formats:
        reqs += [("statistics", "xls"), ("summary", "doc")]
    blobs = render_many([(form, unit, fmt, 0, None) for form, fmt in reqs])
    out = [(filename_for(form, unit, fmt), fmt, b) for (form, fmt), b in zip(reqs, blobs, strict=True)]
    # the formats offices export (tests/fixtures/exported.py): Strict OOXML, HTML/MHTML, CSV
    out += [("附件1 申报表（Strict）.docx", "docx", exported.strict(blobs[0])),
            ("附件3 统计表（Strict）.xlsx", "xlsx", exported.strict(blobs[1])),
            ("附件4 推荐表.xls", "html", exported.excel_html("recommendation", unit)),
            ("附件1 申报表.doc", "html", exported.mhtml("application", unit)),
            ("附件3 统计表.csv", "csv", exported.csv_bytes("statistics", unit))]
    msg = build_message([(name, data) for name, _fmt, data in out[:4]])
    return out + [("submission.eml", "eml", msg)]


LO_FORMATS = ("doc",)  # read through LibreOffice: ~1 s a case, so a share of the cases only


def _case(rng: random.Random, seed_files: list[tuple[str, str, bytes]], lo_share: float = 0.03
          ) -> tuple[str, str, str, bytes]:
    lo = [f for f in seed_files if f[1] in LO_FORMATS]
    rest = [f for f in seed_files if f[1] not in LO_FORMATS]
    name, fmt, data = rng.choice(lo if lo and (rng.random() < lo_share or not rest) else rest)
    mutation = rng.choice(_GENERIC + _FOR[fmt])
    return name, fmt, mutation, MUTATIONS[mutation](rng, data)


def check_one(name: str, fmt: str, data: bytes, campaign, pool, read_timeout: float = 20.0) -> list[str]:
    """Failures (empty when fine) of one mutated file: as an attachment (or as the message itself for
    ``eml``) through the pipeline's stages, the same calls as ``check_message``, then the schema."""
    from intake.pipeline import judge, message_info, read_message, receipt_time
    from tests.contract_schema import validate
    from tests.fixtures.mail import build_message

    raw = data if fmt == "eml" else build_message([(name, data)])
    try:
        rm = read_message(raw, pool, read_timeout=read_timeout)
        when = receipt_time(rm.unpacked)
        result = judge(campaign, message_info(rm.unpacked, when, campaign), rm.documents, when,
                       rm.unpacked.problems).to_json()
        validate(json.loads(json.dumps(result, ensure_ascii=False)))
    except Exception:
        return ["pipeline/schema: " + traceback.format_exc(limit=-4)]
    # the pipeline turns our own exceptions into document.internal_error so a message is never lost;
    # here they are bugs to see
    return [f"{d.filename}: our exception, caught by the pipeline: {p.detail}" for d in rm.documents
            for p in d.problems if p.rule == "document.internal_error"]


def run_fuzz(n: int, seed: int = 0, time_budget: float | None = None, lo_formats: bool = True,
             slow_seconds: float = 30.0, seed_files: list | None = None, lo_share: float = 0.03) -> dict:
    """Run ``n`` cases (or until ``time_budget`` seconds); returns counts, failures and the slowest case."""
    from intake.workers import ReadingPool, WorkerLimits
    from rules import load_campaign

    campaign = load_campaign()
    pool = ReadingPool(WorkerLimits(read_timeout=20.0))
    files = seed_files if seed_files is not None else seeds(lo_formats)
    failures: list[str] = []
    slowest = (0.0, "")
    t_start = time.perf_counter()
    done = 0
    for i in range(n):
        if time_budget is not None and time.perf_counter() - t_start > time_budget:
            break
        rng = random.Random(f"{seed}:{i}")
        name, fmt, mutation, data = _case(rng, files, lo_share)
        t0 = time.perf_counter()
        errs = check_one(name, fmt, data, campaign, pool)
        secs = time.perf_counter() - t0
        label = f"case {seed}:{i} {fmt} {mutation}"
        slowest = max(slowest, (secs, label))
        if secs > slow_seconds:
            errs.append(f"took {secs:.1f}s")
        failures += [f"{label}: {e}" for e in errs]
        done += 1
    pool.close()
    return {"cases": done, "failures": failures, "slowest": f"{slowest[1]} {slowest[0]:.2f}s"}
