"""The store: idempotent, transactional loads; corrections; NRM vintages; filters."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DarkFigureError
from analysis.store import Store, build_sample_store
from tests.test_bad_input import GOOD_ROW, MAPPING, write_csv

SAMPLE_TRUTH = json.loads((__import__("analysis.config").config.SAMPLE_DIR / "truth.json").read_text())


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "test.json").write_text(json.dumps(MAPPING), encoding="utf-8")
    return tmp_path


def test_sample_store_holds_every_sample_record_once(sample_store):
    with Store(sample_store, read_only=True) as store:
        referrals = store.referrals()
        summary = store.summary()
    assert len(referrals) == SAMPLE_TRUTH["detected"]["records"]
    per_agency = referrals.groupby("agency").size().to_dict()
    assert per_agency == {a["agency"]: a["records"] for a in SAMPLE_TRUTH["agencies"]}
    assert summary["tables"]["areas"] == 331
    kinds = [load["kind"] for load in summary["loads"]]
    assert kinds.count("referrals") == 10 and kinds.count("nrm") == 3


def test_rebuilding_the_sample_store_adds_nothing(sample_store, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(sample_store.read_bytes())
    build_sample_store(copy)
    with Store(copy, read_only=True) as again, Store(sample_store, read_only=True) as first:
        assert len(again.referrals()) == len(first.referrals())
        assert len(again.loads()) == len(first.loads())


def test_reload_of_same_file_adds_nothing(folder, capsys):
    path = write_csv(folder, [[f"R{i}", *GOOD_ROW[1:]] for i in range(4)])
    store = folder / "s.duckdb"
    assert main(["ingest", str(path), "--store", str(store)]) == 0
    assert main(["ingest", str(path), "--store", str(store)]) == 0
    assert "already loaded" in capsys.readouterr().out
    with Store(store, read_only=True) as s:
        assert len(s.referrals()) == 4
        assert (s.loads()["kind"] == "referrals").sum() == 1


def test_cumulative_extract_adds_only_new_records_and_applies_corrections(folder):
    store = folder / "s.duckdb"
    first = write_csv(folder, [[f"R{i}", *GOOD_ROW[1:]] for i in range(4)], name="extract_q1.csv")
    rows = [[f"R{i}", *GOOD_ROW[1:]] for i in range(6)]
    rows[0][3] = "E06000017"  # the agency corrected where R0 happened
    second = write_csv(folder, rows, name="extract_q2.csv")
    with Store(store) as s:
        s.ingest([first])
        (record,) = s.ingest([second])
        referrals = s.referrals()
    assert (record.rows_new, record.rows_updated, record.rows_unchanged) == (2, 1, 3)
    assert len(referrals) == 6
    assert referrals.set_index("record_id").loc["R0", "area_code"] == "E06000017"


def test_formula_like_cells_are_stored_as_literal_text(folder):
    rows = [["=HYPERLINK(\"http://x\")", *GOOD_ROW[1:]]]
    store = folder / "s.duckdb"
    with Store(store) as s:
        s.ingest([write_csv(folder, rows)])
        assert s.referrals()["record_id"].tolist() == ['=HYPERLINK("http://x")']


def test_newer_nrm_release_supersedes_older_vintage_and_history_is_kept(sample_store):
    with Store(sample_store, read_only=True) as s:
        current = s.nrm_counts()
        history = s.nrm_counts(current_only=False)

    def uk_total(frame, period):
        rows = frame[(frame.period == period) & (frame.geography_level == "uk")
                     & (frame.measure == "referrals") & (frame.age_group == "all")
                     & (frame.location == "all") & (frame.first_responder == "all")
                     & (frame.first_responder_type == "all")
                     & (frame.exploitation_type == "all")]
        return rows.set_index("source_release")["count"].to_dict()

    # Q1 2023 release first published 4,416 and 4,746; the Q4 2023 release revised them
    # (data/reference/nrm_referrals_uk_quarterly_totals_2019_2025.csv)
    assert uk_total(history, "2022Q4") == {"2023Q1": 4416, "2023Q4": 4413}
    assert uk_total(current, "2022Q4") == {"2023Q4": 4413}
    # The store also holds the bundled bulletin figures (loaded on first run): 2023 Q1 was
    # 4,746 (Q1 2023), 4,739 (Q2 2023), 4,738 (Q4 2023 tables), 4,742 (Q3 2024 bulletin).
    assert uk_total(history, "2023Q1") == {"2023Q1": 4746, "2023Q2": 4739, "2023Q4": 4738,
                                           "2024Q1": 4738, "2024Q3": 4742}
    assert uk_total(current, "2023Q1") == {"2024Q3": 4742}


def test_filters_by_area_and_inclusive_quarter_range(sample_store):
    with Store(sample_store, read_only=True) as s:
        everything = s.referrals()
        some = s.referrals(area_codes=["E06000016", "E06000017"], start="2021Q2", end="2022Q1")
    expected = everything[everything.area_code.isin(["E06000016", "E06000017"])
                          & everything.quarter.between("2021Q2", "2022Q1")]
    assert len(some) == len(expected) > 0
    assert set(some.quarter) == {"2021Q2", "2021Q3", "2021Q4", "2022Q1"}
    assert some["referral_date"].dtype.kind == "M"


def test_read_only_open_of_a_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(DarkFigureError, match="no store at"):
        Store(tmp_path / "absent.duckdb", read_only=True)


def test_read_only_store_refuses_writes(sample_store, folder):
    with Store(sample_store, read_only=True) as s, pytest.raises(DarkFigureError, match="read-only"):
        s.ingest([write_csv(folder, [GOOD_ROW])])


def test_summary_json_lists_tables_and_loads(sample_store, capsys):
    assert main(["summary", "--store", str(sample_store), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tables"]["referrals"] == SAMPLE_TRUTH["detected"]["records"]
    first = out["loads"][0]
    assert {"file_name", "content_hash", "kind", "rows", "loaded_at", "schema_version"} <= set(first)
    assert pd.Timestamp(first["loaded_at"]).year >= 2024


def _nrm_cells(release: str, counts: dict[str, int | None]) -> pd.DataFrame:
    """A few NrmCounts rows, as analysis.ingest.nrm_tables.read_nrm_tables returns them."""
    return pd.DataFrame({
        "period": list(counts), "geography_level": "uk", "geography_code": None,
        "geography_name": "UK", "first_responder_type": "all", "first_responder": "all",
        "exploitation_type": "all", "age_group": "all", "measure": "referrals", "location": "all",
        "count": pd.array(list(counts.values()), dtype="Int64"),
        "missing_marker": [None if v is not None else "[x]" for v in counts.values()],
        "source_release": release, "source_table": "Table_1 (test)",
    })


def test_nrm_vintages_loaded_in_any_order_newest_release_wins(tmp_path, monkeypatch):
    releases = {"q4.ods": _nrm_cells("2023Q4", {"2023Q3": 4710, "2023Q4": 4732}),
                "q3.ods": _nrm_cells("2023Q3", {"2023Q2": 4300, "2023Q3": 4700})}
    for name in releases:
        (tmp_path / name).write_bytes(name.encode())  # distinct content for each file
    monkeypatch.setattr("analysis.ingest.nrm_tables.read_nrm_tables",
                        lambda path, **_: releases[path.name].copy())
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([tmp_path / "q4.ods"], kind="nrm")
        store.ingest([tmp_path / "q3.ods"], kind="nrm")  # an older release arrives later
        # only these test cells (the store also holds the bundled national figures)
        current = store.nrm_counts().query("source_table == 'Table_1 (test)'").set_index("period")
        history = store.nrm_counts(current_only=False).query("source_table == 'Table_1 (test)'")
    assert current["count"].to_dict() == {"2023Q2": 4300, "2023Q3": 4710, "2023Q4": 4732}
    assert current.loc["2023Q3", "source_release"] == "2023Q4"
    assert len(history) == 4


def test_reference_tables_are_loaded_once_and_recorded(tmp_path):
    from analysis import reference

    path = tmp_path / "s.duckdb"
    for _ in range(2):
        with Store(path) as store:
            loads = store.loads()
            areas = store.areas()
    assert loads["kind"].tolist() == [
        "reference:areas", "reference:populations", "reference:prevalence_estimates",
        *["reference:nrm"] * 7]
    assert len(areas) == len(reference.read_areas())
    assert loads["content_hash"].str.fullmatch(r"[0-9a-f]{64}").all()
