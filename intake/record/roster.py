"""The roster: the recommending units the office expects to hear from, as the office keeps it in Excel.

A roster file (``.xlsx`` or ``.csv``, UTF-8 or GBK) has one row per unit with the columns
推荐单位, 类型 (省市 / 行业), 邮箱 (one or more, separated by ``;`` ``，`` ``、`` or spaces) and 别名
(other names the unit goes by, same separators). Header words are matched loosely (``单位名称``,
``电子邮箱``, …) so an office's own sheet works as it is.

Why names are normalised before matching: forms say 江苏省质协, 江苏省质量协会 or 江苏省 质量协会
for one unit; NFKC, no spaces and 质协 → 质量协会 make those one key, and the aliases cover the rest.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from intake.config import ConfigError

KINDS = {"省市": "province", "省": "province", "省级": "province", "地区": "province", "行业": "industry",
         "province": "province", "industry": "industry"}
_SPLIT = re.compile(r"[;；,，、/\s]+")
_COLUMNS = {  # canonical column → header words that name it (longest first wins)
    "name": ("推荐单位名称", "推荐单位", "单位名称", "单位", "名称"),
    "kind": ("单位类型", "类型", "类别"),
    "emails": ("电子邮箱", "邮箱地址", "邮箱", "email", "e-mail", "邮件地址"),
    "aliases": ("别名", "简称", "其他名称"),
}


class RosterError(ConfigError):
    """The roster file cannot be used; the message names the file and the row."""


def norm_name(text: str | None) -> str:
    """The matching key of a unit name: NFKC, no spaces or punctuation, 质协 = 质量协会."""
    t = unicodedata.normalize("NFKC", text or "")
    t = re.sub(r"[\s·.,，。()（）“”\"'、]+", "", t)
    return t.replace("质量管理协会", "质协").replace("质量协会", "质协").lower()


@dataclass
class RosterUnit:
    name: str
    kind: str | None  # province | industry | None
    emails: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)

    @property
    def keys(self) -> set[str]:
        return {norm_name(n) for n in (self.name, *self.aliases) if norm_name(n)}


@dataclass
class Roster:
    units: list[RosterUnit] = field(default_factory=list)

    def by_address(self, addr: str | None) -> RosterUnit | None:
        a = (addr or "").strip().lower()
        return next((u for u in self.units if a and a in u.emails), None)

    def by_name(self, name: str | None) -> RosterUnit | None:
        key = norm_name(name)
        return next((u for u in self.units if key and key in u.keys), None)

    def get(self, name: str) -> RosterUnit | None:
        return next((u for u in self.units if u.name == name), None)


def load_roster(path: Path | None) -> Roster:
    """The roster at ``path`` (``.xlsx`` or ``.csv``); an empty roster when no file is configured."""
    if path is None:
        return Roster()
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RosterError(f"{path}: cannot read the roster: {e}") from e
    rows = _xlsx_rows(path, data) if data[:4] == b"PK\x03\x04" else _csv_rows(data)
    return _parse(path, rows)


def _xlsx_rows(path: Path, data: bytes) -> list[list[str]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any openpyxl failure: the file is not a usable workbook
        raise RosterError(f"{path}: not a readable .xlsx roster: {e}") from e
    ws = wb.worksheets[0]
    rows = [["" if v is None else str(v).strip() for v in row] for row in ws.iter_rows(values_only=True)]
    wb.close()
    return rows


def _csv_rows(data: bytes) -> list[list[str]]:
    for codec in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("utf-8", "replace")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def _header(row: list[str]) -> dict[str, int] | None:
    cols: dict[str, int] = {}
    for i, cell in enumerate(row):
        word = norm_name(cell)
        for key, names in _COLUMNS.items():
            if key not in cols and any(word == norm_name(n) for n in names):
                cols[key] = i
    return cols if "name" in cols else None


def _parse(path: Path, rows: list[list[str]]) -> Roster:
    start, cols = next(((i, c) for i, r in enumerate(rows[:10]) if (c := _header(r))), (None, None))
    if start is None or cols is None:
        raise RosterError(f"{path}: no header row with a 推荐单位 column in the first 10 rows")

    def cell(row: list[str], key: str) -> str:
        i = cols.get(key)
        return row[i].strip() if i is not None and i < len(row) and row[i] else ""

    roster = Roster()
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[start + 1:], start=start + 2):
        name = cell(row, "name")
        if not name:
            continue
        kind_text = cell(row, "kind")
        kind = KINDS.get(kind_text) if kind_text else None
        if kind_text and kind is None:
            raise RosterError(f"{path}: row {n}: 类型 {kind_text!r} is neither 省市 nor 行业")
        emails = [e.lower() for e in _SPLIT.split(cell(row, "emails")) if "@" in e]
        aliases = [a for a in _SPLIT.split(cell(row, "aliases")) if a]
        unit = RosterUnit(name, kind, emails, aliases)
        for key in unit.keys:
            if key in seen:
                raise RosterError(f"{path}: row {n}: {name!r} has the same name or alias as row {seen[key]}")
            seen[key] = n
        roster.units.append(unit)
    return roster
