"""Backlog and item-list export (app.core.export): per role, CSV and XLSX, formula injection."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.core.export import ExportRefused, backlog_rows, item_rows, write_rows

FIGURES = {
    "open": 5,
    "older_than_frist": 2,
    "by_status": {"ny": 3, "fordelt": 2},
    "by_assignee": {"cw1": 2},
}
ITEMS = [
    {
        "message_uuid": "11111111-1111-4111-8111-111111111111",
        "received": "2026-11-30T08:00:00+00:00",
        "kind": "nyhenvendelse",
        "status": "ny",
        "assignee": "",
        "contact_point": "cp-familie",
        "sender_name": '=HYPERLINK("http://x")',
        "cpr": "0101901234",
        "subject": "Vedr. 010190-1234 og @SUM(A1)",
    },
    {
        "message_uuid": "22222222-2222-4222-8222-222222222222",
        "received": "2026-11-20T08:00:00+00:00",
        "kind": "retursvar",
        "status": "fordelt",
        "assignee": "cw1",
        "contact_point": "cp-familie",
        "sender_name": "Anna Jensen",
        "cpr": "",
        "subject": "-1+2",
    },
]


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=";"))


def test_team_lead_csv_masks_cpr_and_escapes_formulas(tmp_path: Path) -> None:
    out = tmp_path / "items.csv"
    write_rows(out, item_rows(ITEMS, "team_lead"))
    rows = _csv(out)
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert first["sender_name"] == '\'=HYPERLINK("http://x")'
    assert first["cpr"] == "010190-XXXX"
    assert first["subject"] == "Vedr. 010190-XXXX og @SUM(A1)"
    second = dict(zip(header, rows[2], strict=True))
    assert second["subject"] == "'-1+2"
    assert second["assignee"] == "cw1"
    assert "1234" not in out.read_text(encoding="utf-8-sig")


def test_xlsx_cells_are_text_not_formulas(tmp_path: Path) -> None:
    out = tmp_path / "items.xlsx"
    write_rows(out, item_rows(ITEMS, "distributor"))
    ws = load_workbook(out).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    header = values[0]
    col = header.index("sender_name")
    assert values[1][col] == '\'=HYPERLINK("http://x")'
    assert ws.cell(row=2, column=col + 1).data_type == "s"
    assert values[1][header.index("cpr")] == "010190-XXXX"
    assert values[2][header.index("subject")] == "'-1+2"


def test_administrator_exports_counts_only(tmp_path: Path) -> None:
    with pytest.raises(ExportRefused):
        item_rows(ITEMS, "administrator")
    out = tmp_path / "backlog.xlsx"
    write_rows(out, backlog_rows(FIGURES))
    ws = load_workbook(out).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["figur", "nøgle", "antal"]
    assert ["open", None, 5] in rows or ["open", "", 5] in rows
    assert ["by_status", "fordelt", 2] in rows
    assert ["by_assignee", "cw1", 2] in rows


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportRefused):
        write_rows(tmp_path / "x.txt", backlog_rows(FIGURES))
