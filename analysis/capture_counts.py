"""People per capture pattern of a view, aggregated in DuckDB: the data step of the hidden
figure (multiple systems estimation, :mod:`analysis.mse`).

A person's capture pattern is the set of agency lists holding at least one of their
referrals in the view (linked records only: a record without a person key cannot be matched
across lists; the store keeps them in ``linked_referrals``, each with the person's record
key, :mod:`analysis.store.linked_referrals`). The database ORs one bit per list over each
person's referrals, then counts
the people per pattern with their cell key (the sum of their record keys modulo 2**64, as
:func:`analysis.victim_counts.count_cells`), so only the small pattern table leaves the
store and :func:`analysis.disclosure.protect_cell_table` protects it exactly as
``protect_table`` would from the people themselves. The pandas route for a referrals frame is
:func:`analysis.mse.capture_patterns`; a test checks that both give the same table.

Examples
--------
>>> from analysis.store import Store
>>> with Store(read_only=True) as store:                                # doctest: +SKIP
...     cells = capture_cells(store.connection, Selection(quarters=("2025Q1", "2025Q2")))
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from analysis.disclosure.keys import KEY_MODULUS
from analysis.store import linked_referrals
from analysis.victim_counts import Selection


def _list_expression(list_column: str, merge: Mapping[str, str]) -> tuple[str, list]:
    """SQL for a referral's list after merging (``merge`` maps old name -> new name)."""
    if not merge:
        return f"CAST({list_column} AS VARCHAR)", []
    return (f"coalesce(map_extract(MAP(?::VARCHAR[], ?::VARCHAR[]), "
            f"CAST({list_column} AS VARCHAR))[1], CAST({list_column} AS VARCHAR))",
            [list(merge), list(merge.values())])


def capture_cells(con: duckdb.DuckDBPyConnection, selection: Selection,
                  list_column: str = "agency_type", *,
                  merge: Mapping[str, str] | None = None) -> pd.DataFrame:
    """People per capture pattern among the referrals ``selection`` picks.

    Parameters
    ----------
    con : DuckDB connection to the store
    selection : Selection
        Districts, quarters, filters and snapshot, applied to every referral (not only first
        records: a person captured by two lists in the window is in both).
    list_column : str
        The column whose values are the lists (default the agency type).
    merge : mapping, optional
        Lists merged before counting (e.g. :data:`analysis.mse.AGENCY_TYPE_MERGE`); the result's
        ``attrs["merged_lists"]`` says which merged lists were present and what they hold.

    Returns
    -------
    DataFrame
        One 0/1 column per list present (in name order), ``count`` (people, int64) and
        ``cell_key`` (uint64), one row per non-empty pattern, largest count first. True
        counts: not for display (protect them, e.g. with ``protect_cell_table``).
    """
    merge = dict(merge or {})
    where, params = selection.clauses()
    if selection.snapshot is not None:
        where += f" AND load_id <= {int(selection.snapshot)}"
    listed, list_params = _list_expression(list_column, merge)
    # the view's linked referrals, each with its list after merging
    source = (f"SELECT record_key, {listed} AS list FROM {linked_referrals.source_sql(con)} "
              f"WHERE {where}")
    lists = [name for (name,) in con.execute(
        f"SELECT DISTINCT list FROM ({source}) ORDER BY list", list_params + params).fetchall()]
    if not lists:
        empty = pd.DataFrame(columns=["count", "cell_key"])
        empty.attrs["merged_lists"] = {}
        return empty
    cells = con.execute(
        "SELECT mask, count(*)::BIGINT AS count, "
        f"(sum(record_key) % {KEY_MODULUS})::UBIGINT AS cell_key FROM ("
        "SELECT record_key, bit_or(1::UBIGINT << (list_position(?::VARCHAR[], list) - 1)) "
        f"AS mask FROM ({source}) GROUP BY record_key) GROUP BY mask",
        [lists, *list_params, *params]).df()
    masks = cells["mask"].to_numpy(dtype=np.uint64)
    out = pd.DataFrame({name: ((masks >> np.uint64(i)) & np.uint64(1)).astype(np.int64)
                        for i, name in enumerate(lists)})
    out["count"] = cells["count"].to_numpy(dtype=np.int64)
    out["cell_key"] = cells["cell_key"].to_numpy(dtype=np.uint64)
    out = out.sort_values(["count", *lists], ascending=[False, *[True] * len(lists)],
                          ignore_index=True)
    out.attrs["merged_lists"] = {
        name: sorted(old for old, new in merge.items() if new == name and old != name)
        for name in lists if name in merge.values()}
    return out
