"""The office's register of judges' certificates (评委证书), when ``export.judges_register`` names one.

An .xlsx with a 证书编号 and a 姓名 column (header found by its words in the first rows). Used twice:
the 推荐表 check ``judges_registered`` warns the unit about a number missing from the register or
registered under another name, and the export's 评委 sheet marks the same rows.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from intake.config import Config, ConfigError


def cert_key(text: Any) -> str:
    """A certificate number as compared: NFKC, no spaces, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).upper()


def read_register(path: Path) -> dict[str, str]:
    """证书编号 → 姓名 from the register workbook."""
    from openpyxl import load_workbook  # here: a daemon without a register never loads openpyxl (~38 MB)

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any openpyxl failure: the file is not a usable register
        raise ConfigError(f"export.judges_register: {path}: not a readable .xlsx: {e}") from e
    rows = [["" if v is None else str(v).strip() for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    for i, row in enumerate(rows[:10]):
        no = next((j for j, c in enumerate(row) if "编号" in c), None)
        name = next((j for j, c in enumerate(row) if "姓名" in c), None)
        if no is not None and name is not None:
            return {cert_key(r[no]): r[name] for r in rows[i + 1:] if len(r) > max(no, name) and r[no]}
    raise ConfigError(f"export.judges_register: {path}: no header with 证书编号 and 姓名 in the first 10 rows")


def configured_register(cfg: Config) -> dict[str, str] | None:
    return read_register(cfg.path(cfg.export.judges_register)) if cfg.export.judges_register else None
