"""The loaded campaign: deadline, forms, field rules and Chinese texts, as plain dataclasses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class FormSpec:
    """How a form is required: once per submission, once per recommended group, or only recommended."""

    form: str
    name: str  # Chinese name shown to units, e.g. 申报表
    required: str  # submission | per_group | recommended
    copies: list[str] = dc_field(default_factory=list)  # e.g. ["word", "pdf"]; [] = any copy
    severity: str = "error"  # of the finding when it is missing


@dataclass
class Rule:
    """One field rule or named cross-document check from the ``[[rules]]`` array."""

    id: str
    kind: str
    severity: str
    message: str
    form: str | None = None
    field: str | None = None
    copy: str | None = None  # only documents of this copy (word|pdf); None = every copy
    when: dict[str, Any] | None = None  # {field = ..., equals = ...}: apply only when true
    params: dict[str, Any] = dc_field(default_factory=dict)  # kind parameters (min, max, pattern, ...)
    source_id: str = ""  # the id as written in the file (may contain {field}), to find its line


@dataclass
class MessageSpec:
    """The Chinese text and severity of a document/message problem id (``document.scanned`` ...)."""

    id: str
    severity: str
    text: str
    silent_for: list[str] = dc_field(default_factory=list)  # "form" or "form.copy" where it is normal
    severity_for: dict[str, str] = dc_field(default_factory=dict)  # per-form severity override
    audience: str = "unit"  # "staff": our own trouble, never presented to the sender as theirs


#: ``{name}`` or ``{name|text used when name is absent}``; ``{{`` and ``}}`` are literal braces
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)(?:\|([^{}]*))?\}")


def render(template: str, values: dict[str, Any]) -> str:
    """Fill a message template. A value that is absent, None or empty gives the placeholder's fallback
    text (``{group|各小组}``), else nothing: a receipt never shows a literal ``{group}``."""

    def fill(m: re.Match[str]) -> str:
        if m.group(1) is None:
            return m.group(0)[0]  # {{ → {, }} → }
        value = values.get(m.group(1))
        if value is None or value == "":
            return m.group(2) or ""
        return str(value)

    return PLACEHOLDER.sub(fill, template)


@dataclass
class Campaign:
    """A campaign rule file, validated. See rules/README.md for the file format."""

    id: str
    name: str
    year: int
    tz: ZoneInfo
    deadline: datetime  # aware: the first instant that is late
    deadline_date: date
    deadline_inclusive: bool
    deadline_text: str
    statistics_period: tuple[str, str] | None
    forms: dict[str, FormSpec]
    rules: list[Rule]
    messages: dict[str, MessageSpec]
    labels: dict[str, dict[str, str]]  # form -> field key -> Chinese label
    copy_names: dict[str, str]  # word -> Word版, pdf -> PDF版
    source: str = ""  # path of the rule file, for error messages
    #: 证书编号 → 姓名 from the office's register (config export.judges_register), set by the daemon;
    #: not part of the rule file (it changes during the campaign), None = no register
    judges_register: dict[str, str] | None = None

    @property
    def form_names(self) -> dict[str, str]:
        return {f: spec.name for f, spec in self.forms.items()}

    def is_late(self, dt: datetime | None) -> bool:
        """Late when received at or after :attr:`deadline`; a naive time is taken as campaign-local."""
        if dt is None:
            return False
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.tz)
        return dt >= self.deadline

    def label(self, form: str | None, path: str | None) -> str:
        """Chinese label of a field path (``groups[].company`` → 企业名称), falling back to the key."""
        if not path:
            return ""
        key = path.split("[].")[-1]
        table = self.labels.get(form or "", {})
        return table.get(path) or table.get(key) or key

    def message(self, rule_id: str, **values: Any) -> str:
        """The Chinese text of a rule or problem id filled with ``values``; generic text when unknown."""
        for rule in self.rules:
            if rule.id == rule_id:
                return render(rule.message, values)
        spec = self.messages.get(rule_id)
        if spec is None:
            spec = self.messages.get("problem.unknown")
        if spec is None:
            return f"{rule_id}: {values.get('detail', '')}".strip()
        return render(spec.text, {"id": rule_id, **values})

    def format_time(self, dt: datetime) -> str:
        """A receipt time as units read it: 2020年9月16日 00:30（北京时间 when Asia/Shanghai）."""
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.tz)
        local = dt.astimezone(self.tz)
        zone = "北京时间" if self.tz.key in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else self.tz.key
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}（{zone}）"
