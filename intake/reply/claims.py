"""Who holds an outbox row: the sending process's identity, and whether that process still lives.

Why more than a pid: after a crash and restart, or a reboot, the pid of a dead sender may belong
to some other process, and a bare ``kill(pid, 0)`` would call it alive. So a claim names the host,
the boot (``/proc/sys/kernel/random/boot_id``), the pid and the process's start time (field 22 of
``/proc/<pid>/stat``, in clock ticks since boot): a claim is held by a live process only if that
host is this one, the machine has not rebooted since, and the pid still runs with the same start
time. A claim from another host (several daemons on one PostgreSQL ledger) cannot be checked from
here; it is trusted until its lease (:data:`LEASE`) runs out.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

LEASE = timedelta(minutes=5)  # a claim from another host is trusted this long (well above reply.smtp.timeout)
PROC = Path("/proc")


def _boot_id() -> str:
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "-"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot; None when no such process (or a zombie)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return "-"  # /proc unreadable (hardened mount): fall back on kill(pid, 0)
    fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": the comm may hold spaces
    if not fields or fields[0] in ("Z", "X"):  # a zombie or dead process sends nothing any more
        return None
    return fields[19] if len(fields) > 19 else "-"


def _host() -> str:
    return socket.gethostname().replace(" ", "_") or "-"


def token_for(pid: int) -> str | None:
    """The claim token of process ``pid`` on this host now; None when it does not run."""
    start = _start_time(pid) if PROC.is_dir() else "-"
    if start is None:
        return None
    return f"{_host()} {_boot_id()} {pid} {start}"


@lru_cache(maxsize=4)
def _own_token(pid: int) -> str:
    return token_for(pid) or f"{_host()} {_boot_id()} {pid} -"


def own_token() -> str:
    """This process's claim token (recomputed after a fork: the pid is part of the key)."""
    return _own_token(os.getpid())


def holder_alive(token: str | None, claimed_at: datetime | None, now: datetime) -> bool:
    """Whether the process that wrote ``token`` may still be working on its row.

    This process's own token counts as alive here; the caller (the outbox, which serialises its
    senders) decides what its own leftover claims mean.
    """
    if not token:
        return False
    parts = token.split(" ")
    if len(parts) != 4 or not parts[2].isdigit():
        return _lease_running(claimed_at, now)  # not ours to read: trust it for the lease
    host, boot, pid_text, start = parts
    if host != _host():
        return _lease_running(claimed_at, now)  # another machine: cannot look
    if boot != "-" and _boot_id() != "-" and boot != _boot_id():
        return False  # this machine rebooted since the claim
    pid = int(pid_text)
    if start != "-" and PROC.is_dir():
        now_start = _start_time(pid)
        if now_start is None:
            return False
        if now_start != "-":
            return now_start == start  # same pid, other start time: the pid was reused
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def _lease_running(claimed_at: datetime | None, now: datetime) -> bool:
    return claimed_at is not None and now < claimed_at + LEASE


__all__ = ["LEASE", "holder_alive", "own_token", "token_for"]
