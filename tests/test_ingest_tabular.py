"""Reading agency files as text cells: encodings, delimiters, workbooks, and files that are not what they claim."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import pytest

from analysis.errors import InputError
from analysis.ingest.tabular import read_text_table, sniff_format

CELLS = ["007", "=1+2", "+44 116", "-5", "@sum"]  # leading zeros and formula-like text


def _csv(tmp_path, text: str, name="extract.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _problem(exc_info) -> str:
    (problem,) = exc_info.value.problems
    return str(problem)


def test_utf8_with_bom_loses_the_bom_from_the_first_header(tmp_path):
    frame = read_text_table(_csv(tmp_path, "Ref,Sector\nR1,Café\n", encoding="utf-8-sig"))
    assert list(frame.columns) == ["Ref", "Sector"]
    assert frame.loc[0, "Sector"] == "Café"


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_delimiter_is_sniffed_from_the_header(tmp_path, sep):
    frame = read_text_table(_csv(tmp_path, f"Ref{sep}Sector\nR1{sep}Car wash, valeting\n"))
    assert frame.to_dict("records") == [{"Ref": "R1", "Sector": "Car wash, valeting"}]


def test_declared_windows_1252_is_decoded(tmp_path):
    path = _csv(tmp_path, "Ref;Sector\nR1;Café – £5\n", encoding="cp1252")
    frame = read_text_table(path, encoding="cp1252")
    assert frame.loc[0, "Sector"] == "Café – £5"


def test_undeclared_windows_1252_is_refused_with_the_fix(tmp_path):
    path = _csv(tmp_path, "Ref,Sector\nR1,Car wash\nR2,Café\n", encoding="cp1252")
    with pytest.raises(InputError) as exc_info:
        read_text_table(path)
    text = _problem(exc_info)
    assert "extract.csv" in text and "row 3" in text and "byte 0xe9" in text
    assert '"encoding": "cp1252"' in text


def test_csv_cells_stay_text_leading_zeros_and_formula_like(tmp_path):
    header = ",".join(f"c{i}" for i in range(len(CELLS)))
    frame = read_text_table(_csv(tmp_path, header + "\n" + ",".join(CELLS) + "\n"))
    assert frame.iloc[0].tolist() == CELLS
    assert (frame.dtypes.map(str) != "int64").all()


def test_csv_blank_and_na_words_stay_as_written(tmp_path):
    frame = read_text_table(_csv(tmp_path, "Ref,Nat\nR1,NA\nR2,\nR3,null\n"))
    assert frame["Nat"].tolist() == ["NA", "", "null"]


def _xlsx(tmp_path, rows, name="book.xlsx", title="Referrals"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_xlsx_cells_become_text_dates_become_iso(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Ref", "Date", "Count", "Flag", "Formula-like"])
    book.active.append(["007", dt.datetime(2023, 3, 5), 7, True, "=HYPERLINK(\"x\")"])
    book.active["E2"].data_type = "s"  # a text cell that looks like a formula, as agencies send
    path = tmp_path / "book.xlsx"
    book.save(path)
    frame = read_text_table(path)
    assert frame.iloc[0].tolist() == ["007", "2023-03-05", "7", "TRUE", '=HYPERLINK("x")']


def test_ods_is_read_by_content(tmp_path):
    path = tmp_path / "book.ods"
    pd.DataFrame({"Ref": ["007", "R2"], "Sector": ["Agriculture", "Care"]}).to_excel(
        path, index=False, engine="odf")
    renamed = tmp_path / "book_without_suffix"
    renamed.write_bytes(path.read_bytes())
    assert sniff_format(renamed) == "ods"
    assert read_text_table(renamed)["Ref"].tolist() == ["007", "R2"]


def test_named_sheet_is_read_and_a_missing_one_is_named(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["cover page"])
    data = book.create_sheet("Safeguarding")
    data.append(["Ref"])
    data.append(["R1"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    assert read_text_table(path, sheet="Safeguarding")["Ref"].tolist() == ["R1"]
    with pytest.raises(InputError) as exc_info:
        read_text_table(path, sheet="Data")
    assert "no sheet 'Data'" in _problem(exc_info) and "Safeguarding" in _problem(exc_info)


def test_xlsx_file_type_does_not_depend_on_the_name(tmp_path):
    path = _xlsx(tmp_path, [["Ref"], ["R1"]], name="export.csv")
    assert sniff_format(path) == "xlsx"
    assert read_text_table(path)["Ref"].tolist() == ["R1"]


def test_truncated_xlsx_is_a_clear_error(tmp_path):
    whole = _xlsx(tmp_path, [["Ref", "Sector"]] + [[f"R{i}", "Care"] for i in range(200)])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(InputError) as exc_info:
        read_text_table(cut)
    assert "cut.xlsx" in _problem(exc_info) and "truncated" in _problem(exc_info)


@pytest.mark.parametrize(("content", "reason"), [
    (b"Ref,Date\nR1,2023-01-01\n", "not a spreadsheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "old binary Excel"),
])
def test_non_workbook_named_xlsx_is_refused(tmp_path, content, reason):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError) as exc_info:
        read_text_table(path)
    assert "fake.xlsx" in _problem(exc_info) and reason in _problem(exc_info)


def test_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(InputError, match="neither an XLSX nor an ODS"):
        read_text_table(path)


@pytest.mark.parametrize(("text", "reason"), [
    ("", "the file is empty"),
    ("\n\n", "no header row"),
    ("Ref,Sector\n", "no data rows"),
    ("Ref,,Sector\nR1,x,Care\n", "empty"),
    ("Ref,Ref\nR1,R2\n", "repeats column name"),
])
def test_files_without_usable_rows_or_headers_are_refused(tmp_path, text, reason):
    with pytest.raises(InputError) as exc_info:
        read_text_table(_csv(tmp_path, text))
    assert reason in _problem(exc_info)


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    path = _csv(tmp_path, "Ref\n" + "R1\n" * 2000)
    monkeypatch.setenv("DARKFIGURE_MAX_UPLOAD_MB", "0.001")

    def must_not_read(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr("analysis.ingest.tabular.read_csv_text", must_not_read)
    with pytest.raises(InputError) as exc_info:
        read_text_table(path)
    assert "over the limit" in _problem(exc_info)


def test_workbook_problems_point_at_the_sheet_row_despite_blank_rows(tmp_path):
    from analysis.ingest.referrals import read_referrals

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B2"] = "record_id"  # a blank row above the header and a blank column before it
    for column, title in zip("CDEFGH", ["agency", "agency_type", "referral_date",
                                         "exploitation_type", "sector", "age_group"], strict=True):
        sheet[f"{column}2"] = title
    sheet.append([None, "A1", "NGO", "ngo", "2023-01-01", "labour", "care", "adult"])  # row 3
    sheet.append([None, "A2", "NGO", "ngo", "2023-01-01", "labour", "fishing", "adult"])  # row 5
    sheet.insert_rows(4)
    path = tmp_path / "book.xlsx"
    book.save(path)
    frame = read_text_table(path)
    assert frame["record_id"].tolist() == ["A1", "A2"]
    with pytest.raises(InputError) as exc_info:
        read_referrals(path)
    (problem,) = exc_info.value.problems
    assert (problem.row, problem.column, problem.value) == (5, "sector", "fishing")


def test_workbook_data_outside_the_header_is_refused(tmp_path):
    path = _xlsx(tmp_path, [["Ref", "Sector"], ["R1", "Care", "stray note"]])
    with pytest.raises(InputError) as exc_info:
        read_text_table(path)
    assert "empty" in _problem(exc_info) and "[3]" in _problem(exc_info)


SCHEMA_HEADER = "record_id,agency,agency_type,referral_date,exploitation_type,sector,age_group"


@pytest.mark.parametrize(("text", "row"), [
    (SCHEMA_HEADER + "\nA1,N,ngo,2023-01-01,labour,care,adult\n\nA2,N,ngo,2023-01-01,labour,fishing,adult\n", 4),
    ("\n" + SCHEMA_HEADER + "\nA1,N,ngo,2023-01-01,labour,care,adult\nA2,N,ngo,2023-01-01,labour,fishing,adult\n", 4),
    (SCHEMA_HEADER + '\nA1,"N\nX",ngo,2023-01-01,labour,care,adult\nA2,N,ngo,2023-01-01,labour,fishing,adult\n\n', 3),
])
def test_csv_problems_point_at_the_spreadsheet_row(tmp_path, text, row):
    # a blank line is a row in a spreadsheet; a line break inside a quoted cell is not
    from analysis.ingest.referrals import read_referrals

    path = _csv(tmp_path, text)
    with pytest.raises(InputError) as exc_info:
        read_referrals(path)
    assert [(p.row, p.value) for p in exc_info.value.problems if p.column == "sector"] == [
        (row, "fishing")]


def test_rows_that_do_not_line_up_are_each_named(tmp_path):
    with pytest.raises(InputError) as exc_info:
        read_text_table(_csv(tmp_path, "Ref,Sector\nR1,care\nR2,care,extra\nR3\n"))
    assert [(p.row, p.value) for p in exc_info.value.problems] == [(3, "R2,care,extra"), (4, "R3")]
