"""The far end of the warm converter (:mod:`parsers.readers.warm_office`): run by the *system* Python,
which has LibreOffice's ``uno`` module, not by the project's interpreter. Standard library and uno only.

It starts one headless soffice listening on a private pipe (no TCP port), connects to it, then reads
one JSON request per line on stdin and answers one JSON line on stdout:

    {"in": "/tmp/…/in0.doc", "out": "/tmp/…/in0.docx", "filter": "MS Word 2007 XML",
     "infilter": null, "recalc": false}          →  {"ok": true}  |  {"ok": false, "error": "…"}

Documents are opened hidden, read-only, with macros never run and links never updated. soffice is
this process's child in the same process group, so the caller kills both at once on a timeout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time


def _props(**values):  # noqa: ANN003, ANN202 - UNO PropertyValue tuples
    from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

    out = []
    for name, value in values.items():
        p = PropertyValue()
        p.Name, p.Value = name, value
        out.append(p)
    return tuple(out)


def _connect(pipe: str, deadline: float):  # noqa: ANN202
    import uno  # type: ignore[import-not-found]
    from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _convert(desktop, req: dict) -> None:  # noqa: ANN001
    import uno

    load = {"Hidden": True, "ReadOnly": True, "MacroExecutionMode": 0, "UpdateDocMode": 0}
    if req.get("infilter"):
        load["FilterName"] = req["infilter"]
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(req["in"]), "_blank", 0, _props(**load))
    if doc is None:
        raise RuntimeError("LibreOffice could not open the file")
    try:
        if req.get("recalc") and hasattr(doc, "calculateAll"):
            doc.calculateAll()  # formulas without cached values (the .xlsx a program wrote)
        doc.storeToURL(uno.systemPathToFileUrl(req["out"]), _props(FilterName=req["filter"], Overwrite=True))
    finally:
        doc.close(True)


def _remove_profile(profile_url: str) -> None:
    """The profile directory goes with soffice: a caller killed by SIGKILL can no longer remove it."""
    import shutil
    from urllib.parse import unquote, urlparse

    shutil.rmtree(unquote(urlparse(profile_url).path), ignore_errors=True)


def _orphan_watch(office: subprocess.Popen, profile_url: str) -> None:
    """The caller killed (SIGKILL, a crash) while soffice is busy: stdin's end is not seen until the
    conversion ends, so a watcher checks the parent and takes soffice down with it."""
    import os
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        office.kill()
        office.wait()
        _remove_profile(profile_url)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main() -> int:
    soffice, profile, pipe = sys.argv[1:4]
    office = subprocess.Popen(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--invisible", "--norestore", "--nologo",
         "--nodefault", "--nolockcheck", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _orphan_watch(office, profile)
    try:
        desktop = _connect(pipe, time.monotonic() + 60)
        print(json.dumps({"ok": True, "ready": True}), flush=True)
        for line in sys.stdin:
            answer: dict[str, object]
            try:
                _convert(desktop, json.loads(line))
                answer = {"ok": True}
            except Exception as e:  # noqa: BLE001 - the file's trouble, told to the caller
                answer = {"ok": False, "error": f"{type(e).__name__}: {e}"[:500]}
            print(json.dumps(answer), flush=True)
    finally:
        try:
            desktop.terminate()  # soffice exits and removes its IPC pipe file (a kill leaves it in /tmp)
            office.wait(timeout=5)
        except Exception:  # noqa: BLE001 - going away anyway (not connected, or it does not exit)
            pass
        office.kill()
        office.wait()
        _remove_profile(profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
