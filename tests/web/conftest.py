"""A real ledger for the web tests: the daemon run once on a copy of examples/inbox and examples/roster.csv."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from intake.config import Config, load_config
from intake.run.daemon import run
from intake.staff.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
INBOX = ROOT / "examples" / "inbox"
TOKEN = "test-web-token-3f9c2a"
CONF = '[storage]\ndata_dir = "var"\n[source.folder]\npath = "inbox"\n[roster]\nfile = "roster.csv"\n'


def make_site(folder: Path) -> Path:
    """inbox/, roster.csv and c.toml under ``folder``; the config file's path."""
    shutil.copytree(INBOX, folder / "inbox")
    shutil.copy(ROOT / "examples" / "roster.csv", folder / "roster.csv")
    (folder / "c.toml").write_text(CONF, encoding="utf-8")
    return folder / "c.toml"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a ledger the daemon made from the example inbox (one pass, receipts as files)."""
    folder = tmp_path_factory.mktemp("web-site")
    stats = run(load_config(make_site(folder)), once=True)
    assert stats is not None and stats.poll_ok and stats.failed == 0
    return folder


@pytest.fixture
def web_cfg(site: Path) -> Config:
    """A fresh config of the shared ledger (tests may change it; the ledger itself is only read)."""
    return load_config(site / "c.toml")


@pytest.fixture
def client(web_cfg: Config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client without credentials; pass ``headers=AUTH`` (or log in with ?token=) per request."""
    monkeypatch.setenv(web_cfg.web.token_env, TOKEN)
    with TestClient(create_app(web_cfg)) as c:
        yield c


AUTH = {"Authorization": f"Bearer {TOKEN}"}
