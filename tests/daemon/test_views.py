"""``intake ledger`` (table and --json), ``intake show``, and the human ``intake check`` output."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from intake.cli import app
from intake.run.daemon import run
from intake.staff.views import print_result
from tests.daemon.conftest import ON_TIME
from tests.fixtures.mail import build_message


def _conf(tmp_path):  # noqa: ANN001, ANN202
    p = tmp_path / "c.toml"
    p.write_text('[storage]\ndata_dir = "var"\n[source.folder]\npath = "inbox"\n', encoding="utf-8")
    return str(p)


def test_ledger_json_and_table_and_show(cfg, drop, tmp_path):
    drop("01.eml", build_message([("附件3 统计表.xlsx", b"PK\x03\x04 x")], subject="江苏省QC材料",
                                 received=ON_TIME, message_id="<v1@x>"))
    drop("02.eml", build_message([], subject="自动回复", message_id="<v2@x>",
                                 extra_headers={"Auto-Submitted": "auto-replied"}))
    run(cfg, once=True)
    runner = CliRunner()

    out = runner.invoke(app, ["ledger", "--json", "-c", _conf(tmp_path)])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["subject"] == "江苏省QC材料" and rows[0]["documents"] == 1
    assert rows[0]["received_at"] == "2020-09-14T10:31:00+08:00" and rows[0]["receipt"] == "sent"
    assert rows[1]["receipt"].startswith("none: ")
    assert set(rows[0]) >= {"from", "unit", "recommender", "status", "errors", "warnings", "state"}

    table = runner.invoke(app, ["ledger", "-c", _conf(tmp_path)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "江苏省QC材料" in table.output and "2020-09-14 10:31" in table.output

    shown = runner.invoke(app, ["show", "1", "-c", _conf(tmp_path)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "附件3 统计表.xlsx" in shown.output and "回执: 已发送" in shown.output
    assert runner.invoke(app, ["show", "99", "-c", _conf(tmp_path)]).exit_code == 1


def test_print_result_is_human_and_chinese(capsys):
    print_result({
        "message": {"message_id": "<x>", "from": "a@b.cn", "subject": "材料", "received_at": "2020-09-14T10:31:00+08:00"},
        "documents": [{"filename": "附件1 申报表.docx", "container": None, "format": "docx", "form": "application",
                       "fields": {"company": "某公司", "group_name": "攻关QC小组"}}],
        "findings": [{"rule": "application.mobile.format", "severity": "error", "form": "application",
                      "document": "附件1 申报表.docx", "field": "mobile", "message": "申报表“手机”应为11位手机号码"}],
        "status": "incomplete",
    })
    out = capsys.readouterr().out
    assert "申报表" in out and "某公司" in out and "需要更正" in out and "材料不全" in out


def test_outbox_lists_failed_receipts_and_retry_requeues_them(cfg, drop, tmp_path):
    from sqlmodel import Session, select

    from intake.store.migrations import open_ledger
    from intake.store.rows import OutboxRow

    drop("01.eml", build_message([], subject="江苏省QC材料", received=ON_TIME, message_id="<o1@x>"))
    run(cfg, once=True)
    engine = open_ledger(cfg)
    with Session(engine) as s:
        row = s.exec(select(OutboxRow)).one()
        row.state, row.attempts, row.last_error = "failed", 8, "554 DT:SPM 163 smtp"
        s.add(row)
        s.commit()
    runner = CliRunner()
    listed = runner.invoke(app, ["outbox", "-c", _conf(tmp_path)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "554 DT:SPM" in listed.output and "（1 封）" in listed.output
    with Session(engine) as s:
        assert s.exec(select(OutboxRow)).one().state == "failed"  # listing alone changes nothing
    again = runner.invoke(app, ["outbox", "--retry", "-c", _conf(tmp_path)], env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "已重新排队 1 封" in again.output
    with Session(engine) as s:
        row = s.exec(select(OutboxRow)).one()
        assert (row.state, row.attempts) == ("pending", 0)


def test_ledger_units_one_row_per_unit_across_messages(cfg, drop, tmp_path):
    drop("01.eml", build_message([], subject="江苏省QC材料", received=ON_TIME, message_id="<u1@x>",
                                 from_addr="qc@js.example.cn"))
    drop("02.eml", build_message([], subject="江苏省QC材料（补充）", received=ON_TIME, message_id="<u2@x>",
                                 from_addr="qc@js.example.cn"))
    drop("03.eml", build_message([], subject="自动回复", message_id="<u3@x>",
                                 extra_headers={"Auto-Submitted": "auto-replied"}))
    run(cfg, once=True)
    out = CliRunner().invoke(app, ["ledger", "--units", "--json", "-c", _conf(tmp_path)])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["unit"], r["messages"], r["status"]) for r in rows] == [("qc@js.example.cn", 2, "incomplete")]
    assert rows[0]["errors"] > 0
    table = CliRunner().invoke(app, ["ledger", "--units", "-c", _conf(tmp_path)])
    assert "qc@js.example.cn" in table.output and "材料不全" in table.output
    messages = CliRunner().invoke(app, ["ledger", "-c", _conf(tmp_path)])
    assert "非申报邮件" in messages.output  # the auto-reply is not shown as an incomplete submission


def test_ledger_review_lists_documents_to_check_by_eye(cfg, drop, tmp_path):
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(png, "PNG")
    broken_pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4  # no xref, no objects: unreadable
    drop("01.eml", build_message([("活动照片1.png", png.getvalue()), ("附件3 统计表.pdf", broken_pdf),
                                  ("说明.txt", "附件为我省材料".encode())],
                                 received=ON_TIME, message_id="<r1@x>"))
    run(cfg, once=True)
    out = CliRunner().invoke(app, ["ledger", "--review", "--json", "-c", _conf(tmp_path)])
    assert out.exit_code == 0, out.output
    rows = {r["filename"]: r for r in json.loads(out.output)}
    assert set(rows) == {"活动照片1.png", "附件3 统计表.pdf"}  # the readable text file is not listed
    assert rows["活动照片1.png"]["reasons"] == ["document.image"]
    assert "document.unreadable" in rows["附件3 统计表.pdf"]["reasons"]
    table = CliRunner().invoke(app, ["ledger", "--review", "-c", _conf(tmp_path)], env={"COLUMNS": "200"})
    assert "需人工核对的文件（2 个）" in table.output and "文件损坏" in table.output


def test_read_only_commands_never_create_a_ledger(tmp_path):
    conf = _conf(tmp_path)
    runner = CliRunner()
    for args in (["ledger"], ["ledger", "--units"], ["ledger", "--review"], ["show", "1"], ["status"], ["outbox"]):
        out = runner.invoke(app, [*args, "-c", conf])
        assert out.exit_code == 2, (args, out.output)
        assert "no ledger" in out.output and "intake run" in out.output
    assert not (tmp_path / "var").exists(), "a read-only command created the data folder"


def test_read_only_commands_refuse_an_outdated_ledger(tmp_path):
    from sqlalchemy import text

    from intake.store.rows import make_engine

    (tmp_path / "var").mkdir()
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'ledger.db'}")
    with engine.begin() as conn:  # a ledger from an older release: schema not at head
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0000_older')"))
    engine.dispose()
    out = CliRunner().invoke(app, ["ledger", "-c", _conf(tmp_path)])
    assert out.exit_code == 2 and "schema" in out.output and "intake run" in out.output


def test_status_reports_the_poll_and_exits_1_when_stale(cfg, drop, tmp_path):
    drop("01.eml", build_message([], subject="江苏省QC材料", received=ON_TIME, message_id="<st1@x>"))
    run(cfg, once=True)
    runner = CliRunner()
    out = runner.invoke(app, ["status", "--json", "-c", _conf(tmp_path)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    [src] = data["sources"]
    assert src["last_error"] is None and not src["stale"] and data["ok"]
    assert data["messages"] == {"stored": 0, "processed": 1, "failed": 0, "second_look": 0}
    assert data["receipts"]["sent"] == 1 and data["internal_errors"] == []
    stale = runner.invoke(app, ["status", "--max-age", "0", "-c", _conf(tmp_path)], env={"COLUMNS": "200"})
    assert stale.exit_code == 1 and "已停滞" in stale.output


def test_run_once_exits_1_when_the_poll_failed(tmp_path):
    import shutil

    conf = _conf(tmp_path)
    (tmp_path / "inbox").mkdir()
    runner = CliRunner()
    assert runner.invoke(app, ["run", "--once", "-c", conf]).exit_code == 0
    shutil.rmtree(tmp_path / "var" / "objects", ignore_errors=True)
    (tmp_path / "var" / "objects").write_text("not a folder")  # the raw store cannot be written
    (tmp_path / "inbox" / "01.eml").write_bytes(build_message([], message_id="<fail1@x>"))
    out = runner.invoke(app, ["run", "--once", "-c", conf])
    assert out.exit_code == 1, out.output
    assert "poll failed" in out.output
