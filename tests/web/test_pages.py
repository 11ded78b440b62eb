"""The staff web page through FastAPI's TestClient, on the ledger the daemon made from examples/inbox."""

from __future__ import annotations

import email
import hashlib
import io
import logging
import shutil
import sqlite3
from email import policy
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli import app as cli
from intake.config import Config, ConfigError, load_config
from intake.staff.units import units_data
from intake.staff.web.app import COOKIE, content_disposition, create_app
from intake.staff.web.chart import submissions_chart
from intake.store.migrations import open_ledger_readonly
from intake.store.rows import DocumentRow, MessageRow
from rules import load_campaign
from tests.web.conftest import AUTH, INBOX, TOKEN

ROSTER_UNITS = ("江苏省质量协会", "浙江省质量协会", "山东省质量管理协会", "四川省质量协会", "广东省质量协会",
                "电力行业质量协会")


def _rows(cfg: Config) -> tuple[list[MessageRow], list[DocumentRow]]:
    engine = open_ledger_readonly(cfg)
    try:
        with Session(engine) as s:
            return list(s.exec(select(MessageRow)).all()), list(s.exec(select(DocumentRow)).all())
    finally:
        engine.dispose()


def _message(cfg: Config, ref: str) -> MessageRow:
    return next(m for m in _rows(cfg)[0] if m.source_ref == ref)


def _attachment(eml: str, filename: str) -> bytes:
    """The attachment as the sender sent it, decoded by the standard library (not by our code)."""
    msg = email.message_from_bytes((INBOX / eml).read_bytes(), policy=policy.default)
    for part in msg.iter_attachments():  # type: ignore[attr-defined]
        if part.get_filename() == filename:
            return bytes(part.get_payload(decode=True))
    raise AssertionError(f"{filename} not in {eml}")


# ---- the token ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/units", "/units/江苏省质量协会", "/messages/1", "/documents/1",
                                  "/export.xlsx", "/no-such-page"])
def test_every_page_needs_the_token(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert "需要访问令牌" in r.text and r.headers["content-type"].startswith("text/html")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "江苏" not in r.text  # nothing of the ledger on a refused page


def test_a_wrong_token_is_refused_in_every_form(client: TestClient) -> None:
    for r in (client.get("/", headers={"Authorization": "Bearer wrong"}),
              client.get("/", headers={"Authorization": f"Basic {TOKEN}"}),
              client.get("/units", params={"token": TOKEN + "x"}, follow_redirects=False),
              client.get("/units", params={"token": "令牌"}, follow_redirects=False)):
        assert r.status_code == 401 and "访问令牌不正确" in r.text and "set-cookie" not in r.headers
    client.cookies.set(COOKIE, TOKEN)  # the cookie holds a value derived from the token, not the token
    r = client.get("/")
    assert r.status_code == 401 and "需要访问令牌" in r.text


def test_token_in_the_address_sets_an_httponly_cookie_and_redirects(client: TestClient) -> None:
    r = client.get("/units", params={"status": "complete", "token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/units?status=complete"  # token out of the address
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and TOKEN not in cookie
    again = client.get("/units?status=complete")  # the client keeps the cookie, like a browser
    assert again.status_code == 200 and "江苏省质量协会" in again.text
    assert again.headers["cache-control"] == "no-store" and "default-src 'none'" in again.headers["content-security-policy"]


def test_the_token_never_reaches_the_log(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="intake.staff.web.app"):
        client.get("/", params={"token": TOKEN}, follow_redirects=False)
        client.get("/", params={"token": "wrong-guess"})
    lines = [r.getMessage() for r in caplog.records]
    assert "GET / 303" in lines and "GET / 401" in lines
    assert not any(TOKEN in line or "wrong-guess" in line for line in lines)


def test_serve_refuses_to_start_without_a_token(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTAKE_WEB_TOKEN", raising=False)
    out = CliRunner().invoke(cli, ["serve", "-c", str(site / "c.toml")])
    assert out.exit_code == 2 and "INTAKE_WEB_TOKEN" in out.output
    monkeypatch.setenv("INTAKE_WEB_TOKEN", "")
    with pytest.raises(ConfigError, match="web.token_env"):
        create_app(load_config(site / "c.toml"))


def test_the_web_config_section(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('[web]\nhost = "0.0.0.0"\nport = 9000\ntoken_env = "MY_TOKEN"\n', encoding="utf-8")
    cfg = load_config(p)
    assert (cfg.web.host, cfg.web.port, cfg.web.token_env) == ("0.0.0.0", 9000, "MY_TOKEN")
    p.write_text("[web]\nport = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^web\.port:"):
        load_config(p)


# ---- the pages ----------------------------------------------------------------------------------

def test_overview_counts_chart_and_liveness(client: TestClient) -> None:
    r = client.get("/", headers=AUTH)
    assert r.status_code == 200
    page = r.text
    for text in ("概览", "未报送", "材料不全", "逾期", "材料齐全", "每日收到的申报邮件", "<svg", "截止 2020年9月15日（含）",
                 "截止前（4 封）", "截止后（1 封）", "收件服务运行正常", "回执已发送", "2020年度全国优秀质量管理小组推荐申报"):
        assert text in page, text
    assert 'class="card alive ok"' in page and "已停滞" not in page
    assert 'href="/units?status=not_submitted"' in page and "广东省质量协会" in page  # who needs chasing
    assert "<script" not in page and "http://" not in page and "https://" not in page  # nothing from the network


def test_liveness_is_red_when_stale(web_cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    web_cfg.schedule.stale_after_seconds = 1e-6
    monkeypatch.setenv(web_cfg.web.token_env, TOKEN)
    with TestClient(create_app(web_cfg)) as c:
        page = c.get("/", headers=AUTH).text
    assert 'class="card alive bad"' in page and "已停滞" in page and "收件服务需要检查" in page


def _private_copy(site: Path, tmp_path: Path) -> Config:
    """A copy of the whole site to change (its documents' blob paths still name the original objects)."""
    shutil.copytree(site, tmp_path / "site")
    return load_config(tmp_path / "site" / "c.toml")


def test_liveness_is_red_with_a_last_error(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _private_copy(site, tmp_path)
    with sqlite3.connect(cfg.data_dir / "ledger.db") as db:
        db.execute("UPDATE mailboxstate SET last_error = 'LOGIN failed: 授权码错误'")
    monkeypatch.setenv(cfg.web.token_env, TOKEN)
    with TestClient(create_app(cfg)) as c:
        page = c.get("/", headers=AUTH).text
    assert 'class="card alive bad"' in page and "最近的错误" in page and "LOGIN failed: 授权码错误" in page


def test_the_latest_reminder_day_is_on_the_overview(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _private_copy(site, tmp_path)
    with sqlite3.connect(cfg.data_dir / "ledger.db") as db:
        rows = [("浙江省质量协会", "2020-09-12", "sent"), ("浙江省质量协会", "2020-09-14", "sent"),
                ("广东省质量协会", "2020-09-14", "failed"), ("四川省质量协会", "2020-09-14", "queued")]
        db.executemany("INSERT INTO reminder (unit, day, status, to_addr, state, created_at) "
                       "VALUES (?, ?, 'incomplete', 'x@y.cn', ?, '2020-09-14 02:00:00')", rows)
    monkeypatch.setenv(cfg.web.token_env, TOKEN)
    with TestClient(create_app(cfg)) as c:
        page = c.get("/", headers=AUTH).text
    assert "催报（2020-09-14）" in page and "3 个单位：已发送 1，待发送 1" in page and "发送失败 1" in page


def test_chart_counts_submissions_by_day_toward_the_deadline(web_cfg: Config) -> None:
    campaign = load_campaign(web_cfg.rules_path)
    engine = open_ledger_readonly(web_cfg)
    with Session(engine) as s:
        data = units_data(s, campaign, __import__("intake.record.roster", fromlist=["load_roster"])
                          .load_roster(web_cfg.roster_path))
    engine.dispose()
    chart = submissions_chart(data, campaign)
    by_day = {b.title.split("：")[0]: (b.on_time, b.late) for b in chart.bars}
    assert by_day["2020年9月10日"] == (1, 0) and by_day["2020年9月15日"] == (1, 0)  # 23:40 on the day is on time
    assert by_day["2020年9月16日"] == (0, 1)  # Shandong, late
    assert (chart.on_time_total, chart.late_total) == (4, 1)  # the auto-reply is no submission
    assert len(chart.bars) == 15 and chart.bars[0].title.startswith("2020年9月2日")  # two weeks up to the deadline
    sept15, sept16 = chart.bars[13], chart.bars[14]
    assert sept15.x + sept15.width < chart.deadline_x < sept16.x  # the line after the inclusive deadline day


def test_units_page_lists_the_roster_and_filters(client: TestClient) -> None:
    page = client.get("/units", headers=AUTH).text
    assert all(name in page for name in ROSTER_UNITS) and "推荐单位" in page and "尚缺" in page
    assert f'href="/units/{quote("江苏省质量协会", safe="")}"' in page
    waiting = client.get("/units", params={"status": "not_submitted"}, headers=AUTH).text
    assert "广东省质量协会" in waiting and "电力行业质量协会" in waiting and "江苏省质量协会" not in waiting
    assert "尚未来信" in waiting
    late = client.get("/units", params={"status": "late"}, headers=AUTH).text
    assert "山东省质量管理协会" in late and "浙江省质量协会" not in late
    bad = client.get("/units", params={"status": "bogus"}, headers=AUTH)
    assert bad.status_code == 400 and "未知的状态" in bad.text


def test_unit_page_has_messages_documents_groups_findings_and_receipts(client: TestClient, web_cfg: Config) -> None:
    r = client.get("/units/浙江省质量协会", headers=AUTH)
    assert r.status_code == 200
    page = r.text
    correction = _message(web_cfg, "04-zhejiang-correction.eml")
    for text in ("浙江省质量协会", "材料不全", "来信与回执（2）", "已发送", "→ qc21@sina.com", "推荐小组（2）",
                 "申报表（PDF版）", "缺", "检查结果（1）", "application.pdf.missing", "附件3 质量管理小组活动统计表.docx",
                 f'href="/messages/{correction.id}"'):
        assert text in page, text
    docs = [d for d in _rows(web_cfg)[1] if d.message_pk == correction.id]
    assert docs and all(f'href="/documents/{d.id}"' in page for d in docs)
    assert client.get("/units/浙江省质协", headers=AUTH).text == page  # the alias the roster lists
    missing = client.get("/units/火星质量协会", headers=AUTH)
    assert missing.status_code == 404 and "没有推荐单位“火星质量协会”" in missing.text


def test_unit_not_yet_submitted(client: TestClient) -> None:
    page = client.get("/units/" + quote("广东省质量协会"), headers=AUTH).text
    assert "未报送" in page and "尚未收到来信" in page and "gdqa@example-guangdong.cn" in page


def test_message_page(client: TestClient, web_cfg: Config) -> None:
    m = _message(web_cfg, "04-zhejiang-correction.eml")
    page = client.get(f"/messages/{m.id}", headers=AUTH).text
    for text in (f"邮件 {m.id}", "回复：浙江省质协", "qc21@sina.com", "2020-09-14 11:30", "统计表", "推荐单位：浙江省质量协会",
                 "已发送", "summary.missing"):
        assert text in page, text
    receipt = page.split('<pre class="receipt">', 1)[1].split("</pre>", 1)[0]  # the receipt as the unit read it
    assert "浙江省质量协会" in receipt and "附件3 质量管理小组活动统计表.docx" in receipt
    auto = _message(web_cfg, "05-autoreply.eml")
    page = client.get(f"/messages/{auto.id}", headers=AUTH).text
    assert "不回复" in page and "非申报邮件" in page
    for bad in ("/messages/999999", "/messages/abc", "/messages/-1"):
        r = client.get(bad, headers=AUTH)
        assert r.status_code == 404 and "没有" in r.text


# ---- downloads ----------------------------------------------------------------------------------

def test_download_returns_the_exact_stored_bytes(client: TestClient, web_cfg: Config) -> None:
    m = _message(web_cfg, "01-jiangsu-complete.eml")
    docs = [d for d in _rows(web_cfg)[1] if d.message_pk == m.id]
    for doc in docs:
        r = client.get(f"/documents/{doc.id}", headers=AUTH)
        assert r.status_code == 200
        assert hashlib.sha256(r.content).hexdigest() == doc.sha256 and len(r.content) == doc.size
        if doc.container is None:  # a direct attachment: byte for byte what the unit sent
            assert r.content == _attachment("01-jiangsu-complete.eml", doc.filename)
        cd = r.headers["content-disposition"]
        assert cd.startswith("attachment; ") and f"filename*=UTF-8''{quote(doc.filename, safe='')}" in cd
        assert cd.encode("latin-1")  # an HTTP header, ASCII only
        assert "html" not in r.headers["content-type"]
    pdf = next(d for d in docs if d.filename.endswith(".pdf") and d.container is None)
    assert client.get(f"/documents/{pdf.id}", headers=AUTH).headers["content-type"] == "application/pdf"


@pytest.mark.parametrize("path", [
    "/documents/..%2F..%2Fledger.db", "/documents/%2Fetc%2Fpasswd", "/documents/objects", "/documents/-1",
    "/documents/1.0", "/documents/0x1", "/documents/999999", "/documents/ 1", "/documents/%2E%2E",
    "/documents/ledger.db", "/documents/1%2F..%2F..%2Fledger.db",
])
def test_a_path_like_or_unknown_id_is_refused(client: TestClient, path: str) -> None:
    r = client.get(path, headers=AUTH)
    assert r.status_code == 404 and "content-disposition" not in r.headers
    assert b"SQLite format" not in r.content and b"root:" not in r.content


def test_a_blob_path_outside_the_objects_folder_is_refused(site: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _private_copy(site, tmp_path)
    objects = cfg.data_dir / "objects"
    with sqlite3.connect(cfg.data_dir / "ledger.db") as db:
        ids = [row[0] for row in db.execute("SELECT id FROM document ORDER BY id LIMIT 4")]
        sha = db.execute("SELECT sha256 FROM document WHERE id = ?", (ids[3],)).fetchone()[0]
        db.execute("UPDATE document SET blob_path = ? WHERE id = ?", (str(cfg.data_dir / "ledger.db"), ids[0]))
        db.execute("UPDATE document SET blob_path = ? WHERE id = ?", ("objects/../ledger.db", ids[1]))
        # the original site's object: a real object, but not in this data folder
        db.execute("UPDATE document SET blob_path = ? WHERE id = ?",
                   (str(site / "var" / "objects" / sha[:2] / sha[2:]), ids[2]))
        db.execute("UPDATE document SET blob_path = ? WHERE id = ?", (f"objects/{sha[:2]}/{sha[2:]}", ids[3]))
    monkeypatch.setenv(cfg.web.token_env, TOKEN)
    with TestClient(create_app(cfg)) as c:
        for doc_id in ids[:3]:
            r = c.get(f"/documents/{doc_id}", headers=AUTH)
            assert r.status_code == 404 and "不在存档中" in r.text and b"SQLite format" not in r.content
        ok = c.get(f"/documents/{ids[3]}", headers=AUTH)  # relative to the data folder, inside objects/: served
        assert ok.status_code == 200 and ok.content == (objects / sha[:2] / sha[2:]).read_bytes()
        (objects / sha[:2] / sha[2:]).write_bytes(b"tampered")
        broken = c.get(f"/documents/{ids[3]}", headers=AUTH)
        assert broken.status_code == 500 and "存档文件已损坏" in broken.text


def test_content_disposition_keeps_the_name_and_stays_ascii() -> None:
    assert content_disposition("report.pdf") == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    cd = content_disposition("附件3 统计表.xlsx", "document-7")
    assert cd == ("attachment; filename=\"document-7.xlsx\"; "
                  "filename*=UTF-8''%E9%99%84%E4%BB%B63%20%E7%BB%9F%E8%AE%A1%E8%A1%A8.xlsx")
    evil = content_disposition('..\\..\\a"b\r\n.pdf', "d")
    assert "\r" not in evil and "\n" not in evil and '"b' not in evil and ".." not in evil


# ---- export and a missing ledger ----------------------------------------------------------------

def test_export_workbook(client: TestClient) -> None:
    r = client.get("/export.xlsx", headers=AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames


def test_no_ledger_yet_is_a_clear_page_not_a_new_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(None)
    cfg.base_dir, cfg.roster.file = tmp_path, ""
    monkeypatch.setenv(cfg.web.token_env, TOKEN)
    with TestClient(create_app(cfg)) as c:
        r = c.get("/", headers=AUTH)
    assert r.status_code == 503 and "台账暂不可用" in r.text
    assert not (tmp_path / "var").exists()  # never created
