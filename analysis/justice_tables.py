"""Protected count tables behind the justice funnel (:mod:`analysis.justice`).

Every count is protected with :func:`analysis.disclosure.suppress_small_counts` on the
partition it belongs to, so hidden cells cannot be recovered from totals:

* the NRM table splits each cohort's detected people into referred / not referred;
* the status table splits them into not recorded / open / charged / other outcome;
* both are two-way tables (cohorts x categories) whose row totals are the detected people
  and whose last row (``all``) is the whole period, so lines run both ways;
* the crime-recorded count is a sum of three status cells and goes through
  :func:`analysis.disclosure.protected_total`, shown only when the protected table already
  implies it (no differencing);
* a cohort whose detected count is hidden is hidden whole, rates included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.disclosure import SUFFIX, protected_total, suppress_small_counts

STATUS = ("not_recorded", "open", "charged", "other_outcome")
ALL = "all"


def _wide(people: pd.DataFrame, column: str, values: Sequence, key: str) -> pd.DataFrame:
    keys = sorted(people[key].dropna().astype(str).unique())
    counts = (people.assign(_k=people[key].astype(str))
              .groupby(["_k", column]).size().unstack(fill_value=0)
              .reindex(index=keys, columns=list(values), fill_value=0))
    counts.columns = [f"count_{str(v).lower()}" for v in values]
    counts = counts.reset_index(names=key)
    total = counts.drop(columns=key).sum().to_frame().T
    total.insert(0, key, ALL)
    wide = pd.concat([counts, total], ignore_index=True)
    wide["total"] = wide[[c for c in wide if c.startswith("count_")]].sum(axis=1)
    return wide


def _protect(wide: pd.DataFrame, key: str, threshold: int | None) -> pd.DataFrame:
    columns = [c for c in wide if c.startswith("count_")]
    return suppress_small_counts(wide, columns, threshold=threshold,
                                 total_rows=(wide[key] == ALL).to_numpy(),
                                 total_column="total")


def protect_partition(frame: pd.DataFrame, column: str, *, key: str,
                      threshold: int | None = None, fill: object = None,
                      values: Sequence | None = None) -> pd.DataFrame:
    """People counted by ``key`` (rows, plus an ``all`` row) x ``column`` (``count_<value>``
    columns and ``total``), protected as one two-way table.

    Examples
    --------
    >>> f = pd.DataFrame({"cohort": ["2023"] * 9 + ["2024"] * 8,
    ...                   "open": [True] * 2 + [False] * 7 + [True] * 6 + [False] * 2})
    >>> t = protect_partition(f, "open", key="cohort", threshold=5)
    >>> t["count_true"].tolist()
    [<NA>, <NA>, 8]
    """
    data = frame.copy()
    if fill is not None:
        data[column] = data[column].astype(object).where(data[column].notna(), fill)
    if values is None:
        values = [True, False] if pd.api.types.is_bool_dtype(data[column]) else sorted(
            data[column].dropna().unique(), key=str)
    if data.empty:
        empty = pd.DataFrame({key: [ALL], "total": [0]})
        for v in values:
            empty[f"count_{str(v).lower()}"] = 0
        return _protect(empty, key, threshold)
    return _protect(_wide(data, column, values, key), key, threshold)


def protect_funnel(people: pd.DataFrame, stages: Sequence[str], parent: Mapping[str, str], *,
                   threshold: int | None = None) -> pd.DataFrame:
    """Long table: cohort x stage with ``count`` / ``parent_count`` (``pd.NA`` when
    hidden) and ``count_suppressed``."""
    nrm_raw = _wide(people, "nrm_referred", [True, False], "cohort")
    status_raw = _wide(people, "status", STATUS, "cohort")
    nrm = _protect(nrm_raw, "cohort", threshold)
    status = _protect(status_raw, "cohort", threshold)
    recorded_cols = ["count_open", "count_charged", "count_other_outcome"]
    rows = []
    for i, cohort in enumerate(status_raw["cohort"]):
        detected_hidden = bool(nrm.at[i, "total" + SUFFIX] or status.at[i, "total" + SUFFIX])
        recorded = protected_total(status_raw, recorded_cols, [i], threshold=threshold,
                                   total_rows=(status_raw["cohort"] == ALL).to_numpy(),
                                   total_column="total")
        shown = {
            "detected": status_raw.at[i, "total"],
            "nrm_referred": nrm.at[i, "count_true"],
            "crime_recorded": recorded,
            "charged": status.at[i, "count_charged"],
        }
        for stage in stages:
            value = pd.NA if detected_hidden else shown[stage]
            rows.append({"cohort": cohort, "stage": stage, "count": value})
    out = pd.DataFrame(rows)
    out["count"] = out["count"].astype("Int64")
    out["count" + SUFFIX] = out["count"].isna()
    lookup = out.set_index(["cohort", "stage"])["count"]
    out["parent_count"] = pd.array(
        [pd.NA if s not in parent else lookup[(c, parent[s])]
         for c, s in zip(out["cohort"], out["stage"], strict=True)], dtype="Int64")
    out.loc[out["count"].isna(), "parent_count"] = pd.NA
    return out
