"""The staff web page: ``create_app(cfg)`` builds the read-only FastAPI application behind ``intake serve``.

Pages (all Chinese, server-rendered, no JavaScript, nothing from the network):

- ``/``                overview: units by status, submissions per day toward the deadline, liveness
- ``/units``           every unit (roster included), ``?status=`` filters
- ``/units/{name}``    one unit: messages, documents (downloads), groups, findings, receipts
- ``/messages/{id}``   one message: documents, values read, findings, the receipt and its delivery
- ``/documents/{id}``  the stored bytes of one document, by its ledger id only
- ``/export.xlsx``     the workbook of :func:`intake.staff.export.export_workbook`

Why read-only and one token: the page shows every unit's submissions and serves their files, and
the ledger has one writer (the daemon). Every request carries the token from the environment
variable ``web.token_env``, as ``Authorization: Bearer …`` or once as ``?token=…``, which is
exchanged for an HttpOnly cookie and redirected away (so the token leaves the address bar and
links keep working). The access log never prints a query string, so the token never reaches it.
The ledger is opened with :func:`open_ledger_readonly` (never created, never migrated).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from intake.config import Config, ConfigError
from intake.record.roster import Roster, load_roster, norm_name
from intake.reply.receipt import KEY_FIELDS as RECEIPT_KEY_FIELDS
from intake.staff.status import status_data
from intake.staff.units import KIND_ZH, STATUS_ORDER, STATUS_ZH, units_data
from intake.staff.views import FORM_ZH, KEY_FIELDS, RECEIPT_ZH, REVIEW_ZH, STATE_ZH, local_time
from intake.staff.web.chart import submissions_chart
from intake.store.migrations import LedgerUnavailable, open_ledger_readonly
from intake.store.objects import Store
from intake.store.rows import DocumentRow, FindingRow, MessageRow, OutboxRow, UnitRow
from rules import Campaign, load_campaign

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COOKIE = "intake_web"
GROUP_ITEM_ZH = {"application_word": "申报表（Word版）", "application_pdf": "申报表（PDF版）",
                 "report": FORM_ZH["report"], "evidence": FORM_ZH["evidence"]}
RECEIPT_STATE_ZH = {**RECEIPT_ZH, "none": "不回复"}
SEVERITY_ZH = {"error": "需要更正", "warning": "请核对"}
# what a download may be served as; anything else is application/octet-stream (never text/html)
DOWNLOAD_TYPES = {
    ".pdf": "application/pdf", ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip", ".rar": "application/vnd.rar", ".7z": "application/x-7z-compressed",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
}
XLSX = DOWNLOAD_TYPES[".xlsx"]
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


class Refused(Exception):
    """A request the page answers with a short Chinese error page."""

    def __init__(self, status: int, title: str, detail: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


def session_value(token: str) -> str:
    """What the cookie holds: derived from the token, so the token itself is never stored in the browser."""
    return hmac.new(token.encode("utf-8"), b"qc-intake web session", hashlib.sha256).hexdigest()


def _same(supplied: str, expected: str) -> bool:
    return hmac.compare_digest(supplied.encode("utf-8"), expected.encode("utf-8"))


def content_disposition(filename: str, fallback: str = "download") -> str:
    """``attachment`` with an ASCII ``filename`` and the real name as RFC 5987 ``filename*``."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or fallback
    ascii_name = name
    if any(not 32 <= ord(ch) < 127 or ch in '"\\;%' for ch in name):  # a Chinese name: only old clients see this
        ext = Path(name).suffix
        ascii_name = fallback + (ext if ext[1:].isascii() and ext[1:].isalnum() else "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


class Ledger:
    """The read-only ledger, opened on first use (the daemon may start after the page)."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._lock:
            if self._engine is None:
                self._engine = open_ledger_readonly(self.cfg)
        with Session(self._engine) as s:
            yield s

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _blob(cfg: Config, doc: DocumentRow) -> bytes:
    """The stored bytes of ``doc``, read only from inside the objects folder and checked against their name."""
    if not doc.blob_path:
        raise Refused(404, "该文件没有存档副本")
    objects = (cfg.data_dir / "objects").resolve()
    path = Path(doc.blob_path)
    path = (path if path.is_absolute() else cfg.data_dir / path).resolve()
    store = Store(objects)
    try:
        if not path.is_relative_to(objects) or store.path(path.parent.name + path.name) != path:
            raise ValueError(f"not a stored object: {doc.blob_path}")
    except ValueError as e:
        log.warning("document %s: blob path %r refused: %s", doc.id, doc.blob_path, e)
        raise Refused(404, "该文件不在存档中") from e
    try:
        return store.get(path.parent.name + path.name)
    except FileNotFoundError as e:
        raise Refused(404, "该文件不在存档中", "存档目录中找不到这个文件，请检查数据目录是否完整。") from e
    except ValueError as e:  # the bytes no longer match their SHA-256 name
        log.error("document %s: %s", doc.id, e)
        raise Refused(500, "存档文件已损坏", "文件内容与存档时的校验值不一致，请从备份恢复数据目录。") from e


def _receipt_text(raw: bytes) -> str:
    """The plain-text body of a queued receipt, as the unit reads it."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        body = msg.get_body(preferencelist=("plain",))
        return str(body.get_content()) if body is not None else ""
    except Exception:  # a receipt we cannot parse is shown as absent, never an error page
        return ""


def _receipt_info(row: OutboxRow | None, msg: MessageRow) -> dict[str, Any]:
    if row is None:
        return {"state": "none", "text": f"原因：{msg.no_receipt_reason}" if msg.no_receipt_reason else "", "bad": False}
    parts = []
    if row.sent_at:
        parts.append(local_time(row.sent_at))
    if row.to_addr:
        parts.append(f"→ {row.to_addr}")
    if row.state != "sent" and row.attempts:
        parts.append(f"已尝试 {row.attempts} 次")
    return {"state": row.state, "text": "　".join(parts), "error": row.last_error, "bad": row.state == "failed",
            "to": row.to_addr, "attempts": row.attempts, "sent_at": local_time(row.sent_at) if row.sent_at else None}


def _values(campaign: Campaign, doc: DocumentRow) -> list[tuple[str, str]]:
    """The few values that identify a document at a glance (the receipt's), with their Chinese labels."""
    fields = doc.fields or {}
    echoed = dict(RECEIPT_KEY_FIELDS.get(doc.form, ()))
    labels = {**echoed, **campaign.labels.get(doc.form, {})}
    out = []
    for key in tuple(echoed) or KEY_FIELDS.get(doc.form) or tuple(fields)[:3]:
        value = fields.get(key)
        if value in (None, "", [], {}):
            continue
        out.append((labels.get(key, key), f"{len(value)} 项" if isinstance(value, list | dict) else str(value)))
    return out


def _document(campaign: Campaign, doc: DocumentRow) -> dict[str, Any]:
    problems = []
    for p in doc.problems or []:
        rule = str(p.get("rule", ""))
        problems.append(REVIEW_ZH.get(rule) or p.get("message") or rule)
    return {"id": doc.id, "message": doc.message_pk, "part": doc.part,
            "filename": doc.filename + (f"（{doc.part}）" if doc.part else ""), "container": doc.container,
            "format": doc.format, "form": FORM_ZH.get(doc.form, doc.form), "size": doc.size,
            "stored": bool(doc.blob_path), "trusted": doc.text_trusted, "key_values": _values(campaign, doc),
            "problems": problems}


def _find_unit(s: Session, data: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A unit by its listed name, a spelling of it (江苏省质协), or its ledger key."""
    units = data["units"]
    for wanted in (name, norm_name(name)):
        for u in units:
            if u["unit"] == wanted or norm_name(u["unit"]) == wanted:
                return u
    row = s.get(UnitRow, name)
    if row is not None:
        return next((u for u in units if u["unit"] in (row.recommender, row.key)), None)
    return None


def _liveness(s: Session, cfg: Config) -> dict[str, Any]:
    data = status_data(s, cfg.schedule.stale_after_seconds)
    data["alert"] = not data["ok"] or any(src["last_error"] for src in data["sources"])
    return data


def _status_counts(units: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(u["status"] for u in units)
    return {status: counts.get(status, 0) for status in STATUS_ORDER}


def create_app(cfg: Config) -> FastAPI:
    """The staff web application for ``cfg``; ConfigError when no token is set or the rule/roster file is bad."""
    token = os.environ.get(cfg.web.token_env, "")
    if not token:
        raise ConfigError(f"web.token_env: environment variable {cfg.web.token_env} is not set; the staff page needs "
                          "an access token (e.g. export INTAKE_WEB_TOKEN=$(openssl rand -hex 32)), never in a file")
    try:
        campaign = load_campaign(cfg.rules_path)
    except Exception as e:  # the rule file's own error names the line
        raise ConfigError(f"campaign.rules: {e}") from e
    roster: Roster = load_roster(cfg.roster_path)
    ledger = Ledger(cfg)
    cookie_value = session_value(token)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        ledger.dispose()

    app = FastAPI(title="qc-intake", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters["local_time"] = local_time
    env.filters["q"] = lambda v: quote(str(v), safe="")
    env.globals.update(status_zh=STATUS_ZH, kind_zh=KIND_ZH, form_zh=FORM_ZH, group_item_zh=GROUP_ITEM_ZH,
                       receipt_zh=RECEIPT_STATE_ZH, state_zh=STATE_ZH, severity_zh=SEVERITY_ZH,
                       status_order=STATUS_ORDER, campaign=campaign)

    def page(request: Request, name: str, http_status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=http_status)

    def error_page(request: Request, status: int, title: str, detail: str = "") -> HTMLResponse:
        resp = page(request, "error.html", status, title=title, detail=detail, code=status, nav=None)
        if status == 401:
            resp.headers["WWW-Authenticate"] = 'Bearer realm="qc-intake"'
        return resp

    async def handle(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        try:
            return await call_next(request)
        except Exception:  # a bug of ours: logged once, a Chinese page for the user
            log.exception("%s %s failed", request.method, request.url.path)
            return error_page(request, 500, "服务器内部错误", "请查看服务日志。")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """The token on every request; ``?token=`` becomes a cookie and a redirect; headers; a token-free log."""
        supplied = request.query_params.get("token")
        header = request.headers.get("authorization")
        if supplied is not None:
            if not _same(supplied, token):
                resp: Response = error_page(request, 401, "访问令牌不正确")
            else:
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                resp = RedirectResponse(request.url.path + ("?" + urlencode(rest) if rest else ""), status_code=303)
                resp.set_cookie(COOKIE, cookie_value, httponly=True, samesite="lax", path="/",
                                secure=request.url.scheme == "https")
        elif header is not None:
            scheme, _, value = header.partition(" ")
            ok = scheme.lower() == "bearer" and _same(value.strip(), token)
            resp = await handle(request, call_next) if ok else error_page(request, 401, "访问令牌不正确")
        elif _same(request.cookies.get(COOKIE, ""), cookie_value):
            resp = await handle(request, call_next)
        else:
            resp = error_page(request, 401, "需要访问令牌")
        for k, v in SECURITY_HEADERS.items():
            resp.headers.setdefault(k, v)
        log.info("%s %s %s", request.method, request.url.path, resp.status_code)  # never the query string
        return resp

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> HTMLResponse:
        return error_page(request, exc.status, exc.title, exc.detail)

    @app.exception_handler(LedgerUnavailable)
    async def no_ledger(request: Request, exc: LedgerUnavailable) -> HTMLResponse:
        return error_page(request, 503, "台账暂不可用", f"{exc}（守护进程 intake run 运行一次后即可查看）")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        titles = {404: "页面不存在", 405: "不支持的请求方式"}
        return error_page(request, exc.status_code, titles.get(exc.status_code, "请求无法处理"))

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        with ledger.session() as s:
            data = units_data(s, campaign, roster)
            alive = _liveness(s, cfg)
        units = data["units"]
        return page(request, "overview.html", nav="overview", data=data, alive=alive,
                    counts=_status_counts(units), chart=submissions_chart(data, campaign),
                    total=len(units), off_roster=sum(1 for u in units if not u["on_roster"]),
                    late_after_complete=sum(1 for u in units if u["late"] and u["status"] == "complete"),
                    unconfirmed=sum(len(u["unconfirmed_messages"]) for u in units))

    @app.get("/units", response_class=HTMLResponse)
    def units_page(request: Request, status: str | None = None) -> HTMLResponse:
        if status and status not in STATUS_ORDER:
            raise Refused(400, "未知的状态", "可选：" + "、".join(f"{k}（{STATUS_ZH[k]}）" for k in STATUS_ORDER))
        with ledger.session() as s:
            data = units_data(s, campaign, roster)
        units = data["units"]
        shown = [u for u in units if not status or u["status"] == status]
        return page(request, "units.html", nav="units", data=data, units=shown, status=status or "",
                    counts=_status_counts(units), total=len(units))

    @app.get("/units/{name:path}", response_class=HTMLResponse)
    def unit_page(request: Request, name: str) -> HTMLResponse:
        with ledger.session() as s:
            data = units_data(s, campaign, roster)
            unit = _find_unit(s, data, name)
            if unit is None:
                raise Refused(404, f"没有推荐单位“{name}”")
            ids = [m["id"] for m in unit["messages"]]
            docs = s.exec(select(DocumentRow).where(col(DocumentRow.message_pk).in_(ids))
                          .order_by(col(DocumentRow.message_pk), col(DocumentRow.position))).all()
            outbox = {o.message_pk: o for o in s.exec(select(OutboxRow).where(col(OutboxRow.message_pk).in_(ids))).all()}
            msgs = s.exec(select(MessageRow).where(col(MessageRow.id).in_(ids))).all()
            receipts = {m.id: _receipt_info(outbox.get(m.id or -1), m) for m in msgs}
            documents = [_document(campaign, d) for d in docs]
        errors = sum(1 for f in unit["findings"] if f["severity"] == "error")
        return page(request, "unit.html", nav="units", unit=unit, documents=documents, receipts=receipts,
                    errors=errors, warnings=len(unit["findings"]) - errors)

    @app.get("/messages/{message_id}", response_class=HTMLResponse)
    def message_page(request: Request, message_id: str) -> HTMLResponse:
        if not message_id.isdigit():
            raise Refused(404, "没有这封邮件")
        with ledger.session() as s:
            m = s.get(MessageRow, int(message_id))
            if m is None:
                raise Refused(404, f"没有编号为 {message_id} 的邮件")
            docs = s.exec(select(DocumentRow).where(DocumentRow.message_pk == m.id)
                          .order_by(col(DocumentRow.position))).all()
            findings = s.exec(select(FindingRow).where(FindingRow.message_pk == m.id).order_by(col(FindingRow.id))).all()
            ob = s.exec(select(OutboxRow).where(OutboxRow.message_pk == m.id)).first()
            unit = s.get(UnitRow, m.unit_key) if m.unit_key else None
            ctx: dict[str, Any] = {
                "m": m, "documents": [_document(campaign, d) for d in docs],
                "findings": [{"severity": f.severity, "rule": f.rule, "message": f.message} for f in findings],
                "receipt": _receipt_info(ob, m), "receipt_body": _receipt_text(ob.raw) if ob is not None else "",
                "unit_name": (unit.recommender or unit.key) if unit is not None else None,
                "unit_status": unit.status if unit is not None else None,
                "error": (m.error or "").strip(),
            }
        return page(request, "message.html", nav="units", **ctx)

    @app.get("/documents/{doc_id}")
    def document(doc_id: str) -> Response:
        if not doc_id.isdigit():  # a ledger id, never a name or a path
            raise Refused(404, "没有这个文件")
        with ledger.session() as s:
            doc = s.get(DocumentRow, int(doc_id))
            if doc is None:
                raise Refused(404, "没有这个文件")
            data = _blob(cfg, doc)
            suffix = Path(doc.filename).suffix.lower()
            disposition = content_disposition(doc.filename, f"document-{doc.id}")
        return Response(data, media_type=DOWNLOAD_TYPES.get(suffix, "application/octet-stream"),
                        headers={"Content-Disposition": disposition})

    @app.get("/export.xlsx")
    def export() -> Response:
        from intake.staff.export import export_workbook  # written alongside; imported when first asked for

        data = export_workbook(cfg)
        stamp = datetime.now(campaign.tz).strftime("%Y%m%d-%H%M")
        return Response(data, media_type=XLSX,
                        headers={"Content-Disposition": content_disposition(f"申报汇总-{stamp}.xlsx",
                                                                            f"qc-intake-{stamp}")})

    return app
