"""The justice funnel's two routes agree: counted in the store (DuckDB) and in pandas from a
frame of referrals; cells, times and trends from counts equal those from people; the same
cohort shows the same numbers in every period window that holds it; exact mode reaches the
page, and only for analysts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.disclosure import record_keys
from analysis.justice import area_justice_funnel, people_stages, store_justice_funnel
from analysis.justice_counts import count_justice, counts_from_people
from analysis.justice_stats import (
    km_quantiles_from_counts,
    rate_trends,
    stage_times,
    trends_from_counts,
)
from analysis.store import Store
from analysis.survival import km_quantiles
from analysis.victim_counts import Selection

HOME = "E23000021"
TABLES = ("stages", "open", "equal_follow_up", "outcomes", "times", "trends")
VIEWS = [
    dict(area=HOME),
    dict(area="E06000016", start="2023Q1", end="2024Q4"),
    dict(area=HOME, police_only=True),
    dict(area="E07000133", by="quarter", start="2024Q1"),
    dict(area=HOME, end="2022Q4", follow_up_days=180),
]


@pytest.fixture(scope="module")
def store(sample_store):
    with Store(sample_store, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def referrals(store):
    return store.referrals()


@pytest.mark.parametrize("mode", ["protected", "exact"])
@pytest.mark.parametrize("view", VIEWS, ids=[str(i) for i in range(len(VIEWS))])
def test_the_store_route_equals_the_pandas_route(store, referrals, view, mode):
    view = dict(view)
    area = view.pop("area")
    database = store_justice_funnel(store.connection, area, mode=mode, **view)
    frame = area_justice_funnel(referrals, area, mode=mode, **view)
    assert (database.period, database.as_of) == (frame.period, frame.as_of)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(database, name), getattr(frame, name),
                                      check_dtype=False, obj=name)


def test_a_snapshot_reads_the_store_as_it_was(store, referrals):
    database = store_justice_funnel(store.connection, HOME, snapshot=15, mode="exact")
    old = referrals[referrals["load_id"] <= 15]
    frame = area_justice_funnel(old, HOME, mode="exact")
    pd.testing.assert_frame_equal(database.stages, frame.stages, check_dtype=False)
    assert database.overall("detected")["count"] < store_justice_funnel(
        store.connection, HOME, mode="exact").overall("detected")["count"]


def test_cells_partition_the_people_with_their_record_keys(store, referrals):
    from analysis.detection import districts_of

    districts = tuple(districts_of(HOME))
    counts = count_justice(store.connection, Selection(area_codes=districts))
    people = people_stages(referrals[referrals["area_code"].isin(districts)],
                           as_of=counts.as_of)
    assert counts.people == len(people)
    # each person's key is the disclosure layer's key of their identity
    first = referrals.sort_values(["referral_date", "agency", "record_id"]).assign(
        person=lambda r: r["person_key"].where(r["person_key"].notna() & (r["person_key"] != ""),
                                               "record:" + r["agency"] + ":" + r["record_id"]))
    first = first.drop_duplicates("person").set_index("person")
    keys = pd.Series(record_keys(first), index=first.index)
    assert (people.set_index("person")["record_key"] == keys.reindex(people["person"]).to_numpy()
            ).all()
    total = int(sum(int(k) for k in people["record_key"]) % 2**64)
    assert int(sum(int(k) for k in counts.cells["cell_key"]) % 2**64) == total
    mine = counts_from_people(people)
    pd.testing.assert_frame_equal(counts.cells, mine.cells, check_dtype=False)
    pd.testing.assert_frame_equal(counts.times, mine.times, check_dtype=False)
    pd.testing.assert_frame_equal(counts.trend, mine.trend, check_dtype=False)


def test_times_and_trends_from_counts_equal_those_from_people(store, referrals):
    from analysis.detection import districts_of

    people = people_stages(referrals[referrals["area_code"].isin(districts_of(HOME))])
    counts = counts_from_people(people)
    from analysis.justice_stats import times_from_counts

    by_people = stage_times(people).set_index("stage")
    by_counts = times_from_counts(counts.times).set_index("stage")
    columns = ["q1_days", "median_days", "q3_days"]
    pd.testing.assert_frame_equal(by_counts[columns], by_people[columns])
    trend_people = rate_trends(people).set_index("stage")
    trend_counts = trends_from_counts(counts.trend).set_index("stage")
    pd.testing.assert_frame_equal(trend_counts, trend_people, check_exact=False, rtol=1e-6)


def test_km_from_counts_equals_km_on_one_row_each():
    rng = np.random.default_rng(3)
    days = rng.integers(0, 60, 400).astype(float)
    events = rng.random(400) < 0.6
    frame = pd.DataFrame({"d": days, "e": events}).value_counts().reset_index()
    assert km_quantiles_from_counts(frame["d"], frame["e"], frame["count"]) == \
        km_quantiles(days, events)


def test_a_cohort_reads_the_same_in_every_period_window_that_holds_it(store):
    """The same people (cohort 2023) give the same cell, so comparing windows adds nothing."""
    windows = [("2023Q1", "2023Q4"), ("2022Q1", "2023Q4"), ("2023Q1", "2025Q4"), (None, None)]
    tables = [store_justice_funnel(store.connection, HOME, start=a, end=b) for a, b in windows]
    for name in ("stages", "open"):
        cohort = [getattr(t, name)[getattr(t, name)["cohort"] == "2023"].reset_index(drop=True)
                  for t in tables]
        for other in cohort[1:]:
            pd.testing.assert_frame_equal(other, cohort[0])


def test_the_page_shows_exact_counts_only_to_an_analyst_who_asks(sample_store):
    from dashboard.pages import justice
    from dashboard.state import ViewState

    exact = justice.justice_result(sample_store, ViewState(exact=True))
    shown = justice.justice_result(sample_store, ViewState())
    board = justice.justice_result(sample_store, ViewState(exact=True, board=True))
    assert (exact.mode, shown.mode, board.mode) == ("exact", "protected", "protected")
    assert not exact.stages["count"].isna().any()
    assert shown.stages["count"].isna().any()
    assert "mode='exact'" in justice.CHARTS[0].build(sample_store, ViewState(exact=True)).code


def test_the_records_table_made_at_load_gives_the_same_funnel(sample_store, referrals,
                                                              tmp_path):
    import shutil

    from analysis.justice_counts import RECORDS_TABLE, refresh_records, table_is_current

    copy = tmp_path / "with_table.duckdb"
    shutil.copy(sample_store, copy)
    with Store(copy) as store:
        assert refresh_records(store.connection) == len(referrals)
        con = store.connection
        assert table_is_current(con, Selection(area_codes=("E06000016",)))
        for view in VIEWS:
            view = dict(view)
            area = view.pop("area")
            fast = store_justice_funnel(con, area, **view)
            frame = area_justice_funnel(referrals, area, **view)
            for name in TABLES:
                pd.testing.assert_frame_equal(getattr(fast, name), getattr(frame, name),
                                              check_dtype=False, obj=name)
        # a table left behind by a load is not used
        con.execute(f"DELETE FROM {RECORDS_TABLE} WHERE area_code = 'E06000016'")
        assert not table_is_current(con, Selection(area_codes=("E06000016",)))
        assert store_justice_funnel(con, HOME).stages.equals(
            area_justice_funnel(referrals, HOME).stages)
