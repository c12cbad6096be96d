"""Variations that real NRM releases show or may show, each in the published layout.

Fixtures come from tests/nrm_workbooks.py (numbers from data/reference); expected values are
read from the reference CSVs or are the published figures: Leicestershire Police 21, 25, 24
and 15 in the four quarters of 2023 (85 for the year); UK referrals 16,921 in 2022 and
17,004 in 2023 (Q4 2023 tables and the end-of-year summary 2023); 17,017 as the sum of the
first-published quarters of 2023 (4,746 + 3,998 + 4,131 + 4,142; the totals CSV).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.ingest.nrm_tables import read_nrm_tables
from tests import nrm_workbooks as wb

AGE_CODES = {"Adult (18 or over)": "adult", "Child (17 or under)": "child",
             "Age not specified or unknown": "unknown"}


def _write(tmp_path: Path, sheets: list[wb.SheetSpec], name: str) -> Path:
    return wb.write_workbook(tmp_path / name, sheets)


def _table_2_reference(years: tuple[int, ...]) -> pd.DataFrame:
    ref = pd.read_csv(wb.AGE_LOCATION_CSV)
    ref = ref[ref.year.isin(years)]
    return ref.assign(period=ref.year.astype(str) + ref.quarter,
                      age_group=ref.age_at_exploitation.map(AGE_CODES),
                      location=ref.location_of_exploitation.replace({"Total": "all"}))


def _assert_table_2_cells_equal_reference(counts: pd.DataFrame, years: tuple[int, ...]) -> None:
    got = counts[counts.source_table.str.startswith("Table_2")].query(
        "age_group != 'all' and period.str.len() == 6")
    ref = _table_2_reference(years)
    merged = ref.merge(got, on=["period", "age_group", "location"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == 60 * len(years)  # 4 quarters x 3 ages x 5 location columns
    assert (merged["referrals"] == merged["count"]).all()


# ---- end-of-year workbooks and annual periods ------------------------------------------------

@pytest.fixture(scope="module")
def end_of_year(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("eoy")
    return read_nrm_tables(_write(folder, wb.end_of_year_sheets(2023), "nrm-tables.ods"))


def test_end_of_year_workbook_is_recognised_from_its_cover(end_of_year):
    police = end_of_year.query("first_responder_type == 'police'")
    assert set(police.period) == {"2023"}  # the annual period type, never a quarter
    assert set(end_of_year.source_release) == {"2023Q4"}
    leics = police.query("first_responder == 'Leicestershire Police' and "
                         "exploitation_type == 'all' and age_group == 'all'")["count"].item()
    assert leics == 21 + 25 + 24 + 15 == 85
    notes = " ".join(end_of_year.attrs["load_notes"])
    assert "end-of-year summary 2023" in notes and "stored as the year 2023" in notes


def test_year_total_rows_are_annual_and_never_added_to_the_quarters(end_of_year):
    grand = end_of_year.query("source_table.str.startswith('Table_2') and age_group == 'all' "
                              "and location == 'all'").set_index("period")["count"]
    quarters = grand[grand.index.str.len() == 6]
    years = grand[grand.index.str.len() == 4]
    assert years.to_dict() == {"2022": 16_921, "2023": 17_004}
    assert quarters[quarters.index.str.startswith("2023")].sum() == 17_004
    assert quarters[quarters.index.str.startswith("2022")].sum() == 16_921
    _assert_table_2_cells_equal_reference(end_of_year, (2022, 2023))
    assert any("year-total rows (2022, 2023) stored with the annual period type" in n
               for n in end_of_year.attrs["load_notes"])


def test_end_of_year_workbook_without_its_cover_text_needs_the_release(tmp_path):
    path = _write(tmp_path, wb.end_of_year_sheets(2023, cover=False), "tables.ods")
    with pytest.raises(InputError, match="--release 2023 for an end-of-year summary"):
        read_nrm_tables(path)
    counts = read_nrm_tables(path, source_release="2023")
    assert set(counts.query("first_responder_type == 'police'").period) == {"2023"}
    assert counts.attrs["load_notes"][0] == "release 2023Q4 (set by the user)"


def test_release_override_applies_to_any_workbook(tmp_path):
    sheets = wb.release_sheets("2023Q3", tables=("police",))
    path = _write(tmp_path, sheets, wb.release_file_name("2023Q3"))
    counts = read_nrm_tables(path, source_release="2023Q4")
    assert set(counts.period) == set(counts.source_release) == {"2023Q4"}
    with pytest.raises(InputError, match="is not a release"):
        read_nrm_tables(path, source_release="Q4")


# ---- headers ---------------------------------------------------------------------------------

def _table_2(years: tuple[int, ...] = (2023,)) -> wb.SheetSpec:
    data = wb.age_location_data("2023Q4").query("year in @years")
    return wb.age_location_sheet("Table_2", data)


def _one_table(tmp_path: Path, sheet: wb.SheetSpec, release: str = "2023Q4") -> pd.DataFrame:
    return read_nrm_tables(_write(tmp_path, wb.front_sheets(release, [sheet]) + [sheet],
                                  wb.release_file_name(release)))


def test_location_headers_with_note_markers_and_other_case_are_read(tmp_path):
    sheet = _table_2()
    header = sheet.rows[6]
    assert header[3] == "UK"
    for col, value in enumerate(header):
        if value == "UK":
            header[col] = "UK [note 5]"
        elif value == "Overseas":
            header[col] = "overseas  only"
        elif value == "UK and Overseas":
            header[col] = "UK & Overseas [notes 5 and 6]"
    sheet.rows[5][2] = "Adult (18 or over) [note 3]"
    _assert_table_2_cells_equal_reference(_one_table(tmp_path, sheet), (2023,))


def test_year_and_quarter_merged_down_two_header_rows_are_read(tmp_path):
    sheet = _table_2()
    upper, lower = sheet.rows[5], sheet.rows[6]
    upper[0], upper[1], lower[0], lower[1] = "Year", "Quarter", None, None
    counts = _one_table(tmp_path, sheet)
    _assert_table_2_cells_equal_reference(counts, (2023,))
    assert any("Year/Quarter header merged" in n for n in counts.attrs["load_notes"])


def test_a_table_starting_in_column_b_is_read_and_problems_name_its_real_columns(tmp_path):
    sheet = _table_2()
    sheet.rows = [[None, *row] for row in sheet.rows]
    sheet.spans = [(r, c + 1, n) for r, c, n in sheet.spans]
    counts = _one_table(tmp_path, sheet)
    _assert_table_2_cells_equal_reference(counts, (2023,))
    sheet.rows[8][5] = -3  # 2023 Q2, Adult, UK and Overseas: column F once shifted right
    with pytest.raises(InputError) as info:
        _one_table(tmp_path, sheet)
    (problem,) = info.value.problems
    assert problem.row == 9 and "F9" in problem.reason


def test_sex_for_gender_and_2022_header_names_are_synonyms(tmp_path):
    rows = wb.preamble(wb.TITLES["2023"]["police"], "2023", 13)
    # Toy numbers, not published (the reference data hold no gender breakdown).
    rows += [["Police first responder", "Claimed exploitation type", "Age group at exploitation",
              "Sex", "Total"],
             ["Toy Force", None, None, None, 3],
             [None, "Labour", None, None, 3],
             [None, None, "Adult (18 or over)", None, 3],
             [None, None, None, "Male", 2],
             [None, None, None, "Female", 1],
             ["Total", None, None, None, 3]]
    counts = _one_table(tmp_path, wb.SheetSpec("Table_13", rows))
    assert list(zip(counts.first_responder, counts.exploitation_type, counts.age_group,
                    counts["count"], strict=True)) == [
        ("Toy Force", "all", "all", 3), ("Toy Force", "Labour", "all", 3),
        ("Toy Force", "Labour", "adult", 3), ("all", "all", "all", 3)]


# ---- classification and skipped sheets -------------------------------------------------------

def test_cover_sheet_naming_duty_to_notify_and_quarter_is_not_a_dtn_table(tmp_path):
    sheets = wb.release_sheets("2023Q4", tables=("police", "dtn"))
    sheets[0].rows[0][0] = ("Modern Slavery: National Referral Mechanism and Duty to Notify "
                            "statistics UK, quarter 4 2023 (October to December): data tables")
    counts = read_nrm_tables(_write(tmp_path, sheets, wb.release_file_name("2023Q4")))
    dtn = counts.query("measure == 'dtn_reports'")
    assert set(dtn.source_table.str.split(":").str[0]) == {"Table_40"}
    assert len(dtn) == len(pd.read_csv(wb.DTN_CSV))
    assert any(n.startswith("skipped Cover_sheet") and n.endswith("front matter")
               for n in counts.attrs["load_notes"])


@pytest.fixture()
def with_unknown_sheet(tmp_path) -> Path:
    sheets = wb.release_sheets("2023Q4", tables=("age_location", "police"))
    odd = wb.SheetSpec("Table_7", [["Referral volumes by month of receipt"], ["Month", "Count"],
                                   ["October", 1]])
    return _write(tmp_path, [*sheets, odd], wb.release_file_name("2023Q4"))


def test_an_unknown_sheet_is_skipped_with_a_record_and_the_rest_loads(with_unknown_sheet):
    counts = read_nrm_tables(with_unknown_sheet)
    assert {s.split(":")[0] for s in counts.source_table} == {"Table_2", "Table_13"}
    notes = counts.attrs["load_notes"]
    assert "skipped Table_7 ('Referral volumes by month of receipt'): cannot be classified" \
        in notes
    assert any(n.startswith("read Table_13 as first_responder:police: ") for n in notes)


def test_strict_refuses_a_workbook_with_a_sheet_it_cannot_classify(with_unknown_sheet):
    with pytest.raises(InputError) as info:
        read_nrm_tables(with_unknown_sheet, strict=True)
    (problem,) = info.value.problems
    assert problem.file.endswith("[Table_7]") and "cannot classify" in problem.reason


def test_a_known_table_with_an_unknown_column_is_skipped_or_refused_in_strict(tmp_path):
    sheet = _table_2()
    sheet.rows[6][3] = "At sea"
    police = wb.release_sheets("2023Q4", tables=("police",))[-1]
    path = _write(tmp_path, wb.front_sheets("2023Q4", [sheet, police]) + [sheet, police],
                  wb.release_file_name("2023Q4"))
    counts = read_nrm_tables(path)
    assert set(counts.source_table.str.split(":").str[0]) == {"Table_13"}
    assert any("skipped Table_2" in n and "'Adult (18 or over) At sea'" in n
               for n in counts.attrs["load_notes"])
    with pytest.raises(InputError, match="not a known age group and location"):
        read_nrm_tables(path, strict=True)
