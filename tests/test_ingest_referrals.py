"""Agency mappings and validation: the agency's headers and codes in, schema rows or precise problems out."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pandas as pd
import pytest

from analysis.config import SAMPLE_DIR
from analysis.errors import InputError
from analysis.ingest.referrals import (
    Mapping,
    find_mapping,
    is_personal_data_header,
    read_referrals,
)
from analysis.schema import PERSONAL_DATA_COLUMNS
from tests.test_bad_input import GOOD_ROW, HEADER, MAPPING, write_csv


def _problems(exc_info) -> pd.DataFrame:
    return exc_info.value.to_frame()


def test_mapping_renames_recodes_and_fills_agency(tmp_path):
    rows = [["R1", *GOOD_ROW[1:]], ["R2", *GOOD_ROW[1:]]]
    rows[1][4], rows[1][5] = "  LABOUR ", "car WASH"  # codes match ignoring case and spaces
    frame = read_referrals(write_csv(tmp_path, rows), Mapping(**MAPPING))
    first = frame.iloc[1]
    assert (first.exploitation_type, first.sector, first.age_group, first.sex) == (
        "labour", "car_wash", "adult", "male")
    assert (first.agency, first.agency_type) == ("Test Agency", "ngo")
    assert first.referral_date == pd.Timestamp("2023-03-05")  # %d/%m/%Y: 5 March
    assert frame["nrm_referred"].tolist() == [True, True]


def test_file_already_in_schema_columns_needs_no_mapping(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("record_id,agency,agency_type,referral_date,exploitation_type,sector,age_group\n"
                    "0042,Some NGO,ngo,2023-07-01,sexual,,child\n")
    frame = read_referrals(path)
    row = frame.iloc[0]
    assert row.record_id == "0042"  # leading zeros survive
    assert row.sector == "unknown"  # a blank vocabulary cell means the agency did not know
    assert (row.sex, row.nationality_group) == ("unknown", "unknown")  # absent optional columns
    assert pd.isna(row.person_key) and pd.isna(row.area_code) and pd.isna(row.nrm_referred)


@pytest.mark.parametrize(("text", "expected"), [
    ("2023-03-05", "2023-03-05"),  # ISO first
    ("05/03/2023", "2023-03-05"),  # then day-first, as UK agencies write dates
    ("5/3/2023", "2023-03-05"),
])
def test_dates_without_a_declared_format(tmp_path, text, expected):
    path = tmp_path / "plain.csv"
    path.write_text("record_id,agency,agency_type,referral_date,exploitation_type,sector,age_group\n"
                    f"1,A,ngo,{text},labour,care,adult\n")
    assert read_referrals(path)["referral_date"].iloc[0] == pd.Timestamp(expected)


def test_workbook_date_cells_load_under_a_text_date_format(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(["R1", GOOD_ROW[1], dt.datetime(2023, 3, 5), *GOOD_ROW[3:]])
    book.active.append(["R2", *GOOD_ROW[1:]])  # a date typed as text in the declared format
    path = tmp_path / "extract.xlsx"
    book.save(path)
    frame = read_referrals(path, Mapping(**MAPPING))
    assert frame["referral_date"].tolist() == [pd.Timestamp("2023-03-05")] * 2


def test_every_problem_names_spreadsheet_row_and_both_column_names(tmp_path):
    rows = [["R1", *GOOD_ROW[1:]], ["R2", *GOOD_ROW[1:]], ["R3", *GOOD_ROW[1:]]]
    rows[0][6] = "Pensioner"
    rows[2][2] = "31/02/2023"
    with pytest.raises(InputError) as exc_info:
        read_referrals(write_csv(tmp_path, rows), Mapping(**MAPPING))
    problems = _problems(exc_info)
    assert problems[["row", "column", "value"]].values.tolist() == [
        [2, "Age -> age_group", "Pensioner"],
        [4, "Date -> referral_date", "31/02/2023"],
    ]
    assert set(problems["file"]) == {"extract.csv"}


def test_duplicate_record_id_is_reported_on_each_row(tmp_path):
    rows = [["R1", *GOOD_ROW[1:]], ["R2", *GOOD_ROW[1:]], ["R1", *GOOD_ROW[1:]]]
    with pytest.raises(InputError) as exc_info:
        read_referrals(write_csv(tmp_path, rows), Mapping(**MAPPING))
    problems = _problems(exc_info)
    assert problems["row"].tolist() == [2, 4]
    assert problems["column"].str.contains("record_id").all()


def test_missing_required_column_names_the_expected_header(tmp_path):
    header = [h for h in HEADER if h != "Age"]
    rows = [[c for h, c in zip(HEADER, GOOD_ROW, strict=True) if h != "Age"]]
    with pytest.raises(InputError) as exc_info:
        read_referrals(write_csv(tmp_path, rows, header=header), Mapping(**MAPPING))
    (problem,) = exc_info.value.problems
    assert (problem.row, problem.column) == (1, "age_group")
    assert "'Age'" in problem.reason


@pytest.mark.parametrize("header", ["Date of Birth", "DOB", "DateOfBirth", "Client Name", "Surname",
                                    "Home Address", "Post Code", "Mobile Number", "Email",
                                    "NI Number", "Passport No", "Case Notes", "Comments"])
def test_personal_data_columns_are_refused_by_name(tmp_path, header):
    rows = [[*GOOD_ROW, "x"]]
    with pytest.raises(InputError) as exc_info:
        read_referrals(write_csv(tmp_path, rows, header=[*HEADER, header]), Mapping(**MAPPING))
    (problem,) = exc_info.value.problems
    assert problem.column == header and "personal-data" in problem.reason


def test_every_listed_personal_data_column_is_recognised():
    assert all(is_personal_data_header(c) for c in PERSONAL_DATA_COLUMNS)


def test_sample_headers_and_ordinary_names_are_not_personal_data():
    headers = [h for f in (SAMPLE_DIR / "mappings").glob("*.json")
               for h in json.loads(f.read_text())["columns"]]
    assert len(headers) > 50
    ordinary = ["Site Name", "Agency Name", "Area Name", "Nationality", "Date Reported"]
    assert not [h for h in headers + ordinary if is_personal_data_header(h)]


def test_mapping_is_found_beside_or_one_folder_up(tmp_path):
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "a.json").write_text(json.dumps({**MAPPING, "file_pattern": "police_*.csv"}))
    (tmp_path / "incoming").mkdir()
    assert find_mapping(tmp_path / "incoming" / "police_2023.csv").agency == "Test Agency"
    assert find_mapping(tmp_path / "police_2023.csv").agency == "Test Agency"
    assert find_mapping(tmp_path / "health_2023.csv") is None


@pytest.mark.parametrize(("content", "reason"), [
    ("{not json", "not valid JSON"),
    (json.dumps({"colums": {}}), "unknown mapping keys ['colums']"),
    (json.dumps({"columns": {"Ref": "reference"}}), "not in the schema: ['reference']"),
])
def test_bad_mapping_files_are_clear_errors(tmp_path, content, reason):
    path = tmp_path / "m.json"
    path.write_text(content)
    with pytest.raises(InputError) as exc_info:
        Mapping.from_file(path)
    assert reason in str(exc_info.value) and "m.json" in str(exc_info.value)


def test_sample_workbook_extract_reads_through_its_mapping():
    frame = read_referrals(SAMPLE_DIR / "agencies" / "uhl_nhs_safeguarding_modern_slavery.xlsx")
    assert set(frame["agency_type"]) == {"health"}
    assert frame["record_id"].is_unique and len(frame) > 10


def test_a_flood_of_problems_is_capped_and_says_how_many_more(tmp_path, monkeypatch):
    monkeypatch.setattr("analysis.ingest.referrals.MAX_PROBLEMS", 5)
    rows = [[f"R{i}", *GOOD_ROW[1:]] for i in range(8)]
    for row in rows:
        row[5] = "Fishing"  # the mapping lacks this code: every row fails
    with pytest.raises(InputError) as exc_info:
        read_referrals(write_csv(tmp_path, rows), Mapping(**MAPPING))
    problems = exc_info.value.problems
    assert len(problems) == 6
    assert problems[-1].reason.startswith("3 more problem(s) not listed")
