"""The new-victim queries behind every chart: a view's filters in, small protected tables out.

Each view becomes an :class:`analysis.victim_counts.Selection`; the counting happens in the
store (``analysis.victim_counts``: a group-by over its ``new_victims`` table), and only the
small table a chart needs comes back, through the disclosure layer in the view's mode
(protected unless an analyst switched exact counts on). Results are cached per (store
version, selection), so a page revisited costs nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.shared_cache import shared_cache
from dashboard.state import ALL, ViewState
from dashboard.store_reader import StoreVersion, open_store, store_version

_open = open_store


CATEGORY_COLUMNS = (
    "area_code",
    "quarter",
    "sector",
    "exploitation_type",
    "age_group",
    "nationality_group",
    "agency",
    "agency_type",
    "nationality_group",
)


def prepare_referrals(frame: pd.DataFrame) -> pd.DataFrame:
    """Compact, query-friendly referrals: filter columns as categories, person keys as ints.

    Comparing category codes is an order of magnitude faster than comparing strings, which
    keeps a dashboard filter over a million referrals within a few milliseconds.
    """
    if frame.empty:
        return frame
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for column in CATEGORY_COLUMNS:
        if column in frame.columns:
            out[column] = pd.Categorical(frame[column].to_numpy(dtype=object))
    out["referral_date"] = frame["referral_date"].to_numpy()
    if "record_id" in frame.columns:
        out["record_id"] = frame["record_id"].to_numpy(dtype=object)
    codes, _ = pd.factorize(frame["person_key"], use_na_sentinel=True)
    out["person_id"] = codes  # -1 where the agency could not link the person
    if "record_key" in frame.columns:  # derived in the database (RECORD_KEY_SQL)
        out["record_key"] = frame["record_key"].to_numpy(dtype=np.uint64)
    elif {"person_key", "agency", "record_id"} <= set(frame.columns):
        from analysis.disclosure import record_keys

        # the person's record key, so these compact rows protect exactly as the full ones
        out["record_key"] = record_keys(frame)
    if "load_id" in frame.columns:
        out["load_id"] = pd.to_numeric(frame["load_id"], errors="coerce").to_numpy()
    return out


def selection(state: ViewState, *, use_area: bool = True, use_period: bool = True):
    """The view's filters as an :class:`analysis.victim_counts.Selection` (districts of its
    area, quarters of its period, sector, exploitation type, age group, snapshot)."""
    from analysis.periods import quarter_range
    from analysis.victim_counts import Selection
    from dashboard import data

    where = tuple((column, (value,)) for column, value in (
        ("sector", state.sector), ("exploitation_type", state.exploitation_type),
        ("age_group", state.age_group)) if value != ALL)
    quarters = None
    if use_period and (state.start or state.end):
        quarters = (tuple(quarter_range(state.start, state.end)) if state.start and state.end
                    else _open_quarters(state.start, state.end))
    area = state.area or data.home_area()
    return Selection(area_codes=tuple(data.lads_in(area)) if use_area else None,
                     quarters=quarters, where=where, snapshot=state.snapshot)


def _open_quarters(start: str | None, end: str | None) -> tuple[str, ...]:
    """Quarters from ``start`` or to ``end`` (one side open), over 1990 to 2100."""
    from analysis.periods import quarter_range

    return tuple(quarter_range(start or "1990Q1", end or "2100Q4"))


def counts(store_path: Path | str, state: ViewState, by: str | tuple[str, ...], *,
           levels: dict | None = None, margins: bool = False, use_area: bool = True,
           use_period: bool = True):
    """New victims of the view counted by ``by`` in the database and protected
    (:class:`analysis.disclosure.ProtectedTable`): what a chart, table or download shows."""
    from analysis.victim_counts import protect

    by = (by,) if isinstance(by, str) else tuple(by)
    cells = _cells(store_version(store_path), selection(state, use_area=use_area,
                                                        use_period=use_period), by)
    return protect(cells, list(by), levels=levels, margins=margins, mode=disclosure_mode(state))


def true_counts(store_path: Path | str, state: ViewState, by: str | tuple[str, ...], *,
                use_area: bool = True, use_period: bool = True) -> pd.DataFrame:
    """The view's true counts by ``by`` (non-empty cells only): for estimators whose output is
    itself protected or withheld, never for display."""
    by = (by,) if isinstance(by, str) else tuple(by)
    cells = _cells(store_version(store_path), selection(state, use_area=use_area,
                                                        use_period=use_period), by)
    return cells.drop(columns="cell_key")


def cell_counts(store_path: Path | str, state: ViewState, by: str | tuple[str, ...], *,
                use_area: bool = True, use_period: bool = True) -> pd.DataFrame:
    """The view's true counts and cell keys by ``by`` (non-empty cells): for an ``analysis``
    function that protects them itself (``protect_cell_table``), never for display."""
    by = (by,) if isinstance(by, str) else tuple(by)
    return _cells(store_version(store_path), selection(state, use_area=use_area,
                                                       use_period=use_period), by).copy()


@shared_cache(maxsize=1024)
def _cells(version: StoreVersion, chosen, by: tuple[str, ...]) -> pd.DataFrame:
    from analysis.victim_counts import count_cells

    if version[1] == 0:
        return pd.DataFrame(columns=[*by, "count", "cell_key"])
    with _open(version) as store:
        return count_cells(store.connection, chosen, list(by))


PEOPLE_COLUMNS = ("area_code", "quarter", "sector", "exploitation_type", "age_group", "sex",
                  "nationality_group", "agency_type", "person_key", "referral_date",
                  "record_key")


def people(
    store_path: Path | str, state: ViewState, *, use_area: bool = True, use_period: bool = True
) -> pd.DataFrame:
    """The view's detected new victims, one row each: each linked person at their first-ever
    record in the store (any agency, area or date; ``analysis.detection.new_victims``), kept
    when that record falls in the view. Record-level: for the few estimators that need rows
    (composition shares); counts come from :func:`counts`."""
    return _people(store_version(store_path), selection(state, use_area=use_area,
                                                        use_period=use_period)).copy()


@shared_cache(maxsize=64)
def _people(version: StoreVersion, chosen) -> pd.DataFrame:
    from analysis.victim_counts import new_victim_rows

    if version[1] == 0:
        return pd.DataFrame(columns=list(PEOPLE_COLUMNS))
    with _open(version) as store:
        return new_victim_rows(store.connection, chosen, PEOPLE_COLUMNS)


def referrals(
    store_path: Path | str, state: ViewState, *, use_area: bool = True, use_period: bool = True
) -> pd.DataFrame:
    """Every referral the view's filters select (not only first records), with ``person_id``
    (-1 when unlinked) and ``record_key``: for the overlap of agencies' lists."""
    return _referrals(store_version(store_path), selection(state, use_area=use_area,
                                                           use_period=use_period)).copy()


@shared_cache(maxsize=32)
def _referrals(version: StoreVersion, chosen) -> pd.DataFrame:
    from analysis.disclosure.keys import RECORD_KEY_SQL

    columns = ["record_id", "person_key", "agency", "agency_type", "referral_date",
               "area_code", "exploitation_type", "sector", "age_group", "nationality_group",
               "quarter", "load_id"]
    if version[1] == 0:
        return prepare_referrals(pd.DataFrame(columns=columns))
    where, params = chosen.clauses()
    if chosen.snapshot is not None:
        where += f" AND load_id <= {int(chosen.snapshot)}"
    with _open(version) as store:
        frame = store.connection.execute(
            f"SELECT {', '.join(columns)}, {RECORD_KEY_SQL} AS record_key FROM referrals "
            f"WHERE {where} ORDER BY agency, record_id", params).df()
    return prepare_referrals(frame)


def capture_cells(store_path: Path | str, state: ViewState) -> pd.DataFrame:
    """People per capture pattern (agency lists merged as ``analysis.mse`` merges them)
    among the referrals the view selects, with cell keys: aggregated in the store
    (``analysis.capture_counts``). True counts, for estimation and the protection layer."""
    return _capture_cells(store_version(store_path), selection(state)).copy()


@shared_cache(maxsize=32)
def _capture_cells(version: StoreVersion, chosen) -> pd.DataFrame:
    from analysis.capture_counts import capture_cells as cells
    from analysis.mse import AGENCY_TYPE_MERGE

    if version[1] == 0:
        empty = pd.DataFrame(columns=["count", "cell_key"])
        empty.attrs["merged_lists"] = {}
        return empty
    with _open(version) as store:
        return cells(store.connection, chosen, merge=AGENCY_TYPE_MERGE)


#: What ``analysis.headline`` needs of the new victims: counts by district, quarter, the
#: group it may filter on, and whether the person was linked.
HEADLINE_BY = ("area_code", "quarter", "exploitation_type", "linked")


def headline_cells(store_path: Path | str, snapshot: int | None = None,
                   area_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """New victims (first-ever records, to the snapshot) in the districts given, every
    quarter, counted in the store by :data:`HEADLINE_BY` (true counts, for the headline's
    estimators). First records are found over the whole store
    (``analysis.store.new_victims``), so these cells give ``analysis`` exactly what the
    whole store would."""
    from analysis.victim_counts import Selection

    return _cells(store_version(store_path), Selection(area_codes=area_codes, snapshot=snapshot),
                  HEADLINE_BY).copy()


def disclosure_mode(state: ViewState) -> str:
    """``exact`` only for an analyst who switched exact counts on (dashboard.state)."""
    from dashboard.state import disclosure_mode as mode

    return mode(state)
