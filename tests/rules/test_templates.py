"""Message templates never print a literal placeholder: absent values give their fallback or nothing,
and ``intake rules lint`` renders every template of every rule file with and without its values."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.pipeline import check_message
from rules import load_campaign
from rules.campaign import render
from rules.lint import leftover_braces, lint
from tests.fixtures.mail import build_message

RULE_FILES = sorted((Path(__file__).resolve().parents[2] / "rules").rglob("*.toml"))


def test_render_fills_fallbacks_and_drops_absent_values() -> None:
    t = "未能确认收到{group|各小组}的{form_name}{copy_name}"
    assert render(t, {"form_name": "申报表", "copy_name": "PDF版"}) == "未能确认收到各小组的申报表PDF版"
    assert render(t, {"group": "“先锋”小组", "form_name": "申报表", "copy_name": None}) == "未能确认收到“先锋”小组的申报表"
    assert render("第{row}行{{注}}", {}) == "第行{注}"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_every_template_of_every_rule_file_renders_without_braces(path: Path) -> None:
    campaign = load_campaign(path)
    templates = [(r.id, r.message) for r in campaign.rules] + [(m, s.text) for m, s in campaign.messages.items()]
    assert len(templates) > 50
    bad = [(tid, problem) for tid, text in templates for problem in leftover_braces(text)]
    assert bad == []
    assert lint(path) == []


def test_lint_reports_a_template_that_would_print_a_brace(tmp_path: Path) -> None:
    src = RULE_FILES[0].read_text(encoding="utf-8")
    broken = src.replace('text = "未收到{form_name}{copy_name}，请补发"', 'text = "未收到{form_name}{copy_name，请补发"', 1)
    assert broken != src
    p = tmp_path / "broken.toml"
    p.write_text(broken, encoding="utf-8")
    problems = lint(p)
    assert any("leaves a brace" in line for line in problems), problems


def test_an_image_with_no_known_group_gives_a_clean_unconfirmed_message() -> None:
    """The case that printed 未能确认收到{group}的申报表PDF版 into receipts."""
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    result = check_message(build_message([("扫描件.png", png)]), load_campaign()).to_json()
    [f] = [f for f in result["findings"] if f["rule"] == "application.pdf.unconfirmed"]
    assert "{" not in f["message"] and "}" not in f["message"]
    assert "各小组" in f["message"]
    assert all("{" not in x["message"] for x in result["findings"])
