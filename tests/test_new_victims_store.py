"""The store's new_victims table and the database-side counts every page reads.

Checked against the independent pandas route (``analysis.detection.new_victims`` over every
stored referral, then ``analysis.disclosure.protect_table``), on the synthetic sample store.
"""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from analysis.detection import districts_of, new_victims
from analysis.disclosure import EXACT, protect_table
from analysis.errors import DarkFigureError
from analysis.store import Store
from analysis.victim_counts import Selection, count_cells, new_victim_rows, protected_counts

HOME = "E23000021"


@pytest.fixture(scope="module")
def stored(sample_store):
    with Store(sample_store, read_only=True) as store:
        return store.referrals()


def _ids(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["agency"].astype(str), frame["record_id"].astype(str), strict=True))


def test_the_table_holds_each_persons_first_ever_record(sample_store, stored):
    with Store(sample_store, read_only=True) as store:
        table = store.connection.execute("SELECT agency, record_id FROM new_victims").df()
    expected = new_victims(stored)
    assert len(table) == len(expected) < len(stored)
    assert _ids(table) == _ids(expected)


@pytest.mark.parametrize("by", ["quarter", ["area_code", "sector"], ["year", "age_group"]])
def test_counts_in_the_database_equal_the_pandas_route(sample_store, stored, by):
    quarters = ("2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1")
    districts = tuple(districts_of(HOME))
    chosen = Selection(area_codes=districts, quarters=quarters,
                       where=(("exploitation_type", ("labour", "sexual")),))
    people = new_victims(stored)
    people = people[people["area_code"].isin(districts) & people["quarter"].isin(quarters)
                    & people["exploitation_type"].isin(["labour", "sexual"])]
    people = people.assign(year=people["quarter"].str[:4])
    columns = [by] if isinstance(by, str) else by
    levels = {c: sorted(people[c].unique()) for c in columns}
    for mode in ("protected", EXACT):
        with Store(sample_store, read_only=True) as store:
            shown = protected_counts(store.connection, chosen, by, levels=levels, margins=True,
                                     mode=mode).to_frame()
        direct = protect_table(people, by, levels=levels, margins=True, mode=mode).to_frame()
        pd.testing.assert_frame_equal(shown, direct)


def test_rows_and_cells_agree(sample_store):
    chosen = Selection(area_codes=("E06000016",), quarters=("2025Q1", "2025Q2"))
    with Store(sample_store, read_only=True) as store:
        rows = new_victim_rows(store.connection, chosen)
        cells = count_cells(store.connection, chosen, "quarter")
    assert cells["count"].sum() == len(rows) > 0
    assert set(rows["quarter"]) == set(cells["quarter"])


def test_a_failed_load_leaves_the_table_and_a_reload_changes_nothing(sample_store, tmp_path):
    path = shutil.copy(sample_store, tmp_path / "store.duckdb")
    with Store(path, read_only=True) as store:
        before = store.connection.execute(
            "SELECT count(*), sum(record_key::HUGEINT) FROM new_victims").fetchone()
        one = store.referrals().head(50)
    extract = tmp_path / "again.csv"
    columns = ["record_id", "person_key", "agency", "agency_type", "referral_date", "area_code",
               "exploitation_type", "sector", "age_group", "sex", "nationality_group"]
    one[columns].to_csv(extract, index=False, date_format="%Y-%m-%d")
    with Store(path) as store:
        store.ingest([extract], kind="referrals")  # the same records again: nothing new
    bad = tmp_path / "bad.csv"
    one[columns].assign(referral_date="not a date").to_csv(bad, index=False)
    with pytest.raises(DarkFigureError), Store(path) as store:
        store.ingest([bad], kind="referrals")
    with Store(path, read_only=True) as store:
        after = store.connection.execute(
            "SELECT count(*), sum(record_key::HUGEINT) FROM new_victims").fetchone()
    assert after == before


def test_an_older_store_without_the_table_is_counted_the_same(sample_store, tmp_path):
    path = shutil.copy(sample_store, tmp_path / "old.duckdb")
    chosen = Selection(quarters=("2025Q1", "2025Q2", "2025Q3", "2025Q4"))
    with Store(path, read_only=True) as store:
        current = count_cells(store.connection, chosen, "area_code")
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE new_victims")
    con.close()
    with Store(path, read_only=True) as store:  # read-only: computed on the fly
        computed = count_cells(store.connection, chosen, "area_code")
    pd.testing.assert_frame_equal(computed.sort_values("area_code", ignore_index=True),
                                  current.sort_values("area_code", ignore_index=True))
    with Store(path) as store:  # opened for writing: the table is built
        assert store.connection.execute("SELECT count(*) FROM new_victims").fetchone()[0] > 0


def test_a_snapshot_counts_the_data_as_loaded_then(sample_store, stored):
    first_load = int(stored["load_id"].min())
    chosen = Selection(snapshot=first_load)
    with Store(sample_store, read_only=True) as store:
        cells = count_cells(store.connection, chosen, "quarter")
    expected = new_victims(stored[stored["load_id"] <= first_load].reset_index(drop=True))
    assert cells["count"].sum() == len(expected)


def test_unknown_dimensions_are_clear_errors(sample_store):
    with Store(sample_store, read_only=True) as store, pytest.raises(DarkFigureError,
                                                                      match="cannot count"):
        count_cells(store.connection, Selection(), "person_key")
    with pytest.raises(DarkFigureError, match="cannot select"):
        Selection(where=(("record_id", ("1",)),)).clauses()


@pytest.mark.parametrize("mode", ["protected", EXACT])
def test_composition_from_cells_equals_composition_from_people(sample_store, stored, mode):
    from analysis.composition import protected_composition

    quarters = ("2025Q1", "2025Q2", "2025Q3", "2025Q4")
    chosen = Selection(area_codes=tuple(districts_of(HOME)), quarters=quarters)
    with Store(sample_store, read_only=True) as store:
        cells = count_cells(store.connection, chosen,
                            ["age_group", "nationality_group", "exploitation_type"])
    people = new_victims(stored)
    people = people[people["area_code"].isin(districts_of(HOME))
                    & people["quarter"].isin(quarters)]
    pd.testing.assert_frame_equal(protected_composition(cells, mode=mode),
                                  protected_composition(people, mode=mode))


def _derived(path) -> dict[str, tuple]:
    with Store(path, read_only=True) as store:
        return {t: store.connection.execute(
            f"SELECT count(*), sum(record_key::HUGEINT) FROM {t}").fetchone()
            for t in ("new_victims", "linked_referrals", "justice_records")}


def test_an_older_store_gets_every_derived_table_when_opened_for_writing(sample_store, tmp_path):
    path = shutil.copy(sample_store, tmp_path / "old.duckdb")
    con = duckdb.connect(str(path))
    for table in ("new_victims", "linked_referrals", "justice_records"):
        con.execute(f"DROP TABLE {table}")
    con.close()
    with Store(path):
        pass
    assert _derived(path) == _derived(sample_store)


def test_a_load_rebuilds_every_derived_table(sample_store, tmp_path):
    from analysis.store import derived

    path = shutil.copy(sample_store, tmp_path / "store.duckdb")
    with Store(path, read_only=True) as store:
        rows = store.referrals().head(20)
    columns = ["record_id", "person_key", "agency", "agency_type", "referral_date", "area_code",
               "exploitation_type", "sector", "age_group", "sex", "nationality_group"]
    extract = tmp_path / "new.csv"  # new records of known people and of new ones
    rows[columns].assign(record_id=lambda f: "N" + f["record_id"].astype(str),
                         referral_date="2026-01-15").to_csv(extract, index=False)
    before = _derived(path)
    with Store(path) as store:
        store.ingest([extract], kind="referrals")
    after = _derived(path)
    assert after["linked_referrals"][0] > before["linked_referrals"][0]
    assert after["justice_records"][0] == before["justice_records"][0] + 20
    rebuilt = shutil.copy(path, tmp_path / "rebuilt.duckdb")
    con = duckdb.connect(str(rebuilt))
    derived.refresh_all(con)  # from scratch: the same tables
    con.close()
    assert _derived(rebuilt) == after


def test_a_rebuild_runs_within_its_memory_bound_then_lifts_it(tmp_path, monkeypatch):
    """DuckDB may take 80% of the machine's memory by default; rebuilding the derived tables
    of a large store is held to rebuild_memory_mib (it spills to disk beyond), then the
    store's own limit is back for its readers."""
    from analysis.store import derived, new_victims

    con = duckdb.connect(str(tmp_path / "bounded.duckdb"))
    default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    seen = []
    monkeypatch.setattr(new_victims, "refresh", lambda c: seen.append(
        c.execute("SELECT current_setting('memory_limit')").fetchone()[0]))
    monkeypatch.setattr(derived.linked_referrals, "refresh", lambda c: None)
    monkeypatch.setattr("analysis.justice_sql.refresh_records", lambda c: None)
    monkeypatch.setattr(derived, "rebuild_memory_mib", lambda: 512)
    derived.refresh_all(con)
    assert seen == ["512.0 MiB"] and seen[0] != default
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == default
    monkeypatch.undo()
    assert 0 < derived.rebuild_memory_mib() <= derived.REBUILD_MEMORY_MIB


@pytest.mark.parametrize("area, quarters", [
    (HOME, ("2025Q1", "2025Q2", "2025Q3", "2025Q4")),
    ("E06000016", ("2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2")),
])
def test_the_headline_from_store_cells_equals_the_headline_from_every_referral(
        sample_store, stored, area, quarters):
    from analysis.area_detection import area_detection
    from analysis.detection import districts_of
    from analysis.periods import quarter_of

    first = str(quarter_of(pd.Series([stored["referral_date"].min()])).iloc[0])
    with Store(sample_store, read_only=True) as store:
        cells = count_cells(store.connection, Selection(area_codes=tuple(districts_of(area))),
                            ["area_code", "quarter", "exploitation_type", "linked"])
    counted = area_detection(cells, area, list(quarters), history_start=first)
    direct = area_detection(stored, area, list(quarters))
    assert counted.detection.detected == direct.detection.detected > 0
    assert counted.detection.expected.value == pytest.approx(direct.detection.expected.value)
    assert counted.unlinked == direct.unlinked  # 15 on the force's 2025
    assert counted.notes == direct.notes
    assert counted.model.trend.value == pytest.approx(direct.model.trend.value)
    assert counted.model.trend.lower == pytest.approx(direct.model.trend.lower)
