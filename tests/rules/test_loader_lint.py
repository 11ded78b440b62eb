"""A bad rule file fails at load time with the file, line and rule; lint reports softer problems."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from intake.cli import app
from rules import RuleFileError, load_campaign
from rules.lint import lint

BASE = resources.files("rules").joinpath("caq-2020.toml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "rules.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ('field = "mobile"\npattern', 'field = "mobil"\npattern', 'field = "mobil"', ["mobil", "application.mobile.format"]),
        ('kind = "pattern"\nform = "application"', 'kind = "regex"\nform = "application"', 'kind = "regex"', ["regex"]),
        ('id = "summary.char_count.min"\nkind = "range"\nform = "summary"',
         'id = "summary.char_count.min"\nkind = "range"\nform = "sumary"', 'form = "sumary"', ["sumary"]),
        ('check = "review_entries_known"', 'check = "review_entries_guess"', "review_entries_guess", ["cross check"]),
        ('id = "application.seal.missing"\nkind = "one_of"', 'id = "application.seal.missing"\nkind = "one_of"\nfoo = 1',
         "foo = 1", ["foo"]),
        ('"groups[].topic_type"]', '"groups[].topic"]', '"groups[].topic"]', ["topic"]),
        ("pattern = '^\\d{6}$'\nseverity = \"error\"", "pattern = '^\\d{6}$'\nseverity = \"fatal\"",
         'severity = "fatal"', ["fatal"]),
        # parameters of the notice's implied checks (kinds unique/suffix, cross check application_copies_agree)
        ('keys = [["company", "group_name"]]', 'keys = [["company", "group"]]', 'keys = [["company", "group"]]',
         ["group", "recommendation.groups.duplicate"]),
        ('compare = ["company", "group_name", "topic"]', 'compare = ["company", "grup_name", "topic"]',
         'compare = ["company", "grup_name", "topic"]', ["grup_name", "cross.application.copies_mismatch"]),
        ("ocr_similarity = 0.8", "ocr_similarty = 0.8", "ocr_similarty", ["ocr_similarty"]),
        ('except = ["俱乐部", "总部", "本部"]', 'except = "俱乐部"', 'except = "俱乐部"', ["except", "wrong type"]),
    ],
)
def test_load_error_names_the_line(tmp_path, old, new, needle, words):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    path = _write(tmp_path, text)
    with pytest.raises(RuleFileError) as e:
        load_campaign(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:{_line_of(text, needle)}:"), msg
    for w in words:
        assert w in msg
    assert lint(path) == [msg]


def test_unknown_form_table_and_time_zone(tmp_path):
    bad = _write(tmp_path, BASE.replace("[forms.review]", "[forms.reveiw]"))
    with pytest.raises(RuleFileError, match="reveiw"):
        load_campaign(bad)
    bad = _write(tmp_path, BASE.replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Beijing"'))
    with pytest.raises(RuleFileError, match=r":\d+: .*Asia/Beijing"):
        load_campaign(bad)


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(RuleFileError, match="not valid TOML"):
        load_campaign(_write(tmp_path, "[campaign\n"))
    with pytest.raises(RuleFileError, match="not found"):
        load_campaign(tmp_path / "nope.toml")


def test_lint_ok_and_soft_problems(tmp_path):
    assert lint(_write(tmp_path, BASE)) == []
    text = BASE.replace("收到“{value}”，请更正后重新发送\"\n\n[[rules]]\nid = \"application.postcode.format\"",
                        "收到“{valeu}”，请更正后重新发送\"\n\n[[rules]]\nid = \"application.postcode.format\"", 1)
    assert text != BASE
    text = text.replace('[messages."document.timeout"]', '[messages."document.timeoutx"]')
    problems = lint(_write(tmp_path, text))
    line = _line_of(text, 'id = "application.mobile.format"')
    assert any("{valeu}" in p and "application.mobile.format" in p and f":{line}:" in p for p in problems), problems
    assert any("document.timeout" in p for p in problems)


def test_cli_rules_lint(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["rules", "lint", str(_write(tmp_path, BASE))])
    assert ok.exit_code == 0 and "ok" in ok.output
    bad = runner.invoke(app, ["rules", "lint", str(_write(tmp_path, BASE.replace('kind = "count"', 'kind = "cnt"')))])
    assert bad.exit_code == 1 and "cnt" in bad.output


def test_bundled_files_lint_clean():
    root = Path(resources.files("rules"))
    assert lint(root / "caq-2020.toml") == []
    assert lint(root / "examples" / "caq-2099-demo.toml") == []
