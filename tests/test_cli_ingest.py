"""`darkfigure ingest` and `darkfigure summary` as an analyst uses them."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from analysis.config import SAMPLE_DIR
from analysis.store import Store
from tests.test_bad_input import GOOD_ROW, MAPPING, write_csv

NRM_RELEASE = (SAMPLE_DIR / "nrm"
               / "national-referral-mechanism-statistics-uk-quarter-1-2023-jan-to-mar-tables.ods")


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "test.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    return tmp_path


def _rows(prefix: str, n: int):
    return [[f"{prefix}{i}", *GOOD_ROW[1:]] for i in range(n)]


def test_ingest_prints_what_each_file_added(folder, capsys):
    first = write_csv(folder, _rows("A", 3), name="extract_a.csv")
    second = write_csv(folder, _rows("B", 2), name="extract_b.csv")
    store = folder / "new" / "dir" / "store.duckdb"  # parent folders are created
    assert main(["ingest", str(first), str(second), "--store", str(store)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "extract_a.csv: 3 referrals rows read; 3 new, 0 updated, 0 unchanged (load 11)",
        "extract_b.csv: 2 referrals rows read; 2 new, 0 updated, 0 unchanged (load 12)",
    ]  # loads 1-10 are the reference tables (3 geography, 7 national NRM files), recorded
    # when the store is created


def test_explicit_mapping_and_kind(folder, capsys):
    path = write_csv(folder, _rows("A", 2), name="no_pattern_matches.csv")
    store = folder / "s.duckdb"
    assert main(["ingest", str(path), "--store", str(store)]) == 2  # no mapping found: schema names
    assert "required column is missing" in capsys.readouterr().err
    assert main(["ingest", str(path), "--store", str(store), "--kind", "referrals",
                 "--mapping", str(folder / "mappings" / "test.json")]) == 0
    with Store(store, read_only=True) as s:
        assert s.referrals()["agency"].unique().tolist() == ["Test Agency"]


def test_nrm_release_is_recognised_without_kind(tmp_path, capsys):
    store = tmp_path / "s.duckdb"
    assert main(["ingest", str(NRM_RELEASE), "--store", str(store)]) == 0
    assert " nrm rows read" in capsys.readouterr().out
    with Store(store, read_only=True) as s:
        loads = s.loads()
        assert loads["kind"].tolist()[-1] == "nrm"
        mine = s.nrm_counts(current_only=False).query("load_id == @loads.load_id.max()")
        assert set(mine["source_release"]) == {"2023Q1"}
        assert len(mine) == loads["rows"].iloc[-1] > 0


def test_problems_go_to_stderr_with_exit_2_and_nothing_is_stored(folder, capsys):
    rows = _rows("A", 3)
    rows[1][6] = "Pensioner"
    store = folder / "s.duckdb"
    assert main(["ingest", str(write_csv(folder, rows)), "--store", str(store)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "nothing was stored" in captured.err
    assert "extract.csv, row 3, column 'Age -> age_group'" in captured.err
    with Store(store, read_only=True) as s:
        assert len(s.referrals()) == 0


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "absent.csv"), "--store", str(tmp_path / "s.duckdb")]) == 2
    assert "absent.csv: file not found" in capsys.readouterr().err


def test_unknown_kind_is_refused_by_the_parser(tmp_path):
    with pytest.raises(SystemExit) as exc_info:
        main(["ingest", "x.csv", "--kind", "census"])
    assert exc_info.value.code == 2


def test_summary_text_lists_every_table_and_load(folder, capsys):
    store = folder / "s.duckdb"
    main(["ingest", str(write_csv(folder, _rows("A", 3))), "--store", str(store)])
    capsys.readouterr()
    assert main(["summary", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    for table in ("referrals", "nrm_counts", "populations", "areas", "prevalence_estimates", "loads"):
        assert table in out
    assert "extract.csv" in out and "reference:areas" in out


def test_summary_json_counts_match_the_store(folder, capsys):
    store = folder / "s.duckdb"
    main(["ingest", str(write_csv(folder, _rows("A", 3))), "--store", str(store)])
    capsys.readouterr()
    assert main(["summary", "--store", str(store), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tables"]["referrals"] == 3
    assert summary["tables"]["loads"] == len(summary["loads"]) == 11
    assert [load["kind"] for load in summary["loads"]] == [
        "reference:areas", "reference:populations", "reference:prevalence_estimates",
        *["reference:nrm"] * 7, "referrals"]
    nrm = [load for load in summary["loads"] if load["kind"] == "reference:nrm"]
    assert sum(load["rows"] for load in nrm) == summary["tables"]["nrm_counts"]
    assert all(load["notes"][0].startswith("read ") for load in nrm)


def test_summary_of_a_missing_store_exits_2(tmp_path, capsys):
    assert main(["summary", "--store", str(tmp_path / "none.duckdb")]) == 2
    assert "no store at" in capsys.readouterr().err
