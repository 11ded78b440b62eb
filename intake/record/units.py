"""A recommending unit's current submission, merged from all the messages it sent.

Units send corrections: a missing 统计表 a day later, a corrected 申报表 a week later. The unit's
receipt must judge what the unit has *now*, so :func:`merge_unit` keeps, for every form, the copy
from the latest message that carried it:

- per-submission forms (summary, statistics, recommendation, review): every document of that form
  from the latest message containing the form (an .xlsx and a .pdf of the 统计表 sent together
  stay together, an older one is replaced as a whole);
- per-group forms (application, report, evidence): the latest per (form, copy word|pdf, group) —
  the group is the document's group name when it was read, else its file name — so resending
  one group's 申报表 replaces that group's only;
- unrecognised files and containers: only from the latest message (old noise does not linger).

Lateness of a unit follows the units contract (contract/units-json.md, :func:`unit_state`): a unit
that was complete on time stays ``complete`` whatever it sends later (``late`` marks that more
came); a unit that was not complete on time and sent material after the deadline is ``late``
(staff decide whether to accept it). Messages that are not submissions (auto-replies) never join
a unit. Each message's own status in the contract is unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from intake.record.roster import Roster
from intake.store.rows import MessageRow, UnitRow, utcnow
from parsers.formats import PDF_FORMATS, WORD_FORMATS
from parsers.result import DocumentResult
from rules import Campaign, evaluate
from rules.findings import Finding, status_of

PER_GROUP = ("application", "report", "evidence")
SUBMISSION = ("summary", "statistics", "recommendation", "review")

Messages = list[tuple[datetime | None, list[DocumentResult]]]


@dataclass
class UnitSummary:
    """The recommending unit's state across all its messages, as the ledger knows it now."""

    recommender: str | None
    status: str  # complete | incomplete | late
    findings: list[Finding] = field(default_factory=list)
    message_count: int = 1
    documents: list[DocumentResult] = field(default_factory=list)
    #: what the message just recorded brought, by file name: "new" (a form the unit did not have yet)
    #: or "replaced" (a newer copy of one it had); its other files count for nothing new
    contributed: dict[str, str] = field(default_factory=dict)
    #: the message came from an address the unit (not on the roster) had not written from before
    #: (新地址): it joins — colleagues do send part of a submission from a personal mailbox — but its
    #: receipt reports only what it sent itself, never the material others sent
    new_address: bool = False


def _norm(text: str | None) -> str:
    """Spaces removed (incl. full-width), full-width → half-width (NFKC)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def unit_key(recommender: str | None, from_addr: str | None) -> str:
    """The unit a message belongs to: its 推荐单位 when the forms name one, else the sender address."""
    rec = _norm(recommender)
    if rec:
        return rec
    return _norm(from_addr).lower()


def _copy(doc: DocumentResult) -> str:
    copy = doc.fields.get("copy") if isinstance(doc.fields, dict) else None
    if copy in ("word", "pdf"):
        return copy
    return "word" if doc.format in WORD_FORMATS else "pdf" if doc.format in PDF_FORMATS else doc.format


def _group_key(doc: DocumentResult) -> str:
    name = doc.fields.get("group_name") if isinstance(doc.fields, dict) else None
    if isinstance(name, str) and name.strip() and doc.text_trusted:
        return "g:" + re.sub(r"[\"'“”‘’「」()（）]", "", _norm(name)).lower()
    return "f:" + _norm(doc.filename).lower() + (f"#{doc.part}" if doc.part else "")  # one file, several forms


def _ordered(messages: Messages) -> Messages:
    """Oldest first. Messages without a time count as the oldest, in their given order."""
    indexed = list(enumerate(messages))
    indexed.sort(key=lambda p: (0, p[0]) if p[1][0] is None else (1, p[1][0].timestamp(), p[0]))
    return [m for _, m in indexed]


def _slot(doc: DocumentResult) -> tuple:
    """Which place in the unit's submission a document fills (a newer one in the same place replaces it)."""
    if doc.form in SUBMISSION:
        return (doc.form,)
    if doc.form in PER_GROUP:
        return (doc.form, _copy(doc), _group_key(doc))
    return ("other",)


def contributions(before: Messages, docs: list[DocumentResult]) -> dict[str, str]:
    """What ``docs`` (one new message) bring to a unit whose earlier messages were ``before``."""
    had = {_slot(d) for d in merge_unit(before)} if before else set()
    return {d.filename: "replaced" if _slot(d) in had else "new" for d in docs if _slot(d) != ("other",)}


def _slots(messages: Messages) -> tuple[dict[tuple, tuple[int, list[DocumentResult]]], int]:
    slots: dict[tuple, tuple[int, list[DocumentResult]]] = {}
    for n, (_, docs) in enumerate(messages):
        seen_here: set[tuple] = set()
        for doc in docs:
            key = _slot(doc)
            if key not in seen_here:  # first document of this slot in this message: replace older ones
                slots[key] = (n, [])
                seen_here.add(key)
            slots[key][1].append(doc)
    return slots, len(messages) - 1


def merge_unit(messages: Messages) -> list[DocumentResult]:
    """The unit's current document set (see the module docstring). Input: (received_at, documents)
    per message, in any order; output ordered by message, then by position within it."""
    ordered = _ordered(messages)
    slots, last = _slots(ordered)
    keep: list[tuple[int, int, DocumentResult]] = []
    for key, (n, docs) in slots.items():
        if key == ("other",) and n != last:
            continue
        for doc in docs:
            keep.append((n, ordered[n][1].index(doc), doc))
    keep.sort(key=lambda t: (t[0], t[1]))
    return [d for _, _, d in keep]


def unit_received_at(messages: Messages) -> datetime | None:
    """The receipt time that decides the unit's lateness: the latest message still contributing a
    document to :func:`merge_unit`'s result (or the latest message at all when none contributes)."""
    ordered = _ordered(messages)
    current = {id(d) for d in merge_unit(messages)}
    times = [when for when, docs in ordered if when is not None and any(id(d) in current for d in docs)]
    if times:
        return max(times)
    all_times = [when for when, _ in ordered if when is not None]
    return max(all_times) if all_times else None


@dataclass
class UnitState:
    """Where a unit stands (contract/units-json.md): status, the late flag, its current documents and findings."""

    status: str  # complete | incomplete | late
    late: bool  # something arrived after the deadline
    documents: list[DocumentResult]
    findings: list[Finding]


def unit_state(campaign: Campaign, history: Messages) -> UnitState:
    """The units contract's rule: material received after the deadline does not undo a unit that was
    complete before it (it stays ``complete``, ``late`` marks that more came); otherwise a unit with
    late material is ``late``, and one without is ``complete`` or ``incomplete`` by its errors."""
    if not history:
        return UnitState("incomplete", False, [], evaluate(campaign, [], None, []))
    on_time = [(t, docs) for t, docs in history if not campaign.is_late(t)]
    late = len(on_time) < len(history)
    if on_time:
        merged = merge_unit(on_time)
        findings = evaluate(campaign, merged, unit_received_at(on_time), [])
        if status_of(findings, False) == "complete":
            return UnitState("complete", late, merged, findings)
        if not late:
            return UnitState("incomplete", False, merged, findings)
    merged = merge_unit(history)
    findings = evaluate(campaign, merged, unit_received_at(history), [])
    return UnitState("late", True, merged, findings)


def attach(s: Session, roster: Roster, msg: MessageRow) -> tuple[str | None, str | None]:
    """(unit key, claimed roster unit) for ``msg``; uncommitted, changes nothing.

    - a roster unit's own address: that unit, whatever its forms say;
    - forms naming a roster unit from an address that unit does not list (nor staff confirmed):
      no unit, the claim held as 待确认 — a stranger must not change a unit's state or learn it;
    - otherwise the 推荐单位 its forms name, else the unit the sender already belongs to, else the
      sender address itself.
    """
    by_addr = roster.by_address(msg.from_addr)
    if by_addr is not None:
        return by_addr.name, None
    named = roster.by_name(msg.recommender)
    if named is not None:
        row = s.get(UnitRow, named.name)
        confirmed = {a.lower() for a in (row.confirmed_addresses or [])} if row is not None else set()
        if not named.emails or (msg.from_addr or "").lower() in confirmed:
            return named.name, None
        return None, named.name
    if msg.recommender:
        return unit_key(msg.recommender, msg.from_addr), None
    if msg.from_addr:
        for u in s.exec(select(UnitRow).where(col(UnitRow.recommender).is_not(None))).all():
            if msg.from_addr in (u.addresses or []):
                return u.key, None
    return unit_key(None, msg.from_addr), None


def update_unit(s: Session, campaign: Campaign, msg: MessageRow, roster: Roster | None = None,
                defer: set[str] | None = None) -> UnitSummary | None:
    """Attach ``msg`` to its unit (:func:`attach`) and re-evaluate that unit over all its processed
    messages (latest copy wins, :func:`unit_state`). None when the message is held as 待确认, or when
    ``defer`` collects the unit keys to evaluate once at the end (``intake reprocess``: once per unit,
    not once per message). Uncommitted."""
    roster = roster or Roster()
    key, claimed = attach(s, roster, msg)
    msg.unit_key, msg.claimed_unit = key, claimed
    s.add(msg)
    if key is None:
        return None
    if defer is not None:
        defer.add(key)
        return None
    known = s.get(UnitRow, key)
    new_address = (roster.get(key) is None and known is not None and bool(known.addresses)
                   and (msg.from_addr or "").lower() not in {a.lower() for a in known.addresses or []})
    summary = evaluate_unit(s, campaign, key, roster, last_message_pk=msg.id)
    summary.new_address = new_address
    return summary


def evaluate_unit(s: Session, campaign: Campaign, key: str, roster: Roster,
                  last_message_pk: int | None = None) -> UnitSummary:
    """Recompute and store one unit's state from its processed messages. Uncommitted."""
    members = s.exec(select(MessageRow).where(MessageRow.unit_key == key, MessageRow.state == "processed")).all()
    members = sorted(members, key=lambda m: (_aware(m.received_at or m.stored_at), m.id or 0))
    history = [(m.received_at, [DocumentResult.from_json(d) for d in (m.result or {}).get("documents", [])])
               for m in members]
    state = unit_state(campaign, history)
    mine = [docs for m, (_, docs) in zip(members, history, strict=True) if m.id == last_message_pk]
    before = [h for m, h in zip(members, history, strict=True) if m.id != last_message_pk]
    unit = s.get(UnitRow, key) or UnitRow(key=key)
    on_roster = roster.get(key)
    unit.recommender = on_roster.name if on_roster is not None else next(
        (m.recommender for m in reversed(members) if m.recommender), unit.recommender)
    addrs = list(unit.addresses or [])
    for m in members:
        if m.from_addr and m.from_addr not in addrs:
            addrs.append(m.from_addr)
    unit.addresses = addrs
    unit.status, unit.late, unit.findings = state.status, state.late, [f.to_json() for f in state.findings]
    if last_message_pk is not None:
        unit.last_message_pk = last_message_pk
    unit.updated_at = utcnow()
    s.add(unit)
    return UnitSummary(recommender=unit.recommender, status=state.status, findings=state.findings,
                       message_count=len(members), documents=state.documents,
                       contributed=contributions(before, mine[0]) if mine else {})


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
