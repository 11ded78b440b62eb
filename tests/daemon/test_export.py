"""``intake export``: the national lists read back cell by cell, and ``--files`` under canonical names."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli import app
from intake.config import load_config
from intake.record.units import merge_unit
from intake.run.daemon import run
from intake.staff.export import canonical_name, safe_name
from intake.store.migrations import open_ledger
from intake.store.rows import MessageRow
from parsers.result import DocumentResult

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example inbox and roster processed once: a ledger with complete, incomplete, late units."""
    d = tmp_path_factory.mktemp("export")
    shutil.copytree(ROOT / "examples" / "inbox", d / "inbox")
    shutil.copy(ROOT / "examples" / "roster.csv", d / "roster.csv")
    (d / "c.toml").write_text('[storage]\ndata_dir = "var"\n[source.folder]\npath = "inbox"\n'
                              '[roster]\nfile = "roster.csv"\n', encoding="utf-8")
    assert run(load_config(d / "c.toml"), once=True).poll_ok
    return d


def _workbook(d: Path, *extra: str) -> openpyxl.Workbook:
    out = d / "lists.xlsx"
    res = CliRunner().invoke(app, ["export", str(out), "-c", str(d / "c.toml"), *extra])
    assert res.exit_code == 0, res.output
    return openpyxl.load_workbook(out)


def _current_recommendation_rows(d: Path) -> list[tuple]:
    """Independently of the export: every unit's current 推荐表 group rows, from the stored results."""
    cfg = load_config(d / "c.toml")
    out = []
    with Session(open_ledger(cfg)) as s:
        by_unit: dict[str, list[MessageRow]] = {}
        for m in s.exec(select(MessageRow)).all():
            if m.unit_key:
                by_unit.setdefault(m.unit_key, []).append(m)
    for unit, msgs in by_unit.items():
        docs = merge_unit([(m.received_at, [DocumentResult.from_json(x) for x in (m.result or {})["documents"]])
                           for m in msgs])
        rec = next(x for x in docs if x.form == "recommendation" and x.text_trusted)
        out += [(unit, g["company"], g["group_name"], g["topic_type"]) for g in rec.fields["groups"]]
    return sorted(out)


def test_the_national_list_is_the_union_of_the_units_recommendation_rows(ledger_dir: Path) -> None:
    wb = _workbook(ledger_dir)
    assert wb.sheetnames == ["汇总", "问题清单", "推荐小组", "评委", "统计"]
    ws = wb["推荐小组"]
    header = [c.value for c in ws[1]]
    assert header == ["序号", "推荐单位", "企业名称", "小组名称", "课题名称", "课题类型", "备注"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert sorted((r[1], r[2], r[3], r[5]) for r in rows) == _current_recommendation_rows(ledger_dir)
    assert all(r[4] for r in rows), "课题名称 comes from each group's 申报表"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws["A1"].font.bold


def test_summary_findings_judges_and_statistics_sheets(ledger_dir: Path) -> None:
    wb = _workbook(ledger_dir)
    summary = {r[0].value: [c.value for c in r] for r in wb["汇总"].iter_rows(min_row=2)}
    assert summary["广东省质量协会"][2] == "未报送" and summary["江苏省质量协会"][2] == "材料齐全"
    assert summary["山东省质量管理协会"][2] == "逾期"
    assert summary["江苏省质量协会"][3].year == 2020  # a real date, sortable in Excel
    issues = [[c.value for c in r] for r in wb["问题清单"].iter_rows(min_row=2)]
    assert ["山东省质量管理协会", "deadline.late", "错误"] == [issues[[i[3] for i in issues].index("deadline.late")][k]
                                                          for k in (0, 3, 4)]
    judges = [[c.value for c in r] for r in wb["评委"].iter_rows(min_row=2)]
    assert judges and all(j[4] for j in judges)
    stats = [[c.value for c in r] for r in wb["统计"].iter_rows(min_row=2)]
    assert stats[-1][0] == "全国合计"
    col = 6  # 历年来累计QC小组创可计算的经济效益
    assert all(isinstance(r[col - 1], int | float) for r in stats)
    assert stats[-1][col - 1] == pytest.approx(sum(r[col - 1] for r in stats[:-1]))


def test_judges_register_marks_unknown_and_misnamed_certificates(ledger_dir: Path, tmp_path: Path) -> None:
    wb = _workbook(ledger_dir)
    judges = [[c.value for c in r] for r in wb["评委"].iter_rows(min_row=2)]
    register = openpyxl.Workbook()
    register.active.append(["证书编号", "姓名"])
    register.active.append([judges[0][4], judges[0][2]])  # right name
    register.active.append([judges[1][4], "另一个人"])  # registered under another name
    buf = io.BytesIO()
    register.save(buf)
    (ledger_dir / "register.xlsx").write_bytes(buf.getvalue())
    conf = ledger_dir / "c2.toml"
    conf.write_text((ledger_dir / "c.toml").read_text(encoding="utf-8")
                    + '[export]\njudges_register = "register.xlsx"\n', encoding="utf-8")
    out = ledger_dir / "lists2.xlsx"
    assert CliRunner().invoke(app, ["export", str(out), "-c", str(conf)]).exit_code == 0
    marked = [[c.value for c in r] for r in openpyxl.load_workbook(out)["评委"].iter_rows(min_row=2)]
    assert not marked[0][6]
    assert "另一个人" in marked[1][6]
    assert "不在评委名册中" in marked[2][6]


def test_files_export_copies_current_documents_under_canonical_names(ledger_dir: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["export", "--files", str(tmp_path / "files"), "-c", str(ledger_dir / "c.toml")])
    assert res.exit_code == 0, res.output
    js = tmp_path / "files" / "江苏省质量协会"
    names = sorted(p.name for p in js.iterdir())
    assert "附件4-推荐表.xlsx" in names or any(n.startswith("附件4-推荐表") for n in names)
    apps = [n for n in names if n.startswith("附件1-申报表-")]
    assert len(apps) == 4 and sum(n.endswith("-盖章版.pdf") for n in apps) == 2
    assert not (tmp_path / "files" / "广东省质量协会").exists()  # nothing sent, no folder


def test_names_are_safe_on_windows() -> None:
    assert safe_name('a<b>:c"/d\\e|f?g*h. ') == "a_b__c__d_e_f_g_h"
    assert safe_name("CON") == "_CON" and safe_name("") == "_"
    doc = DocumentResult("x.PDF", None, "pdf", "application", {"company": "某/公司", "group_name": "QC:小组", "copy": "pdf"})
    assert canonical_name(doc) == "附件1-申报表-某_公司-QC_小组-盖章版.pdf"
