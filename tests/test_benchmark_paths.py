"""The dashboard benchmark compares like with like: its naive path (pandas over every
referral) gives the same counts as the store's queries, so its ratio measures speed alone.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def naive():
    return load_script("benchmarks/naive_path.py")


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    out = frame[[*by, "count", "cell_key"]].astype({c: str for c in by})
    return out.sort_values(by, ignore_index=True).astype({"count": "int64",
                                                          "cell_key": "uint64"})


@pytest.mark.parametrize("area, quarters, where", [
    (("E06000016",), ("2025Q1", "2025Q2", "2025Q3", "2025Q4"), ()),
    (None, None, (("sector", ("agriculture",)),)),
])
def test_naive_cells_and_justice_counts_equal_the_store_queries(sample_store, naive, area,
                                                                quarters, where):
    from analysis import justice_counts
    from analysis.store import Store
    from analysis.victim_counts import Selection
    from dashboard import data, queries

    chosen = Selection(area_codes=area, quarters=quarters, where=where)
    version = data.store_version(sample_store)
    by = ("age_group", "exploitation_type")
    queries._cells.cache_clear()
    stored = queries._cells(version, chosen, by)
    with Store(sample_store, read_only=True) as store:
        justice = justice_counts.count_justice(
            store.connection, Selection(area_codes=area or ("E06000016",), quarters=quarters))
    restore = naive.naive_data_step(sample_store)
    try:
        naive = queries._cells(version, chosen, by)
        naive_justice = justice_counts.count_justice(
            None, Selection(area_codes=area or ("E06000016",), quarters=quarters),
            as_of=justice.as_of)
    finally:
        restore()
        queries._cells.cache_clear()
    assert queries._cells is not None and justice_counts.count_justice.__module__ == \
        "analysis.justice_counts"  # restored
    pd.testing.assert_frame_equal(_sorted(naive, list(by)), _sorted(stored, list(by)))
    assert len(stored) > 0 and naive_justice.people == justice.people > 0
    pd.testing.assert_frame_equal(naive_justice.cells, justice.cells, check_dtype=False)
    pd.testing.assert_frame_equal(naive_justice.times, justice.times, check_dtype=False)
