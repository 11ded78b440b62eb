"""The socket files a killed LibreOffice leaves behind, named so they can be removed.

soffice listens on ``OSL_PIPE_<uid>_SingleOfficeIPC_<hash>`` (its single-instance pipe, the hash being
the MD5 of its profile URL in UTF-16, hex digits unpadded) and, for the warm converter, on
``OSL_PIPE_<uid>_<accept name>``, in /tmp (else /var/tmp). It removes them when it exits; a SIGKILL —
a conversion over its time limit, a hung converter — leaves them, one pair per kill, for as long as the
machine runs (~550 were found on this machine). The caller removes them once the process group is dead.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PIPE_DIRS = (Path("/tmp"), Path("/var/tmp"))


def ipc_name(profile_uri: str) -> str:
    """The single-instance pipe's name for the profile ``profile_uri`` (as given in -env:UserInstallation)."""
    digest = hashlib.md5(profile_uri.encode("utf-16-le"), usedforsecurity=False).digest()
    return "SingleOfficeIPC_" + "".join(format(b, "x") for b in digest)  # LibreOffice does not pad


def remove(*names: str) -> None:
    """Remove the pipe files of ``names`` (an :func:`ipc_name`, an accept pipe's name) where they are."""
    uid = os.getuid()
    for directory in PIPE_DIRS:
        for name in names:
            try:
                (directory / f"OSL_PIPE_{uid}_{name}").unlink(missing_ok=True)
            except OSError:
                pass  # not ours to remove (another user's /tmp entry), or the directory is gone
