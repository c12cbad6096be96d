"""Pseudonymisation at the agency: stable keys across spellings, no identifier left behind."""

import hashlib
import hmac
import io
import zipfile

import openpyxl
import pytest

from analysis.cli import main
from analysis.errors import DarkFigureError, InputError
from analysis.pseudonymise import (
    create_key,
    normalise_identifier,
    person_key,
    pseudonymise_file,
    read_key,
)

KEY = bytes.fromhex("8f" * 16 + "a1" * 16)
NAMES = ["Zoë", "Ōkafor-Smith", "Aleksandra", "Wiśniewska"]
HEADER = "Crime Ref,First name,Surname,Date of birth,Sector\n"
ROWS = [
    "R1,Zoë,Ōkafor-Smith,01/02/1990,car_wash\n",
    "R2, zoe ,OKAFOR SMITH,1990-02-01,car_wash\n",
    "R3,Aleksandra,Wiśniewska,,nail_bar\n",
    "R4,Aleksandra,Wiśniewska,3 March 1985,=cmd|' /C calc'!A0\n",
]


def _key_of(*values):
    return person_key([normalise_identifier(v, k) for v, k in values], KEY)


def test_case_whitespace_and_accents_do_not_change_the_key():
    assert _key_of((" José  SMITH ", "name")) == _key_of(("jose smith", "name"))


def test_date_formats_give_the_same_key_day_first():
    assert _key_of(("01/02/1990", "date")) == _key_of(("1990-02-01", "date"))
    assert normalise_identifier("1st February 1990", "date") == "1990-02-01"
    assert normalise_identifier("01.02.90", "date") == "1990-02-01"
    assert normalise_identifier("15/03/45", "date") == "1945-03-15"   # never a future birth
    assert normalise_identifier("02/01/1990", "date", dayfirst=False) == "1990-02-01"
    with pytest.raises(ValueError):
        normalise_identifier("31/31/1990", "date")


def test_the_key_is_hmac_sha256_of_the_joined_identifiers():
    expected = hmac.new(KEY, b"jose smith\x1f1990-02-01", hashlib.sha256).hexdigest()
    assert _key_of(("José Smith", "name"), ("1/2/1990", "date")) == expected


def test_a_different_key_gives_a_different_person_key():
    other = bytes(32)
    assert person_key(["jose smith"], KEY) != person_key(["jose smith"], other)


def test_a_missing_identifier_gives_a_missing_key_not_a_key_of_blanks():
    assert person_key([normalise_identifier("  ", "name"), "1990-02-01"], KEY) is None
    assert person_key([None, None], KEY) is None


def test_short_or_malformed_keys_are_refused(tmp_path):
    short = tmp_path / "short.key"
    short.write_text("ab" * 16)
    with pytest.raises(DarkFigureError, match="at least 32"):
        read_key(short)
    bad = tmp_path / "bad.key"
    bad.write_text("not hex")
    with pytest.raises(DarkFigureError, match="hexadecimal"):
        read_key(bad)
    with pytest.raises(DarkFigureError):
        person_key(["x"], b"short")


def test_create_key_makes_a_private_random_key_and_never_overwrites(tmp_path):
    a, b = create_key(tmp_path / "a.key"), create_key(tmp_path / "b.key")
    assert read_key(a) != read_key(b) and len(read_key(a)) == 32
    assert a.stat().st_mode & 0o077 == 0
    with pytest.raises(DarkFigureError, match="exists"):
        create_key(a)


@pytest.fixture
def extract(tmp_path):
    path = tmp_path / "police.csv"
    path.write_bytes(("\ufeff" + HEADER + "".join(ROWS)).encode("utf-8"))
    key = tmp_path / "forum.key"
    key.write_text(KEY.hex())
    return path, key


def _no_identifier_in(data: bytes):
    text = data.decode("utf-8-sig").casefold()
    for value in NAMES + ["zoe", "okafor", "wisniewska", "1990", "1985"]:
        assert value.casefold() not in text, value


def test_out_has_the_key_and_no_identifier_anywhere(extract, tmp_path):
    path, key = extract
    out = tmp_path / "police_pseudonymised.csv"
    counts = pseudonymise_file(path, out, key_file=key,
                               id_columns=["First name", "Surname", "Date of birth"])
    assert counts == {"rows": 4, "keys": 3, "missing_keys": 1}
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")          # the input's BOM is kept
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Crime Ref,Sector,person_key"
    keys = [line.split(",")[-1] for line in lines[1:]]
    assert keys[0] == keys[1] != "" and keys[2] == "" and keys[3] != keys[0]
    assert keys[0] == _key_of(("Zoë Ōkafor-Smith".split()[0], "name"),
                              ("Ōkafor-Smith", "name"), ("01/02/1990", "date"))
    _no_identifier_in(data)


def test_xlsx_in_gives_xlsx_out_without_identifiers(tmp_path, extract):
    _, key = extract
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in [HEADER] + ROWS:
        sheet.append(line.rstrip("\n").split(","))
    sheet.cell(5, 5).data_type = "s"   # an agency's text that looks like a formula
    path = tmp_path / "council.xlsx"
    workbook.save(path)
    out = tmp_path / "council_out.xlsx"
    pseudonymise_file(path, out, key_file=key, id_columns=["First name", "Surname",
                                                           "Date of birth"])
    rows = list(openpyxl.load_workbook(io.BytesIO(out.read_bytes())).active.values)
    assert rows[0] == ("Crime Ref", "Sector", "person_key")
    assert rows[1][2] == rows[2][2] and rows[3][2] is None
    assert rows[4][1] == "=cmd|' /C calc'!A0"        # kept as text, not a formula
    sheet = openpyxl.load_workbook(out).active
    assert sheet.cell(5, 2).data_type == "s"
    with zipfile.ZipFile(out) as archive:
        _no_identifier_in(b"".join(archive.read(n) for n in archive.namelist()))


def test_in_is_never_overwritten_and_errors_name_no_identifier(extract, tmp_path):
    path, key = extract
    before = path.read_bytes()
    with pytest.raises(DarkFigureError, match="different file"):
        pseudonymise_file(path, path, key_file=key, id_columns=["Surname"])
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "R9,Ann,Lee,31/31/1990,care\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        pseudonymise_file(bad, tmp_path / "bad_out.csv", key_file=key,
                          id_columns=["First name", "Surname", "Date of birth"])
    problem = caught.value.problems[0]
    assert (problem.row, problem.column) == (2, "Date of birth")
    assert "31/31" not in str(caught.value) and problem.value is None
    assert not (tmp_path / "bad_out.csv").exists()
    with pytest.raises(InputError, match="identifier column not found"):
        pseudonymise_file(path, tmp_path / "o.csv", key_file=key, id_columns=["NI number"])
    cp1252 = tmp_path / "legacy.csv"
    cp1252.write_bytes((HEADER + ROWS[0]).encode("cp1252", errors="replace"))
    with pytest.raises(InputError, match="not UTF-8"):
        pseudonymise_file(cp1252, tmp_path / "l.csv", key_file=key, id_columns=["Surname"])
    assert path.read_bytes() == before


def test_the_command_creates_a_key_and_pseudonymises(extract, tmp_path, capsys):
    path, _ = extract
    key = tmp_path / "new.key"
    out = tmp_path / "out.csv"
    code = main(["pseudonymise", str(path), str(out), "--key-file", str(key), "--create-key",
                 "--id-columns", "First name,Surname,Date of birth:date"])
    assert code == 0 and len(read_key(key)) == 32
    printed = capsys.readouterr().out
    assert "4 rows" in printed
    _no_identifier_in(out.read_bytes() + printed.encode())
    assert main(["pseudonymise", str(path), str(tmp_path / "x.csv"), "--key-file",
                 str(tmp_path / "missing.key"), "--id-columns", "Surname"]) == 2
