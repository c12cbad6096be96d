"""Tabulation of stored referrals into count tables, zeros included.

Estimators need the cells where nothing was detected as much as the others (a Poisson GLM
or a funnel plot that never sees an area with no referrals is biased), so a count table is
the full grid of the categories asked for, not only the combinations present in the data.
These tables are record-level derivatives: protect them with
:func:`analysis.disclosure.suppress_small_counts` before showing them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.errors import DarkFigureError


def count_referrals(referrals: pd.DataFrame, by: str | Sequence[str], *,
                    levels: Mapping[str, Sequence[str]] | None = None,
                    distinct_people: bool = False, name: str = "detected") -> pd.DataFrame:
    """Count referrals per combination of ``by`` columns, over the full grid of levels.

    Parameters
    ----------
    referrals : DataFrame
        Stored referrals (e.g. :meth:`analysis.store.Store.referrals`).
    by : str or list of str
        Columns to count by, e.g. ``["area_code", "quarter", "sector"]``.
    levels : mapping, optional
        The categories of a column to keep and complete with zeros (e.g. every district of
        the force, every quarter of the period). Rows outside them are left out. Columns
        not given use the values present in the data.
    distinct_people : bool, default False
        Count distinct ``person_key`` values instead of records (records without a key are
        then each counted once, since they cannot be linked).
    name : str
        Name of the count column.

    Returns
    -------
    DataFrame
        The ``by`` columns and ``name`` (int), one row per combination, sorted.

    Examples
    --------
    >>> r = pd.DataFrame({"area_code": ["a", "a", "b"], "quarter": ["2023Q1"] * 3,
    ...                   "person_key": ["p", "p", None]})
    >>> count_referrals(r, ["area_code", "quarter"],
    ...                 levels={"quarter": ["2023Q1", "2023Q2"]})["detected"].tolist()
    [2, 0, 1, 0]
    >>> count_referrals(r, "area_code", distinct_people=True)["detected"].tolist()
    [1, 1]
    """
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise DarkFigureError("count_referrals needs at least one column to count by")
    levels = dict(levels or {})
    missing = [c for c in {*keys, *levels} if c not in referrals.columns]
    if distinct_people and "person_key" not in referrals.columns:
        missing.append("person_key")
    if missing:
        raise DarkFigureError(f"referrals lack column(s) {sorted(missing)}")
    unknown = set(levels) - set(keys)
    if unknown:
        raise DarkFigureError(f"levels given for column(s) not counted by: {sorted(unknown)}")
    frame = referrals[keys + (["person_key"] if distinct_people else [])].copy()
    for column in keys:
        frame[column] = frame[column].astype(str)
    for column, values in levels.items():
        frame = frame[frame[column].isin([str(v) for v in values])]
    if distinct_people:
        keyed = frame[frame["person_key"].notna()].drop_duplicates(keys + ["person_key"])
        frame = pd.concat([keyed, frame[frame["person_key"].isna()]])
    counts = frame.groupby(keys).size()
    grid = [list(map(str, levels[c])) if c in levels else sorted(frame[c].unique())
            for c in keys]
    index = pd.MultiIndex.from_product(grid, names=keys)
    out = counts.reindex(index, fill_value=0).rename(name).reset_index()
    out[name] = out[name].astype(int)
    return out.sort_values(keys, ignore_index=True)


def first_detections(referrals: pd.DataFrame, *, key: str = "person_key") -> pd.DataFrame:
    """One row per person: each linked person's earliest referral; unlinked records kept.

    Detection is counted in people, not records: a person referred by three agencies is one
    detected victim, counted in the area, sector and quarter of their first referral in the
    selection. Records without a key cannot be linked and each count once (an upper bound).

    Parameters
    ----------
    referrals : DataFrame
        Referrals with ``referral_date`` and the linkage ``key`` column (missing = unlinked).
    key : str
        The person column (``person_key`` in the store).

    Examples
    --------
    >>> r = pd.DataFrame({"person_key": ["p", "p", None, None],
    ...                   "referral_date": pd.to_datetime(["2023-05-01", "2023-01-01",
    ...                                                    "2023-02-01", "2023-03-01"]),
    ...                   "agency": ["police", "council", "ngo", "ngo"]})
    >>> first_detections(r)["agency"].tolist()
    ['council', 'ngo', 'ngo']
    """
    if referrals.empty:
        return referrals
    ordered = referrals.sort_values("referral_date", kind="stable")
    linked = ordered[key].notna()
    keep = ~linked | ~ordered[key].duplicated(keep="first")
    return ordered[keep.to_numpy()].sort_index()
