"""OCR speed and memory: seconds per A4 page at 200 dpi, peak RSS, and the fields read right.

Run: ``.venv/bin/python bench/ocr_speed.py [--pages N] [--threads T] [--parallel P]``. Wall and CPU
seconds are both printed: on a shared, loaded machine the CPU time (all threads) is the steadier number. Each run is a
fresh process (so the engine's load and peak RSS are its own), under the workers' address-space limit
(``RLIMIT_AS`` = ``--memory-mb``, default 2048 as ``workers.memory_mb``). Pages are the test forms of
tests/readers/test_ocr.py (申报表 clean / turned 90° / 180° / skewed 2° / sealed, 推荐表), scanned by
code; ``--parallel 2`` runs two such processes at once, as two busy reading workers on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def child(pages: int, threads: int, memory_mb: int) -> dict:
    if memory_mb:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, resource.RLIM_INFINITY))
    import parsers.read_file  # noqa: F401  - what a reading worker has loaded
    from parsers import forms, readers
    from parsers.readers import ocr
    from tests.readers import test_ocr as T

    ocr.THREADS = threads
    t0 = time.perf_counter()
    ocr.engine()._load_det_model(), ocr.engine()._load_rec_model(), ocr.engine()._load_cls_model()
    load = time.perf_counter() - t0
    cases = [("申报表", T.application_image(), 0), ("申报表 90°", T.application_image(), 90),
             ("申报表 180°", T.application_image(), 180), ("申报表 2°", T.application_image(), 2),
             ("申报表 sealed", T.application_image(seal=True), 0), ("推荐表", T.recommendation_image(), 0)]
    rows, right, total = [], 0, 0
    for i in range(pages):
        name, img, angle = cases[i % len(cases)]
        data = T.png(T.scanned(img, angle, seed=i))
        t, c = time.perf_counter(), time.process_time()
        doc = readers.read(data, "image", "scan.png")
        sec, cpu = time.perf_counter() - t, time.process_time() - c
        form = "recommendation" if name == "推荐表" else "application"
        fields = forms.extract(form, doc, "image")
        if form == "application":
            want = {k: T.APP[k] for k in T.KEYS} | {"topic_type": "问题解决型"}
            got = {k: fields.get(k) for k in want}
        else:
            want = {"groups": T.GROUPS}
            got = {"groups": [(g["seq"], g["company"], g["group_name"], g["topic_type"]) for g in fields["groups"]]}
        ok = sum(got[k] == v for k, v in want.items())
        right, total = right + ok, total + len(want)
        rows.append({"page": name, "seconds": round(sec, 2), "cpu": round(cpu, 2), "fields_right": f"{ok}/{len(want)}",
                     "confidence": doc.meta.get("confidence")})
    vm = {k: int(v.split()[0]) // 1024 for k, v in (ln.split(":", 1) for ln in open("/proc/self/status"))
          if k in ("VmPeak", "VmHWM")}
    return {"load_s": round(load, 2), "pages": rows, "fields_right": f"{right}/{total}",
            "seconds_per_page_median": round(statistics.median(r["seconds"] for r in rows), 2),
            "cpu_per_page_median": round(statistics.median(r["cpu"] for r in rows), 2),
            "peak_rss_mb": vm["VmHWM"], "peak_address_space_mb": vm["VmPeak"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime threads per session (ocr.THREADS)")
    ap.add_argument("--parallel", type=int, default=1, help="processes OCR-ing at once")
    ap.add_argument("--memory-mb", type=int, default=2048)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.pages, args.threads, args.memory_mb), ensure_ascii=False))
        return
    cmd = [sys.executable, __file__, "--child", "--pages", str(args.pages), "--threads", str(args.threads),
           "--memory-mb", str(args.memory_mb)]
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(args.parallel)]
    for n, p in enumerate(procs, start=1):
        out, _ = p.communicate()
        res = json.loads(out)
        print(f"process {n}/{args.parallel} (threads {args.threads}, load average at start {load}):")
        for r in res["pages"]:
            print(f"  {r['page']:<14} {r['seconds']:6.2f} s (CPU {r['cpu']:5.2f} s)   fields {r['fields_right']:>5}   conf {r['confidence']}")
        print(f"  engine load {res['load_s']} s; median {res['seconds_per_page_median']} s/page (CPU {res['cpu_per_page_median']} s); fields right "
              f"{res['fields_right']}; peak RSS {res['peak_rss_mb']} MB; peak address space "
              f"{res['peak_address_space_mb']} MB (limit {args.memory_mb} MB)")


if __name__ == "__main__":
    main()
