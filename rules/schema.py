"""What a rule file may name: forms, field keys, copies, severities.

The field keys are the contract's (../shared/contract/check-json.md) plus the few extra keys the
form extractors add (``copy``, ``seal_detected``, ``paired_with`` on applications; the loose
``group_name``/``company``/``topic``/``char_count`` of reports and evidence). A rule naming any
other key is a typo, and typos in a rule file must fail loudly at load time, not silently never fire.
"""

from __future__ import annotations

FORMS = ("application", "report", "evidence", "summary", "statistics", "recommendation", "review")
SEVERITIES = ("error", "warning")
COPIES = ("word", "pdf")
REQUIRED_KINDS = ("submission", "per_group", "recommended")

# form -> field key -> item keys (None = a scalar field)
FIELDS: dict[str, dict[str, tuple[str, ...] | None]] = {
    "application": dict.fromkeys(
        ("recommender", "company", "group_name", "topic", "topic_type", "address", "postcode", "contact_dept",
         "contact_person", "mobile", "members", "intro", "date", "copy", "seal_detected", "paired_with"),
    ),
    "report": dict.fromkeys(("group_name", "company", "topic", "char_count")),
    "evidence": dict.fromkeys(("group_name", "company", "topic", "char_count")),
    "summary": dict.fromkeys(("recommender", "char_count", "sections")),
    "statistics": dict.fromkeys(
        ("recommender", "groups_registered_total", "groups_registered_year", "participation_rate",
         "groups_active_year", "benefit_total", "benefit_year", "achievement_rate", "funding_year",
         "reward_year", "meeting_held", "meeting_signups", "meeting_presented", "meeting_time", "meeting_place",
         "meeting_attendees", "responsible", "contact_person", "mobile", "email", "address", "postcode"),
    ),
    "recommendation": {
        "recommender": None,
        "groups": ("seq", "company", "group_name", "topic_type"),
        "judges": ("seq", "name", "employer", "certificate_no", "mobile"),
        "filled_by": None,
        "phone": None,
        "date": None,
    },
    "review": {
        "recommender": None,
        "entries": ("seq", "name", "evaluation", "score"),
        "filled_by": None,
        "phone": None,
        "date": None,
    },
}

# Keys that say how a document was read rather than what the unit wrote: never "content".
META_FIELDS = ("copy", "seal_detected", "paired_with")


def check_field_path(form: str, path: str) -> str | None:
    """Why ``path`` is not a valid field of ``form`` (None when it is).

    Paths are ``key`` for a scalar or a whole list, ``key[].item`` for each item of a list field.
    """
    known = FIELDS.get(form)
    if known is None:
        return f"unknown form {form!r}"
    if "[]." in path:
        key, _, item = path.partition("[].")
        if key not in known:
            return f"unknown field {key!r} of form {form!r} (known: {', '.join(known)})"
        items = known[key]
        if items is None:
            return f"field {key!r} of form {form!r} is not a list"
        if item not in items:
            return f"unknown item key {item!r} of {form}.{key} (known: {', '.join(items)})"
        return None
    if path not in known:
        return f"unknown field {path!r} of form {form!r} (known: {', '.join(known)})"
    return None
