"""Builders for the reply tests: messages generated in code, a temp ledger, a campaign stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from intake.config import Config
from intake.store.rows import MessageRow, make_engine
from intake.unpack import Unpacked

SHANGHAI = ZoneInfo("Asia/Shanghai")


def build_email(headers: list[tuple[str, str]], body: str = "请查收附件。") -> EmailMessage:
    msg = EmailMessage()
    for name, value in headers:
        msg[name] = value
    msg.set_content(body)
    return msg


def unpacked_from(msg: EmailMessage, subject: str | None = None) -> Unpacked:
    """What unpack hands over for a message: decoded headers in order, bare lower-case From address."""
    pairs = getaddresses([str(v) for v in msg.get_all("From", [])])
    name, addr = pairs[0] if pairs else ("", "")
    return Unpacked(
        message_id=str(msg.get("Message-ID") or "") or None,
        from_addr=addr.lower() or None,
        from_name=name or None,
        to_addrs=[],
        subject=subject if subject is not None else (str(msg["Subject"]) if msg["Subject"] is not None else None),
        date=None,
        received=None,
        headers=[(k, str(v)) for k, v in msg.items()],
        body_text="",
    )


def make_unpacked(*extra: tuple[str, str], sender: str = "张三 <zhangsan@163.com>",
                  subject: str = "江苏省质量协会2020年QC小组推荐材料") -> Unpacked:
    headers = [("From", sender)] if sender else []
    headers += [("To", "qc-intake@example.org"), ("Subject", subject),
                ("Message-ID", "<20200914103100.1234@163.com>")]
    # Content-Type belongs to the body EmailMessage builds; robots' types are added as headers only
    ctypes = [h for h in extra if h[0].lower() == "content-type"]
    u = unpacked_from(build_email(headers + [h for h in extra if h not in ctypes]))
    if ctypes:
        u.headers = [h for h in u.headers if h[0].lower() != "content-type"] + ctypes
    return u


@pytest.fixture
def campaign() -> Any:
    """The attributes compose_receipt reads from a campaign (rules.Campaign has them too)."""
    return SimpleNamespace(
        name="2020年度全国优秀质量管理小组推荐",
        tz=SHANGHAI,
        deadline=datetime(2020, 9, 16, tzinfo=SHANGHAI),
        deadline_text="2020年9月15日24时",
        form_names={"application": "申报表", "report": "小组成果报告", "evidence": "证实性材料",
                    "summary": "工作总结", "statistics": "统计表", "recommendation": "推荐表",
                    "review": "评审汇总表"},
    )


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    c = Config(base_dir=tmp_path)
    c.storage.data_dir = str(tmp_path / "var")
    c.reply.from_addr = "qc-intake@example.org"
    return c


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def add_message(engine: Engine) -> Callable[..., int]:
    """Insert a ledger MessageRow row (the OutboxRow's foreign key) and return its id."""
    counter = iter(range(1, 10_000))

    def add(from_addr: str = "zhangsan@163.com") -> int:
        with Session(engine) as s:
            m = MessageRow(sha256=f"sha-{next(counter)}", from_addr=from_addr)
            s.add(m)
            s.commit()
            assert m.id is not None
            return m.id

    return add
