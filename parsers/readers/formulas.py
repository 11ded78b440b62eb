"""Does an .xlsx carry formulas without cached values? (Then LibreOffice recalculates it before it is read.)

Apart from the .xlsx reader because the daemon's main process asks it of every workbook when it
decides what LibreOffice converts (``intake.pipeline.convert_legacy``): a regex over the package's
XML, no openpyxl.
"""

from __future__ import annotations

import io
import re
import zipfile

_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_VALUE = re.compile(rb"<(?:\w+:)?v>\s*[^<\s]")


def uncached_formulas(data: bytes) -> bool:
    """Some worksheet cell has a formula and no cached value (``<f>…</f><v></v>`` or no ``<v>``).

    False for a package declaring a DTD anywhere: openpyxl (defusedxml) refuses it as unreadable,
    and it must never reach LibreOffice, which would expand its entities or read the files they name.
    """
    found = False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                if not name.lower().endswith((".xml", ".rels")):
                    continue
                xml = z.read(name)
                if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
                    return False
                if found or not (name.startswith("xl/worksheets/") and _FORMULA.search(xml)):
                    continue
                found = any(m[1] and _FORMULA.search(m[1]) and not _VALUE.search(m[1]) for m in _CELL.finditer(xml))
    except Exception:  # noqa: BLE001 - a damaged package: the reader says what is wrong with it
        return False
    return found
