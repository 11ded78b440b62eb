"""Accuracy of the whole pipeline on a generated corpus of submissions.

    python bench/corpus_eval.py [--n 40] [--seed 7] [--json] [--styles loose,legacy] [--show-misses 15]

Generates ``--n`` messages (styles cycle through tests/fixtures/form_submission.STYLES; units,
formats, layouts and name encodings are seeded; "defects" messages rotate through every planted
defect kind, three per message), runs ``intake.pipeline.check_message`` on each
with ``rules.load_campaign()`` and compares with what the fixtures say should come out:

- form classification accuracy over expected documents (a document the pipeline did not list
  counts as wrong; broken files are not scored);
- field accuracy: every expected leaf value (``groups[2].company``, ``members`` as a whole list)
  compared exactly after stripping; numbers numerically; ``seq`` as integers; ``char_count``
  within 5 % (the contract leaves open which lines of a 工作总结 count as body text). A scanned
  申报表 beside its Word copy is scored for classification only; the documents the fixtures mark
  ``ocr`` (style "scans": printed, sealed, scanned forms) are scored as well, and also apart
  ("OCR-read fields"). "key fields" is the subset staff depend on;
- status accuracy (auto-replies excluded);
- planted-defect recall: a defect is found when a finding has the same form, field (its last path
  component, so ``entries[].score`` matches ``score``) and severity; "loose" ignores severity;
- false error findings: error findings that match no planted defect (by form and field) and are
  not about a deliberately broken file;
- crashes (exceptions out of check_message) and seconds per message (generation not counted).

Numbers are reported as they are: this is a measuring tool, not a target to tune fixtures to.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures import form_lo  # noqa: E402
from tests.fixtures.data import make_unit  # noqa: E402
from tests.fixtures.form_submission import DEFECTS, STYLES, submission_message  # noqa: E402

KEY_FIELDS = {
    "application": {"recommender", "company", "group_name", "topic", "topic_type", "mobile", "postcode", "members", "date"},
    "summary": {"recommender", "char_count", "sections"},
    "statistics": {"recommender", "groups_registered_total", "groups_registered_year", "participation_rate",
                   "achievement_rate", "meeting_held"},
    "recommendation": {"recommender", "groups.company", "groups.group_name", "groups.topic_type", "judges.name",
                       "judges.certificate_no"},
    "review": {"recommender", "entries.name", "entries.score"},
}
CHAR_COUNT_TOLERANCE = 0.05


# ------------------------------------------------------------------ corpus

def corpus(n: int, seed: int, styles: tuple[str, ...]) -> list[tuple[str, bytes, dict]]:
    """``n`` messages: (label, raw, expected). Variant 0 (the notice's layouts) for the first of
    each style, seeded mixtures after that."""
    plan = []
    kinds = sorted(DEFECTS)
    n_defective = 0
    for i in range(n):
        style = styles[i % len(styles)]
        unit = make_unit(seed * 10007 + i, n_groups=1 + (seed + i) % 3)
        planted = None
        if style == "defects":  # rotate through every defect kind, three per message
            planted = [kinds[(3 * n_defective + k) % len(kinds)] for k in range(3)]
            n_defective += 1
        plan.append((i, style, unit, 0 if i < len(styles) else i, planted))
    with form_lo.collecting():  # first pass only gathers the LibreOffice conversions
        for _i, style, unit, variant, planted in plan:
            submission_message(unit, style=style, variant=variant, defects=planted)
    out = []
    for i, style, unit, variant, planted in plan:
        raw, expected = submission_message(unit, style=style, variant=variant, defects=planted)
        out.append((f"{i:03d}-{style}-v{variant}", raw, expected))
    return out


# ------------------------------------------------------------------ comparison

def flatten(fields: dict[str, Any]) -> dict[str, Any]:
    """``{"groups": [{"company": x}]}`` → ``{"groups[0].company": x}``; lists of scalars stay whole."""
    flat: dict[str, Any] = {}
    for k, v in fields.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for i, row in enumerate(v):
                for kk, vv in row.items():
                    flat[f"{k}[{i}].{kk}"] = vv
        else:
            flat[k] = v
    return flat


def generic_key(path: str) -> str:
    """``groups[3].company`` → ``groups.company`` (for key-field sets and per-field tallies)."""
    if "[" in path:
        head, rest = path.split("[", 1)
        return head + "." + rest.split("].", 1)[1] if "]." in rest else head
    return path


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, int | float):
        return float(x)
    return None


def same(path: str, expected: Any, actual: Any) -> bool:
    leafname = path.rsplit(".", 1)[-1]
    if expected is None:
        return actual is None or actual == "" or actual == []
    if leafname == "seq":
        try:
            return int(str(actual).strip()) == int(str(expected))
        except ValueError:
            return False
    if isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, int | float):
        got = _number(actual)
        if got is None:
            return False
        if leafname == "char_count":
            return abs(got - expected) <= CHAR_COUNT_TOLERANCE * expected
        return math.isclose(got, float(expected), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, list):
        return isinstance(actual, list) and [str(a).strip() for a in actual] == [str(e) for e in expected]
    return isinstance(actual, str) and actual.strip() == str(expected).strip()


def leaf(field: str | None) -> str | None:
    if not field:
        return None
    return field.replace("[]", "").rstrip("]").split(".")[-1].split("[")[0]


def match_documents(expected: list[dict], actual: list[dict]) -> list[dict | None]:
    """The pipeline's document for each expected one: same (filename, container), else same filename,
    else same base name."""
    by_pair = {(d.get("filename"), d.get("container")): d for d in actual}
    by_name = {d.get("filename"): d for d in actual}
    by_base = {str(d.get("filename", "")).rsplit("/", 1)[-1]: d for d in actual}
    out = []
    for e in expected:
        out.append(by_pair.get((e["filename"], e["container"])) or by_name.get(e["filename"])
                   or by_base.get(e["filename"].rsplit("/", 1)[-1]))
    return out


# ------------------------------------------------------------------ evaluation

class Tally:
    def __init__(self) -> None:
        self.ok: Counter[str] = Counter()
        self.total: Counter[str] = Counter()

    def add(self, key: str, good: bool) -> None:
        self.total[key] += 1
        self.ok[key] += int(good)

    def rate(self, key: str | None = None) -> float | None:
        tot = sum(self.total.values()) if key is None else self.total[key]
        ok = sum(self.ok.values()) if key is None else self.ok[key]
        return round(ok / tot, 4) if tot else None

    def counts(self) -> dict[str, Any]:
        return {k: {"ok": self.ok[k], "total": self.total[k], "rate": self.rate(k)} for k in sorted(self.total)}


def evaluate(items: list[tuple[str, bytes, dict]], show_misses: int = 15) -> dict[str, Any]:
    from intake.pipeline import check_message
    from rules import load_campaign

    campaign = load_campaign()
    cls, cls_by_format, fields_all, fields_key, fields_ocr = Tally(), Tally(), Tally(), Tally(), Tally()
    field_by_name, status, recall, recall_loose = Tally(), Tally(), Tally(), Tally()
    false_errors: Counter[str] = Counter()
    misses: list[str] = []
    crashes: list[dict] = []
    seconds: list[float] = []
    for label, raw, exp in items:
        t0 = time.perf_counter()
        try:
            result = check_message(raw, campaign).to_json()
        except Exception as e:  # a crash is a result to report, not a reason to stop measuring
            seconds.append(time.perf_counter() - t0)
            crashes.append({"message": label, "error": f"{type(e).__name__}: {e}",
                            "where": traceback.format_exc().strip().splitlines()[-3:]})
            for d in exp["documents"]:
                if d["form"] not in (None, "unknown"):
                    cls.add(d["form"], False)
            continue
        seconds.append(time.perf_counter() - t0)
        if exp["status"] is not None:
            status.add(exp["style"], result.get("status") == exp["status"])
        got_docs = match_documents(exp["documents"], result.get("documents", []))
        broken_names = {d["filename"] for d in exp["documents"] if d["form"] is None}
        for e, g in zip(exp["documents"], got_docs, strict=True):
            if e["form"] is None:
                continue
            good = g is not None and g.get("form") == e["form"]
            cls.add(e["form"], good)
            cls_by_format.add(f"{e['form']}/{e['format']}", good)
            if not good and len(misses) < show_misses:
                misses.append(f"{label}: {e['filename']} expected {e['form']}, got {g.get('form') if g else 'no document'}")
            if e["fields"] is None or e["form"] == "unknown":
                continue
            actual = flatten((g or {}).get("fields") or {})
            for path, value in flatten(e["fields"]).items():
                ok = same(path, value, actual.get(path))
                gk = generic_key(path)
                fields_all.add(e["form"], ok)
                if e.get("ocr"):
                    fields_ocr.add(e["form"], ok)
                field_by_name.add(f"{e['form']}.{gk}", ok)
                if gk in KEY_FIELDS.get(e["form"], ()):
                    fields_key.add(e["form"], ok)
        findings = result.get("findings", [])
        for d in exp["defects"]:
            hit = [f for f in findings if f.get("form") == d["form"] and leaf(f.get("field")) == d["field"]]
            recall_loose.add(d["rule_hint"], bool(hit))
            recall.add(d["rule_hint"], any(f.get("severity") == d["severity"] for f in hit))
        planted = {(d["form"], d["field"]) for d in exp["defects"]}
        for f in findings:
            if f.get("severity") != "error" or f.get("rule") == "deadline.late":
                continue
            if (f.get("form"), leaf(f.get("field"))) in planted or f.get("document") in broken_names:
                continue
            false_errors[f.get("rule") or "?"] += 1
    worst = sorted(((k, v) for k, v in field_by_name.counts().items() if v["rate"] is not None and v["rate"] < 1),
                   key=lambda kv: kv[1]["rate"])[:15]
    return {
        "messages": len(items),
        "classification_accuracy": cls.rate(),
        "classification_by_form": cls.counts(),
        "classification_by_form_format": cls_by_format.counts(),
        "field_accuracy_all": fields_all.rate(),
        "field_accuracy_key": fields_key.rate(),
        "field_accuracy_by_form": fields_all.counts(),
        "field_accuracy_ocr": fields_ocr.rate(),
        "field_accuracy_ocr_by_form": fields_ocr.counts(),
        "key_field_accuracy_by_form": fields_key.counts(),
        "worst_fields": dict(worst),
        "status_accuracy": status.rate(),
        "status_by_style": status.counts(),
        "defect_recall": recall.rate(),
        "defect_recall_loose": recall_loose.rate(),
        "defect_recall_by_rule": recall.counts(),
        "false_error_findings": sum(false_errors.values()),
        "false_error_findings_per_message": round(sum(false_errors.values()) / max(1, len(items)), 2),
        "false_error_rules": dict(false_errors.most_common(15)),
        "crashes": len(crashes),
        "crash_details": crashes[:10],
        "seconds_per_message": round(sum(seconds) / max(1, len(seconds)), 3),
        "seconds_max": round(max(seconds, default=0.0), 3),
        "classification_misses": misses,
    }


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def report(r: dict[str, Any], gen_seconds: float) -> str:
    lines = [
        f"messages: {r['messages']}   (corpus generated in {gen_seconds:.1f} s)",
        f"form classification accuracy: {_pct(r['classification_accuracy'])}",
    ]
    lines += [f"    {k:<16} {v['ok']}/{v['total']}" for k, v in r["classification_by_form"].items()]
    lines += [
        f"field accuracy (all fields):  {_pct(r['field_accuracy_all'])}",
        f"field accuracy (key fields):  {_pct(r['field_accuracy_key'])}",
    ]
    lines += [f"    {k:<16} all {v['ok']}/{v['total']}" for k, v in r["field_accuracy_by_form"].items()]
    if r["field_accuracy_ocr"] is not None:
        lines.append(f"field accuracy (OCR-read):    {_pct(r['field_accuracy_ocr'])}   "
                     + " ".join(f"{k} {v['ok']}/{v['total']}" for k, v in r["field_accuracy_ocr_by_form"].items()))
    if r["worst_fields"]:
        lines.append("    weakest fields: " + ", ".join(f"{k} {v['ok']}/{v['total']}" for k, v in r["worst_fields"].items()))
    lines += [f"status accuracy: {_pct(r['status_accuracy'])}   "
              + " ".join(f"{k} {v['ok']}/{v['total']}" for k, v in r["status_by_style"].items()),
              f"planted-defect recall: {_pct(r['defect_recall'])} (form+field+severity), "
              f"{_pct(r['defect_recall_loose'])} (form+field)"]
    lines += [f"    {k:<40} {v['ok']}/{v['total']}" for k, v in r["defect_recall_by_rule"].items()]
    lines += [f"false error findings: {r['false_error_findings']} ({r['false_error_findings_per_message']}/message)"
              + ("   " + ", ".join(f"{k}×{n}" for k, n in r["false_error_rules"].items()) if r["false_error_rules"] else ""),
              f"crashes: {r['crashes']}",
              f"seconds per message: {r['seconds_per_message']} (max {r['seconds_max']})"]
    for c in r["crash_details"]:
        lines.append(f"    crash {c['message']}: {c['error']}")
    if r["classification_misses"]:
        lines.append("classification misses (first ones):")
        lines += [f"    {m}" for m in r["classification_misses"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Pipeline accuracy on a generated corpus of submissions")
    ap.add_argument("--n", type=int, default=40, help="number of messages")
    ap.add_argument("--seed", type=int, default=7, help="corpus seed")
    ap.add_argument("--styles", default=",".join(STYLES), help=f"comma-separated subset of {','.join(STYLES)}")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--show-misses", type=int, default=15, help="classification misses to list")
    args = ap.parse_args(argv)
    styles = tuple(s for s in args.styles.split(",") if s)
    unknown = set(styles) - set(STYLES)
    if unknown:
        ap.error(f"unknown styles: {sorted(unknown)}")
    t0 = time.perf_counter()
    items = corpus(args.n, args.seed, styles)
    gen = time.perf_counter() - t0
    result = evaluate(items, args.show_misses)
    result["generation_seconds"] = round(gen, 2)
    result["seed"] = args.seed
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(report(result, gen))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
