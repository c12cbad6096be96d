"""The justice funnel's data step: people's stages found and counted in DuckDB.

What :func:`analysis.justice.people_stages` does in pandas for a frame of referrals, this
module does in the store, and it returns only the small tables the funnel needs
(:class:`JusticeCounts`), never one row per person:

* ``cells``: a partition of the people (each person in exactly one cell) by cohort, NRM
  referral, crime status, outcome group and "charged within the follow-up time", each with
  its count and **cell key** (the sum of its people's record keys modulo 2**64,
  :mod:`analysis.disclosure.keys`). Every count the funnel shows is a union of these cells,
  so its count and key are sums of theirs and the cell-key layer protects it exactly as
  :func:`analysis.disclosure.protect_table` would from the people themselves;
* ``times``: for each stage, people counted by (days from detection, event or censored),
  with cell keys: what the Kaplan-Meier quartiles and their protected counts need;
* ``trend``: people by detection date with the number reaching each stage: a grouped
  binomial GLM gives the same trend as one fitted to every person.

Which people: a :class:`analysis.victim_counts.Selection` names the districts
(``area_codes``), the records that count (``where``, e.g. police only), the **quarters of
first detection** (``quarters``: a person's cohort is the date of their first record in the
area; every later record of theirs in the area counts towards their stages whatever the
period) and ``snapshot`` (the store as it was after that load). The extract date (``as_of``)
is the latest date anywhere in the store (to the snapshot), so a period's outcomes are read
as of the same day whatever the filter.

Examples
--------
>>> from analysis.store import Store
>>> from analysis.victim_counts import Selection
>>> with Store(read_only=True) as store:                                # doctest: +SKIP
...     counts = count_justice(store.connection, Selection(area_codes=("E06000016",)))
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd

from analysis.disclosure.keys import KEY_MODULUS, RECORD_KEY
from analysis.errors import DarkFigureError
from analysis.justice_sql import (
    OPTIONAL_COLUMNS,
    RECORDS_TABLE,
    cohort_sql,
    funnel_sql,
    refresh_records,
    stored_columns,
    table_is_current,
)
from analysis.victim_counts import Selection

__all__ = ["CELL_COLUMNS", "FOLLOW_UP_DAYS", "RECORDS_TABLE", "TIME_COLUMNS", "TREND_COLUMNS",
           "JusticeCounts", "cohort_of", "count_justice", "counts_from_people", "extract_date",
           "refresh_records"]

FOLLOW_UP_DAYS = 365
CELL_COLUMNS = ("cohort", "nrm_referred", "status", "outcome_group", "charged_within")
TIME_COLUMNS = ("stage", "days", "event")
TREND_COLUMNS = ("detection_date", "people", "nrm_referred", "crime_recorded", "observed",
                 "charged_within")
_DATES = ("referral_date", "outcome_date", "nrm_referral_date")


@dataclass(frozen=True)
class JusticeCounts:
    """The funnel's people counted (true counts and cell keys: not for display).

    ``cells`` partition the people (:data:`CELL_COLUMNS`, ``count``, ``cell_key``);
    ``times`` (:data:`TIME_COLUMNS`, ``count``, ``cell_key``); ``trend`` (one row per
    detection date, :data:`TREND_COLUMNS`); ``cohorts`` in order; ``as_of`` the extract
    date.
    """

    by: str
    as_of: pd.Timestamp
    follow_up_days: int
    cohorts: tuple[str, ...]
    cells: pd.DataFrame
    times: pd.DataFrame
    trend: pd.DataFrame

    @property
    def has_outcomes(self) -> bool:
        """Whether anybody counted has a recorded crime (else no outcome columns filled)."""
        return bool((self.cells["status"] != "not_recorded").any())

    @property
    def people(self) -> int:
        """How many people are counted (true count)."""
        return int(self.cells["count"].sum())

    def to_frame(self) -> pd.DataFrame:
        """The partition cells (a copy)."""
        return self.cells.copy()


def cohort_of(dates: pd.Series, by: str) -> pd.Series:
    """Cohort labels of detection dates: ``"2023"`` by year, ``"2023Q2"`` by quarter.

    Examples
    --------
    >>> cohort_of(pd.Series(pd.to_datetime(["2023-05-01"])), "quarter").tolist()
    ['2023Q2']
    """
    return dates.dt.year.astype(str) if by == "year" else dates.dt.to_period("Q").astype(str)


def _fill_cohorts(present, by: str) -> tuple[str, ...]:
    """Every cohort from the first present to the last (an empty one is a cell too)."""
    present = sorted(set(present))
    if not present:
        return ()
    if by == "year":
        return tuple(str(y) for y in range(int(present[0]), int(present[-1]) + 1))
    return tuple(str(p) for p in pd.period_range(present[0], present[-1], freq="Q"))


def _sum_keys(keys) -> int:
    return int(sum(int(k) for k in keys) % KEY_MODULUS)


def _aggregate(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Count and cell key of each combination of ``by`` (Python integers: no overflow)."""
    if frame.empty:
        return pd.DataFrame({**{c: pd.Series(dtype=object) for c in by},
                             "count": pd.Series(dtype=np.int64),
                             "cell_key": pd.Series(dtype=np.uint64)})
    rows = [(*(values if isinstance(values, tuple) else (values,)), len(group),
             _sum_keys(group[RECORD_KEY])) for values, group in
            frame.groupby(by, sort=True, dropna=False)]
    out = pd.DataFrame(rows, columns=[*by, "count", "cell_key"], dtype=object)
    for column in by:  # labels as objects, a missing one None (as from the store)
        out[column] = out[column].where(out[column].notna(), None)
    return out.astype({"count": np.int64, "cell_key": np.uint64})


def counts_from_people(people: pd.DataFrame, *, by: str = "year",
                       follow_up_days: int = FOLLOW_UP_DAYS) -> JusticeCounts:
    """:class:`JusticeCounts` from one row per person (:func:`analysis.justice.people_stages`,
    with its ``record_key`` column): the pandas route, for frames of referrals."""
    as_of = pd.Timestamp(people.attrs["as_of"])
    p = people.assign(cohort=cohort_of(people["detection_date"], by))
    p["charged_within"] = p["charged"] & (p["days_to_charged"] <= follow_up_days)
    cells = _sorted(_aggregate(p.assign(outcome_group=p["outcome_group"].astype(object).where(
        p["outcome_group"].notna(), None)), list(CELL_COLUMNS)))
    parts = []
    for stage in ("nrm_referred", "crime_recorded", "charged"):
        reached = p[p[stage].astype(bool) & p[f"days_to_{stage}"].notna()]
        parts.append(reached.assign(stage=stage, days=reached[f"days_to_{stage}"], event=True))
        if stage == "charged":  # an open crime may yet be charged: censored at the extract
            pending = p[p["open"].astype(bool) & ~p["charged"].astype(bool)]
            parts.append(pending.assign(stage=stage, days=pending["follow_up_days"],
                                        event=False))
    times = _aggregate(pd.concat(parts, ignore_index=True), list(TIME_COLUMNS))
    p["observed"] = p["crime_recorded"] & (p["follow_up_days"] >= follow_up_days)
    p["within_observed"] = p["observed"] & p["charged_within"]
    trend = (p.groupby("detection_date", sort=True)
             .agg(people=("person", "size"), nrm_referred=("nrm_referred", "sum"),
                  crime_recorded=("crime_recorded", "sum"), observed=("observed", "sum"),
                  charged_within=("within_observed", "sum")).reset_index())
    return JusticeCounts(by, as_of, int(follow_up_days), _fill_cohorts(p["cohort"], by),
                         cells, _typed_times(times), _typed_trend(trend))


def _sorted(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells in one order whichever route made them (a missing outcome group last)."""
    return cells.sort_values(list(CELL_COLUMNS), kind="stable",
                             na_position="last").reset_index(drop=True)


def _typed_times(times: pd.DataFrame) -> pd.DataFrame:
    out = times.astype({"days": float, "event": bool})
    return out.sort_values(list(TIME_COLUMNS), kind="stable").reset_index(drop=True)


def _typed_trend(trend: pd.DataFrame) -> pd.DataFrame:
    out = trend.astype({c: np.int64 for c in TREND_COLUMNS[1:]})
    out["detection_date"] = pd.to_datetime(out["detection_date"])
    return out.sort_values("detection_date").reset_index(drop=True)


def _record_clauses(con, selection: Selection, *, table: bool = False
                    ) -> tuple[str, list, dict[str, str]]:
    """WHERE text for the records that count (area, ``where``, snapshot; not the cohort
    quarters) and the crime-outcome columns, NULL where an older store has none."""
    where, params = replace(selection, quarters=None).clauses()
    if selection.snapshot is not None:
        where += f" AND load_id <= {int(selection.snapshot)}"
    if table:  # made at load with every column (NULL where the store has none)
        return where, params, {c: c for c in OPTIONAL_COLUMNS}
    present = stored_columns(con)
    columns = {c: (c if c in present else f"NULL::{kind}") for c, kind in OPTIONAL_COLUMNS.items()}
    return where, params, columns


def extract_date(con: duckdb.DuckDBPyConnection, snapshot: int | None = None
                 ) -> pd.Timestamp | None:
    """The latest date anywhere in the store's referrals (to ``snapshot``): the extract date
    outcomes are read as of. None for an empty store."""
    present = stored_columns(con)
    dates = [c for c in _DATES if c in present]
    where = f" WHERE load_id <= {int(snapshot)}" if snapshot is not None else ""
    row = con.execute(f"SELECT {', '.join(f'max({c})' for c in dates)} FROM referrals"
                      f"{where}").fetchone()
    found = [d for d in row if d is not None]
    return pd.Timestamp(max(found)) if found else None


def count_justice(con: duckdb.DuckDBPyConnection, selection: Selection, *, by: str = "year",
                  follow_up_days: int = FOLLOW_UP_DAYS,
                  as_of: pd.Timestamp | str | None = None) -> JusticeCounts:
    """The funnel's counts for a selection, aggregated in the store (one query).

    Parameters
    ----------
    con : DuckDB connection to the store
    selection : Selection
        ``area_codes``: districts; ``where``: which records count (e.g.
        ``(("agency_type", ("police",)),)``); ``quarters``: quarters of first detection (the
        cohorts); ``snapshot``: the store as after that load.
    by : {"year", "quarter"}
        Cohorts by calendar year or quarter of first detection.
    follow_up_days : int
        The follow-up time for "charged within".
    as_of : date, optional
        Extract date; default :func:`extract_date` of the store (to the snapshot).

    Returns
    -------
    JusticeCounts
    """
    if by not in ("year", "quarter"):
        raise DarkFigureError(f"cohorts by '{by}': use year or quarter")
    if int(follow_up_days) < 1:
        raise DarkFigureError("the follow-up time must be a positive number of days")
    as_of = pd.Timestamp(as_of) if as_of is not None else extract_date(con, selection.snapshot)
    if as_of is None:
        raise DarkFigureError("no referrals stored")
    table = table_is_current(con, selection)
    where, params, columns = _record_clauses(con, selection, table=table)
    cohort_filter = "TRUE"
    if selection.quarters is not None:
        cohort_filter = (f"({cohort_sql('quarter')}) IN (SELECT unnest(?::VARCHAR[]))")
        params = [*params, list(selection.quarters)]
    sql = funnel_sql(where, columns, by, as_of, int(follow_up_days), cohort_filter, table=table)
    frame = con.execute(sql, params).df()
    parts = dict(tuple(frame.groupby("part"))) if len(frame) else {}
    empty = frame.iloc[0:0]
    cells = parts.get("cell", empty)
    cells = cells[[*CELL_COLUMNS, "count", "cell_key"]].astype(
        {"count": np.int64, "cell_key": np.uint64})
    cells = cells.assign(**{c: cells[c].astype(object) for c in ("cohort", "status")},
                         outcome_group=cells["outcome_group"].astype(object).where(
                             cells["outcome_group"].notna(), None),
                         nrm_referred=cells["nrm_referred"].astype(bool),
                         charged_within=cells["charged_within"].astype(bool))
    cells = _sorted(cells)
    times = parts.get("time", empty)[[*TIME_COLUMNS, "count", "cell_key"]].astype(
        {"count": np.int64, "cell_key": np.uint64})
    trend = parts.get("trend", empty)[["detection_date", "count", "n_nrm", "n_recorded",
                                       "n_observed", "n_within"]].rename(columns={
        "count": "people", "n_nrm": "nrm_referred", "n_recorded": "crime_recorded",
        "n_observed": "observed", "n_within": "charged_within"})[list(TREND_COLUMNS)]
    return JusticeCounts(by, as_of, int(follow_up_days), _fill_cohorts(cells["cohort"], by),
                         cells, _typed_times(times.assign(stage=times["stage"].astype(object))),
                         _typed_trend(trend))
