"""Export of the team's backlog and of item lists to CSV and XLSX (issue 11, point 2).

What a role may export (decided here, documented in the README):
- team lead and distributor: the item's ids, times, kind, status, assignee and contact point,
  plus the sender's name and the subject; a CPR number only masked (DDMMYY-XXXX);
- administrator: counts only (the backlog figures, never an item row).

Every cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) is prefixed with an apostrophe. Never writes a CPR number in clear.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROLE_ADMINISTRATOR = "administrator"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CPR = re.compile(r"\b(\d{6})-?(\d{4})\b")

ITEM_COLUMNS = ("message_uuid", "received", "kind", "status", "assignee", "contact_point")
PERSONAL_COLUMNS = ("sender_name", "cpr", "subject")


class ExportRefused(Exception):
    """The role may not export this (one Danish line)."""


def escape_cell(value: Any) -> Any:
    """The value as a spreadsheet must show it: text that starts like a formula gets a
    leading apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def mask_cpr(text: str) -> str:
    """Every CPR number in `text` with its last four digits hidden."""
    return _CPR.sub(lambda m: f"{m.group(1)}-XXXX", text)


def backlog_rows(figures: Mapping[str, Any]) -> list[list[Any]]:
    """The backlog (GET /backlog's answer) as rows of (figure, key, count); counts only."""
    rows: list[list[Any]] = [["figur", "nøgle", "antal"]]
    rows.append(["open", "", int(figures.get("open", 0))])
    rows.append(["older_than_frist", "", int(figures.get("older_than_frist", 0))])
    for key, count in sorted(dict(figures.get("by_status", {})).items()):
        rows.append(["by_status", key, int(count)])
    for key, count in sorted(dict(figures.get("by_assignee", {})).items()):
        rows.append(["by_assignee", key, int(count)])
    return rows


def item_rows(items: Iterable[Mapping[str, Any]], role: str) -> list[list[Any]]:
    """The item list as rows for `role`; personal fields per the rule in the docstring."""
    if role == ROLE_ADMINISTRATOR:
        raise ExportRefused("En administrator kan kun eksportere antal, ikke enkelte breve")
    header = [*ITEM_COLUMNS, *PERSONAL_COLUMNS]
    rows: list[list[Any]] = [header]
    for item in items:
        row: list[Any] = [item.get(col, "") for col in ITEM_COLUMNS]
        row.append(item.get("sender_name", ""))
        cpr = str(item.get("cpr") or "")
        row.append(mask_cpr(cpr) if cpr else "")
        row.append(mask_cpr(str(item.get("subject") or "")))
        rows.append(row)
    return rows


def write_rows(path: Path, rows: Sequence[Sequence[Any]]) -> None:
    """Write `rows` to `path` as CSV (UTF-8 with BOM, ';' like Danish Excel) or XLSX, by suffix."""
    safe = [[escape_cell(v) for v in row] for row in rows]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, delimiter=";").writerows(safe)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "Postfordeler"
        for row in safe:
            # openpyxl stores a str starting with "=" as a formula; escape_cell already
            # prefixed it, and data_type "s" keeps every text a plain string.
            ws.append(row)
        for row_cells in ws.iter_rows():
            for cell in row_cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        wb.save(path)
    else:
        raise ExportRefused("Filen skal ende på .csv eller .xlsx")
