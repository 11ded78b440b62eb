"""``intake units [--json]`` and ``intake show UNIT``: where every recommending unit stands.

``--json`` prints exactly contract/units-json.md. Read from the ledger only: each unit's state
(status, late flag, findings) was computed when its last message was recorded
(:func:`intake.record.units.unit_state`); its groups and missing forms come from the current
document set, merged from the stored fields without re-reading any file. Every roster unit is
listed, those with nothing yet as ``not_submitted``; units the ledger met that are not on the
roster are listed too (``on_roster: false``, shown as 未登记).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlmodel import Session, col, select

from intake.config import Config
from intake.record.roster import Roster, RosterUnit, load_roster
from intake.record.units import merge_unit
from intake.store.migrations import open_ledger_readonly
from intake.store.rows import MessageRow, OutboxRow, UnitRow
from parsers.result import DocumentResult
from rules import Campaign, evaluate, load_campaign
from rules.groups import group_table

STATUS_ORDER = ("not_submitted", "incomplete", "late", "complete")  # who needs chasing first
STATUS_ZH = {"not_submitted": "未报送", "incomplete": "材料不全", "late": "逾期", "complete": "材料齐全"}
KIND_ZH = {"province": "省市", "industry": "行业"}


@dataclass
class UnitMessages:
    unit: UnitRow | None
    messages: list[MessageRow]


@dataclass
class UnitRecord:
    """One unit as the staff views need it: its contract entry and its current documents."""

    entry: dict[str, Any]
    documents: list[DocumentResult]


def _aware(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _iso(campaign: Campaign, dt: datetime | None) -> str | None:
    aware = _aware(dt)
    return aware.astimezone(campaign.tz).isoformat() if aware is not None else None


def _receipt(msg: MessageRow, outbox: dict[int, OutboxRow]) -> str:
    row = outbox.get(msg.id or -1)
    if row is not None:
        return row.state if row.state in ("sent", "pending", "failed") else "pending"
    return "none"


def _documents(msg: MessageRow) -> list[DocumentResult]:
    return [DocumentResult.from_json(d) for d in (msg.result or {}).get("documents", [])]


def _is_submission(msg: MessageRow) -> bool:
    return msg.state == "processed" and bool(_documents(msg))


FORM_ORDER = ("application", "report", "evidence", "summary", "statistics", "recommendation", "review")


def missing_forms(findings: list[dict[str, Any]]) -> list[str]:
    """The forms the ``*.missing`` findings name, in the notice's order."""
    named = {f.get("form") for f in findings if str(f.get("rule", "")).endswith(".missing")}
    return [form for form in FORM_ORDER if form in named]


def _unit_record(campaign: Campaign, name: str, roster_unit: RosterUnit | None, um: UnitMessages,
                 outbox: dict[int, OutboxRow], claims: list[MessageRow], required: list[dict[str, Any]]) -> UnitRecord:
    msgs = sorted(um.messages, key=lambda m: (_aware(m.received_at or m.stored_at), m.id or 0))
    submissions = [m for m in msgs if _is_submission(m)]
    unit = um.unit
    if unit is None or not submissions:
        status, late, findings = "not_submitted", False, []
        missing_from = required  # everything the campaign requires
    else:
        status, late, findings = unit.status or "incomplete", bool(unit.late), list(unit.findings or [])
        missing_from = findings
    current = merge_unit([(m.received_at, _documents(m)) for m in submissions]) if submissions else []
    addresses = list(roster_unit.emails) if roster_unit is not None else []
    for a in (unit.addresses if unit is not None else []) or []:
        if a not in addresses:
            addresses.append(a)
    times = [_iso(campaign, m.received_at) for m in submissions if m.received_at is not None]
    return UnitRecord({
        "unit": name,
        "kind": roster_unit.kind if roster_unit is not None else None,
        "on_roster": roster_unit is not None,
        "addresses": addresses,
        "status": status,
        "late": late,
        "first_received_at": times[0] if times else None,
        "last_received_at": times[-1] if times else None,
        "messages": [{"id": m.id, "message_id": m.message_id, "received_at": _iso(campaign, m.received_at),
                      "subject": m.subject, "submission": _is_submission(m), "receipt": _receipt(m, outbox)}
                     for m in msgs],
        "groups": group_table(current),
        "missing": missing_forms(missing_from),
        "findings": [{k: f.get(k) for k in ("rule", "severity", "form", "document", "field", "message")}
                     | ({"audience": f["audience"]} if f.get("audience") else {}) for f in findings],
        # additions to the contract: for a unit not on the roster, the addresses that joined after the first
        # one (新地址: staff check they really belong to the unit); mail naming a roster unit from an
        # address it does not list (待确认)
        "new_addresses": (list((unit.addresses or [])[1:]) if unit is not None and roster_unit is None else []),
        # additions to the contract: mail naming this unit from an address it does not list (待确认)
        "unconfirmed_messages": [{"id": m.id, "from": m.from_addr, "subject": m.subject} for m in claims],
    }, current)


def unit_records(s: Session, campaign: Campaign, roster: Roster) -> list[UnitRecord]:
    """Every unit (roster first, then the ones the ledger met), in the order staff chase them."""
    units = {u.key: u for u in s.exec(select(UnitRow)).all()}
    outbox = {o.message_pk: o for o in s.exec(select(OutboxRow)).all() if o.message_pk is not None}  # receipts
    by_unit: dict[str, list[MessageRow]] = {}
    claims: dict[str, list[MessageRow]] = {}
    for m in s.exec(select(MessageRow).order_by(col(MessageRow.id))).all():
        if m.unit_key:
            by_unit.setdefault(m.unit_key, []).append(m)
        elif m.claimed_unit:
            claims.setdefault(m.claimed_unit, []).append(m)
    required = [f.to_json() for f in evaluate(campaign, [], None, [])]  # what a unit that sent nothing lacks: once
    records = []
    for ru in roster.units:
        records.append(_unit_record(campaign, ru.name, ru, UnitMessages(units.get(ru.name), by_unit.get(ru.name, [])),
                                    outbox, claims.get(ru.name, []), required))
    for key, unit in units.items():
        if roster.get(key) is None and by_unit.get(key):
            records.append(_unit_record(campaign, unit.recommender or key, None, UnitMessages(unit, by_unit[key]),
                                        outbox, [], required))
    records.sort(key=lambda r: (STATUS_ORDER.index(r.entry["status"]), not r.entry["on_roster"], r.entry["unit"]))
    return records


def units_data(s: Session, campaign: Campaign, roster: Roster, now: datetime | None = None) -> dict[str, Any]:
    """The whole ``intake units --json`` object."""
    entries = [r.entry for r in unit_records(s, campaign, roster)]
    generated = (now or datetime.now(UTC)).astimezone(campaign.tz)
    return {
        "campaign": {"name": campaign.name, "deadline": campaign.deadline_date.isoformat(),
                     "time_zone": campaign.tz.key},
        "generated_at": generated.isoformat(timespec="seconds"),
        "units": entries,
    }


def load_units(cfg: Config) -> dict[str, Any]:
    """The units object for the configured ledger, campaign and roster (read-only)."""
    campaign = load_campaign(cfg.rules_path)
    roster = load_roster(cfg.roster_path)
    engine = open_ledger_readonly(cfg)
    try:
        with Session(engine) as s:
            return units_data(s, campaign, roster)
    finally:
        engine.dispose()


def units_view(cfg: Config, as_json: bool = False) -> None:
    data = load_units(cfg)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    t = Table(title=f"推荐单位（{len(data['units'])} 个，截止 {data['campaign']['deadline']}）")
    for name in ("推荐单位", "类型", "状态", "小组", "错误/提示", "最近来信", "待核实"):
        t.add_column(name, overflow="fold")
    for u in data["units"]:
        errors = sum(1 for f in u["findings"] if f["severity"] == "error")
        warnings = len(u["findings"]) - errors
        status = STATUS_ZH[u["status"]] + ("（截止后又有来信）" if u["late"] and u["status"] == "complete" else "")
        t.add_row(u["unit"], KIND_ZH.get(u["kind"] or "", "未登记" if not u["on_roster"] else "—"), status,
                  str(len(u["groups"])), f"{errors}/{warnings}", (u["last_received_at"] or "—")[:16].replace("T", " "),
                  "、".join(x for x in (f"{len(u['unconfirmed_messages'])} 封待确认" if u["unconfirmed_messages"] else "",
                                        f"新地址 {len(u['new_addresses'])}" if u["new_addresses"] else "") if x))
    Console().print(t)


def show_unit(cfg: Config, name: str) -> bool:
    """``intake show UNIT``: one unit with its messages, groups, missing forms and findings."""
    data = load_units(cfg)
    unit = next((u for u in data["units"] if u["unit"] == name), None)
    if unit is None:
        from intake.record.roster import norm_name

        unit = next((u for u in data["units"] if norm_name(u["unit"]) == norm_name(name)), None)
    con = Console()
    if unit is None:
        con.print(f"没有推荐单位“{name}”")
        return False
    con.print(f"[bold]{unit['unit']}[/bold]（{KIND_ZH.get(unit['kind'] or '', '未登记')}）"
              f"　状态：{STATUS_ZH[unit['status']]}{'，截止后有来信' if unit['late'] else ''}")
    con.print(f"邮箱：{'、'.join(unit['addresses']) or '—'}")
    if unit["new_addresses"]:
        con.print(f"  [yellow]新地址[/yellow]（请核实是否属于该单位）：{'、'.join(unit['new_addresses'])}")
    for m in unit["messages"]:
        con.print(f"  来信 {m['id']}　{(m['received_at'] or '—')[:16].replace('T', ' ')}　{m['subject'] or '（无主题）'}"
                  f"　回执：{m['receipt']}{'' if m['submission'] else '（非申报邮件）'}")
    for m in unit["unconfirmed_messages"]:
        con.print(f"  [yellow]待确认[/yellow] 来信 {m['id']}　{m['from']}　{m['subject'] or ''}"
                  f"（intake confirm {m['id']} {unit['unit']}）")
    for g in unit["groups"]:
        have = "、".join(k for k, v in g["forms"].items() if v) or "—"
        con.print(f"  小组：{g['company'] or '—'}　{g['group_name'] or '—'}　{g['topic'] or ''}　已收：{have}")
    if unit["missing"]:
        con.print(f"  尚缺：{'、'.join(unit['missing'])}")
    for f in unit["findings"]:
        con.print(f"  {'[red]错误[/red]' if f['severity'] == 'error' else '提示'}：{f['message']}")
    return True
