"""Reading and validating a campaign rule file (TOML).

Everything is checked at load time — unknown section keys, forms, field keys, kinds, cross checks,
kind parameters, severities, the time zone — because a rule that silently never fires is worse
than a daemon that refuses to start. tomllib gives no line numbers, so an error about a rule
finds its line by searching the rule's id in the text (``caq-2020.toml:123: rule '...': ...``).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.campaign import Campaign, FormSpec, MessageSpec, Rule
from rules.cross import CHECKS
from rules.errors import RuleFileError
from rules.kinds import KINDS
from rules.schema import COPIES, FIELDS, FORMS, REQUIRED_KINDS, SEVERITIES, check_field_path

BUNDLED = "caq-2020.toml"
TOP_KEYS = {"campaign", "forms", "rules", "messages", "labels", "copies"}
CAMPAIGN_KEYS = {"id", "name", "year", "timezone", "deadline", "deadline_inclusive", "deadline_text",
                 "statistics_period"}
FORM_KEYS = {"name", "required", "copies", "severity"}
RULE_KEYS = {"id", "kind", "form", "field", "fields", "severity", "message", "copy", "when", "check"}
MESSAGE_KEYS = {"severity", "text", "silent_for", "severity_for", "audience"}
AUDIENCES = ("unit", "staff")
WHEN_KEYS = {"field", "equals", "filled"}


class _Source:
    """The rule file's text, to turn a rule id or key into a line number for error messages."""

    def __init__(self, name: str, text: str) -> None:
        self.name, self.lines = name, text.splitlines()

    def line_of(self, *needles: str) -> int | None:
        for needle in needles:
            if not needle:
                continue
            pat = re.compile(r"(^|[\s\"'\[.=])" + re.escape(needle) + r"($|[\s\"'\].=])")
            for i, line in enumerate(self.lines, start=1):
                if pat.search(line.split("#", 1)[0]):
                    return i
        return None

    def line_in_block(self, anchor: str, key: str) -> int | None:
        """The line of ``key =`` inside the table that contains ``anchor`` (e.g. a rule's id)."""
        at = self.line_of(anchor)
        if at is None:
            return None
        first = at - 1
        while first > 0 and not self.lines[first].lstrip().startswith("["):
            first -= 1
        last = at
        while last < len(self.lines) and not self.lines[last].lstrip().startswith("["):
            last += 1
        pat = re.compile(r"[\"']?" + re.escape(key) + r"[\"']?\s*=")
        for i in range(first, last):
            if pat.match(self.lines[i].strip()):
                return i + 1
        return at

    def error(self, what: str, *needles: str) -> RuleFileError:
        line = self.line_in_block(needles[0], needles[-1]) if len(needles) > 1 else self.line_of(*needles)
        if line is None:
            line = self.line_of(*needles)
        return RuleFileError(f"{self.name}:{line}: {what}" if line else f"{self.name}: {what}")


def load_campaign(path: str | Path | None = None) -> Campaign:
    """Load and validate a rule file; ``None`` = the bundled 2020 campaign (rules/caq-2020.toml)."""
    if path is None:
        text = resources.files("rules").joinpath(BUNDLED).read_text(encoding="utf-8")
        name = BUNDLED
    else:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError as e:
            raise RuleFileError(f"{p}: rule file not found") from e
        except UnicodeDecodeError as e:
            raise RuleFileError(f"{p}: not UTF-8 text") from e
        name = str(p)
    return parse_campaign(text, name)


def parse_campaign(text: str, name: str = "<rules>") -> Campaign:
    src = _Source(name, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RuleFileError(f"{name}: not valid TOML: {e}") from e
    _keys(src, data, TOP_KEYS, "top level")
    if "campaign" not in data:
        raise RuleFileError(f"{name}: missing [campaign] table")
    camp = _table(src, data["campaign"], "campaign")
    _keys(src, camp, CAMPAIGN_KEYS, "[campaign]")
    for key in ("name", "year", "timezone", "deadline"):
        if key not in camp:
            raise src.error(f"[campaign]: missing key {key!r}", "[campaign]")
    try:
        tz = ZoneInfo(str(camp["timezone"]))
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise src.error(f"[campaign] timezone: unknown time zone {camp['timezone']!r}", "timezone") from e
    inclusive = camp.get("deadline_inclusive", True)
    if not isinstance(inclusive, bool):
        raise src.error("[campaign] deadline_inclusive: expected true or false", "deadline_inclusive")
    deadline, ddate = _deadline(src, camp["deadline"], inclusive, tz)
    if not isinstance(camp["year"], int) or isinstance(camp["year"], bool):
        raise src.error("[campaign] year: expected an integer", "year")
    period = camp.get("statistics_period")
    if period is not None and not (isinstance(period, list) and len(period) == 2):
        raise src.error("[campaign] statistics_period: expected [\"YYYY-MM\", \"YYYY-MM\"]", "statistics_period")
    text_default = f"{ddate.year}年{ddate.month}月{ddate.day}日" + ("（含）" if inclusive else "前（不含当日）")

    forms = _forms(src, data.get("forms", {}))
    messages = _messages(src, data.get("messages", {}))
    labels = _labels(src, data.get("labels", {}))
    copies = data.get("copies", {})
    if not isinstance(copies, dict) or any(k not in COPIES or not isinstance(v, str) for k, v in copies.items()):
        raise src.error("[copies]: expected word = \"...\", pdf = \"...\"", "[copies]")
    rules = _rules(src, data.get("rules", []))
    for needed in ("deadline.late", "form.missing", "problem.unknown"):
        if needed not in messages:
            raise src.error(f"[messages]: missing the text for {needed!r}", "[messages]")
    return Campaign(
        id=str(camp.get("id", Path(name).stem)),
        name=str(camp["name"]),
        year=camp["year"],
        tz=tz,
        deadline=deadline,
        deadline_date=ddate,
        deadline_inclusive=inclusive,
        deadline_text=str(camp.get("deadline_text", text_default)),
        statistics_period=tuple(period) if period else None,
        forms=forms,
        rules=rules,
        messages=messages,
        labels=labels,
        copy_names={"word": "Word版", "pdf": "PDF版", **copies},
        source=name,
    )


def _deadline(src: _Source, value: Any, inclusive: bool, tz: ZoneInfo) -> tuple[datetime, date]:
    """A date is a whole day (late from the next day 00:00 local when inclusive, else from that
    day 00:00); a local date-time is the first late instant itself."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise src.error("[campaign] deadline: write a local time without offset (the time zone is "
                            "the campaign's)", "deadline")
        return value.replace(tzinfo=tz), value.date()
    if isinstance(value, date):
        day = value + timedelta(days=1) if inclusive else value
        return datetime.combine(day, time(0), tzinfo=tz), value
    raise src.error(f"[campaign] deadline: expected a date like 2020-09-15, got {value!r}", "deadline")


def _table(src: _Source, value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise src.error(f"[{where}]: expected a table", where)
    return value


def _keys(src: _Source, table: dict[str, Any], allowed: set[str], where: str, *needles: str) -> None:
    for key in table:
        if key not in allowed:
            raise src.error(f"{where}: unknown key {key!r} (expected one of: {', '.join(sorted(allowed))})",
                            *needles, key)


def _severity(src: _Source, value: Any, where: str, *needles: str) -> str:
    if value not in SEVERITIES:
        raise src.error(f"{where}: severity must be 'error' or 'warning', got {value!r}", *needles)
    return value


def _forms(src: _Source, data: Any) -> dict[str, FormSpec]:
    data = _table(src, data, "forms")
    out = {}
    for form, spec in data.items():
        if form not in FORMS:
            raise src.error(f"[forms.{form}]: unknown form {form!r} (known: {', '.join(FORMS)})", f"forms.{form}")
        spec = _table(src, spec, f"forms.{form}")
        _keys(src, spec, FORM_KEYS, f"[forms.{form}]", f"forms.{form}")
        if not isinstance(spec.get("name"), str):
            raise src.error(f"[forms.{form}]: 'name' (the Chinese form name) is required", f"forms.{form}")
        required = spec.get("required", "submission")
        if required not in REQUIRED_KINDS:
            raise src.error(f"[forms.{form}] required: expected one of {', '.join(REQUIRED_KINDS)}, got "
                            f"{required!r}", f"forms.{form}")
        copies = spec.get("copies", [])
        if not isinstance(copies, list) or any(c not in COPIES for c in copies):
            raise src.error(f"[forms.{form}] copies: expected a list of {', '.join(COPIES)}", f"forms.{form}")
        severity = _severity(src, spec.get("severity", "warning" if required == "recommended" else "error"),
                             f"[forms.{form}]", f"forms.{form}")
        out[form] = FormSpec(form, spec["name"], required, copies, severity)
    return out


def _messages(src: _Source, data: Any) -> dict[str, MessageSpec]:
    data = _table(src, data, "messages")
    out = {}
    for mid, spec in _flatten_messages(data):
        if isinstance(spec, str):
            spec = {"text": spec, "severity": "warning"}
        if not isinstance(spec, dict) or not isinstance(spec.get("text"), str):
            raise src.error(f"[messages] {mid!r}: expected a text or a table with 'text'", mid)
        _keys(src, spec, MESSAGE_KEYS, f"[messages] {mid!r}", mid)
        sev = _severity(src, spec.get("severity", "warning"), f"[messages] {mid!r}", mid)
        silent = spec.get("silent_for", [])
        by_form = spec.get("severity_for", {})
        for s in silent:
            if s.split(".")[0] not in FORMS or (("." in s) and s.split(".", 1)[1] not in COPIES):
                raise src.error(f"[messages] {mid!r} silent_for: {s!r} is not a form or form.copy", mid)
        for f, v in by_form.items():
            if f not in (*FORMS, "unknown"):
                raise src.error(f"[messages] {mid!r} severity_for: unknown form {f!r}", mid)
            _severity(src, v, f"[messages] {mid!r} severity_for", mid)
        audience = spec.get("audience", "unit")
        if audience not in AUDIENCES:
            raise src.error(f"[messages] {mid!r} audience: expected one of {', '.join(AUDIENCES)}, got {audience!r}",
                            mid)
        out[mid] = MessageSpec(mid, sev, spec["text"], list(silent), dict(by_form), audience)
    return out


def _flatten_messages(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``[messages."document.scanned"]`` and ``[messages.document.scanned]`` both mean one id."""
    out = []
    for k, v in data.items():
        mid = prefix + k
        if isinstance(v, dict) and "text" not in v:
            out.extend(_flatten_messages(v, mid + "."))
        else:
            out.append((mid, v))
    return out


def _labels(src: _Source, data: Any) -> dict[str, dict[str, str]]:
    data = _table(src, data, "labels")
    for form, table in data.items():
        if form not in FIELDS:
            raise src.error(f"[labels.{form}]: unknown form {form!r}", f"labels.{form}")
        for key in _table(src, table, f"labels.{form}"):
            key_only = key.split("[].")[-1]
            if key not in FIELDS[form] and not any(key_only in (items or ()) for items in FIELDS[form].values()):
                raise src.error(f"[labels.{form}]: unknown field key {key!r}", f"labels.{form}", key)
    return data


def _rules(src: _Source, data: Any) -> list[Rule]:
    if not isinstance(data, list):
        raise src.error("rules: expected [[rules]] entries", "[[rules]]")
    out: list[Rule] = []
    seen: set[str] = set()
    for n, entry in enumerate(data, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise src.error(f"[[rules]] entry #{n}: 'id' is required", "[[rules]]")
        rid = entry["id"]
        for rule in _expand(src, entry, rid):
            if rule.id in seen:
                raise src.error(f"rule {rule.id!r}: duplicate id", rid)
            seen.add(rule.id)
            out.append(rule)
    return out


def _expand(src: _Source, entry: dict[str, Any], rid: str) -> list[Rule]:
    """One entry, or one per field when it lists ``fields`` (its id then contains ``{field}``)."""
    where = f"rule {rid!r}"
    kind = entry.get("kind")
    if kind not in KINDS and kind != "cross":
        raise src.error(f"{where}: unknown kind {kind!r} (known: {', '.join([*KINDS, 'cross'])})", rid, "kind")
    spec: Any = KINDS[kind] if kind in KINDS else CHECKS.get(str(entry.get("check")))
    allowed = RULE_KEYS | set(spec.PARAMS if spec is not None else ())
    _keys(src, entry, allowed, where, rid)
    severity = _severity(src, entry.get("severity"), where, rid, "severity")
    message = entry.get("message")
    if not isinstance(message, str) or not message.strip():
        raise src.error(f"{where}: 'message' (the Chinese text) is required", rid)
    form = entry.get("form")
    if kind == "cross":
        check = entry.get("check")
        if check not in CHECKS:
            raise src.error(f"{where}: unknown cross check {check!r} (known: {', '.join(CHECKS)})", rid, "check")
        if form is not None and form not in FORMS:
            raise src.error(f"{where}: unknown form {form!r}", rid)
        mod = CHECKS[check]
        params = {"check": check, **_params(src, entry, mod, where, rid, f"cross check {check!r}", "check")}
        return [Rule(rid, kind, severity, message, form or mod.FORM, entry.get("field", mod.FIELD),
                     params=params, source_id=rid)]
    if form not in FORMS:
        raise src.error(f"{where}: unknown form {form!r} (known: {', '.join(FORMS)})", rid, "form")
    params = _params(src, entry, KINDS[kind], where, rid, f"kind {kind!r}", "kind")
    if kind == "compare" and (why := check_field_path(form, params["other"])):
        raise src.error(f"{where}: other: {why}", rid, "other")
    copy = entry.get("copy")
    if copy is not None and copy not in COPIES:
        raise src.error(f"{where}: copy must be one of {', '.join(COPIES)}, got {copy!r}", rid, "copy")
    when = entry.get("when")
    if when is not None:
        if not isinstance(when, dict) or "field" not in when:
            raise src.error(f"{where}: when must be a table with 'field'", rid)
        _keys(src, when, WHEN_KEYS, f"{where} when", rid)
        if why := check_field_path(form, when["field"]):
            raise src.error(f"{where}: when: {why}", rid, "when")
    if "fields" in entry:
        fields = entry["fields"]
        if "field" in entry or not isinstance(fields, list) or not fields or "{field}" not in rid:
            raise src.error(f"{where}: 'fields' needs a list, no 'field', and an id containing {{field}}", rid)
    else:
        if not isinstance(entry.get("field"), str):
            raise src.error(f"{where}: 'field' is required", rid)
        fields = [entry["field"]]
    out = []
    for f in fields:
        if why := check_field_path(form, f):
            raise src.error(f"{where}: {why}", rid, "fields" if "fields" in entry else "field")
        if kind == "unique":  # the item keys that make two items the same must be keys of the list's items
            for k in (k for combo in params["keys"] for k in combo):
                if why := check_field_path(form, f"{f}[].{k}"):
                    raise src.error(f"{where}: keys: {why}", rid, "keys")
        key = f.replace("[].", ".")
        out.append(Rule(rid.replace("{field}", key), kind, severity, message, form, f, copy, when, params, rid))
    return out


def _params(src: _Source, entry: dict[str, Any], spec: Any, where: str, rid: str, what: str,
            anchor: str) -> dict[str, Any]:
    """The parameters a kind or cross check takes (``spec.PARAMS``), typed and validated."""
    params = {k: entry[k] for k in spec.PARAMS if k in entry}
    for k, (typ, needed) in spec.PARAMS.items():
        if needed and k not in entry:
            raise src.error(f"{where}: {what} needs {k!r}", rid, anchor)
        if k in entry and (not isinstance(entry[k], typ) or isinstance(entry[k], bool) and typ is not bool):
            raise src.error(f"{where}: {k!r} has the wrong type ({type(entry[k]).__name__})", rid, k)
    validate = getattr(spec, "validate", None)
    if validate is not None and (why := validate(params)):
        raise src.error(f"{where}: {why}", rid, next(iter(params), anchor))
    return params
