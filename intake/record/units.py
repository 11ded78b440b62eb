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

Lateness of a unit (a deliberate, simple rule): a unit is late when something it currently has
arrived late. :func:`unit_received_at` gives the time of the latest message that still contributes
a document to the merged set; pass it to ``rules.evaluate`` / ``Campaign.is_late``. A correction
sent after the deadline therefore makes the unit late (staff decide whether to accept it), while
an on-time unit stays on time whatever it sends that replaces nothing (e.g. an auto-reply). Each
message's own status in the contract is unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from intake.store.rows import MessageRow, UnitRow, utcnow
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
    return {"docx": "word", "doc": "word", "wps": "word", "pdf": "pdf", "image": "pdf"}.get(doc.format, doc.format)


def _group_key(doc: DocumentResult) -> str:
    name = doc.fields.get("group_name") if isinstance(doc.fields, dict) else None
    if isinstance(name, str) and name.strip() and doc.text_trusted:
        return "g:" + re.sub(r"[\"'“”‘’「」()（）]", "", _norm(name)).lower()
    return "f:" + _norm(doc.filename).lower()


def _ordered(messages: Messages) -> Messages:
    """Oldest first. Messages without a time count as the oldest, in their given order."""
    indexed = list(enumerate(messages))
    indexed.sort(key=lambda p: (0, p[0]) if p[1][0] is None else (1, p[1][0].timestamp(), p[0]))
    return [m for _, m in indexed]


def _slots(messages: Messages) -> tuple[dict[tuple, tuple[int, list[DocumentResult]]], int]:
    slots: dict[tuple, tuple[int, list[DocumentResult]]] = {}
    for n, (_, docs) in enumerate(messages):
        seen_here: set[tuple] = set()
        for doc in docs:
            if doc.form in SUBMISSION:
                key: tuple = (doc.form,)
            elif doc.form in PER_GROUP:
                key = (doc.form, _copy(doc), _group_key(doc))
            else:
                key = ("other",)
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


def update_unit(s: Session, campaign: Campaign, msg: MessageRow) -> UnitSummary:
    """Re-evaluate the recommending unit of ``msg`` over all its processed messages (latest copy wins).

    Lateness follows :func:`unit_received_at`: the unit is late when something it currently has
    arrived after the deadline. The per-message status is unchanged. Uncommitted.
    """
    key = unit_key(msg.recommender, msg.from_addr)
    if not msg.recommender and msg.from_addr:
        # A message without a readable 推荐单位 joins the unit its sender already belongs to.
        for u in s.exec(select(UnitRow).where(col(UnitRow.recommender).is_not(None))).all():
            if msg.from_addr in (u.addresses or []):
                key = u.key
                break
    msg.unit_key = key
    s.add(msg)
    s.flush()
    members = s.exec(select(MessageRow).where(MessageRow.unit_key == key, MessageRow.state == "processed")).all()
    members = sorted(members, key=lambda m: (_aware(m.received_at or m.stored_at), m.id or 0))
    history = [(m.received_at, [DocumentResult.from_json(d) for d in (m.result or {}).get("documents", [])])
               for m in members]
    merged = merge_unit(history)
    when = unit_received_at(history)
    findings = evaluate(campaign, merged, when, [])
    status = status_of(findings, campaign.is_late(when))
    unit = s.get(UnitRow, key) or UnitRow(key=key)
    unit.recommender = next((m.recommender for m in reversed(members) if m.recommender), unit.recommender)
    addrs = list(unit.addresses or [])
    for m in members:
        if m.from_addr and m.from_addr not in addrs:
            addrs.append(m.from_addr)
    unit.addresses = addrs
    unit.status, unit.findings = status, [f.to_json() for f in findings]
    unit.last_message_pk, unit.updated_at = msg.id, utcnow()
    s.add(unit)
    return UnitSummary(recommender=unit.recommender, status=status, findings=findings,
                       message_count=len(members), documents=merged)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
