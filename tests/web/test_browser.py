"""One real browser: ``intake serve`` in a subprocess, Debian's chromium driven by Playwright.

Never ``playwright install`` (it downloads a browser): the system's /usr/bin/chromium is used, which
.ci/run installs, so a missing one fails this test instead of skipping it.
"""

from __future__ import annotations

import email
import os
import socket
import subprocess
import sys
import time
from email import policy
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.web.conftest import INBOX, ROOT, TOKEN

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
FILENAME = "附件3 质量管理小组活动统计表.docx"  # the Zhejiang unit's correction (04-zhejiang-correction.eml)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"intake serve exited {proc.returncode}: {log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"intake serve did not listen on {port} within {seconds} s")


def _sent_bytes() -> bytes:
    msg = email.message_from_bytes((INBOX / "04-zhejiang-correction.eml").read_bytes(), policy=policy.default)
    part = next(p for p in msg.iter_attachments() if p.get_filename() == FILENAME)  # type: ignore[attr-defined]
    return bytes(part.get_payload(decode=True))


def test_staff_page_in_chromium(site: Path, tmp_path: Path) -> None:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    port = _free_port()
    conf = tmp_path / "web.toml"
    conf.write_text(f'[storage]\ndata_dir = "{site / "var"}"\n[roster]\nfile = "{site / "roster.csv"}"\n'
                    f'[web]\nhost = "127.0.0.1"\nport = {port}\n', encoding="utf-8")
    env = {**os.environ, "INTAKE_WEB_TOKEN": TOKEN}
    log_path = tmp_path / "serve.log"
    log_file = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "intake.cli", "serve", "-c", str(conf)], cwd=ROOT, env=env,
                            stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(port, proc, log_path)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900},
                                              locale="zh-CN")
                page = context.new_page()
                page.set_default_timeout(30_000)
                first = page.goto(f"{base}/?token={TOKEN}")
                assert first is not None and first.ok
                assert page.url == base + "/"  # the token was exchanged for a cookie and left the address bar
                assert page.get_by_role("heading", name="每日收到的申报邮件（至截止日）").is_visible()
                assert page.locator("svg rect").count() >= 5 and "收件服务运行正常" in page.content()
                shot = tmp_path / "overview.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

                page.get_by_role("link", name="浙江省质量协会").first.click()
                page.wait_for_url("**/units/**")
                assert page.get_by_role("heading", name="浙江省质量协会").is_visible()
                assert "来信与回执" in page.content()
                with page.expect_download() as info:
                    page.get_by_role("link", name=FILENAME).first.click()
                download = info.value
                assert download.suggested_filename == FILENAME  # from filename*=UTF-8''…
                assert Path(download.path()).read_bytes() == _sent_bytes()
                page.screenshot(path=str(tmp_path / "unit.png"), full_page=True)

                stranger = browser.new_context().new_page()  # no cookie, no token
                refused = stranger.goto(f"{base}/units")
                assert refused is not None and refused.status == 401
                assert "需要访问令牌" in stranger.content() and "浙江省质量协会" not in stranger.content()
                wrong = stranger.goto(f"{base}/?token=not-the-token")
                assert wrong is not None and wrong.status == 401
            finally:
                browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert TOKEN not in log and "GET /units 401" in log  # requests are logged, the token never is
