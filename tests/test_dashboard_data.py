"""The dashboard's queries and reshapes: filters, protection and overlap patterns."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import data
from dashboard.state import ViewState


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "record_id": [str(i) for i in range(6)],
        "person_key": ["a" * 16, "a" * 16, "b" * 16, None, "c" * 16, "c" * 16],
        "agency": ["P", "N", "P", "N", "P", "G"],
        "agency_type": ["police", "ngo", "police", "ngo", "police", "glaa"],
        "referral_date": pd.to_datetime(["2023-01-05", "2023-02-01", "2023-05-01",
                                         "2023-08-01", "2024-01-01", "2024-02-02"]),
        "area_code": ["E06000016", "E06000016", "E06000017", "E07000129", "E06000016",
                      "E06000016"],
        "exploitation_type": ["labour"] * 3 + ["sexual"] * 3,
        "sector": ["car_wash", "car_wash", "care", "care", "other", "other"],
        "age_group": ["adult", "adult", "child", "adult", "adult", "adult"],
        "quarter": ["2023Q1", "2023Q1", "2023Q2", "2023Q3", "2024Q1", "2024Q1"],
        "load_id": [1, 1, 1, 2, 3, 3],
    })


@pytest.fixture
def store(tmp_path):
    """A real store holding the six referrals (loads 1 to 3), read through the dashboard."""
    from analysis.store import Store, derived

    frame = _frame().assign(sex="female", nationality_group="uk")
    path = tmp_path / "store.duckdb"
    with Store(path) as opened:
        opened._insert("referrals", frame)
        derived.refresh_all(opened.connection)
    yield path
    data.release_store()


def test_filters_select_area_period_sector_age_and_snapshot(store):
    assert len(data.referrals(store, ViewState())) == 6  # the home force: all three districts
    assert len(data.referrals(store, ViewState(area="E06000016"))) == 4
    assert len(data.referrals(store, ViewState(period="2023Q2:2023Q3"))) == 2
    assert len(data.referrals(store, ViewState(sector="car_wash", age_group="adult"))) == 2
    assert len(data.referrals(store, ViewState(snapshot=1))) == 3  # frozen at load 1


def test_unknown_filter_values_select_nothing_rather_than_everything(store):
    assert len(data.referrals(store, ViewState(area="E06000999"))) == 0


def test_person_keys_become_ids_and_missing_keys_stay_unlinked(store):
    rows = data.referrals(store, ViewState())
    ids = dict(zip(rows["record_id"].astype(str), rows["person_id"], strict=True))
    assert ids["0"] == ids["1"] and ids["3"] == -1 and ids["4"] == ids["5"] != ids["0"]


def test_capture_cells_count_people_per_combination_of_lists(store):
    patterns = data.capture_cells(store, ViewState())
    lists = ("enforcement", "labour_inspection", "ngo")  # police, glaa merged (analysis.mse)
    as_sets = {tuple(c for c in lists if row[c]): row["count"]
               for row in patterns.to_dict("records")}
    assert as_sets == {("enforcement", "ngo"): 1, ("enforcement",): 1,
                       ("enforcement", "labour_inspection"): 1}
    assert patterns.attrs["merged_lists"]["enforcement"] == ["home_office", "police"]


def test_load_history_is_newest_first(monkeypatch):
    loads = pd.DataFrame({"load_id": [1, 2, 3], "file_name": ["a", "b", "c"],
                          "content_hash": ["x" * 64] * 3})
    monkeypatch.setattr(data, "_loads", lambda version: loads)
    shown = data.loads_for_display("anything")
    assert shown["load_id"].tolist() == [3, 2, 1]
    assert shown["content_hash"].str.len().max() == 12


def test_counts_are_first_ever_records_aggregated_in_the_store(store):
    """Each person once, in the quarter of their first-ever record; the same cells and keys as
    the disclosure layer computes from the people themselves."""
    from analysis.detection import new_victims
    from analysis.disclosure import protect_table
    from analysis.store import Store

    exact = data.true_counts(store, ViewState(), "quarter").set_index("quarter")["count"]
    assert exact.to_dict() == {"2023Q1": 1, "2023Q2": 1, "2023Q3": 1, "2024Q1": 1}
    # a person first seen in 2023Q1 is not new in 2024Q1 when the period starts there
    assert data.true_counts(store, ViewState(period="2023Q2:2024Q1"), "quarter")[
        "count"].sum() == 3
    with Store(store, read_only=True) as opened:
        people = new_victims(opened.referrals())
    shown = data.counts(store, ViewState(), "quarter", margins=True).to_frame()
    direct = protect_table(people.assign(quarter=people["quarter"].astype(str)), "quarter",
                           margins=True).to_frame()
    assert shown.equals(direct)


def test_a_snapshot_counts_first_records_as_they_were_then(store):
    # load 1 held records 0-2: person a (twice) and b
    assert data.true_counts(store, ViewState(snapshot=1), "quarter")["count"].sum() == 2
    assert data.true_counts(store, ViewState(snapshot=3), "quarter")["count"].sum() == 4
