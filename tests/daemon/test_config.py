"""Config validation names the bad key; config.example.toml documents every key with its default."""

from __future__ import annotations

import tomllib
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from intake.config import Config, ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


@pytest.mark.parametrize(("toml", "key"), [
    ('[source.imap]\nport = "abc"\n', "source.imap.port"),
    ("[source.imap]\nhots = 'x'\n", "source.imap.hots"),
    ("[source]\nkind = 'pop3'\n", "source.kind"),
    ("[source]\nkind = 'imap'\n[source.imap]\nusername = 'a@b'\n", "source.imap.host"),
    ("[source]\nkind = 'imap'\n[source.imap]\nhost = 'h'\nusername = 'a@b'\nafter = 'move'\n",
     "source.imap.move_to"),
    ("[reply]\ntransport = 'smtp'\n", "reply.smtp.host"),
    ("[schedule]\npoll_seconds = 0\n", "schedule.poll_seconds"),
    ("[reply]\nenabled = 'yes'\n", "reply.enabled"),
    ("[schedule]\noutbox_seconds = 0\n", "schedule.outbox_seconds"),
    ("[limits]\nmax_parts = -1\n", "limits.max_parts"),
    ("[limits]\nread_timeout_seconds = 0\n", "limits.read_timeout_seconds"),
    ("[limits]\nocr_max_pages = -1\n", "limits.ocr_max_pages"),
    ("[limits]\nocr_seconds_per_page = 0\n", "limits.ocr_seconds_per_page"),
    ("[limits]\nocr_twin_pages = -1\n", "limits.ocr_twin_pages"),
    ("[workers]\nprocesses = -2\n", "workers.processes"),
    ("[workers]\nmemory_mb = -1\n", "workers.memory_mb"),
    ("[workers]\nmessage_budget_seconds = 0\n", "workers.message_budget_seconds"),
    ("[source.imap]\nport = 0\n", "source.imap.port"),
    ("[reply.smtp]\nport = 70000\n", "reply.smtp.port"),
    ("[reply]\nmax_attempts = 0\n", "reply.max_attempts"),
    ("[schedule]\nmisfire_grace_seconds = -5\n", "schedule.misfire_grace_seconds"),
])
def test_bad_values_name_the_key(tmp_path, toml, key):
    p = tmp_path / "c.toml"
    p.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(e.value).startswith(key + ":")


def test_missing_file_and_bad_toml_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[source\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


def _keys(cls: type, prefix: str = "") -> set[str]:
    out = set()
    for f in fields(cls):
        if f.name == "base_dir":
            continue
        t = f.default_factory() if callable(f.default_factory) else None  # type: ignore[misc]
        if t is not None and is_dataclass(t):
            out |= _keys(type(t), prefix + f.name + ".")
        else:
            out.add(prefix + f.name)
    return out


def _toml_keys(d: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in d.items():
        out |= _toml_keys(v, prefix + k + ".") if isinstance(v, dict) else {prefix + k}
    return out


def test_example_config_has_every_key_with_its_default():
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert _toml_keys(data) == _keys(Config)
    cfg = load_config(EXAMPLE)
    default = Config()
    default.base_dir = cfg.base_dir
    assert cfg == default


def test_zero_is_allowed_where_it_means_something(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[workers]\nprocesses = 0\nmemory_mb = 0\n[schedule]\nmisfire_grace_seconds = 0\n", encoding="utf-8")
    cfg = load_config(p)
    assert cfg.workers.processes == 0 and cfg.workers.memory_mb == 0


def test_ca_files_are_relative_to_the_config_file(tmp_path, monkeypatch):
    conf_dir = tmp_path / "etc"
    conf_dir.mkdir()
    p = conf_dir / "c.toml"
    p.write_text('[source.imap]\nca_file = "certs/imap.pem"\n[reply.smtp]\nca_file = "certs/smtp.pem"\n',
                 encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # somewhere else: the config's folder must decide, not the cwd
    cfg = load_config(p)
    assert cfg.source.imap.ca_file == str(conf_dir / "certs" / "imap.pem")
    assert cfg.reply.smtp.ca_file == str(conf_dir / "certs" / "smtp.pem")
