"""The groups of a submission and which documents belong to which group.

"Groups" are the recommendation's group rows; without a (readable) recommendation, the distinct
group names of the applications. Pairing documents to groups is done in three passes, so that a
missing document is blamed on the right group and a typo never turns into a "missing" error:
1. the document's own group name (or its file name) names the group;
2. the document's company is the company of exactly one group;
3. documents left over fill groups left over, in order (the count still proves presence).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parsers.formats import WORD_FORMATS
from parsers.result import DocumentResult
from rules.names import loose_key, mentions
from rules.paths import is_empty


@dataclass
class Group:
    group_name: str | None
    company: str | None
    source: str  # "recommendation" | "applications"
    row: str | None = None
    topic: str | None = None
    topic_type: str | None = None

    @property
    def title(self) -> str:
        """How a finding names the group: 企业名称“小组名称”."""
        name = self.group_name or ""
        if self.company and name:
            return f"{self.company}{name}" if name.startswith(("“", '"')) else f"{self.company}“{name}”"
        return name or self.company or "（未命名小组）"


def _trusted(doc: DocumentResult) -> bool:
    return doc.text_trusted and isinstance(doc.fields, dict)


def recommendation_of(documents: list[DocumentResult]) -> DocumentResult | None:
    """The recommendation to judge groups by: the first readable one with group rows."""
    recs = [d for d in documents if d.form == "recommendation" and _trusted(d)]
    for d in recs:
        if isinstance(d.fields.get("groups"), list) and d.fields["groups"]:
            return d
    return None


def groups_of(documents: list[DocumentResult]) -> list[Group]:
    rec = recommendation_of(documents)
    if rec is not None:
        out = []
        for i, item in enumerate(rec.fields["groups"], start=1):
            if not isinstance(item, dict):
                continue
            if is_empty(item.get("group_name")) and is_empty(item.get("company")):
                continue
            seq = item.get("seq")
            out.append(Group(item.get("group_name"), item.get("company"), "recommendation",
                             str(seq) if seq not in (None, "") else str(i), item.get("topic"), item.get("topic_type")))
        return out
    seen: dict[str, Group] = {}
    apps = [d for d in documents if d.form == "application" and _trusted(d)]
    apps.sort(key=lambda d: 0 if d.fields.get("copy") == "word" or d.format in WORD_FORMATS else 1)
    for d in apps:
        name = d.fields.get("group_name")
        if is_empty(name):
            continue
        key = loose_key(name)
        if key not in seen:
            seen[key] = Group(name, d.fields.get("company"), "applications", None, d.fields.get("topic"),
                              d.fields.get("topic_type"))
    return list(seen.values())


def distinct(groups: list[Group]) -> list[Group]:
    """``groups`` without the rows that repeat an earlier row's 企业名称 and 小组名称: a group listed twice
    in the 推荐表 is one group (``recommendation.groups.duplicate`` says so), not a second one whose
    申报表 and 成果报告 would then be "missing"."""
    seen: set[tuple[str, str]] = set()
    out = []
    for g in groups:
        key = (loose_key(g.company), loose_key(g.group_name))
        if all(key) and key in seen:
            continue
        seen.add(key)
        out.append(g)
    return out


def _names_group(doc: DocumentResult, group: Group) -> bool:
    own = doc.fields.get("group_name") if isinstance(doc.fields, dict) else None
    if not is_empty(own) and group.group_name and loose_key(own) == loose_key(group.group_name):
        return True
    return bool(group.group_name) and mentions(doc.filename, group.group_name)


def assign(groups: list[Group], docs: list[DocumentResult]) -> list[list[DocumentResult]]:
    """For each group (same order), the documents that belong to it (see the module docstring)."""
    out: list[list[DocumentResult]] = [[] for _ in groups]
    left = list(docs)
    for doc in list(left):
        hits = [i for i, g in enumerate(groups) if _names_group(doc, g)]
        if hits:  # "新攀登QC小组" also mentions "攀登QC小组": the longest name wins
            best = max(hits, key=lambda i: len(loose_key(groups[i].group_name)))
            out[best].append(doc)
            left.remove(doc)
    for doc in list(left):
        company = doc.fields.get("company") if isinstance(doc.fields, dict) else None
        if is_empty(company):
            continue
        hits = [i for i, g in enumerate(groups) if g.company and loose_key(g.company) == loose_key(company)]
        if len(hits) == 1 and not out[hits[0]]:
            out[hits[0]].append(doc)
            left.remove(doc)
    empty = [i for i, docs_ in enumerate(out) if not docs_]
    for i, doc in zip(empty, left, strict=False):
        out[i].append(doc)
    return out


#: which of a group's own items arrived: form and copy as the units contract names them
GROUP_ITEMS = (("application_word", "application", "word"), ("application_pdf", "application", "pdf"),
               ("report", "report", None), ("evidence", "evidence", None))


def group_table(documents: list[DocumentResult]) -> list[dict[str, Any]]:
    """The groups a submission recommends, each with which of its own items arrived (units contract)."""
    from rules.copies import received_as

    groups = groups_of(documents)
    table: list[dict[str, Any]] = [{"company": g.company, "group_name": g.group_name, "topic": g.topic,
              "topic_type": g.topic_type if g.topic_type in ("问题解决型", "创新型") else None, "forms": {}}
             for g in groups]
    for key, form, copy in GROUP_ITEMS:
        docs = [d for d in documents if d.form == form and received_as(d, copy)]  # a broken file is no copy
        for row, mine in zip(table, assign(groups, docs), strict=True):
            row["forms"][key] = bool(mine)
    for row, g in zip(table, groups, strict=True):  # topic from the group's own application when the list has none
        if not row["topic"]:
            apps = [d for d in documents if d.form == "application" and _trusted(d) and _names_group(d, g)]
            row["topic"] = next((d.fields.get("topic") for d in apps if d.fields.get("topic")), None)
    return table
