"""``intake reprocess``: re-check from stored fields (no re-reading), --reparse, --failed-only."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

import intake.record.process
import intake.record.reprocess
from intake.cli import app
from intake.record.process import Processor
from intake.record.reprocess import reprocess
from intake.run.daemon import Daemon, run
from intake.store.rows import FindingRow, MessageRow, OutboxRow, UnitRow
from tests.daemon.conftest import ON_TIME
from tests.fixtures.mail import build_message

RULES = Path(__file__).resolve().parents[2] / "rules" / "caq-2020.toml"


def _earlier_deadline(tmp_path: Path) -> Path:
    text = RULES.read_text(encoding="utf-8")
    assert "deadline = 2020-09-15" in text
    p = tmp_path / "caq-2020-earlier.toml"
    p.write_text(text.replace("deadline = 2020-09-15", "deadline = 2020-09-01"), encoding="utf-8")
    return p


def _run_with_one_failing(cfg, monkeypatch, message_id: str) -> None:  # noqa: ANN001 - fixtures
    """One pass in which our own judging fails for ``message_id`` (it is left ``failed``), the others recorded."""
    real = Processor.judge_record

    def broken(self, s, msg, read):  # noqa: ANN001, ANN202
        if msg.message_id == message_id:
            raise ValueError("bad table")
        return real(self, s, msg, read)

    monkeypatch.setattr(Processor, "judge_record", broken)
    run(cfg, once=True)
    monkeypatch.setattr(Processor, "judge_record", real)


def test_rule_change_rechecks_from_fields_without_reading_or_resending(cfg, drop, tmp_path, monkeypatch):
    drop("01.eml", build_message([("附件3 统计表.xlsx", b"PK\x03\x04 x")], received=ON_TIME, message_id="<r1@x>"))
    run(cfg, once=True)
    with Session(Daemon(cfg).engine) as s:
        before = s.exec(select(MessageRow)).one()
        assert before.status != "late"
        unit_before = s.exec(select(UnitRow)).one().status

    def no_reading(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("re-check must not re-read files")

    monkeypatch.setattr(intake.record.process, "read_message", no_reading)
    cfg.campaign.rules = str(_earlier_deadline(tmp_path))
    report = reprocess(cfg, progress=False)

    assert report.checked == 1
    assert [(c.key, c.before, c.after) for c in report.messages] == [(before.id, before.status, "late")]
    assert [(c.before, c.after) for c in report.units] == [(unit_before, "late")]
    with Session(Daemon(cfg).engine) as s:
        assert s.exec(select(MessageRow)).one().status == "late"
        assert len(s.exec(select(OutboxRow)).all()) == 1  # no second receipt
    assert run(cfg, once=True).sent == 0


def test_reparse_reads_the_stored_raw_again(cfg, drop, monkeypatch):
    drop("01.eml", build_message([], message_id="<r2@x>"))
    run(cfg, once=True)
    calls = []
    real = intake.record.process.read_message

    def counting(*a, **k):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(intake.record.process, "read_message", counting)
    report = reprocess(cfg, reparse=True, progress=False)
    assert report.checked == 1 and calls == [1] and report.messages == []


def test_cli_failed_only_retries_failed_messages(cfg, drop, monkeypatch, tmp_path):
    drop("01.eml", build_message([], message_id="<r3@x>"))
    drop("02.eml", build_message([], subject="好的", message_id="<r4@x>"))
    _run_with_one_failing(cfg, monkeypatch, "<r3@x>")
    conf = tmp_path / "c.toml"
    conf.write_text('[storage]\ndata_dir = "var"\n[source.folder]\npath = "inbox"\n', encoding="utf-8")

    out = CliRunner().invoke(app, ["reprocess", "--failed-only", "-c", str(conf)])

    assert out.exit_code == 0, out.output
    assert "检查了 1 封邮件" in out.output and "邮件 1: failed →" in out.output
    with Session(Daemon(cfg).engine) as s:
        assert {m.state for m in s.exec(select(MessageRow)).all()} == {"processed"}


def test_rechecks_in_chunks_keep_ledger_order_and_replace_each_messages_findings(cfg, drop, tmp_path, monkeypatch):
    """Processed messages are re-judged several to a transaction (``RECHECK_CHUNK``); a failed one between
    them is read again in its turn; every message ends with exactly the findings of its new result."""
    for i in range(6):
        drop(f"{i:02d}.eml", build_message([("附件3 统计表.xlsx", b"PK\x03\x04 x")], received=ON_TIME,
                                           message_id=f"<c{i}@x>", from_addr=f"u{i % 2}@example.cn"))
    _run_with_one_failing(cfg, monkeypatch, "<c2@x>")
    monkeypatch.setattr(intake.record.reprocess, "RECHECK_CHUNK", 2)
    cfg.campaign.rules = str(_earlier_deadline(tmp_path))

    report = reprocess(cfg, progress=False)

    with Session(Daemon(cfg).engine) as s:
        msgs = s.exec(select(MessageRow).order_by(MessageRow.id)).all()
        assert report.checked == 6 and [c.key for c in report.messages] == [m.id for m in msgs]
        assert [c.before for c in report.messages] == ["incomplete", "incomplete", "failed"] + ["incomplete"] * 3
        assert {m.state for m in msgs} == {"processed"} and {m.status for m in msgs} == {"late"}
        for m in msgs:
            rows = s.exec(select(FindingRow).where(FindingRow.message_pk == m.id)).all()
            assert sorted(f.rule for f in rows) == sorted(f["rule"] for f in m.result["findings"])
            assert "deadline.late" in {f.rule for f in rows}
        assert {u.status for u in s.exec(select(UnitRow)).all()} == {"late"}
