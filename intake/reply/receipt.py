"""Compose the Chinese receipt for one message: what arrived, what was read, what to fix, by when.

Why the split: :func:`receipt_context` turns the contract JSON (and the unit's state) into a
plain view model — every decision (labels, grouping, wording of statuses) is made there, in
code that tests can read; the jinja2 templates in ``intake/reply/templates/`` only lay it out. So a
wording change is a template edit, and the logic is tested without parsing text.

Headers follow RFC 3834 §3.1.7 and what 163.com / QQ Mail accept: ``Auto-Submitted:
auto-replied`` plus ``X-Auto-Response-Suppress: All`` and ``X-Autoreply: yes`` so the unit's
own vacation responder stays quiet; ``In-Reply-To``/``References`` thread it under the
submission; ``From`` is built with :func:`email.utils.formataddr` (QQ rejects a ``From`` that is
RFC 2047-encoded as a whole); everything is UTF-8.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from intake.config import Config
from intake.contract import CONTAINER_FORMATS
from intake.record.units import UnitSummary
from intake.reply.suppress import RECEIPT_MSGID_MARK, Headers, ascii_address, sender_address
from intake.unpack import Unpacked

TEMPLATES = Path(__file__).parent / "templates"

# Fallbacks when the campaign object does not name its forms (the rule file normally does).
FORM_NAMES = {
    "application": "申报表",
    "report": "小组成果报告",
    "evidence": "证实性材料",
    "summary": "工作总结",
    "statistics": "统计表",
    "recommendation": "推荐表",
    "review": "评审汇总表",
}
FORM_ORDER = ("application", "report", "evidence", "summary", "statistics", "recommendation", "review")  # notice order

STATUS_TEXT = {"complete": "材料齐全", "incomplete": "材料不全", "late": "逾期"}

# The values worth echoing back per form: the ones certificates and lists are made from, so a
# unit sees at once whether we read its 企业名称 / 小组名称 right.
KEY_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "application": (("company", "企业名称"), ("group_name", "小组名称"), ("topic", "课题名称")),
    "report": (("company", "企业名称"), ("group_name", "小组名称"), ("topic", "课题名称")),
    "summary": (("recommender", "推荐单位"), ("char_count", "字数")),
    "statistics": (("recommender", "推荐单位"),),
    "recommendation": (("recommender", "推荐单位"), ("groups", "推荐小组"), ("judges", "推荐评委")),
    "review": (("recommender", "推荐单位"), ("entries", "评审成果")),
}
CONTAINER_TEXT = {"zip": "压缩包", "rar": "压缩包", "7z": "压缩包", "eml": "附带的邮件", "msg": "附带的Outlook邮件",
                  "tnef": "Outlook封装文件（winmail.dat）"}
# The notice asks for Word *and* PDF copies of some forms, so the kind of file is worth saying.
KIND_TEXT = {"docx": "Word", "doc": "Word", "wps": "Word", "pdf": "PDF", "xlsx": "Excel", "xls": "Excel",
             "et": "Excel", "txt": "文本", "image": "图片", "rtf": "Word", "odt": "Word", "ods": "Excel",
             "html": "网页", "csv": "CSV"}

SUBJECT_PREFIX = "回执："
# A chain of reply/receipt prefixes; dropped when it holds a 回执, so "回复：回执：X" becomes "回执：X".
_STACKED_PREFIX = re.compile(r"^\s*(?:(?:回执|回复|答复|回覆|re|aw)\s*[:：]\s*)+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
MAX_REFERENCES = 20  # RFC 5322 §3.6.4 allows trimming; a runaway thread must not grow the header forever



# ---------------------------------------------------------------- view model


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """Read a key of a dict or an attribute of an object (findings arrive as either)."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _one_line(text: Any) -> str:
    return _CONTROL.sub(" ", str(text)).strip()


def form_names(campaign: Any) -> dict[str, str]:
    names = dict(FORM_NAMES)
    try:
        names.update(getattr(campaign, "form_names", None) or {})
    except Exception:  # a half-built campaign must not stop the receipt
        pass
    return names


def campaign_tz(campaign: Any) -> ZoneInfo:
    tz = getattr(campaign, "tz", None)
    return tz if tz is not None else ZoneInfo("Asia/Shanghai")


def format_time(campaign: Any, dt: datetime) -> str:
    """The campaign's own formatting when it has one (2020年9月14日 10:31:00（北京时间）)."""
    fmt = getattr(campaign, "format_time", None)
    if callable(fmt):
        try:
            return str(fmt(dt))
        except Exception:
            pass
    local = dt.astimezone(campaign_tz(campaign))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def deadline_text(campaign: Any) -> str:
    """Prefer the rule file's words; else say the deadline unambiguously (midnight → 24时 of the day before)."""
    text = getattr(campaign, "deadline_text", None)
    if text:
        return str(text)
    deadline = getattr(campaign, "deadline", None)
    if not isinstance(deadline, datetime):
        return "通知规定的截止时间"
    local = deadline.astimezone(campaign_tz(campaign))
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day = local - timedelta(days=1)
        return f"{day.year}年{day.month}月{day.day}日24时"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def received_text(campaign: Any, result: dict, unpacked: Unpacked) -> str:
    when = (result.get("message") or {}).get("received_at")
    dt: datetime | None = None
    if isinstance(when, str) and when:
        try:
            dt = datetime.fromisoformat(when)
        except ValueError:
            dt = None
    dt = dt or unpacked.received or unpacked.date
    if dt is None:
        return "未知"
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=campaign_tz(campaign))
    return format_time(campaign, dt)


def _value_text(key: str, value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return f"{len(value)} 个"
    if key == "char_count":
        return f"{value} 字"
    return _one_line(value)


def document_view(doc: dict, names: dict[str, str]) -> dict[str, Any]:
    """One line of the "what arrived" list: file, where it came from, what it was read as."""
    fmt = doc.get("format") or "other"
    form = doc.get("form") or "unknown"
    is_container = fmt in CONTAINER_FORMATS
    values = []
    fields = doc.get("fields") or {}
    for key, label in KEY_FIELDS.get(form, ()):
        text = _value_text(key, fields.get(key))
        if text is not None:
            values.append((label, text))
    if is_container:
        recognised = f"{CONTAINER_TEXT.get(fmt, '压缩包')}，已展开，其中的文件分别列出"
    elif form in names and form != "unknown":
        recognised = names[form] + (f"（{KIND_TEXT[fmt]}）" if fmt in KIND_TEXT else "")
    else:
        recognised = "未识别"
    name = _one_line(doc.get("filename") or "（无文件名）")
    part = _one_line(doc.get("part") or "")
    return {
        # one file holding several forms is listed once per form: 附件.xlsx（统计表）, 扫描件.pdf（第2页）
        "filename": f"{name}（{part}）" if part else name,
        "container": _one_line(doc["container"]) if doc.get("container") else None,
        "recognised": recognised,
        "known": is_container or recognised != "未识别",
        "values": values,
        "contribution": "",  # filled in for a unit: 新收到 / 已替换此前收到的同一材料
    }


def finding_text(f: Any, names: dict[str, str]) -> str:
    """The finding's Chinese message, naming the file when the message itself does not."""
    text = _one_line(_get(f, "message") or _get(f, "rule") or "")
    document = _get(f, "document")
    if document and str(document) not in text:
        text += f"（文件：{_one_line(document)}）"
    return text


def split_findings(findings: list[Any], names: dict[str, str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for the sender as texts, in order, each once; staff-only findings are left
    out (see :func:`staff_notes`): our own trouble must never read as the sender's to fix."""
    errors: list[str] = []
    warnings: list[str] = []
    for f in findings or []:
        if _get(f, "audience", "unit") != "unit":
            continue
        text = finding_text(f, names)
        target = errors if _get(f, "severity") == "error" else warnings
        if text and text not in target:
            target.append(text)
    return errors, warnings


def staff_notes(findings: list[Any], names: dict[str, str]) -> list[str]:
    """Staff-only findings as the receipt shows them: the file will be checked by hand, nothing to resend."""
    out: list[str] = []
    for f in findings or []:
        if _get(f, "audience", "unit") != "unit" and (text := finding_text(f, names)) not in out:
            out.append(text)
    return out


CONTRIBUTION_TEXT = {"new": "新收到", "replaced": "已替换此前收到的同一材料"}


def own_findings(result: dict) -> list[Any]:
    """The findings about this message's own files and the message itself (damaged file, wrong value,
    late mail) — not the unit-wide "not received" ones, which the unit section reports."""
    files = {d.get("filename") for d in result.get("documents") or []}
    return [f for f in result.get("findings") or []
            if _get(f, "document") in files or str(_get(f, "rule") or "").startswith(("message.", "deadline."))]


def forms_received(documents: list[Any], names: dict[str, str]) -> list[str]:
    """Counts per recognised form and kind ("申报表 3 份（Word 2、PDF 1）"), in the notice's order."""
    files = [d for d in documents or [] if _get(d, "format") not in CONTAINER_FORMATS]
    counts = Counter(_get(d, "form") for d in files)
    order = [f for f in FORM_ORDER if f in counts] + sorted(f for f in counts if f not in FORM_ORDER and f)
    out = []
    for form in order:
        if form == "unknown":
            continue
        kinds = Counter(KIND_TEXT.get(_get(d, "format"), "其他") for d in files if _get(d, "form") == form)
        detail = "、".join(f"{k} {n}" for k, n in kinds.items()) if len(kinds) > 1 else ""
        out.append(f"{names.get(form, form)} {counts[form]} 份" + (f"（{detail}）" if detail else ""))
    if counts.get("unknown"):
        out.append(f"未识别的文件 {counts['unknown']} 个")
    return out


def receipt_context(
    cfg: Config, campaign: Any, unpacked: Unpacked, result: dict, unit: UnitSummary | None
) -> dict[str, Any]:
    """Everything the templates show, already worded; see the module docstring for why."""
    names = form_names(campaign)
    status = result.get("status") or "incomplete"
    own = own_findings(result) if unit is not None else (result.get("findings") or [])
    errors, warnings = split_findings(own, names)
    documents = [document_view(d, names) for d in result.get("documents") or []]
    if unit is not None:
        for view, doc in zip(documents, result.get("documents") or [], strict=True):
            view["contribution"] = CONTRIBUTION_TEXT.get(unit.contributed.get(doc.get("filename") or "", ""), "")
    recommender = result.get("recommender") or (unit.recommender if unit else None)
    addressee = _one_line(recommender or unpacked.from_name or "")
    ctx: dict[str, Any] = {
        "greeting": f"{addressee}：" if addressee else "您好：",
        "hello": "您好！" if addressee else "",
        "campaign_name": _one_line(getattr(campaign, "name", "") or ""),
        "received": received_text(campaign, result, unpacked),
        "deadline": deadline_text(campaign),
        "subject": _one_line((result.get("message") or {}).get("subject") or unpacked.subject or "（无主题）"),
        "documents": documents,
        "errors": errors,
        "warnings": warnings,
        "staff_notes": staff_notes(result.get("findings") or [], names),
        "status": status,
        "status_text": STATUS_TEXT.get(status, status),
        "unit": None,
        "intake_address": intake_address(cfg),
        "from_name": cfg.reply.from_name,
    }
    overall_status = status
    overall_errors = errors
    ctx["status_label"] = "本次检查结果"
    ctx["restricted"], ctx["documents_count"] = False, len(documents)
    if unit is not None:
        u_errors, u_warnings = split_findings(unit.findings, names)
        ctx["unit"] = {
            # listed above already (this message's own files): not repeated in the unit section
            "more_errors": [e for e in u_errors if e not in errors],
            "more_warnings": [w for w in u_warnings if w not in warnings],
            "recommender": _one_line(unit.recommender) if unit.recommender else None,
            "status": unit.status,
            "status_text": STATUS_TEXT.get(unit.status, unit.status),
            "message_count": unit.message_count,
            "forms": forms_received(unit.documents, names),
            "errors": u_errors,
            "warnings": u_warnings,
        }
        overall_status, overall_errors = unit.status, u_errors
        # the status line speaks for the unit: what is still missing or wrong after this message
        ctx["status"], ctx["status_text"] = unit.status, STATUS_TEXT.get(unit.status, unit.status)
        ctx["status_label"] = "贵单位材料总体状态"
    ctx["next_steps"] = next_steps(overall_status, overall_errors, ctx["deadline"], ctx["intake_address"],
                                   unit_known=unit is not None)
    return ctx


def restricted_context(ctx: dict[str, Any]) -> dict[str, Any]:
    """The receipt for a sender we cannot confirm: counts only, no file names, values or findings."""
    return {**ctx, "restricted": True, "documents_count": len(ctx["documents"]), "documents": [], "errors": [],
            "warnings": [], "staff_notes": [], "unit": None, "status_text": "已登记",
            "status_label": "本次邮件", "next_steps": [
                f"由于无法确认发件人身份，本回执不列出材料详情。如确为贵单位发送，请与 {ctx['intake_address']} 联系确认。"]}


def intake_address(cfg: Config) -> str:
    """Where units send materials: the IMAP account when it is one, else the receipt sender."""
    user = cfg.source.imap.username if cfg.source.kind == "imap" else ""
    return user if "@" in user else cfg.reply.from_addr


def next_steps(status: str, errors: list[str], deadline: str, address: str, unit_known: bool) -> list[str]:
    """What the unit should do now, in plain words."""
    scope = "贵单位的材料" if unit_known else "本次提交的材料"
    if status == "late":
        return [f"本邮件收到时已过截止时间（{deadline}），材料已登记，是否受理请与 {address} 联系确认。"]
    if errors:
        return [
            f"{scope}尚有 {len(errors)} 项需要更正或补交（见上文）。",
            f"截止时间为{deadline}。请在此之前将更正后的文件或缺少的材料发送至 {address}，"
            "只需发送更正或补充的文件，已合格的材料无需重复发送。",
            "邮件主题请写明推荐单位名称，附件请使用通知附件中的原表格式。",
        ]
    return [f"{scope}目前齐全，无需再发送。如需更换某份材料，请在截止时间（{deadline}）前重新发送该文件。"]


# ---------------------------------------------------------------- rendering


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render_text(ctx: dict[str, Any]) -> str:
    return _environment().get_template("receipt.txt.j2").render(**ctx)


def render_html(ctx: dict[str, Any]) -> str:
    return _environment().get_template("receipt.html.j2").render(**ctx)


# ---------------------------------------------------------------- headers


def receipt_subject(original: str | None) -> str:
    """``回执：<original>``; never ``回执：回执：``; ``回执：（无主题）`` for an empty subject."""
    text = _one_line(original or "")
    chain = _STACKED_PREFIX.match(text)
    if chain and "回执" in chain.group(0):  # a reply to one of our receipts: drop "回复：回执：", keep "Re: X"
        text = text[chain.end():].strip()
    return SUBJECT_PREFIX + (text or "（无主题）")


def _msgid(value: str | None) -> str | None:
    value = _one_line(value or "")
    if not value:
        return None
    return value if value.startswith("<") else f"<{value.strip('<>')}>"


def references(unpacked: Unpacked, original_id: str | None) -> list[str]:
    """The original's References (or In-Reply-To) plus its Message-ID, trimmed in the middle."""
    h = Headers(unpacked.headers or [])
    refs = re.findall(r"<[^<>\s]+>", " ".join(h.all("references")) or (h.first("in-reply-to") or ""))
    if original_id and original_id not in refs:
        refs.append(original_id)
    if len(refs) > MAX_REFERENCES:
        refs = refs[:1] + refs[-(MAX_REFERENCES - 1):]
    return refs


def receipt_message_id(message_key: str, from_addr: str) -> str:
    """The receipt's Message-ID, fixed by the message it answers: ``<<sha256[:32]>.qc-intake-receipt@<domain>>``.

    ``message_key`` is the ledger message's sha256 (its pk as a fallback) and the domain that of
    ``reply.from_addr``, so the receipt for one message has one Message-ID however often it is
    composed, queued or sent: should a copy ever go twice (a sender killed between the server's
    250 and our commit), the recipient's client threads or drops it as the same mail. The
    ``.qc-intake-receipt@`` mark lets :mod:`intake.reply.suppress` recognise it when it comes back.
    (No further prefix: with a usual domain the header stays on one line, 78 characters.)
    """
    key = "".join(c for c in message_key.lower() if c.isalnum())[:32] or "0"
    domain = from_addr.rsplit("@", 1)[-1].strip().lower() if "@" in from_addr else "localhost"
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        domain = "localhost"
    return f"<{key}.{RECEIPT_MSGID_MARK}@{domain or 'localhost'}>"


def set_message_id(msg: EmailMessage, message_id: str) -> None:
    """Replace ``msg``'s Message-ID (the outbox fixes it when the receipt is queued)."""
    del msg["Message-ID"]
    msg["Message-ID"] = message_id


def _display_name(name: str | None) -> str:
    return _one_line(name or "").replace('"', "")


def compose_receipt(
    cfg: Config, campaign: Any, unpacked: Unpacked, result: dict, unit: UnitSummary | None,
    message_key: str | None = None, doubtful: str | None = None,
) -> EmailMessage:
    """The receipt for one message (plain text + HTML alternative), ready for :func:`intake.reply.enqueue`.

    ``message_key`` (the message's sha256) makes the Message-ID the deterministic one
    (:func:`receipt_message_id`); without it the ID is a random one, and :func:`intake.reply.outbox.enqueue`
    replaces it by the deterministic one when the receipt is queued.

    ``doubtful`` (why the sender may not be who From says, :mod:`intake.reply.authenticity`): the
    receipt then says only how many files arrived and invites the sender to contact the office.
    """
    ctx = receipt_context(cfg, campaign, unpacked, result, None if doubtful else unit)
    if doubtful:
        ctx = restricted_context(ctx)
    h = Headers(unpacked.headers or [])
    to_addr = ascii_address(sender_address(h, unpacked) or (result.get("message") or {}).get("from"))
    original_id = _msgid(unpacked.message_id or (result.get("message") or {}).get("message_id"))
    domain = cfg.reply.from_addr.rsplit("@", 1)[-1] if "@" in cfg.reply.from_addr else "localhost"

    msg = EmailMessage()
    msg["From"] = formataddr((_display_name(cfg.reply.from_name), cfg.reply.from_addr))
    if to_addr:  # else no To: the outbox marks it failed ("no recipient"), staff see it
        msg["To"] = formataddr((_display_name(unpacked.from_name), to_addr))
    msg["Subject"] = receipt_subject(unpacked.subject or (result.get("message") or {}).get("subject"))
    msg["Date"] = format_datetime(datetime.now(campaign_tz(campaign)))
    msg["Message-ID"] = (receipt_message_id(message_key, cfg.reply.from_addr) if message_key
                         else make_msgid(idstring=RECEIPT_MSGID_MARK, domain=domain))
    if original_id:
        msg["In-Reply-To"] = original_id
    refs = references(unpacked, original_id)
    if refs:
        msg["References"] = " ".join(refs)
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Autoreply"] = "yes"
    # base64 keeps every line 7-bit: no server's 8BITMIME support, line length or charset guessing matters
    msg.set_content(render_text(ctx), charset="utf-8", cte="base64")
    msg.add_alternative(render_html(ctx), subtype="html", charset="utf-8", cte="base64")
    return msg
