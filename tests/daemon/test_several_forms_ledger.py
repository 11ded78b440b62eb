"""One file, several forms in the ledger: a workbook of three forms is three document rows (each with
its ``part``, all naming the one stored copy), the receipt names each part, and ``intake reprocess``
(from the stored rows, and with --reparse) keeps the three."""

from __future__ import annotations

import email
from email import policy

from sqlmodel import Session, select

import intake.record.process
from intake.record.reprocess import reprocess
from intake.run.daemon import Daemon, run
from intake.store.rows import DocumentRow, MessageRow, OutboxRow
from tests.daemon.conftest import ON_TIME
from tests.fixtures import several
from tests.fixtures.data import make_unit
from tests.fixtures.forms import render
from tests.fixtures.mail import build_message

UNIT = make_unit(9191, 1, recommender_index=3)
NAME = "附件3-5.xlsx"
PARTS = [("statistics", "统计表"), ("recommendation", "推荐表"), ("review", "评审汇总表")]


def _rows(cfg) -> tuple[MessageRow, list[DocumentRow]]:
    with Session(Daemon(cfg).engine) as s:
        msg = s.exec(select(MessageRow)).one()
        rows = s.exec(select(DocumentRow).order_by(DocumentRow.position)).all()
        return msg, list(rows)


def _parts(rows: list[DocumentRow]) -> list[tuple[str, str | None]]:
    return [(r.form, r.part) for r in rows if r.filename == NAME]


def test_workbook_of_three_forms_is_stored_as_three_rows_and_survives_reprocess(cfg, drop, monkeypatch):
    book = several.workbook([(part, render(form, UNIT, "xlsx")) for form, part in PARTS])
    drop("01.eml", build_message([(NAME, book)], from_addr=UNIT.email, received=ON_TIME, message_id="<parts@x>"))
    run(cfg, once=True)

    msg, rows = _rows(cfg)
    assert _parts(rows) == PARTS
    assert len({r.blob_path for r in rows}) == 1 and rows[0].blob_path
    assert [(d["form"], d["part"]) for d in msg.result["documents"]] == PARTS
    assert not [f for f in msg.result["findings"] if f["form"] in ("statistics", "recommendation", "review")
                and f["rule"].endswith(".missing")]
    status, findings = msg.status, sorted(f["rule"] for f in msg.result["findings"])
    with Session(Daemon(cfg).engine) as s:
        raw = s.exec(select(OutboxRow)).one().raw
    text = email.message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    for _form, part in PARTS:
        assert f"{NAME}（{part}）" in text, text

    def no_reading(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a rules-only re-check must not re-read files")

    monkeypatch.setattr(intake.record.process, "read_message", no_reading)
    assert reprocess(cfg, progress=False).checked == 1
    msg, rows = _rows(cfg)
    assert _parts(rows) == PARTS
    assert msg.status == status and sorted(f["rule"] for f in msg.result["findings"]) == findings
    assert [(d["form"], d["part"]) for d in msg.result["documents"]] == PARTS

    monkeypatch.undo()
    assert reprocess(cfg, reparse=True, progress=False).checked == 1
    msg, rows = _rows(cfg)
    assert _parts(rows) == PARTS and len({r.blob_path for r in rows}) == 1
    assert msg.status == status
    with Session(Daemon(cfg).engine) as s:
        assert len(s.exec(select(OutboxRow)).all()) == 1  # no second receipt
