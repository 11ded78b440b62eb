"""The roster, units against it (contract/units-json.md), 待确认 for strangers, ``intake confirm``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli import app
from intake.record.roster import RosterError, load_roster, norm_name
from intake.run.daemon import run
from intake.store.rows import MessageRow, OutboxRow, UnitRow
from tests.contract_schema import validate_units

ROOT = Path(__file__).resolve().parents[2]
INBOX = ROOT / "examples" / "inbox"
JIANGSU = (INBOX / "01-jiangsu-complete.eml").read_bytes()
SHANDONG_LATE = (INBOX / "03-shandong-late.eml").read_bytes()


def _as_sender(raw: bytes, old: bytes, new: bytes, msgid: bytes) -> bytes:
    """The same message from another address, with its own Message-ID (so it is not a re-delivery)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    head = head.replace(old, new)
    lines = [ln if not ln.lower().startswith(b"message-id:") else b"Message-ID: " + msgid for ln in head.split(b"\r\n")]
    return b"\r\n".join(lines) + sep + body


@pytest.fixture
def roster_cfg(cfg, tmp_path):
    (tmp_path / "roster.csv").write_bytes((ROOT / "examples" / "roster.csv").read_bytes())
    cfg.roster.file = "roster.csv"
    return cfg


def _conf(tmp_path: Path) -> str:
    p = tmp_path / "c.toml"
    p.write_text('[storage]\ndata_dir = "var"\n[source.folder]\npath = "inbox"\n[roster]\nfile = "roster.csv"\n',
                 encoding="utf-8")
    return str(p)


def _units(tmp_path: Path) -> dict:
    out = CliRunner().invoke(app, ["units", "--json", "-c", _conf(tmp_path)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    validate_units(data)
    return {u["unit"]: u for u in data["units"]}


def test_names_match_after_normalisation() -> None:
    assert norm_name("江苏省质协") == norm_name("江苏省 质量协会") == norm_name("江苏省质量协会")
    assert norm_name("山东省质量管理协会") == norm_name("山东省质协")


def test_roster_from_xlsx_gbk_csv_and_its_errors(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2020年推荐单位名册"])
    ws.append(["单位名称", "单位类型", "电子邮箱", "简称"])
    ws.append(["江苏省质量协会", "省市", "a@js.cn；B@js.cn", "江苏省质协、苏质协"])
    ws.append(["电力行业质量协会", "行业", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    (tmp_path / "r.xlsx").write_bytes(buf.getvalue())
    roster = load_roster(tmp_path / "r.xlsx")
    assert [(u.name, u.kind, u.emails) for u in roster.units] == [
        ("江苏省质量协会", "province", ["a@js.cn", "b@js.cn"]), ("电力行业质量协会", "industry", [])]
    assert roster.by_name("苏质协").name == "江苏省质量协会" and roster.by_address("B@JS.CN").name == "江苏省质量协会"

    (tmp_path / "r.csv").write_bytes("推荐单位,类型,邮箱\n四川省质量协会,省市,sc@qq.com\n".encode("gbk"))
    assert load_roster(tmp_path / "r.csv").units[0].name == "四川省质量协会"
    (tmp_path / "bad.csv").write_text("推荐单位,类型\n甲,外星\n", encoding="utf-8")
    with pytest.raises(RosterError, match="row 2"):
        load_roster(tmp_path / "bad.csv")
    (tmp_path / "dup.csv").write_text("推荐单位,别名\n江苏省质量协会,\n江苏省质协,\n", encoding="utf-8")
    with pytest.raises(RosterError, match="same name"):
        load_roster(tmp_path / "dup.csv")


def test_units_json_lists_the_roster_and_follows_the_contract(roster_cfg, drop, tmp_path) -> None:
    drop("01.eml", JIANGSU)
    run(roster_cfg, once=True)
    units = _units(tmp_path)
    assert units["江苏省质量协会"]["status"] == "complete" and units["江苏省质量协会"]["on_roster"]
    assert units["广东省质量协会"]["status"] == "not_submitted"
    assert units["广东省质量协会"]["missing"] == ["application", "report", "evidence", "summary", "statistics",
                                               "recommendation", "review"]
    js = units["江苏省质量协会"]
    assert len(js["groups"]) == 2 and all(all(g["forms"].values()) for g in js["groups"])
    assert all(g["topic"] for g in js["groups"]) and js["messages"][0]["receipt"] == "sent"
    order = [u["status"] for u in units.values()]
    assert order.index("not_submitted") < order.index("complete")  # who needs chasing comes first


def test_a_stranger_naming_a_roster_unit_changes_nothing_until_confirmed(roster_cfg, drop, tmp_path) -> None:
    drop("01.eml", JIANGSU)
    run(roster_cfg, once=True)
    stranger = _as_sender(JIANGSU, b"<qc20@sina.com>", b"<someone@evil.example>", b"<forged-1@evil.example>")
    drop("02.eml", stranger)
    run(roster_cfg, once=True)
    with Session(__import__("intake.store.migrations", fromlist=["open_ledger"]).open_ledger(roster_cfg)) as s:
        forged = s.exec(select(MessageRow).where(MessageRow.from_addr == "someone@evil.example")).one()
        assert forged.unit_key is None and forged.claimed_unit == "江苏省质量协会"
        receipt = s.exec(select(OutboxRow).where(OutboxRow.message_pk == forged.id)).one()
        assert s.get(UnitRow, "江苏省质量协会").status == "complete"
    text = receipt.raw.decode("utf-8", "replace")
    assert "全部材料的情况" not in text  # no unit totals for a sender the unit does not list
    js = _units(tmp_path)["江苏省质量协会"]
    assert [m["id"] for m in js["unconfirmed_messages"]] == [forged.id] and len(js["messages"]) == 1

    out = CliRunner().invoke(app, ["confirm", str(forged.id), "江苏省质协", "--add-address", "-c", _conf(tmp_path)])
    assert out.exit_code == 0, out.output
    js = _units(tmp_path)["江苏省质量协会"]
    assert len(js["messages"]) == 2 and js["unconfirmed_messages"] == []
    assert "someone@evil.example" in js["addresses"]


def test_late_material_never_undoes_a_unit_complete_on_time(roster_cfg, drop, tmp_path) -> None:
    drop("01.eml", JIANGSU)
    late_from_jiangsu = _as_sender(SHANDONG_LATE, b"<qc22@sina.com>", b"<qc20@sina.com>", b"<late-1@sina.com>")
    drop("02.eml", late_from_jiangsu)
    run(roster_cfg, once=True)
    js = _units(tmp_path)["江苏省质量协会"]
    assert js["status"] == "complete" and js["late"] is True
    assert not [f for f in js["findings"] if f["rule"] == "deadline.late"]


def test_a_unit_not_on_the_roster_is_listed_as_such(roster_cfg, drop, tmp_path) -> None:
    sd = _as_sender(SHANDONG_LATE, b"<qc22@sina.com>", b"<qc@hubei.example>", b"<hb-1@hubei.example>")
    (tmp_path / "roster.csv").write_text("推荐单位,类型,邮箱\n江苏省质量协会,省市,qc20@sina.com\n", encoding="utf-8")
    drop("01.eml", sd)
    run(roster_cfg, once=True)
    units = _units(tmp_path)
    [other] = [u for u in units.values() if not u["on_roster"]]
    assert other["unit"] == "山东省质量管理协会" and other["kind"] is None and other["status"] == "late"


def test_a_one_form_correction_gets_a_receipt_that_speaks_for_the_unit(roster_cfg, drop, tmp_path) -> None:
    """Example message 4 (浙江's 统计表 alone, days after its first mail): no "未收到…请补发" for the six
    forms the unit sent earlier is reported as this message's; the status line is the unit's."""
    import email
    from email import policy

    drop("02.eml", (INBOX / "02-zhejiang-incomplete.eml").read_bytes())
    drop("04.eml", (INBOX / "04-zhejiang-correction.eml").read_bytes())
    run(roster_cfg, once=True)
    with Session(__import__("intake.store.migrations", fromlist=["open_ledger"]).open_ledger(roster_cfg)) as s:
        correction = s.exec(select(MessageRow).where(MessageRow.source_ref == "04.eml")).one()
        raw = s.exec(select(OutboxRow).where(OutboxRow.message_pk == correction.id)).one().raw
    text = email.message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    own = text[text.index("二、"):text.index("三、")]
    assert "未收到" not in own and "未发现问题" in own
    assert "贵单位材料总体状态：材料不全" in text
    assert "（新收到）" in text or "（已替换此前收到的同一材料）" in text
    unit_part = text[text.index("三、"):text.index("四、")]
    assert "申报表PDF版" in unit_part  # what the unit as a whole still lacks


def test_a_second_address_without_a_roster_joins_flagged_and_learns_only_its_own_mail(cfg, drop, tmp_path) -> None:
    """No roster: a colleague's personal mailbox naming the unit joins it (新地址), but its receipt reports
    only what it sent itself, never the material the unit's first address sent."""
    import email
    from email import policy

    drop("01.eml", JIANGSU)
    personal = _as_sender(JIANGSU, b"<qc20@sina.com>", b"<colleague@163.com>", b"<personal-1@163.com>")
    drop("02.eml", personal)
    run(cfg, once=True)
    conf = tmp_path / "plain.toml"
    conf.write_text('[storage]\ndata_dir = "var"\n[source.folder]\npath = "inbox"\n', encoding="utf-8")
    out = CliRunner().invoke(app, ["units", "--json", "-c", str(conf)])
    data = json.loads(out.output)
    validate_units(data)
    [unit] = data["units"]
    assert unit["on_roster"] is False and len(unit["messages"]) == 2
    assert unit["new_addresses"] == ["colleague@163.com"]
    with Session(__import__("intake.store.migrations", fromlist=["open_ledger"]).open_ledger(cfg)) as s:
        second = s.exec(select(MessageRow).where(MessageRow.from_addr == "colleague@163.com")).one()
        raw = s.exec(select(OutboxRow).where(OutboxRow.message_pk == second.id)).one().raw
    text = email.message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    assert "全部材料的情况" not in text and "已收到 2 封邮件" not in text
