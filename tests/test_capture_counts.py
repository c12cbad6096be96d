"""People per capture pattern counted in the store (``analysis.capture_counts``), checked
against the independent pandas route (``analysis.mse.capture_patterns`` over the stored
referrals, with record keys from ``analysis.disclosure.record_keys``) on the sample store."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from analysis.capture_counts import capture_cells
from analysis.detection import districts_of
from analysis.disclosure import protect_cell_table, protect_table, record_keys
from analysis.disclosure.keys import KEY_MODULUS
from analysis.errors import DarkFigureError
from analysis.mse import AGENCY_TYPE_MERGE, capture_patterns
from analysis.store import Store
from analysis.victim_counts import Selection

HOME = "E23000021"
YEAR = ("2025Q1", "2025Q2", "2025Q3", "2025Q4")


@pytest.fixture(scope="module")
def stored(sample_store):
    with Store(sample_store, read_only=True) as store:
        return store.referrals()


def _lists(cells: pd.DataFrame) -> list[str]:
    return [c for c in cells if c not in ("count", "cell_key")]


def _by_pattern(table: pd.DataFrame, lists: list[str], column: str) -> dict[tuple, int]:
    return {tuple(c for c in lists if row[c]): int(row[column])
            for row in table.to_dict("records") if row["count"]}


def _middle_load(stored: pd.DataFrame) -> int:
    return int(sorted(stored["load_id"].unique())[len(stored["load_id"].unique()) // 2])


@pytest.mark.parametrize("choose, keep", [
    (lambda s: Selection(quarters=YEAR), lambda r: r["quarter"].isin(YEAR)),
    (lambda s: Selection(area_codes=tuple(districts_of(HOME)), quarters=YEAR[:2],
                         where=(("exploitation_type", ("labour",)),)),
     lambda r: (r["area_code"].isin(districts_of(HOME)) & r["quarter"].isin(YEAR[:2])
                & (r["exploitation_type"] == "labour"))),
    (lambda s: Selection(snapshot=_middle_load(s)), lambda r: r["load_id"] <= _middle_load(r)),
], ids=["year", "area-type", "snapshot"])
def test_patterns_and_keys_equal_the_pandas_route(sample_store, stored, choose, keep):
    selection = choose(stored)
    with Store(sample_store, read_only=True) as store:
        cells = capture_cells(store.connection, selection, merge=AGENCY_TYPE_MERGE)
    rows = stored[keep(stored)]
    expected = capture_patterns(rows, merge=AGENCY_TYPE_MERGE)
    lists = _lists(cells)
    assert lists == [c for c in expected if c != "count" and expected[c].any()]
    assert _by_pattern(cells, lists, "count") == _by_pattern(expected, lists, "count")
    # each pattern's cell key is the sum of its people's record keys (each person once)
    linked = rows[rows["person_key"].notna() & (rows["person_key"] != "")].copy()
    linked["key"] = record_keys(linked)
    linked["list"] = linked["agency_type"].astype(str).replace(AGENCY_TYPE_MERGE)
    people = linked.groupby("person_key").agg(
        key=("key", "first"), pattern=("list", lambda s: tuple(sorted(set(s)))))
    keys = people.groupby("pattern")["key"].agg(lambda s: sum(map(int, s)) % KEY_MODULUS)
    assert _by_pattern(cells, lists, "cell_key") == keys.to_dict()
    assert cells["count"].is_monotonic_decreasing


def test_protected_patterns_equal_protect_table_on_the_people(sample_store, stored):
    with Store(sample_store, read_only=True) as store:
        cells = capture_cells(store.connection, Selection(quarters=YEAR),
                              merge=AGENCY_TYPE_MERGE)
    lists = _lists(cells)
    words = ["".join(str(v) for v in row) for row in cells[lists].to_numpy()]
    shown = protect_cell_table(cells.assign(pattern=words), "pattern").to_frame()
    rows = stored[stored["quarter"].isin(YEAR) & stored["person_key"].notna()].copy()
    rows["list"] = rows["agency_type"].astype(str).replace(AGENCY_TYPE_MERGE)
    masks = rows.groupby("person_key")["list"].agg(set)
    people = rows.drop_duplicates("person_key").copy()
    people["pattern"] = people["person_key"].map(
        lambda k: "".join("1" if name in masks[k] else "0" for name in lists))
    assert shown.equals(protect_table(people, "pattern").to_frame())
    assert shown["count_suppressed"].any()  # small patterns are [c] on the sample


def test_merged_lists_are_named_and_an_empty_view_has_no_patterns(sample_store):
    with Store(sample_store, read_only=True) as store:
        cells = capture_cells(store.connection, Selection(quarters=YEAR),
                              merge=AGENCY_TYPE_MERGE)
        empty = capture_cells(store.connection, Selection(quarters=("1999Q1",)))
    assert cells.attrs["merged_lists"]["labour_inspection"] == ["business", "glaa", "hmrc"]
    assert "police" not in cells and "enforcement" in cells
    assert empty.empty and empty.attrs["merged_lists"] == {}


def _state(path) -> tuple:
    with Store(path, read_only=True) as store:
        return store.connection.execute(
            "SELECT count(*), sum(record_key::HUGEINT), count(DISTINCT record_key) "
            "FROM linked_referrals").fetchone()


def test_the_table_holds_every_linked_referral_with_its_persons_key(sample_store, stored):
    linked = stored[stored["person_key"].notna() & (stored["person_key"] != "")]
    count, total, people = _state(sample_store)
    assert count == len(linked) and people == linked["person_key"].nunique()
    assert total == sum(int(k) for k in record_keys(linked))


def test_a_failed_load_leaves_the_table_and_a_reload_changes_nothing(sample_store, tmp_path):
    path = shutil.copy(sample_store, tmp_path / "store.duckdb")
    before = _state(path)
    with Store(path, read_only=True) as store:
        one = store.referrals().head(50)
    columns = ["record_id", "person_key", "agency", "agency_type", "referral_date", "area_code",
               "exploitation_type", "sector", "age_group", "sex", "nationality_group"]
    again, bad = tmp_path / "again.csv", tmp_path / "bad.csv"
    one[columns].to_csv(again, index=False, date_format="%Y-%m-%d")
    one[columns].assign(referral_date="not a date").to_csv(bad, index=False)
    with Store(path) as store:
        store.ingest([again], kind="referrals")  # the same records again: nothing new
    with pytest.raises(DarkFigureError), Store(path) as store:
        store.ingest([bad], kind="referrals")
    assert _state(path) == before


def test_an_older_store_without_the_table_gives_the_same_patterns(sample_store, tmp_path):
    path = shutil.copy(sample_store, tmp_path / "old.duckdb")
    chosen = Selection(quarters=YEAR)
    with Store(path, read_only=True) as store:
        current = capture_cells(store.connection, chosen, merge=AGENCY_TYPE_MERGE)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE linked_referrals")
    con.close()
    with Store(path, read_only=True) as store:  # read-only: computed on the fly
        computed = capture_cells(store.connection, chosen, merge=AGENCY_TYPE_MERGE)
    pd.testing.assert_frame_equal(computed, current)
    with Store(path):  # opened for writing: the table is built
        pass
    assert _state(path) == _state(sample_store)
