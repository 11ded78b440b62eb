"""Configuration: one TOML file, validated at start, every key documented in config.example.toml.

Why dataclasses and a hand-made validator: the error must name the bad key and what is expected
(``source.imap.port: expected an integer, got 'abc'``), and the defaults must run the embedded
example without any file at all. Secrets never live here: the config names environment
variables (``password_env``) and :func:`secret` reads them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin, get_type_hints

from intake.unpack.types import Limits
from intake.workers import WorkerLimits

if TYPE_CHECKING:
    from parsers.readers.ocr_options import OcrOptions


class ConfigError(ValueError):
    """A bad or missing configuration value; the message names the key."""


@dataclass
class CampaignConfig:
    rules: str = ""  # path of the campaign rule file; "" = the bundled rules/caq-2020.toml


@dataclass
class RosterConfig:
    # the units the office expects (.xlsx or .csv: 推荐单位, 类型, 邮箱, 别名); "" = no roster
    file: str = ""


@dataclass
class ExportConfig:
    # the office's register of judges' certificates (.xlsx with 证书编号 and 姓名); "" = none
    judges_register: str = ""


@dataclass
class StorageConfig:
    data_dir: str = "var"  # raw messages, attachments, outbox folder live under here
    database: str = ""  # SQLAlchemy URL; "" = sqlite:///<data_dir>/ledger.db


@dataclass
class FolderSourceConfig:
    path: str = "examples/inbox"  # *.eml files, or a Maildir (new/, cur/)


@dataclass
class ImapSourceConfig:
    host: str = ""
    port: int = 993
    security: str = "ssl"  # ssl (implicit TLS) | starttls | none (tests only)
    username: str = ""
    password_env: str = "INTAKE_IMAP_PASSWORD"  # env var holding the password / 授权码
    folder: str = "INBOX"
    ca_file: str = ""  # extra CA bundle (tests with a self-signed server); verification stays on
    after: str = "seen"  # what to do once a message is safely recorded: seen | move (never delete)
    move_to: str = ""  # target folder when after = "move"
    idle: bool = False  # use IMAP IDLE between polls when the server offers it
    timeout: float = 30.0  # socket timeout, seconds: a dead connection must not hang the poll
    id_name: str = "qc-intake"  # sent with the IMAP ID command (163.com requires ID before SELECT)
    id_vendor: str = "qc-intake"
    id_support_email: str = ""


@dataclass
class SourceConfig:
    kind: str = "folder"  # folder | imap
    folder: FolderSourceConfig = field(default_factory=FolderSourceConfig)
    imap: ImapSourceConfig = field(default_factory=ImapSourceConfig)
    # the receiving server's RFC 8601 authserv-id (163.com's MX writes one): only its
    # Authentication-Results are trusted; "" = trust none (the From/Sender/Return-Path check still applies)
    authserv_id: str = ""


@dataclass
class ScheduleConfig:
    poll_seconds: float = 60.0  # a receipt "within a minute" needs a poll at least this often
    outbox_seconds: float = 15.0
    misfire_grace_seconds: float = 30.0
    stale_after_seconds: float = 600.0  # `intake status` exits 1 when the last good poll is older than this
    stop_grace_seconds: float = 30.0  # after SIGTERM: the message in hand may take this long, then we exit anyway
    # the second look (OCR of sealed 申报表 scans beside their Word copies, after the receipt) waits for
    # this long without new mail, so a receipt never waits behind it
    quiet_seconds: float = 20.0
    second_look_seconds: float = 10.0  # how often the scheduler checks for second looks to do


@dataclass
class SmtpConfig:
    host: str = ""
    port: int = 465
    security: str = "ssl"  # ssl (implicit TLS, 465) | starttls (587) | none (tests only)
    username: str = ""
    password_env: str = "INTAKE_SMTP_PASSWORD"
    ca_file: str = ""
    timeout: float = 30.0


@dataclass
class ReplyConfig:
    enabled: bool = True
    transport: str = "folder"  # folder: write .eml files to outbox_dir | smtp
    from_addr: str = "qc-intake@example.org"
    from_name: str = "中国质协质量活动推进部"
    outbox_dir: str = ""  # "" = <data_dir>/outbox
    max_per_sender_per_hour: int = 10  # loop breaker: a misbehaving robot never gets more than this
    max_attempts: int = 8  # then the receipt is marked failed and shown to staff
    # our own sending budget, well under what a free mailbox is reported to allow; beyond it mail waits
    max_per_15_minutes: int = 60
    max_per_day: int = 500
    smtp: SmtpConfig = field(default_factory=SmtpConfig)


@dataclass
class LimitsConfig:
    max_part_bytes: int = Limits.max_part_bytes
    max_total_bytes: int = Limits.max_total_bytes
    max_parts: int = Limits.max_parts
    max_depth: int = Limits.max_depth
    max_ratio: int = Limits.max_ratio
    read_timeout_seconds: float = 60.0  # one document's reading; LibreOffice conversion included
    ocr_max_pages: int = 10  # scanned PDFs / multi-page images with more pages are not OCR'd; 0 = no OCR
    ocr_seconds_per_page: float = 20.0  # a page slower than this stops the OCR of its document
    ocr_twin_pages: int = 1  # pages OCR'd of a 申报表's sealed scan beside its Word copy (names compared); 0 = none

    def to_limits(self) -> Limits:
        return Limits(self.max_part_bytes, self.max_total_bytes, self.max_parts, self.max_depth, self.max_ratio)

    def ocr(self) -> OcrOptions:
        from parsers.readers.ocr_options import OcrOptions

        return OcrOptions(self.ocr_max_pages, self.ocr_seconds_per_page, twin_pages=self.ocr_twin_pages)


@dataclass
class WorkersConfig:
    """The killable reading processes (intake/workers.py)."""

    processes: int = 0  # reading processes; 0 = one per core
    memory_mb: int = 2048  # address-space limit of each (RLIMIT_AS); 0 = none
    message_budget_seconds: float = 300.0  # all documents of one message together
    keep_office_warm: bool = True  # the daemon keeps one LibreOffice running (see config.example.toml)

    def to_limits(self, read_timeout: float) -> WorkerLimits:
        return WorkerLimits(self.processes, read_timeout, self.memory_mb, self.message_budget_seconds)


@dataclass
class WebConfig:
    """The read-only staff web page (``intake serve``)."""

    host: str = "127.0.0.1"  # loopback only; put a TLS reverse proxy in front to reach it from elsewhere
    port: int = 8080
    token_env: str = "INTAKE_WEB_TOKEN"  # env var holding the access token; unset = `intake serve` refuses to start


@dataclass
class RemindersConfig:
    """Reminder mail to roster units that have sent nothing, or not everything (``intake remind``)."""

    enabled: bool = False  # off by default: mail to every unit is the office's decision, not the program's
    days_before: list[int] = field(default_factory=lambda: [3, 1])  # days before campaign.deadline_date
    send_at: str = "10:00"  # HH:MM, campaign local time (the rule file's time zone)


@dataclass
class AlertsConfig:
    """Mail to staff when polling is stuck (longer than schedule.stale_after_seconds) or the login is refused."""

    staff_addresses: list[str] = field(default_factory=list)  # [] = no alert mail (the ledger still records it)


@dataclass
class Config:
    campaign: CampaignConfig = field(default_factory=CampaignConfig)
    roster: RosterConfig = field(default_factory=RosterConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    source: SourceConfig = field(default_factory=SourceConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    reply: ReplyConfig = field(default_factory=ReplyConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    workers: WorkersConfig = field(default_factory=WorkersConfig)
    web: WebConfig = field(default_factory=WebConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    base_dir: Path = field(default_factory=Path.cwd)  # relative paths are relative to the config file

    def path(self, p: str) -> Path:
        """Resolve a configured path against the config file's folder."""
        q = Path(p).expanduser()
        return q if q.is_absolute() else self.base_dir / q

    @property
    def data_dir(self) -> Path:
        return self.path(self.storage.data_dir)

    @property
    def database_url(self) -> str:
        return self.storage.database or f"sqlite:///{self.data_dir / 'ledger.db'}"

    @property
    def outbox_dir(self) -> Path:
        return self.path(self.reply.outbox_dir) if self.reply.outbox_dir else self.data_dir / "outbox"

    @property
    def roster_path(self) -> Path | None:
        return self.path(self.roster.file) if self.roster.file else None

    @property
    def rules_path(self) -> Path | None:
        return self.path(self.campaign.rules) if self.campaign.rules else None


#: Numbers that must be above zero: a zero interval or limit would spin, refuse everything or never end.
POSITIVE = frozenset({
    "schedule.poll_seconds", "schedule.outbox_seconds", "schedule.stale_after_seconds",
    "schedule.stop_grace_seconds", "schedule.second_look_seconds", "source.imap.timeout", "reply.smtp.timeout",
    "reply.max_per_sender_per_hour", "reply.max_attempts", "reply.max_per_15_minutes", "reply.max_per_day",
    "limits.max_part_bytes", "limits.max_total_bytes",
    "limits.max_parts", "limits.max_depth", "limits.max_ratio", "limits.read_timeout_seconds",
    "limits.ocr_seconds_per_page", "workers.message_budget_seconds",
})
PORTS = frozenset({"source.imap.port", "reply.smtp.port", "web.port"})

CHOICES = {
    "source.kind": ("folder", "imap"),
    "source.imap.security": ("ssl", "starttls", "none"),
    "source.imap.after": ("seen", "move"),
    "reply.transport": ("folder", "smtp"),
    "reply.smtp.security": ("ssl", "starttls", "none"),
}


def _build(cls: type, data: dict[str, Any], prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or '(top)'}: expected a table")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls) if f.name != "base_dir"}
    for key in data:
        if key not in known:
            raise ConfigError(f"{prefix}{key}: unknown key (expected one of: {', '.join(sorted(known))})")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        key, value, typ = prefix + f.name, data[f.name], hints[f.name]
        if isinstance(typ, type) and is_dataclass(typ):  # a nested section's class
            kwargs[f.name] = _build(typ, value, key + ".")
        elif typ is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{key}: expected true or false, got {value!r}")
            kwargs[f.name] = value
        elif typ is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{key}: expected an integer, got {value!r}")
            kwargs[f.name] = _in_range(key, value)
        elif typ is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{key}: expected a number, got {value!r}")
            kwargs[f.name] = float(_in_range(key, value))
        elif get_origin(typ) is list:
            kwargs[f.name] = _list(key, value, get_args(typ)[0])
        else:
            if not isinstance(value, str):
                raise ConfigError(f"{key}: expected a string, got {value!r}")
            if key in CHOICES and value not in CHOICES[key]:
                raise ConfigError(f"{key}: expected one of {', '.join(CHOICES[key])}, got {value!r}")
            kwargs[f.name] = value
    return cls(**kwargs)


def _list(key: str, value: Any, item: type) -> list[Any]:
    """A TOML array whose every element has the type ``item`` (int or str), the key named on any error."""
    what = {int: "integers", str: "strings"}[item]
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list of {what}, got {value!r}")
    for i, v in enumerate(value):
        ok = isinstance(v, item) and not isinstance(v, bool)
        if not ok:
            raise ConfigError(f"{key}: expected a list of {what}, got {v!r} at position {i + 1}")
        if item is int:
            _in_range(key, v)
    return list(value)


def _in_range(key: str, value: int | float) -> int | float:
    """Refuse negative numbers everywhere, zero where it makes no sense, ports outside 1–65535."""
    if key in PORTS:
        if not 1 <= value <= 65535:
            raise ConfigError(f"{key}: expected a port number 1–65535, got {value!r}")
    elif key in POSITIVE:
        if value <= 0:
            raise ConfigError(f"{key}: expected a number above zero, got {value!r}")
    elif value < 0:
        raise ConfigError(f"{key}: expected zero or more, got {value!r}")
    return value


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate a config file; ``None`` gives the embedded default (example inbox)."""
    if path is None:
        cfg = Config()
        cfg.roster.file = "examples/roster.csv"  # the embedded default: the example inbox and its roster
        return cfg
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"{p}: config file not found") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from e
    cfg = _build(Config, data, "")
    cfg.base_dir = p.resolve().parent
    # CA files are named relative to the config file, like every other path in it
    for tls in (cfg.source.imap, cfg.reply.smtp):
        if tls.ca_file:
            tls.ca_file = str(cfg.path(tls.ca_file))
    validate(cfg)
    return cfg


def validate(cfg: Config) -> None:
    """Cross-key checks that a single key's type cannot express."""
    if cfg.source.kind == "imap":
        for key in ("host", "username"):
            if not getattr(cfg.source.imap, key):
                raise ConfigError(f"source.imap.{key}: required when source.kind = 'imap'")
        if cfg.source.imap.after == "move" and not cfg.source.imap.move_to:
            raise ConfigError("source.imap.move_to: required when source.imap.after = 'move'")
    if cfg.reply.transport == "smtp" and not cfg.reply.smtp.host:
        raise ConfigError("reply.smtp.host: required when reply.transport = 'smtp'")
    parse_clock(cfg.reminders.send_at, "reminders.send_at")
    for addr in cfg.alerts.staff_addresses:
        local, _, domain = addr.strip().rpartition("@")
        if not local or "." not in domain or not addr.isascii() or any(c.isspace() for c in addr.strip()):
            raise ConfigError(f"alerts.staff_addresses: not an email address: {addr!r}")


def parse_clock(text: str, key: str) -> tuple[int, int]:
    """``"10:00"`` → (10, 0); anything else is a ConfigError naming ``key``."""
    hour, sep, minute = text.strip().partition(":")
    if sep and hour.isdigit() and minute.isdigit() and len(minute) == 2 and int(hour) < 24 and int(minute) < 60:
        return int(hour), int(minute)
    raise ConfigError(f"{key}: expected a time of day HH:MM (campaign local time), got {text!r}")


def secret(env_name: str, what: str) -> str:
    """Read a password / authorization code from the environment variable the config names."""
    value = os.environ.get(env_name, "")
    if not value:
        raise ConfigError(f"{what}: environment variable {env_name} is not set (passwords never go in files)")
    return value
