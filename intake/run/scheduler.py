"""Run the daemon's jobs (poll, outbox; with ``reminders.enabled`` the daily reminders) on APScheduler 3.x
until SIGTERM/SIGINT.

Why ``max_instances=1, coalesce=True``: a slow pass (a big archive, LibreOffice) must not be
overtaken by the next one, and missed runs collapse into one instead of a burst. Why
``shutdown(wait=True)`` on a signal: the message in hand finishes and is committed; the next
start resumes from the ledger anyway, but a clean stop leaves nothing in ``stored``.

With ``source.imap.idle`` the poll job becomes a loop that waits in IMAP IDLE between passes
(re-issued at most every 9 minutes, below the ~10 min servers tolerate), so new mail is seen
within a second instead of within ``poll_seconds``; servers without IDLE fall back to polling.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from intake.config import Config, parse_clock

if TYPE_CHECKING:
    from intake.run.daemon import Daemon

log = logging.getLogger("intake.run.scheduler")

IDLE_REISSUE_SECONDS = 150.0  # RFC 2177 allows 29 min; 163.com drops an idle client after ~200 s (field-facts)
MAX_CATCH_UP = 10  # passes in a row while mail keeps arriving during a pass (then the interval resumes)
MAX_SEND_ROUNDS = 50  # outbox rounds per job run while new receipts keep being queued
REMIND_GRACE_SECONDS = 12 * 3600  # a reminder job missed while the machine slept still runs that day


def build_scheduler(cfg: Config, daemon: Daemon, stop: threading.Event) -> BlockingScheduler:
    """The scheduler with its jobs, not started (tests start it in a thread)."""
    tz = getattr(daemon.campaign, "tz", None) or "Asia/Shanghai"
    sched = BlockingScheduler(timezone=tz)
    grace = max(1, int(cfg.schedule.misfire_grace_seconds))
    opts = {"max_instances": 1, "coalesce": True, "misfire_grace_time": grace}
    now = datetime.now(sched.timezone)
    if cfg.source.kind == "imap" and cfg.source.imap.idle:
        sched.add_job(_idle_loop, args=(cfg, daemon, stop), id="poll", next_run_time=now, **opts)
    else:
        sched.add_job(_poll, IntervalTrigger(seconds=cfg.schedule.poll_seconds), args=(daemon,), id="poll",
                      next_run_time=now, **opts)
    wanted = threading.Event()  # set by each recorded message: the outbox job goes on (or runs) for it
    sched.add_job(_send, IntervalTrigger(seconds=cfg.schedule.outbox_seconds), args=(daemon, wanted), id="outbox",
                  next_run_time=now, **opts)
    sched.add_job(_second_look, IntervalTrigger(seconds=cfg.schedule.second_look_seconds), args=(daemon,),
                  id="second_look", **opts)

    def wake_outbox() -> None:  # a receipt was just queued: send it now, not at the next interval
        wanted.set()  # seen by a run in progress, whose instance would make the wake-up below be skipped
        if sched.running:
            sched.modify_job("outbox", next_run_time=datetime.now(sched.timezone))

    daemon.on_recorded = wake_outbox
    if cfg.reminders.enabled:
        from intake.staff.remind import due_day

        hour, minute = parse_clock(cfg.reminders.send_at, "reminders.send_at")
        # daily at send_at (campaign time); started later on a reminder day: at once (the job only
        # queues units not reminded today, so a restart sends nothing twice)
        first = {"next_run_time": now} if due_day(cfg, daemon.campaign, daemon.clock()) is not None else {}
        sched.add_job(_remind, CronTrigger(hour=hour, minute=minute), args=(daemon,), id="remind",
                      **(opts | {"misfire_grace_time": REMIND_GRACE_SECONDS} | first))
    sched.add_listener(_on_event, EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES)
    return sched


def serve(cfg: Config, daemon: Daemon) -> None:
    """Block until SIGTERM/SIGINT, then finish the job in hand and return."""
    stop = threading.Event()
    sched = build_scheduler(cfg, daemon, stop)

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %s: finishing the message in hand, then stopping", signal.Signals(signum).name)
        stop.set()
        daemon.stopping.set()  # the pass stops after the message in hand, not after the whole batch
        if sched.running:
            sched.shutdown(wait=False)  # wakes start(); the executor is drained below
        grace = cfg.schedule.stop_grace_seconds
        timer = threading.Timer(grace, _give_up, args=(daemon, grace))
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:  # workers and OCR models ready before the first mail, not while its sender waits
        daemon.pool.start(warm_ocr=True)
    except Exception as e:  # noqa: BLE001 - they start at the first document instead
        log.warning("reading workers not started ahead: %s: %s", type(e).__name__, e)
    if cfg.workers.keep_office_warm:  # the first legacy file after a quiet spell does not wait for soffice
        from parsers.readers import warm_office

        warm_office.keep_warm()
    log.info("intake daemon running: source %s, poll every %ss, outbox every %ss",
             daemon.source.name, cfg.schedule.poll_seconds, cfg.schedule.outbox_seconds)
    sched.start()
    # start() returns after shutdown(wait=False); wait for running jobs so the message in hand
    # is committed before the process exits.
    for executor in sched._executors.values():  # noqa: SLF001 - no public "drain" in 3.x
        executor.shutdown(wait=True)
    log.info("intake daemon stopped")


def _give_up(daemon: Daemon, grace: float) -> None:
    """The message in hand did not finish within the grace time: exit now. Nothing is lost — its ledger
    row is still ``stored`` and the next start processes it — and the supervisor sees a clean stop. The
    reading workers are killed first, so no process outlives the daemon."""
    log.warning("stop: the work in hand did not finish within %gs; exiting anyway (it is redone at the next start)",
                grace)
    try:
        daemon.pool.close()
    finally:
        logging.shutdown()
    os._exit(0)


def _poll(daemon: Daemon) -> None:
    """A pass; then, as long as the pass found mail, another one at once: mail that arrived while the
    pass was busy is taken now, not at the next interval (or the next IDLE wake-up)."""
    for _ in range(MAX_CATCH_UP):
        try:
            stats = daemon.poll()
        except Exception:  # already logged and recorded in MailboxState; retry at the next poll
            return
        if stats.fetched or stats.processed or stats.failed:
            log.info("poll: %s", stats)
        if not stats.fetched or daemon.stopping.is_set():
            return


def _send(daemon: Daemon, wanted: threading.Event) -> None:
    """Deliver due receipts, again while new ones keep arriving. ``wanted``: set by each recorded message. A
    wake-up while this job runs is skipped by the scheduler (one instance at a time), so the run itself goes
    on for a receipt queued while it sent the others — else that receipt waited for the next interval
    (15 s), as the last ones of a rush arriving live did. The SMTP connection stays open after a run that
    sent something (the next receipt of a rush needs no new handshake) and is closed by the first run that
    finds nothing, at most an outbox interval later."""
    total = 0
    for _ in range(MAX_SEND_ROUNDS):
        wanted.clear()
        sent = daemon.send()
        total += sent
        if daemon.stopping.is_set() or not (sent or wanted.is_set()):
            break
    if not total or daemon.stopping.is_set():  # a run with nothing to send (the 15 s timer's, after a rush)
        daemon.end_sending()  # closes the connection kept for the next receipts


def _second_look(daemon: Daemon) -> None:
    """The OCR left for after the receipt, while no mail comes (it stops when some does)."""
    if daemon.quiet() and (n := daemon.second_look()):
        log.info("second look: %d messages", n)


def _remind(daemon: Daemon) -> None:
    if daemon.stopping.is_set():
        return
    with daemon.lock:  # after the pass in hand: a correction being processed counts before the reminder
        n = daemon.remind()
    if n:
        log.info("reminders: %d queued", n)


def _idle_loop(cfg: Config, daemon: Daemon, stop: threading.Event) -> None:
    """Pass, then wait in IDLE (or sleep) until new mail, the poll interval, or stop."""
    while not stop.is_set():
        _poll(daemon)
        deadline = time.monotonic() + min(cfg.schedule.poll_seconds, IDLE_REISSUE_SECONDS)
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            step = min(1.0, left)  # short steps so a stop signal is honoured promptly
            began = time.monotonic()
            try:
                if daemon.source.wait(step):
                    break
            except Exception as e:  # connection gone: the next pass reconnects
                log.warning("IDLE wait failed: %s", e)
            rest = step - (time.monotonic() - began)
            if rest > 0:  # no IDLE (or it returned early): sleep the rest of the step
                stop.wait(rest)


def _on_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MAX_INSTANCES:
        log.info("job %s still running; this run skipped", event.job_id)
    elif event.exception is not None:
        log.error("job %s failed: %s", event.job_id, event.exception)
