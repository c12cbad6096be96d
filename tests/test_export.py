"""Exports: nothing a spreadsheet would run as a formula, text and numbers preserved."""

import csv
import io

import openpyxl
import pandas as pd
from python_calamine import CalamineWorkbook

from analysis.disclosure import format_suppressed, suppress_small_counts
from analysis.export import neutralise_formulae, to_csv_bytes, to_xlsx_bytes

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+44 116 000", "-2+3", "@SUM(A1)",
           "\t=1+1", "\r=1+1", "José Ñúñez", "plain", "'already"]


def _table():
    return pd.DataFrame({"agency": HOSTILE, "referral_count": [3, -4, 0, 7, 1, 2, 3, 4, 5],
                         "rate": [0.5, -1.25, 0, 1, 2, 3, 4, 5, 6]})


def test_text_that_starts_a_formula_gets_an_apostrophe_and_numbers_do_not():
    out = neutralise_formulae(_table())
    assert out["agency"].tolist() == ["'" + v for v in HOSTILE[:6]] + HOSTILE[6:]
    assert out["referral_count"].tolist() == [3, -4, 0, 7, 1, 2, 3, 4, 5]
    assert out["rate"].tolist()[1] == -1.25


def test_headers_are_neutralised_too():
    assert list(neutralise_formulae(pd.DataFrame({"=cmd": [1]})).columns) == ["'=cmd"]


def test_csv_has_a_bom_and_reads_back_as_neutralised_text():
    data = to_csv_bytes(_table())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["agency", "referral_count", "rate"]
    cells = [row[0] for row in rows[1:]]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert cells[6] == "José Ñúñez" and cells[1] == "'+44 116 000"
    assert [row[1] for row in rows[1:3]] == ["3", "-4"]


def test_xlsx_has_no_formula_cells_and_keeps_text_and_numbers():
    data = to_xlsx_bytes(_table(), sheet_name="referrals")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["referrals"]
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds
    assert [sheet.cell(r, 1).value for r in range(2, 11)] == (
        ["'" + v for v in HOSTILE[:6]] + HOSTILE[6:])
    assert sheet.cell(3, 2).value == -4 and sheet.cell(3, 2).data_type == "n"
    rows = CalamineWorkbook.from_object(io.BytesIO(data)).get_sheet_by_name(
        "referrals").to_python()
    assert rows[1][0] == "'" + HOSTILE[0]
    assert rows[2][1] == -4 and rows[2][2] == -1.25


def test_suppressed_tables_export_the_gss_marker():
    shown = format_suppressed(suppress_small_counts(_table().iloc[6:], "referral_count",
                                                    threshold=5))
    data = to_xlsx_bytes(shown)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["data"]
    assert [sheet.cell(r, 2).value for r in range(2, 5)] == ["[c]", "[c]", "5"]
    assert b"[c]" in to_csv_bytes(shown)
