"""Reminders: who gets one (roster units not_submitted/incomplete), what it says, at most one per unit per day."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli import app
from intake.config import Config
from intake.record.roster import load_roster
from intake.run.scheduler import build_scheduler
from intake.staff.remind import due_day, queue_reminders, remind_command
from intake.staff.units import units_data
from intake.store.migrations import open_ledger
from intake.store.rows import OutboxRow, ReminderRow
from rules import load_campaign
from tests.staff.conftest import ROOT, STRANGER, at, outbox_files

ALL_FORMS = ("申报表", "成果报告", "证实性材料", "工作总结", "统计表", "推荐表", "评审汇总表")
REMINDED = {"浙江省质量协会", "四川省质量协会", "广东省质量协会", "电力行业质量协会"}  # not 江苏 (complete), 山东 (late)


def read(path: Path) -> EmailMessage:
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def by_unit(cfg: Config) -> dict[str, EmailMessage]:
    """The reminder files in the outbox folder, by the unit the greeting names."""
    out = {}
    for p in outbox_files(cfg, "reminder"):
        msg = read(p)
        out[body(msg).split("：", 1)[0]] = msg
    return out


def reminders(cfg: Config) -> list[ReminderRow]:
    engine = open_ledger(cfg)
    try:
        with Session(engine) as s:
            return list(s.exec(select(ReminderRow).order_by(ReminderRow.id)).all())
    finally:
        engine.dispose()


def test_due_only_on_the_configured_days_from_send_at_and_before_the_deadline(cfg):
    campaign = load_campaign(None)
    assert due_day(cfg, campaign, at(12, 9, 59)) is None  # before send_at
    assert due_day(cfg, campaign, at(12, 10, 0)) == date(2020, 9, 12)  # three days before
    assert due_day(cfg, campaign, at(12, 23, 59)) == date(2020, 9, 12)
    assert due_day(cfg, campaign, at(13, 10, 30)) is None  # not a reminder day
    assert due_day(cfg, campaign, at(14, 10, 30)) == date(2020, 9, 14)  # one day before
    cfg.reminders.days_before, cfg.reminders.send_at = [0], "08:30"
    assert due_day(cfg, campaign, at(15, 8, 30)) == date(2020, 9, 15)  # the (inclusive) deadline day itself
    assert due_day(cfg, campaign, at(16, 8, 30)) is None
    assert due_day(cfg, campaign, at(15, 1, 0) - timedelta(hours=8)) is None  # 15th 01:00 CST is 14th in UTC


def test_one_reminder_to_each_unfinished_roster_unit_naming_what_is_missing(cfg, daemon_at):
    daemon_at(at(12, 10, 5)).run_pass()
    mails = by_unit(cfg)
    assert set(mails) == REMINDED

    zhejiang = mails["浙江省质量协会"]
    text = body(zhejiang)
    assert zhejiang["To"].addresses[0].addr_spec == "qc21@sina.com"
    assert zhejiang["Subject"].startswith("提醒：贵单位的") and "尚不齐全" in zhejiang["Subject"]
    assert "尚缺的材料：\n  · 申报表\n  · 统计表\n" in text  # its forms by their Chinese names
    assert "尚需补交或更正：\n  1. 未收到小组" in text and "申报表PDF版" in text  # the open error, as the receipt words it
    assert "未收到统计表" not in text  # the plain "not received" is the missing list's line already
    assert "2020年9月15日（含）" in text and "距截止还有 3 天" in text  # the deadline
    assert "qc-intake@example.org" in text  # where to send
    assert zhejiang["Auto-Submitted"] == "auto-generated"

    power = mails["电力行业质量协会"]
    assert [a.addr_spec for a in power["To"].addresses] == ["dlqa@example-power.cn", "dlqa2@example-power.cn"]
    text = body(power)
    assert "尚未收到贵单位报送的材料" in text
    assert all(f"  · {name}" in text for name in ALL_FORMS)
    assert "江苏" not in "".join(body(m) for m in mails.values())
    engine = open_ledger(cfg)
    try:
        with Session(engine) as s:
            units = units_data(s, load_campaign(None), load_roster(cfg.roster_path))["units"]
    finally:
        engine.dispose()
    stranger = next(u for u in units if STRANGER in u["addresses"])
    assert stranger["status"] == "incomplete" and not stranger["on_roster"]  # incomplete, but not on the roster
    assert all(STRANGER not in str(m["To"]) for m in mails.values())

    rows = reminders(cfg)
    assert {r.unit for r in rows} == REMINDED and {r.day for r in rows} == {date(2020, 9, 12)}
    assert {r.state for r in rows} == {"sent"}  # the folder transport delivered them; the reminder follows
    assert {r.unit: r.status for r in rows}["浙江省质量协会"] == "incomplete"


def test_at_most_one_per_unit_per_day_across_restarts_and_the_command(cfg, daemon_at):
    daemon_at(at(12, 10, 5)).run_pass()
    daemon_at(at(12, 16, 0)).run_pass()  # restarted later the same day
    out = CliRunner().invoke(app, ["remind", "--day", "2020-09-12", "-c", _conf(cfg)])  # staff, by hand
    assert out.exit_code == 1 and "截止时间" in out.output  # real today is long after the 2020 deadline
    lines = remind_command(cfg, date(2020, 9, 12), dry_run=False, now=at(12, 17, 0))
    assert "已排队 0 封。" in lines and any("已提醒（sent）" in ln for ln in lines)
    assert len(outbox_files(cfg, "reminder")) == 4 and len(reminders(cfg)) == 4

    daemon_at(at(13, 10, 5)).run_pass()  # not a reminder day
    assert len(reminders(cfg)) == 4
    daemon_at(at(14, 9, 0)).run_pass()  # the next reminder day, before send_at
    assert len(reminders(cfg)) == 4
    daemon_at(at(14, 10, 0)).run_pass()
    rows = reminders(cfg)
    assert len(rows) == 8 and {r.unit for r in rows if r.day == date(2020, 9, 14)} == REMINDED
    assert sum("距截止还有 1 天" in body(read(p)) for p in outbox_files(cfg, "reminder")) == 4
    engine = open_ledger(cfg)
    try:
        with Session(engine) as s:
            kinds = [o.kind for o in s.exec(select(OutboxRow)).all()]
    finally:
        engine.dispose()
    assert kinds.count("reminder") == 8 and kinds.count("receipt") == 4  # receipts untouched, one per message


def test_two_processes_racing_still_queue_one(cfg):
    campaign, roster = load_campaign(None), load_roster(cfg.roster_path)
    engine = open_ledger(cfg)
    try:
        results: list[int] = []

        def go() -> None:
            rs = queue_reminders(cfg, engine, campaign, roster, date(2020, 9, 12), at(12, 10, 1))
            results.append(sum(r.skip is None for r in rs))

        threads = [threading.Thread(target=go) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with Session(engine) as s:
            assert len(s.exec(select(ReminderRow)).all()) == 4
            assert len([o for o in s.exec(select(OutboxRow)).all() if o.reminder_pk is not None]) == 4
        assert sum(results) == 4
    finally:
        engine.dispose()


def test_nothing_when_disabled_or_before_send_at(cfg, daemon_at):
    daemon_at(at(12, 9, 30)).run_pass()
    cfg.reminders.enabled = False
    daemon_at(at(12, 11, 0)).run_pass()
    assert reminders(cfg) == [] and outbox_files(cfg, "reminder") == []


def test_a_reminder_left_unsent_on_its_day_is_dropped(cfg, daemon_at):
    cfg.reply.max_per_sender_per_hour = 1
    campaign, roster = load_campaign(None), load_roster(cfg.roster_path)
    engine = open_ledger(cfg)
    try:
        queue_reminders(cfg, engine, campaign, roster, date(2020, 9, 12), at(12, 10, 0))
        with Session(engine) as s:  # say the server refused to take them all day
            for o in s.exec(select(OutboxRow).where(OutboxRow.reminder_pk != None)).all():  # noqa: E711
                o.next_attempt_at = at(20, 0, 0)
                s.add(o)
            s.commit()
    finally:
        engine.dispose()
    daemon_at(at(14, 10, 0)).run_pass()
    rows = reminders(cfg)
    old = [r for r in rows if r.day == date(2020, 9, 12)]
    assert {r.state for r in old} == {"failed"} and len(rows) == 8
    engine = open_ledger(cfg)
    try:
        with Session(engine) as s:
            stale = s.exec(select(OutboxRow).where(OutboxRow.reminder_pk.in_([r.id for r in old]))).all()
            assert {o.state for o in stale} == {"failed"} and all("expired" in (o.last_error or "") for o in stale)
    finally:
        engine.dispose()


def test_dry_run_lists_who_and_prints_the_text_without_queueing(cfg):
    out = CliRunner().invoke(app, ["remind", "--dry-run", "--day", "2020-09-12", "-c", _conf(cfg)])
    assert out.exit_code == 0, out.output
    text = out.output
    assert text.splitlines()[0].startswith("2020-09-12 的提醒（截止 2020-09-15，前 3 天）")
    assert "将发送 4 封：" in text
    for unit in REMINDED:
        assert f"  {unit}（" in text
    assert "  浙江省质量协会（材料不全）→ qc21@sina.com：尚缺 申报表、统计表；需补交或更正 1 项" in text
    assert "  电力行业质量协会（未报送）→ dlqa@example-power.cn, dlqa2@example-power.cn" in text
    assert "江苏省质量协会" not in text and "山东省质量管理协会" not in text and STRANGER not in text
    assert "---- 浙江省质量协会 → 浙江省质量协会 <qc21@sina.com>" in text
    assert "主题：提醒：贵单位的2020年度全国优秀质量管理小组推荐申报材料尚不齐全" in text
    assert "尚缺的材料：\n  · 申报表\n  · 统计表" in text
    assert reminders(cfg) == []  # nothing queued (and the read-only ledger was not touched)

    out = CliRunner().invoke(app, ["remind", "--dry-run", "--day", "2020-09-13", "-c", _conf(cfg)])
    assert "2020-09-13 不是提醒日" in out.output.splitlines()[0]
    out = CliRunner().invoke(app, ["remind", "--dry-run", "--day", "13.9.2020", "-c", _conf(cfg)])
    assert out.exit_code == 2 and "YYYY-MM-DD" in out.output


def test_the_scheduler_job_runs_daily_at_send_at_and_at_start_when_due(cfg, daemon_at):
    d = daemon_at(at(12, 11, 0))  # started after send_at on a reminder day
    jobs = {j.id: j for j in build_scheduler(cfg, d, threading.Event()).get_jobs()}
    assert set(jobs) == {"poll", "outbox", "second_look", "remind"}
    trigger = str(jobs["remind"].trigger)
    assert "hour='10'" in trigger and "minute='0'" in trigger
    assert jobs["remind"].next_run_time is not None  # at once
    assert jobs["remind"].max_instances == 1 and jobs["remind"].coalesce is True

    d = daemon_at(at(13, 11, 0))  # not a reminder day: only the daily trigger
    job = build_scheduler(cfg, d, threading.Event()).get_job("remind")
    assert job is not None and getattr(job, "next_run_time", None) is None  # no run at start
    cfg.reminders.enabled = False
    assert "remind" not in {j.id for j in build_scheduler(cfg, d, threading.Event()).get_jobs()}


def _conf(cfg: Config) -> str:
    p = cfg.base_dir / "c.toml"
    p.write_text(json_free_toml(cfg), encoding="utf-8")
    return str(p)


def json_free_toml(cfg: Config) -> str:
    return (f'[storage]\ndata_dir = "var"\n[source.folder]\npath = {json.dumps(cfg.source.folder.path)}\n'
            f'[roster]\nfile = {json.dumps(cfg.roster.file)}\n[reminders]\nenabled = true\n'
            f'[reply]\nfrom_addr = "qc-intake@example.org"\n')


def test_the_command_queues_todays_reminders_once(tmp_path):
    """`intake remind` for real, today, under a campaign whose deadline is still ahead (the 2099 demo rules)."""
    (tmp_path / "inbox").mkdir()
    conf = tmp_path / "c.toml"
    conf.write_text(f'[campaign]\nrules = {json.dumps(str(ROOT / "rules" / "examples" / "caq-2099-demo.toml"))}\n'
                    f'[storage]\ndata_dir = "var"\n[source.folder]\npath = "inbox"\n'
                    f'[roster]\nfile = {json.dumps(str(ROOT / "examples" / "roster.csv"))}\n', encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["remind", "-c", str(conf)])
    assert first.exit_code == 0, first.output
    assert "已排队 6 封：" in first.output and "不是提醒日" in first.output.splitlines()[0]  # staff may send any day
    second = runner.invoke(app, ["remind", "-c", str(conf)])
    assert second.exit_code == 0 and "已排队 0 封。" in second.output and second.output.count("已提醒（queued）") == 6
    assert runner.invoke(app, ["run", "--once", "-c", str(conf)]).exit_code == 0  # the daemon's sender delivers them
    assert len(list((tmp_path / "var" / "outbox").glob("reminder-*.eml"))) == 6
    status = runner.invoke(app, ["status", "--json", "-c", str(conf)])  # staff see today's reminders
    rem = json.loads(status.output)["reminders"]
    assert rem["sent"] == 6 and rem["queued"] == 0 and rem["failed"] == 0 and len(rem["units"]) == 6
    text = runner.invoke(app, ["status", "-c", str(conf)]).output
    assert f"催报（{rem['day']}）：6 个单位，已发送 6，待发送 0，发送失败 0" in text
