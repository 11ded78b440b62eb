"""The ``intake`` command line. Thin: each command parses options and calls one module."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from intake.config import Config, ConfigError, load_config

T = TypeVar("T")

app = typer.Typer(add_completion=False, no_args_is_help=True, help="qc-intake: QC group submission intake daemon")
rules_app = typer.Typer(no_args_is_help=True, help="Campaign rule files")
app.add_typer(rules_app, name="rules")

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config TOML (default: embedded example inbox)")
]


def _read_only(view: Callable[[], T]) -> T:
    """Run a read-only view; a missing or outdated ledger is a clear message and exit 2, not a new ledger."""
    from intake.store.migrations import LedgerUnavailable

    try:
        return view()
    except LedgerUnavailable as e:
        typer.echo(f"ledger: {e}", err=True)
        raise typer.Exit(2) from e


def _config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as e:
        typer.echo(f"config error: {e}", err=True)
        raise typer.Exit(2) from e


@app.command()
def check(
    message: Annotated[Path, typer.Argument(help="A raw RFC 5322 message (.eml)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the contract JSON")] = False,
    rules: Annotated[Path | None, typer.Option("--rules", help="Campaign rule file")] = None,
    received: Annotated[str | None, typer.Option("--received", help="Override the receipt time (ISO 8601)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Run the whole pipeline on one message without touching ledger, mailbox or SMTP."""
    from intake.pipeline import check_message
    from rules import load_campaign

    cfg = _config(config)
    try:
        raw = message.read_bytes()
    except OSError as e:
        typer.echo(f"cannot read {message}: {e}", err=True)
        raise typer.Exit(2) from e
    when = None
    if received:
        try:
            when = datetime.fromisoformat(received)
        except ValueError as e:
            typer.echo(f"--received: not an ISO 8601 time: {received!r}", err=True)
            raise typer.Exit(2) from e
    try:
        campaign = load_campaign(rules or cfg.rules_path)
    except Exception as e:  # a bad rule file is the operator's error: say so, exit non-zero
        typer.echo(f"rule file error: {e}", err=True)
        raise typer.Exit(2) from e
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=campaign.tz)
    from intake.record.judges import configured_register

    campaign.judges_register = configured_register(cfg)
    result = check_message(raw, campaign, when, cfg.limits.to_limits(), cfg.limits.read_timeout_seconds,
                           ocr=cfg.limits.ocr())
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        from intake.staff.views import print_result

        print_result(result.to_json())


@app.command()
def run(
    once: Annotated[bool, typer.Option("--once", help="One pass (fetch, process, send) and exit")] = False,
    standby: Annotated[bool, typer.Option(
        "--standby", help="If another daemon holds this ledger, wait and take over when it ends")] = False,
    config: ConfigOpt = None,
) -> None:
    """The daemon: poll the mailbox and send receipts until SIGTERM/SIGINT (one daemon per ledger)."""
    from intake.run.daemon import run as run_daemon
    from intake.run.lock import LockHeld

    try:
        stats = run_daemon(_config(config), once=once, standby=standby)
    except ConfigError as e:  # e.g. a roster file that cannot be read
        typer.echo(f"config error: {e}", err=True)
        raise typer.Exit(2) from e
    except LockHeld as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(3) from e
    if stats is not None and not stats.poll_ok:
        typer.echo("the mailbox poll failed (see the log above and `intake status`)", err=True)
        raise typer.Exit(1)


@app.command()
def ledger(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable")] = False,
    units: Annotated[bool, typer.Option("--units", help="One row per recommending unit instead")] = False,
    review: Annotated[bool, typer.Option("--review", help="Documents staff must check by eye instead")] = False,
    config: ConfigOpt = None,
) -> None:
    """List the messages in the ledger with their status (--units: the units; --review: manual review)."""
    from intake.staff.views import ledger_view, review_view, units_view

    view = review_view if review else units_view if units else ledger_view
    cfg = _config(config)
    _read_only(lambda: view(cfg, as_json))


@app.command()
def show(
    what: Annotated[str, typer.Argument(help="Ledger id of a message, or the name of a recommending unit")],
    config: ConfigOpt = None,
) -> None:
    """Show one message (documents, fields, findings, receipt) or one unit (messages, groups, findings)."""
    from intake.staff.units import show_unit
    from intake.staff.views import show_view

    cfg = _config(config)
    found = _read_only(lambda: show_view(cfg, int(what)) if what.isdigit() else show_unit(cfg, what))
    if not found:
        raise typer.Exit(1)


@app.command()
def units(
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly contract/units-json.md")] = False,
    config: ConfigOpt = None,
) -> None:
    """Where every recommending unit stands: not submitted, incomplete, late, complete (roster included)."""
    from intake.staff.units import units_view

    cfg = _config(config)
    _read_only(lambda: units_view(cfg, as_json))


@app.command()
def confirm(
    message_id: Annotated[int, typer.Argument(help="Ledger id of a message held as 待确认")],
    unit: Annotated[str, typer.Argument(help="The roster unit it belongs to")],
    add_address: Annotated[bool, typer.Option("--add-address", help="Also accept later mail from this sender")] = False,
    config: ConfigOpt = None,
) -> None:
    """Let a message from an address the roster does not list count for a unit (staff decision)."""
    from intake.record.confirm import ConfirmError, confirm_message

    cfg = _config(config)
    try:
        text = _read_only(lambda: confirm_message(cfg, message_id, unit, add_address))
    except ConfirmError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from e
    typer.echo(text)


@app.command()
def export(
    workbook: Annotated[Path | None, typer.Argument(help="The .xlsx to write (汇总, 问题清单, 推荐小组, 评委, 统计)")] = None,
    files: Annotated[Path | None, typer.Option("--files", help="Copy each unit's current documents here instead")] = None,
    config: ConfigOpt = None,
) -> None:
    """The national lists in Excel (certificates, judges, statistics), or every unit's files under canonical names."""
    from intake.staff.export import export_files, export_workbook

    if (workbook is None) == (files is None):
        typer.echo("give either FILE.xlsx or --files DIR", err=True)
        raise typer.Exit(2)
    cfg = _config(config)
    if files is not None:
        written = _read_only(lambda: export_files(cfg, files))
        typer.echo(f"{len(written)} files written under {files}")
        return
    assert workbook is not None
    data = _read_only(lambda: export_workbook(cfg))
    workbook.write_bytes(data)
    typer.echo(f"written: {workbook}")


@rules_app.command("lint")
def rules_lint(path: Annotated[Path, typer.Argument(help="A campaign rule file (TOML)")]) -> None:
    """Check a campaign rule file; prints each problem with its line, exit 1 when there are any."""
    from rules.lint import lint

    problems = lint(path)
    for line in problems:
        typer.echo(line)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{path}: ok")


@app.command()
def reprocess(
    reparse: Annotated[bool, typer.Option("--reparse", help="Re-read the stored raw messages, not only re-check")] = False,
    failed_only: Annotated[bool, typer.Option("--failed-only", help="Only messages whose processing failed")] = False,
    config: ConfigOpt = None,
) -> None:
    """Re-check stored messages with the current rule file (or re-read them) and report changes."""
    from intake.record.reprocess import print_report
    from intake.record.reprocess import reprocess as run_reprocess
    from intake.run.daemon import setup_logging

    setup_logging()
    print_report(run_reprocess(_config(config), reparse=reparse, failed_only=failed_only))


@app.command()
def outbox(
    retry: Annotated[bool, typer.Option("--retry", help="Put failed receipts back in the queue")] = False,
    config: ConfigOpt = None,
) -> None:
    """List receipts that could not be delivered; --retry queues them again (e.g. after a password fix)."""
    from intake.staff.views import outbox_view

    cfg = _config(config)
    _read_only(lambda: outbox_view(cfg, retry))


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable")] = False,
    max_age: Annotated[float | None, typer.Option(
        "--max-age", help="Seconds since the last successful poll before it counts as stuck "
        "(default: schedule.stale_after_seconds)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Is the daemon alive? Last good poll, backlog, receipts, internal errors; exit 1 when stale (for cron)."""
    from intake.staff.status import status_view

    cfg = _config(config)
    if not _read_only(lambda: status_view(cfg, as_json, max_age)):
        raise typer.Exit(1)


@app.command()
def remind(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list who would get one and print the texts")] = False,
    day: Annotated[str | None, typer.Option("--day", help="The day, YYYY-MM-DD in campaign time (default: today)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Reminders to roster units not yet complete: --dry-run lists who and prints the text; without it, queue them now."""
    from datetime import date

    from intake.staff.remind import RemindError, remind_command

    cfg = _config(config)
    when = None
    if day:
        try:
            when = date.fromisoformat(day)
        except ValueError as e:
            typer.echo(f"--day: expected YYYY-MM-DD, got {day!r}", err=True)
            raise typer.Exit(2) from e
    try:
        lines = _read_only(lambda: remind_command(cfg, when, dry_run))
    except RemindError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from e
    except ConfigError as e:  # e.g. a roster file that cannot be read
        typer.echo(f"config error: {e}", err=True)
        raise typer.Exit(2) from e
    typer.echo("\n".join(lines))


@app.command()
def serve(config: ConfigOpt = None) -> None:
    """The staff web page (read-only) on web.host:web.port; needs the access token in web.token_env."""
    import uvicorn

    from intake.run.daemon import setup_logging
    from intake.staff.web.app import create_app

    setup_logging()
    cfg = _config(config)
    try:
        web = create_app(cfg)
    except ConfigError as e:  # no token set, or a bad rule/roster file
        typer.echo(f"config error: {e}", err=True)
        raise typer.Exit(2) from e
    typer.echo(f"staff page on http://{cfg.web.host}:{cfg.web.port}/ (open it once with ?token=...)", err=True)
    # uvicorn's access log prints query strings (a ?token=...); the app logs each request without them
    uvicorn.run(web, host=cfg.web.host, port=cfg.web.port, access_log=False, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    app()
