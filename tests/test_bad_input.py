"""Bad input gets a clear error naming file, row, column and reason, and the store is unchanged."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from analysis.cli import main
from analysis.store import TABLES, Store

HEADER = ["Ref", "Key", "Date", "LA", "Type", "Sector", "Age", "Sex", "Nat", "NRM"]
GOOD_ROW = ["R1", "ab" * 16, "05/03/2023", "E06000016", "Labour", "Car wash", "Adult", "Male", "UK", "Y"]
MAPPING = {
    "agency": "Test Agency", "agency_type": "ngo", "file_pattern": "extract*",
    "columns": {"Ref": "record_id", "Key": "person_key", "Date": "referral_date", "LA": "area_code",
                "Type": "exploitation_type", "Sector": "sector", "Age": "age_group", "Sex": "sex",
                "Nat": "nationality_group", "NRM": "nrm_referred"},
    "values": {"exploitation_type": {"Labour": "labour"}, "sector": {"Car wash": "car_wash"},
               "age_group": {"Adult": "adult"}, "sex": {"Male": "male"},
               "nationality_group": {"UK": "uk"}},
    "date_format": "%d/%m/%Y",
}


def _rows(n=3):
    return [[f"R{i}", *GOOD_ROW[1:]] for i in range(1, n + 1)]


def write_csv(folder: Path, rows, header=HEADER, name="extract.csv", encoding="utf-8", sep=","):
    path = folder / name
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "test.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    return tmp_path


@pytest.fixture()
def store(folder):
    path = folder / "store.duckdb"
    assert main(["ingest", str(write_csv(folder, _rows(), name="extract_ok.csv")), "--store", str(path)]) == 0
    return path


def fingerprint(path: Path) -> dict:
    with Store(path, read_only=True) as s:
        out = {}
        for table in TABLES:
            frame = s.table(table)
            out[table] = (len(frame), hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest())
        return out


def refused(capsys, store: Path, path: Path, *needles: str, extra=()):
    before = fingerprint(store)
    code = main(["ingest", str(path), "--store", str(store), *extra])
    err = capsys.readouterr().err
    assert code != 0
    assert path.name in err
    for needle in needles:
        assert needle in err, err
    assert fingerprint(store) == before
    return err


def test_missing_column(folder, store, capsys):
    header = [h for h in HEADER if h != "Sector"]
    rows = [[c for h, c in zip(HEADER, r, strict=True) if h != "Sector"] for r in _rows()]
    refused(capsys, store, write_csv(folder, rows, header=header),
            "row 1", "sector", "required column is missing", "'Sector'")


def test_unknown_category(folder, store, capsys):
    rows = _rows()
    rows[1][5] = "Fishing fleet"
    refused(capsys, store, write_csv(folder, rows), "row 3", "Sector -> sector",
            "not one of the allowed values", "Fishing fleet")


def test_impossible_date(folder, store, capsys):
    rows = _rows()
    rows[0][2] = "31/02/2023"
    refused(capsys, store, write_csv(folder, rows), "row 2", "Date -> referral_date",
            "not a valid date", "31/02/2023")


def test_future_date(folder, store, capsys):
    rows = _rows()
    rows[2][2] = "01/01/2999"
    refused(capsys, store, write_csv(folder, rows), "row 4", "referral_date", "in the future")


def test_duplicate_record_id(folder, store, capsys):
    rows = _rows()
    rows[2][0] = "R1"
    err = refused(capsys, store, write_csv(folder, rows), "record_id", "more than once")
    assert "row 2" in err and "row 4" in err


def test_undeclared_encoding(folder, store, capsys):
    rows = _rows()
    rows[0][5] = "Café"
    path = write_csv(folder, rows, encoding="cp1252")
    refused(capsys, store, path, "not valid UTF-8", "line 2", '"encoding"')


def test_declared_encoding_and_semicolons_load(folder, store):
    mapping = {**MAPPING, "encoding": "cp1252", "delimiter": ";",
               "values": {**MAPPING["values"], "sector": {"Car wash": "car_wash", "Car wash – café": "car_wash"}}}
    rows = _rows()
    rows[0][5] = "Car wash – café"
    path = write_csv(folder, rows, encoding="cp1252", sep=";", name="extract_cp.csv")
    (folder / "m.json").write_text(json.dumps(mapping), encoding="utf-8")
    assert main(["ingest", str(path), "--store", str(store), "--mapping", str(folder / "m.json")]) == 0


def test_empty_file(folder, store, capsys):
    path = folder / "extract_empty.csv"
    path.write_bytes(b"")
    refused(capsys, store, path, "empty")


def test_truncated_xlsx(folder, store, capsys):
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for r in _rows(50):
        book.active.append(r)
    whole = folder / "whole.xlsx"
    book.save(whole)
    cut = folder / "extract_cut.xlsx"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    refused(capsys, store, cut, "damaged or truncated")


def test_text_file_named_xlsx(folder, store, capsys):
    path = folder / "extract_fake.xlsx"
    path.write_text("Ref,Date\nR1,2023-01-01\n")
    refused(capsys, store, path, "not a spreadsheet")


def test_personal_data_column(folder, store, capsys):
    header = [*HEADER, "Date of Birth"]
    rows = [[*r, "01/01/1990"] for r in _rows()]
    refused(capsys, store, write_csv(folder, rows, header=header), "Date of Birth",
            "personal-data column")


def test_oversized_file(folder, store, capsys, monkeypatch):
    path = write_csv(folder, _rows(400))
    monkeypatch.setenv("DARKFIGURE_MAX_UPLOAD_MB", "0.001")
    refused(capsys, store, path, "over the limit", "DARKFIGURE_MAX_UPLOAD_MB")


def test_bad_person_key_and_area_code(folder, store, capsys):
    rows = _rows()
    rows[0][1] = "John Smith"
    rows[1][3] = "Leicester"
    refused(capsys, store, write_csv(folder, rows), "Key -> person_key", "LA -> area_code",
            "GSS code")


def test_non_yes_no_value(folder, store, capsys):
    rows = _rows()
    rows[0][9] = "maybe"
    refused(capsys, store, write_csv(folder, rows), "row 2", "NRM -> nrm_referred", "yes/no")


def _fail_second_load_record(monkeypatch, error: Exception) -> None:
    """Raise ``error`` when the second file's load is recorded: after the first file's rows,
    its load record and the second file's rows have been written in the transaction."""
    calls = {"n": 0}
    original = Store._record_load

    def record_then_fail(self, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise error
        return original(self, *args)

    monkeypatch.setattr(Store, "_record_load", record_then_fail)


def test_failure_injected_mid_load_rolls_everything_back(folder, store, monkeypatch, capsys):
    first = write_csv(folder, [[f"N{i}", *GOOD_ROW[1:]] for i in range(5)], name="extract_a.csv")
    second = write_csv(folder, [[f"M{i}", *GOOD_ROW[1:]] for i in range(5)], name="extract_b.csv")
    _fail_second_load_record(monkeypatch, duckdb.IOException("No space left on device (injected)"))
    before = fingerprint(store)
    assert main(["ingest", str(first), str(second), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "rolled back" in err and "store is unchanged" in err and "injected" in err
    assert fingerprint(store) == before


def test_a_bug_mid_load_still_rolls_everything_back(folder, store, monkeypatch):
    first = write_csv(folder, [[f"N{i}", *GOOD_ROW[1:]] for i in range(5)], name="extract_a.csv")
    second = write_csv(folder, [[f"M{i}", *GOOD_ROW[1:]] for i in range(5)], name="extract_b.csv")
    _fail_second_load_record(monkeypatch, RuntimeError("a bug (injected)"))
    before = fingerprint(store)
    with pytest.raises(RuntimeError, match="injected"):  # bugs keep their traceback
        main(["ingest", str(first), str(second), "--store", str(store)])
    assert fingerprint(store) == before


def test_one_bad_file_stops_the_whole_ingest(folder, store, capsys):
    good = write_csv(folder, [[f"N{i}", *GOOD_ROW[1:]] for i in range(5)], name="extract_a.csv")
    rows = _rows()
    rows[0][4] = "Smuggling"
    bad = write_csv(folder, rows, name="extract_b.csv")
    before = fingerprint(store)
    assert main(["ingest", str(good), str(bad), "--store", str(store)]) == 2
    assert "extract_b.csv, row 2" in capsys.readouterr().err
    assert fingerprint(store) == before


def test_every_problem_is_reported_at_once(folder, store, capsys):
    rows = _rows(4)
    rows[0][4] = "Smuggling"
    rows[1][2] = "2023-13-45"
    rows[3][6] = "Elderly"
    err = refused(capsys, store, write_csv(folder, rows), "3 problem(s)")
    assert all(f"row {n}" in err for n in (2, 3, 5))


def test_negative_and_fractional_counts_in_nrm_tables_are_refused(folder, store, capsys):
    import pandas as pd

    from tests import nrm_workbooks as wb  # the faithful NRM layout builder

    data = pd.DataFrame({"year": [2023, 2023], "quarter": ["Q3", "Q4"], "dtn_reports": [-5, 2.5]})
    sheet = wb.quarterly_total_sheet("Table_40", wb.DTN_TITLE, data, "dtn_reports", number=40)
    path = folder / wb.release_file_name("2023Q4")
    wb.write_workbook(path, [*wb.front_sheets("2023Q4", [sheet]), sheet])
    err = refused(capsys, store, path, "negative", "whole number", extra=("--kind", "nrm"))
    assert "Table_40" in err


def test_zip_that_is_not_a_workbook(folder, store, capsys):
    path = folder / "extract_zip.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    refused(capsys, store, path, "neither an XLSX nor an ODS")
