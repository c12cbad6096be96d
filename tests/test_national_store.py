"""The store's NRM tables drive the national figures: loads, vintages, annual periods, notes.

Expected values are the published figures (data/reference/README.md and the totals CSV read
here independently): UK 2023 = 17,004 (end-of-year summary 2023), revised to 16,990
(end-of-year summary 2024); the first-published quarters of 2023 sum to 17,017 and the
latest held to 17,000; Leicestershire Police 131 referrals 2022 Q2 to 2023 Q4.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.config import REFERENCE_DIR, SAMPLE_DIR
from analysis.errors import InputError
from analysis.ingest.nrm_reference import TOTALS_FILE, read_all_reference
from analysis.ingest.nrm_tables import read_nrm_tables
from analysis.national import (
    police_referrals_by_force,
    uk_annual_referrals,
    uk_quarterly_referrals,
    uk_referrals_by_location,
)
from analysis.store import Store
from tests import nrm_workbooks as wb


@pytest.fixture(scope="module")
def eoy_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("eoy-store")
    workbook = wb.write_workbook(folder / "nrm-tables.ods", wb.end_of_year_sheets(2023))
    with Store(folder / "s.duckdb") as store:
        store.ingest([workbook], kind="nrm")
    return folder / "s.duckdb"


def test_a_new_store_holds_every_bundled_national_cell_once(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        pass
    with Store(tmp_path / "s.duckdb") as store:  # a second open adds nothing
        cells = store.nrm_counts(current_only=False)
        loads = store.loads()
    bundled = read_all_reference()
    assert len(cells) == len(bundled)
    assert (loads["kind"] == "reference:nrm").sum() == 7
    key = ["period", "first_responder", "exploitation_type", "age_group", "location",
           "measure", "source_release", "count"]
    pd.testing.assert_frame_equal(
        cells[key].sort_values(key).reset_index(drop=True),
        bundled[key].sort_values(key).reset_index(drop=True), check_dtype=False)


def test_store_and_bundled_files_give_the_same_national_figures(sample_store):
    with Store(sample_store, read_only=True) as store:
        forces = police_referrals_by_force(store=store)
        series = uk_quarterly_referrals(store=store)
    pd.testing.assert_frame_equal(forces, police_referrals_by_force())
    reference = uk_quarterly_referrals()
    cols = ["period", "referrals", "release", "secondary"]
    pd.testing.assert_frame_equal(series[cols], reference[cols])
    assert forces.set_index("pfa_code").loc["E23000021", "referrals"] == 131
    # the sample store holds Table_2 twice for release 2023Q4 (the bundled transcription and
    # the re-typeset workbook): each cell must still count once
    with Store(sample_store, read_only=True) as store:
        locations = uk_referrals_by_location(store=store)
        years = uk_annual_referrals(store=store)
    pd.testing.assert_frame_equal(locations, uk_referrals_by_location())
    pd.testing.assert_frame_equal(years, uk_annual_referrals())
    assert locations.set_index("period").loc["2023Q4", "total"] == 4142


def test_annual_and_quarterly_totals_are_both_kept_labelled_and_reconcile(eoy_store):
    totals = pd.read_csv(REFERENCE_DIR / TOTALS_FILE).query("year == 2023")
    # first publication of each quarter: the bulletin's "first published" figure where held,
    # else the Q4 2023 tables (Q3 and Q4 2023)
    first = totals[totals.vintage.str.startswith(("first published", "as published"))]
    first = first.assign(rank=first.vintage.str.startswith("as published"))
    first_sum = int(first.sort_values("rank").groupby("quarter").referrals.first().sum())
    with Store(eoy_store, read_only=True) as store:
        years = uk_annual_referrals(store=store).query("year == '2023'")
        quarters = uk_quarterly_referrals(store=store)
    figures = years.set_index("figure")["referrals"].to_dict()
    assert figures == {"annual, first published": 17_004, "annual, latest": 16_990,
                       "sum of quarters, first published": 17_017,
                       "sum of quarters, latest": 17_000}
    assert first_sum == 17_017
    assert years.set_index("figure").loc["annual, first published", "releases"] == "2023Q4"
    # the annual cells never enter the quarterly series
    assert quarters["period"].str.fullmatch(r"\d{4}Q[1-4]").all()
    assert quarters.query("period.str.startswith('2023')")["referrals"].sum() == 17_000


def test_annual_police_cells_do_not_change_the_force_comparison(eoy_store):
    with Store(eoy_store, read_only=True) as store:
        forces = police_referrals_by_force(store=store).set_index("pfa_code")
        annual = store.nrm_counts().query("period == '2023' and first_responder == "
                                          "'Leicestershire Police' and exploitation_type == 'all'"
                                          " and age_group == 'all'")
    assert annual["count"].tolist() == [85]
    assert forces.loc["E23000021", "referrals"] == 131
    assert forces.loc["E23000021", "period"] == "2022 Q2 to 2023 Q4"


def test_load_history_shows_what_a_workbook_contributed_and_skipped(tmp_path, capsys):
    sheets = wb.release_sheets("2023Q4", tables=("police",))
    odd = wb.SheetSpec("Table_7", [["Referral volumes by month of receipt"], ["Month"], ["Oct"]])
    path = wb.write_workbook(tmp_path / wb.release_file_name("2023Q4"), [*sheets, odd])
    store_path = tmp_path / "s.duckdb"
    assert main(["ingest", str(path), "--store", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert "skipped Table_7" in out
    with Store(store_path, read_only=True) as store:
        load_id = int(store.loads()["load_id"].max())
        all_notes = store.load_notes()
        notes = all_notes[all_notes["load_id"] == load_id]["note"].tolist()
        summary = store.summary()
    assert notes[0] == "release 2023Q4 (from the file name or the workbook text)"
    assert any(n.startswith("skipped Cover_sheet ('Modern Slavery: National Referral Mechanism")
               and n.endswith("'): front matter") for n in notes)
    assert "skipped Table_7 ('Referral volumes by month of receipt'): cannot be classified" in notes
    read = [n for n in notes if n.startswith("read Table_13")]
    assert read == [f"read Table_13 as first_responder:police: {len(wb.police_data('2023Q4'))} "
                    "cells, 2023Q4"]
    assert summary["loads"][-1]["notes"] == notes


def test_cli_release_and_strict_flags(tmp_path, capsys):
    store_path = tmp_path / "s.duckdb"
    coverless = wb.write_workbook(tmp_path / "tables.ods", wb.end_of_year_sheets(2023, cover=False))
    assert main(["ingest", str(coverless), "--store", str(store_path)]) == 2
    assert "--release 2023 for an end-of-year summary" in capsys.readouterr().err
    assert main(["ingest", str(coverless), "--store", str(store_path), "--release", "2023"]) == 0
    with Store(store_path, read_only=True) as store:
        mine = store.nrm_counts(current_only=False).query(
            "load_id == @store.loads().load_id.max()")
    assert set(mine.query("first_responder_type == 'police'").period) == {"2023"}
    odd = wb.SheetSpec("Table_7", [["Referral volumes by month of receipt"], ["Month"], ["Oct"]])
    strict = wb.write_workbook(tmp_path / wb.release_file_name("2023Q3"),
                               [*wb.release_sheets("2023Q3", tables=("police",)), odd])
    with Store(store_path, read_only=True) as store:
        before = (len(store.nrm_counts(current_only=False)), len(store.loads()))
    assert main(["ingest", str(strict), "--store", str(store_path), "--strict"]) == 2
    assert "cannot classify the sheet" in capsys.readouterr().err
    with Store(store_path, read_only=True) as store:
        assert (len(store.nrm_counts(current_only=False)), len(store.loads())) == before
    assert main(["ingest", str(strict), "--store", str(store_path)]) == 0  # skipped, noted


# ---- bounds before parsing (issue 17, item 2) ------------------------------------------------

def test_a_zip_bomb_workbook_is_refused_before_any_sheet_is_parsed(tmp_path):
    path = tmp_path / "nrm-quarter-4-2023.xlsx"
    cell = '<c t="n"><v>0</v></c>'
    row = "<row>" + cell * 1000 + "</row>"
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             "<sheetData>" + row * 3000 + "</sheetData></worksheet>")  # 66 MB of XML
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(InputError, match="possible zip bomb"):
        read_nrm_tables(path)


def test_a_sheet_over_the_cell_limit_is_refused_with_its_size(tmp_path, monkeypatch):
    path = wb.write_workbook(tmp_path / wb.release_file_name("2023Q4"),
                             wb.release_sheets("2023Q4", tables=("age_location",)))
    monkeypatch.setattr("analysis.ingest.nrm_workbook.MAX_SHEET_CELLS", 500)
    with pytest.raises(InputError) as info:
        read_nrm_tables(path)
    (problem,) = info.value.problems
    assert "sheet 'Table_2' spans" in problem.reason and "over the limit of 500" in problem.reason


def test_the_bundled_sample_release_is_within_every_bound():
    counts = read_nrm_tables(SAMPLE_DIR / "nrm" / wb.release_file_name("2023Q4"))
    assert len(counts) > 1000


def test_workbook_xml_over_the_nrm_limit_is_refused_from_the_zip_index(tmp_path, monkeypatch):
    path = wb.write_workbook(tmp_path / wb.release_file_name("2023Q4"),
                             wb.release_sheets("2023Q4", tables=("age_location",)))
    monkeypatch.setattr("analysis.ingest.nrm_workbook.MAX_UNCOMPRESSED", 50_000)
    with pytest.raises(InputError, match="would expand to .* over the 0 MB limit"):
        read_nrm_tables(path)
