"""``intake rules lint FILE``: everything wrong with a rule file, before the daemon loads it.

Loading catches what makes a file unusable (the first such error is reported). Lint adds what
would silently degrade receipts: message templates using placeholders their kind never fills,
templates that would print a literal brace when rendered with or without their values, problem ids the readers emit without a Chinese text
(the generic text would be used), and per-group forms without the per-group missing text.
"""

from __future__ import annotations

from pathlib import Path

from rules.campaign import PLACEHOLDER, render
from rules.cross import CHECKS
from rules.errors import RuleFileError
from rules.kinds import KINDS
from rules.loader import _Source, parse_campaign

COMMON = ("value", "label", "form_name", "filename", "row", "group", "item_name", "min", "max", "other_label")
# Problem ids the unpack and read stages emit (intake/unpack, parsers/readers)
KNOWN_PROBLEMS = (
    "document.unreadable", "document.encrypted", "document.scanned", "document.cid_text", "document.image",
    "document.timeout", "document.unsupported", "converter.missing", "document.empty", "archive.too_large",
    "archive.bomb", "archive.too_many", "archive.too_deep", "archive.encrypted", "archive.corrupt",
    "archive.unsafe_name", "message.malformed", "document.manual_review", "document.no_fields",
    "document.unrecognised", "document.tnef", "message.download_link", "document.too_large", "document.internal_error",
    "document.executable",
)
MESSAGE_PLACEHOLDERS = ("filename", "form_name", "detail", "id", "received", "deadline", "group", "copy_name")


def _placeholders(template: str) -> set[str]:
    return {m.group(1) for m in PLACEHOLDER.finditer(template) if m.group(1)}


def leftover_braces(template: str) -> list[str]:
    """What would be printed as a literal brace: the template rendered with every value absent and with
    every value present (``{{``/``}}`` escapes aside). An empty list means every rendering is clean."""
    unescaped = template.replace("{{", "").replace("}}", "")
    names = _placeholders(unescaped)
    out = []
    for values in ({}, {n: f"<{n}>" for n in names}):
        text = render(unescaped, values)
        if "{" in text or "}" in text:
            out.append(f"rendered {'with' if values else 'without'} its values leaves a brace: {text!r}")
    return out


def lint(path: str | Path) -> list[str]:
    """Problems found in the rule file at ``path``; an empty list means it is fine."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return [f"{p}: cannot read: {e}"]
    try:
        campaign = parse_campaign(text, str(p))
    except RuleFileError as e:
        return [str(e)]
    src = _Source(str(p), text)
    out: list[str] = []
    for rule in campaign.rules:
        if rule.kind == "cross":
            allowed = set(CHECKS[rule.params["check"]].PLACEHOLDERS)
        else:
            allowed = set(COMMON) | set(KINDS[rule.kind].PLACEHOLDERS)
        for name in sorted(_placeholders(rule.message) - allowed):
            line = src.line_of(rule.id, rule.source_id)
            out.append(f"{p}:{line}: rule {rule.id!r}: message uses {{{name}}}, which kind {rule.kind!r} never fills")
        for bad in leftover_braces(rule.message):
            out.append(f"{p}:{src.line_of(rule.id, rule.source_id)}: rule {rule.id!r}: message {bad}")
    for mid, spec in campaign.messages.items():
        for name in sorted(_placeholders(spec.text) - set(MESSAGE_PLACEHOLDERS)):
            out.append(f"{p}:{src.line_of(mid)}: [messages] {mid!r}: text uses unknown placeholder {{{name}}}")
        for bad in leftover_braces(spec.text):
            out.append(f"{p}:{src.line_of(mid)}: [messages] {mid!r}: text {bad}")
    for pid in KNOWN_PROBLEMS:
        if pid not in campaign.messages:
            out.append(f"{p}: [messages]: no text for {pid!r} (the generic 'problem.unknown' text would be used)")
    if any(s.required == "per_group" for s in campaign.forms.values()) and "form.missing_group" not in campaign.messages:
        out.append(f"{p}: [messages]: no text for 'form.missing_group' (per-group forms would not name the group)")
    return out
