"""The NRM data-table reader against workbooks re-typeset from the published figures.

Fixtures come from tests/nrm_workbooks.py; expected values are read straight from the
reference CSVs (an independent path from the workbook writer to the parser), and the
annual totals are the published ones (data/reference/README.md: 2022 = 16,921, 2023 = 17,004).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.config import SAMPLE_DIR
from analysis.errors import InputError
from analysis.ingest.nrm_tables import read_nrm_tables
from analysis.schema import NrmCounts
from tests import nrm_workbooks as wb

POLICE_RELEASES = ["2022Q2", "2022Q3", "2022Q4", "2023Q1", "2023Q2", "2023Q3", "2023Q4"]
AGE_CODES = {"Adult (18 or over)": "adult", "Child (17 or under)": "child",
             "Age not specified or unknown": "unknown", "All ages": "all"}


@pytest.fixture(scope="session")
def police_releases(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """Seven releases of the police table, 2022 Q2 (Table_12, older layout) to 2023 Q4."""
    folder = tmp_path_factory.mktemp("nrm_police")
    out = {}
    for release in POLICE_RELEASES:
        path = wb.write_workbook(folder / wb.release_file_name(release), wb.release_sheets(
            release, tables=("police",), nationalities=wb.FIXTURE_NATIONALITIES))
        out[release] = read_nrm_tables(path)
    return out


@pytest.fixture(scope="session")
def q4_2023(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("nrm_q4") / wb.release_file_name("2023Q4")
    wb.write_workbook(path, wb.release_sheets(
        "2023Q4", tables=("age_location", "police", "government_agency", "ngo",
                          "local_authority", "dtn"), nationalities=wb.FIXTURE_NATIONALITIES))
    return read_nrm_tables(path)


def _table_2(counts: pd.DataFrame) -> pd.DataFrame:
    return counts[counts.source_table.str.startswith("Table_2:")]


def test_table_2_cells_equal_the_published_csv(q4_2023):
    ref = pd.read_csv(wb.AGE_LOCATION_CSV)
    ref = ref.assign(period=ref.year.astype(str) + ref.quarter,
                     age_group=ref.age_at_exploitation.map(AGE_CODES),
                     location=ref.location_of_exploitation.replace({"Total": "all"}))
    got = _table_2(q4_2023).query("age_group != 'all'")
    merged = ref.merge(got, on=["period", "age_group", "location"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == 885
    assert (merged["referrals"] == merged["count"]).all()


def test_table_2_annual_totals_match_the_published_16921_and_17004(q4_2023):
    grand = _table_2(q4_2023).query("age_group == 'all' and location == 'all'")
    by_year = grand.groupby(grand.period.str[:4])["count"].sum()
    assert by_year["2022"] == 16_921
    assert by_year["2023"] == 17_004


def test_table_2_grand_total_equals_published_quarterly_totals(q4_2023):
    totals = pd.read_csv(wb.TOTALS_CSV).query("vintage.str.contains('Q4 2023 data tables')")
    grand = _table_2(q4_2023).query("age_group == 'all' and location == 'all'")
    got = grand.set_index("period")["count"]
    for year, quarter, referrals in totals[["year", "quarter", "referrals"]].itertuples(
            index=False):
        assert got[f"{year}{quarter}"] == referrals


def test_leicestershire_police_referrals_by_quarter(police_releases):
    series = [
        counts.query("first_responder == 'Leicestershire Police' and exploitation_type == 'all' "
                     "and age_group == 'all'")["count"].item()
        for counts in police_releases.values()
    ]
    assert series == [17, 9, 20, 21, 25, 24, 15]


def test_every_police_cell_equals_the_published_csv(police_releases):
    ref = pd.read_csv(wb.POLICE_CSV)
    ref = ref.assign(period=ref.year.astype(str) + ref.quarter,
                     first_responder=ref.police_first_responder.replace(
                         {wb.RESPONDER_TOTAL: "all"}),
                     exploitation_type=ref.exploitation_type.replace({"All types": "all"}),
                     age_group=ref.age_at_exploitation.map(AGE_CODES))
    got = pd.concat(police_releases.values())
    assert set(got.first_responder_type) == {"police"}
    keys = ["period", "first_responder", "exploitation_type", "age_group"]
    merged = ref.merge(got, on=keys, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["referrals"] == merged["count"]).all()
    assert (got.period == got.source_release).all()


def test_police_table_is_found_by_title_whatever_its_number(police_releases, tmp_path):
    assert police_releases["2022Q2"].source_table.str.startswith("Table_12:").all()
    assert police_releases["2023Q4"].source_table.str.startswith("Table_13:").all()
    path = wb.write_workbook(tmp_path / wb.release_file_name("2023Q4"), wb.release_sheets(
        "2023Q4", tables=("police",), numbers={"police": 29}))
    renumbered = read_nrm_tables(path)
    assert renumbered.source_table.str.startswith("Table_29:").all()
    cols = ["first_responder", "exploitation_type", "age_group", "count"]
    pd.testing.assert_frame_equal(renumbered[cols].reset_index(drop=True),
                                  police_releases["2023Q4"][cols].reset_index(drop=True))


def test_responder_rows_and_totals_use_the_schema_vocabulary(q4_2023):
    totals = q4_2023.query("first_responder == 'all' and exploitation_type == 'all'")
    by_type = totals.set_index("first_responder_type")["count"]
    ref = pd.read_csv(wb.RESPONDER_CSV).query("year == 2023 and quarter == 'Q4' and "
                                              "first_responder == @wb.RESPONDER_TOTAL")
    expected = dict(zip(ref.first_responder_type, ref.referrals, strict=True))
    assert by_type["government_agency"] == expected["Government agency"]
    assert by_type["ngo"] == expected["NGO and third sector"]
    assert by_type["police"] == expected["Police"]
    assert by_type["local_authority"] == expected["Local authority"]
    named = q4_2023.query("first_responder != 'all'")
    assert set(named.geography_level) == {"first_responder"}
    assert named.geography_code.isna().all()


def test_dtn_reports_by_quarter_equal_the_published_csv(q4_2023):
    ref = pd.read_csv(wb.DTN_CSV)
    got = q4_2023.query("measure == 'dtn_reports'").set_index("period")["count"]
    assert len(got) == len(ref)
    for year, quarter, reports in ref[["year", "quarter", "dtn_reports"]].itertuples(index=False):
        assert got[f"{year}{quarter}"] == reports


def test_xlsx_copy_reads_the_same_as_the_ods(tmp_path):
    sheets = wb.release_sheets("2023Q4", tables=("age_location", "police"),
                               nationalities=wb.FIXTURE_NATIONALITIES)
    ods = read_nrm_tables(wb.write_workbook(tmp_path / "nrm-quarter-4-2023.ods", sheets))
    xlsx = read_nrm_tables(wb.write_workbook(tmp_path / "nrm-quarter-4-2023.xlsx", sheets))
    pd.testing.assert_frame_equal(ods.reset_index(drop=True), xlsx.reset_index(drop=True))


def _small_table_2(**kwargs) -> wb.SheetSpec:
    data = wb.age_location_data("2023Q4").query("year == 2023")
    return wb.age_location_sheet("Table_2", data, **kwargs)


def _write(tmp_path: Path, *sheets: wb.SheetSpec, name: str = "nrm-quarter-4-2023.ods") -> Path:
    return wb.write_workbook(tmp_path / name, wb.front_sheets("2023Q4", list(sheets))
                             + list(sheets))


@pytest.mark.parametrize("marker", ["[c]", "[x]", "[z]", "..", "[u]"])
def test_markers_become_missing_counts_with_the_marker_kept(tmp_path, marker):
    sheet = _small_table_2()
    first_data_row = 7
    sheet.rows[first_data_row][3] = marker  # 2023 Q1, adult, UK
    counts = read_nrm_tables(_write(tmp_path, sheet))
    cell = counts.query("period == '2023Q1' and age_group == 'adult' and location == 'UK'")
    assert cell["count"].isna().item()
    assert cell["missing_marker"].item() == marker
    assert counts["missing_marker"].notna().sum() == 1


@pytest.mark.parametrize("bad, reason", [(-3, "negative"), (2.5, "whole number"),
                                         ("lots", "not a count")])
def test_bad_count_names_file_sheet_row_and_column(tmp_path, bad, reason):
    sheet = _small_table_2()
    sheet.rows[8][4] = bad  # sheet row 9 = 2023 Q2; column E = Adult, UK and Overseas
    with pytest.raises(InputError) as info:
        read_nrm_tables(_write(tmp_path, sheet))
    (problem,) = info.value.problems
    assert problem.file == "nrm-quarter-4-2023.ods [Table_2]"
    assert problem.row == 9
    assert problem.column == "Adult (18 or over) - UK and Overseas"
    assert reason in problem.reason and "E9" in problem.reason


def test_nationality_columns_that_do_not_add_up_are_reported(tmp_path):
    sheet = wb.release_sheets("2023Q4", tables=("police",),
                              nationalities=wb.FIXTURE_NATIONALITIES)[-1]
    row = next(i for i, r in enumerate(sheet.rows) if r[0] == "Leicestershire Police")
    sheet.rows[row][4] += 1  # first nationality column
    with pytest.raises(InputError) as info:
        read_nrm_tables(_write(tmp_path, sheet))
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (row + 1, "Total")
    assert "sum to 16 but Total is 15" in problem.reason


def test_workbook_without_an_nrm_table_is_refused(tmp_path):
    sheet = wb.SheetSpec("Table_1", [["Asylum applications by nationality"], ["Year", "Total"],
                                     [2023, 5]])
    with pytest.raises(InputError, match="no recognisable NRM table"):
        read_nrm_tables(_write(tmp_path, sheet))


def test_a_file_that_is_not_a_spreadsheet_is_refused(tmp_path):
    fake = tmp_path / "nrm-quarter-4-2023.ods"
    fake.write_text("Year,Quarter,Total\n2023,Q1,5\n")
    with pytest.raises(InputError, match="cannot be read as a spreadsheet"):
        read_nrm_tables(fake)


def test_release_comes_from_the_name_the_cover_sheet_or_the_caller(tmp_path):
    sheet = _small_table_2()
    by_cover = read_nrm_tables(_write(tmp_path, sheet, name="tables.ods"))
    assert set(by_cover.source_release) == {"2023Q4"}
    override = read_nrm_tables(_write(tmp_path, sheet), source_release="2024Q1")
    assert set(override.source_release) == {"2024Q1"}
    bare = wb.write_workbook(tmp_path / "tables2.ods", [sheet])
    with pytest.raises(InputError, match="which quarterly release"):
        read_nrm_tables(bare)


def test_blank_year_on_a_new_years_first_quarter_is_carried_into_the_new_year(tmp_path):
    # The 2023 Q1 release left Year empty on its 2023 Q1 row.
    data = wb.age_location_data("2023Q1").query("year >= 2022")
    sheet = wb.age_location_sheet("Table_2", data, blank_year_on=(2023, "Q1"))
    counts = read_nrm_tables(_write(tmp_path, sheet, name="nrm-quarter-1-2023.ods"))
    grand = counts.query("age_group == 'all' and location == 'all'").set_index("period")["count"]
    assert list(grand.index) == ["2022Q1", "2022Q2", "2022Q3", "2022Q4", "2023Q1"]
    assert grand["2023Q1"] == 4738


def test_month_range_quarter_labels_read_as_quarters(tmp_path):
    sheet = _small_table_2()
    for row, label in zip(sheet.rows[7:11], ["Jan to Mar", "Apr to Jun", "Jul to Sep",
                                             "Oct to Dec"], strict=True):
        row[1] = label
    counts = read_nrm_tables(_write(tmp_path, sheet))
    assert sorted(set(counts.period)) == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]


def test_year_total_rows_become_annual_periods(tmp_path):
    data = pd.read_csv(wb.DTN_CSV).query("year == 2023")
    sheet = wb.quarterly_total_sheet("Table_40", wb.DTN_TITLE, data, "dtn_reports", number=40)
    year_total = int(data.dtn_reports.sum())
    sheet.rows.insert(6, [2023, None, year_total])
    sheet.rows[7][0] = None
    counts = read_nrm_tables(_write(tmp_path, sheet)).set_index("period")["count"]
    assert counts["2023"] == year_total == counts.drop("2023").sum()


def test_gender_rows_are_not_kept_and_labels_carry_down(tmp_path):
    # Toy numbers, not published: the reference data hold no gender breakdown.
    rows = wb.preamble(wb.TITLES["2023"]["police"], "2023", 13)
    rows += [["Police first responder", "Exploitation type", "Age at exploitation", "Gender",
              "Total"],
             ["Toy Force", None, None, None, 3],
             [None, "Labour", None, None, 3],
             [None, None, "Adult (18 or over)", None, 3],
             [None, None, None, "Male", 2],
             [None, None, None, "Female", 1],
             ["Total", None, None, None, 3]]
    counts = read_nrm_tables(_write(tmp_path, wb.SheetSpec("Table_13", rows)))
    assert list(zip(counts.first_responder, counts.exploitation_type, counts.age_group,
                    counts["count"], strict=True)) == [
        ("Toy Force", "all", "all", 3), ("Toy Force", "Labour", "all", 3),
        ("Toy Force", "Labour", "adult", 3), ("all", "all", "all", 3)]


def test_2025_county_table_reads_74_counties(tmp_path):
    sheet = wb.county_sheet("Table_12", pd.read_csv(wb.COUNTY_CSV))
    path = wb.write_workbook(tmp_path / wb.release_file_name("2025Q3"),
                             wb.front_sheets("2025Q3", [sheet]) + [sheet])
    counts = read_nrm_tables(path)
    assert len(counts) == 74 and set(counts.geography_level) == {"county"}
    assert counts["count"].sum() == 2_575
    assert set(counts.period) == {"2025Q3"}
    leics = counts.query("geography_name == 'Leicestershire'")["count"].item()
    assert leics == 67


def test_bundled_sample_releases_parse_and_the_newer_revises_the_older():
    folder = SAMPLE_DIR / "nrm"
    parsed = {p.name: read_nrm_tables(p) for p in sorted(folder.glob("*.ods"))}
    assert len(parsed) == 3
    for counts in parsed.values():
        NrmCounts.validate(counts)
    both = pd.concat(parsed.values()).query(
        "first_responder_type == 'all' and age_group == 'all' and location == 'all' "
        "and measure == 'referrals' and period in ['2022Q4', '2023Q1']")
    vintages = both.pivot(index="period", columns="source_release", values="count")
    assert vintages.loc["2022Q4"].tolist() == [4416, 4413]
    assert vintages.loc["2023Q1"].tolist() == [4746, 4738]
