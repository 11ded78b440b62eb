"""``intake confirm MESSAGE UNIT``: staff decide that a message held as 待确认 belongs to a roster unit.

A message whose forms name a roster unit but which came from an address the roster does not list
changes nothing of that unit until staff confirm it (a stranger must not turn 江苏省质量协会 from
材料齐全 to 逾期, nor learn its totals from a receipt). Confirming attaches it and re-evaluates the
unit; ``--add-address`` also accepts that sender's later mail for the unit. No receipt is sent.
"""

from __future__ import annotations

from sqlmodel import Session

from intake.config import Config
from intake.record.roster import load_roster
from intake.record.units import evaluate_unit
from intake.store.migrations import open_ledger_readonly
from intake.store.rows import MessageRow, UnitRow
from rules import load_campaign


class ConfirmError(ValueError):
    """The message or the unit is not what staff think it is; the message says why."""


def confirm_message(cfg: Config, message_pk: int, unit_name: str, add_address: bool = False) -> str:
    """Attach message ``message_pk`` to roster unit ``unit_name``; returns what was done, in Chinese."""
    roster = load_roster(cfg.roster_path)
    unit = roster.get(unit_name) or roster.by_name(unit_name)
    if unit is None:
        raise ConfirmError(f"“{unit_name}”不在名册中（roster.file）")
    campaign = load_campaign(cfg.rules_path)
    engine = open_ledger_readonly(cfg)
    try:
        with Session(engine) as s:
            msg = s.get(MessageRow, message_pk)
            if msg is None or msg.state != "processed":
                raise ConfirmError(f"没有已处理的来信 {message_pk}")
            if msg.unit_key == unit.name:
                return f"来信 {message_pk} 已属于 {unit.name}"
            msg.unit_key, msg.claimed_unit = unit.name, None
            s.add(msg)
            if add_address and msg.from_addr:
                row = s.get(UnitRow, unit.name) or UnitRow(key=unit.name, recommender=unit.name)
                row.confirmed_addresses = sorted({*(row.confirmed_addresses or []), msg.from_addr.lower()})
                s.add(row)
            s.flush()
            state = evaluate_unit(s, campaign, unit.name, roster, last_message_pk=msg.id)
            s.commit()
            return f"来信 {message_pk} 已计入 {unit.name}；该单位现为 {state.status}"
    finally:
        engine.dispose()
