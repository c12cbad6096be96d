"""Zip-bomb guard for XLSX/ODS: judged from the central directory, before any reader."""

import zipfile

import openpyxl
import pytest

from analysis.errors import InputError
from analysis.safe_zip import check_archive

MB = 1024 * 1024


def _bomb(path, members=1, size_mb=200):
    """A few hundred KB expanding to size_mb per member, written in 1 MB chunks so the
    expanded data is never held in memory or on disk."""
    chunk = b"\0" * MB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for i in range(members):
            with archive.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as out:
                for _ in range(size_mb):
                    out.write(chunk)
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    return _bomb(tmp_path_factory.mktemp("zip") / "report.xlsx")


def test_a_zip_bomb_is_refused_naming_the_file(bomb):
    assert bomb.stat().st_size < 1 * MB
    with pytest.raises(InputError) as caught:
        check_archive(bomb)
    problem = caught.value.problems[0]
    assert problem.file == "report.xlsx"
    assert "zip bomb" in problem.reason


def test_the_ratio_alone_catches_a_bomb_under_the_size_limit(bomb):
    with pytest.raises(InputError, match="to 1"):
        check_archive(bomb, max_uncompressed=10_000 * MB)


def test_the_expanded_size_limit_follows_the_upload_setting(tmp_path, monkeypatch):
    path = tmp_path / "big.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/a.bin", b"x" * (3 * MB))
    check_archive(path)
    monkeypatch.setenv("DARKFIGURE_MAX_UPLOAD_MB", "0.5")   # limit = 4 x 0.5 MB
    with pytest.raises(InputError, match="MB limit"):
        check_archive(path, name="upload.xlsx")


def test_a_normal_workbook_passes(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r in range(2000):
        sheet.append([f"REF{r:06d}", "Leicester", "car_wash", r % 7, "2024-01-01"])
    path = tmp_path / "extract.xlsx"
    workbook.save(path)
    check_archive(path)


def test_a_file_that_is_not_a_zip_is_refused_clearly(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("this is not a spreadsheet")
    with pytest.raises(InputError) as caught:
        check_archive(path, name="notes.xlsx")
    assert caught.value.problems[0].file == "notes.xlsx"
    assert "not a valid XLSX/ODS" in caught.value.problems[0].reason
