"""Read-only queries behind the pages: open the store read-only, filter, reshape, cache.

No statistics here: estimates come from ``analysis``; this module only selects the records a
view asks for and hands them to the estimators, then protects the counts with
``analysis.disclosure`` before anything reaches a chart, table or download.

Every cached function is keyed on the store's *version* (path plus file modification time),
so an upload invalidates the caches without any global state being mutated.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config, reference
from analysis.schema import AGE_GROUPS, EXPLOITATION_TYPES, SECTORS
from dashboard.components.filters import FilterOptions
from dashboard.state import ALL, ViewState
from dashboard.store_reader import (  # noqa: F401 (re-exported for pages and uploads)
    STORE_LOCK,
    StoreVersion,
    open_store,
    release_store,
    store_version,
)

_open = open_store  # every query of this module reads through the shared reader


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


@lru_cache(maxsize=4)
def _loads(version: StoreVersion) -> pd.DataFrame:
    if version[1] == 0:
        return pd.DataFrame(columns=["load_id", "file_name", "kind", "rows", "loaded_at"])
    with _open(version) as store:
        return store.loads()


@lru_cache(maxsize=4)
def _summary(version: StoreVersion) -> dict:
    if version[1] == 0:
        return {}
    with _open(version) as store:
        return store.summary()


@lru_cache(maxsize=1)
def _areas() -> pd.DataFrame:
    return reference.read_areas()


def home_area() -> str:
    return config.get_setting("home_area")


@lru_cache(maxsize=1)
def _area_lookup() -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    """Names, districts of each force and force of each district, as dicts: looked up per
    table row, so a pandas filter per call would cost more than the chart."""
    areas = _areas()
    names = dict(zip(areas.lad_code, areas.lad_name, strict=True))
    names.update({c: f"{n} (force area)" for c, n in zip(areas.pfa_code, areas.pfa_name,
                                                        strict=True)})
    members = {c: tuple(sorted(g)) for c, g in areas.groupby("pfa_code")["lad_code"]}
    force = dict(zip(areas.lad_code, areas.pfa_code, strict=True))
    return names, members, force


def area_name(code: str) -> str:
    return _area_lookup()[0].get(code, code)


def lads_in(code: str) -> list[str]:
    """The local authority districts an area code covers (a force area or one district)."""
    return list(_area_lookup()[1].get(code, (code,)))


def load_history(store_path: Path | str) -> pd.DataFrame:
    """The store's load history, newest first."""
    loads = _loads(store_version(store_path)).copy()
    if "load_id" in loads.columns:
        loads = loads.sort_values("load_id", ascending=False, kind="stable")
    return loads.reset_index(drop=True)


def store_summary(store_path: Path | str) -> dict:
    return _summary(store_version(store_path))


def latest_snapshot(store_path: Path | str) -> int | None:
    """The newest load number: board views freeze to it so the room sees fixed data."""
    loads = _loads(store_version(store_path))
    if loads.empty or "load_id" not in loads.columns:
        return None
    ids = pd.to_numeric(loads["load_id"], errors="coerce").dropna()
    return int(ids.max()) if len(ids) else None


def snapshot_label(store_path: Path | str, snapshot: int | None) -> str:
    """A readable name for a data snapshot, e.g. 'Snapshot 7 (data loaded 2026-11-28)'."""
    if snapshot is None:
        return "Live data (latest load)"
    loads = _loads(store_version(store_path))
    when = ""
    if not loads.empty and {"load_id", "loaded_at"} <= set(loads.columns):
        ids = pd.to_numeric(loads["load_id"], errors="coerce")
        hit = loads.loc[ids == snapshot, "loaded_at"]
        if len(hit):
            when = f" (data loaded {pd.Timestamp(hit.iloc[0]):%d %b %Y})"
    return f"Snapshot {snapshot}{when}"


def selection(state: ViewState, *, use_area: bool = True, use_period: bool = True):
    """The view's filters as an :class:`analysis.victim_counts.Selection` (districts of its
    area, quarters of its period, sector, exploitation type, age group, snapshot)."""
    from analysis.periods import quarter_range
    from analysis.victim_counts import Selection

    where = tuple((column, (value,)) for column, value in (
        ("sector", state.sector), ("exploitation_type", state.exploitation_type),
        ("age_group", state.age_group)) if value != ALL)
    quarters = None
    if use_period and (state.start or state.end):
        quarters = (tuple(quarter_range(state.start, state.end)) if state.start and state.end
                    else _open_quarters(state.start, state.end))
    return Selection(area_codes=tuple(lads_in(state.area or home_area())) if use_area else None,
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


@lru_cache(maxsize=1024)
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


@lru_cache(maxsize=64)
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


@lru_cache(maxsize=32)
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


def headline_referrals(store_path: Path | str, snapshot: int | None = None,
                       area_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """New victims (first-ever records, to the snapshot) in the districts given, every
    quarter, in the columns ``analysis.headline`` reads. First records are found over the
    whole store (``analysis.store.new_victims``), so this small frame gives ``analysis``
    exactly what the whole store would."""
    from analysis.victim_counts import Selection

    return _headline_referrals(store_version(store_path),
                               Selection(area_codes=area_codes, snapshot=snapshot))


@lru_cache(maxsize=32)
def _headline_referrals(version: StoreVersion, chosen) -> pd.DataFrame:
    from analysis.victim_counts import new_victim_rows

    columns = ["area_code", "quarter", "sector", "exploitation_type", "age_group",
               "person_key", "referral_date", "record_key"]
    if version[1] == 0:
        return pd.DataFrame(columns=columns)
    with _open(version) as store:
        return new_victim_rows(store.connection, chosen, columns)


def disclosure_mode(state: ViewState) -> str:
    """``exact`` only for an analyst who switched exact counts on (dashboard.state)."""
    from dashboard.state import disclosure_mode as mode

    return mode(state)


def history_start(store_path: Path | str) -> str | None:
    """The quarter of the store's first record (left censoring is judged from it)."""
    quarters = filter_options(store_path).quarters
    return quarters[0] if quarters else None


def default_quarters(store_path: Path | str) -> list[str]:
    """The product's default period: the latest four complete quarters in the store."""
    return _default_quarters(store_version(store_path))


@lru_cache(maxsize=4)
def _default_quarters(version: StoreVersion) -> list[str]:
    from analysis.headline import latest_load_date
    from analysis.periods import default_period

    quarters = _filter_options(version).quarters
    return default_period(quarters, latest_load_date(_loads(version)))


@lru_cache(maxsize=1)
def _scenarios() -> list[tuple[str, str]]:
    """The scenarios that give an expected figure, by name (every one works when chosen)."""
    from analysis.assumptions import catalogue_scenarios

    return [(name, s.title) for name, s in catalogue_scenarios().items()]


def filter_options(store_path: Path | str) -> FilterOptions:
    """Choices for the filter bar: the home force and its districts first, then stored areas."""
    return _filter_options(store_version(store_path))


@lru_cache(maxsize=4)
def _filter_options(version: StoreVersion) -> FilterOptions:
    home = home_area()
    areas = [(home, area_name(home))] + [(c, area_name(c)) for c in lads_in(home) if c != home]
    quarters: list[str] = []
    if version[1]:
        with _open(version) as store:
            present = [r[0] for r in store.connection.execute(
                "SELECT DISTINCT area_code FROM referrals WHERE area_code IS NOT NULL "
                "ORDER BY area_code").fetchall()]
            quarters = [r[0] for r in store.connection.execute(
                "SELECT DISTINCT quarter FROM referrals ORDER BY quarter").fetchall()]
        seen = {c for c, _ in areas}
        areas += [(c, area_name(c)) for c in present if c not in seen]
    return FilterOptions(
        areas=areas,
        quarters=quarters,
        sectors=list(SECTORS),
        exploitation_types=list(EXPLOITATION_TYPES),
        age_groups=list(AGE_GROUPS),
        scenarios=_scenarios(),
    )


def store_exists(store_path: Path | str) -> bool:
    return os.path.exists(store_path)


@lru_cache(maxsize=8)
def national_forces(start: str = "2022Q2", end: str = "2023Q4") -> pd.DataFrame:
    """Police-made NRM referrals and rates for the 43 forces (published figures)."""
    from analysis.national import police_referrals_by_force

    return police_referrals_by_force(start, end)


@lru_cache(maxsize=2)
def uk_series(vintage: str = "latest") -> pd.DataFrame:
    from analysis.national import uk_quarterly_referrals

    return uk_quarterly_referrals(vintage)


def home_force(state: ViewState) -> str:
    """The force area of the selected area (the home force when a district is chosen)."""
    code = state.area or home_area()
    return _area_lookup()[2].get(code, code)


def loads_for_display(store_path: Path | str) -> pd.DataFrame:
    """The load history as the Data page shows it (no content hashes in full)."""
    loads = load_history(store_path)
    if "content_hash" in loads.columns:
        loads = loads.assign(content_hash=loads["content_hash"].astype(str).str[:12])
    return loads


def counts_by_area_quarter(store_path: Path | str, state: ViewState) -> pd.DataFrame:
    """New victims by district and quarter for the view, every cell and margin protected
    (``analysis.disclosure.protect_table``, cell-key method)."""
    districts = lads_in(state.area or home_area())
    quarters = sorted(true_counts(store_path, state, "quarter")["quarter"])
    if not quarters:
        return pd.DataFrame(columns=["area_code", "area_name", "quarter", "referral_count",
                                     "referral_count_suppressed"])
    table = counts(store_path, state, ("area_code", "quarter"),
                   levels={"area_code": districts, "quarter": quarters},
                   margins=True).to_frame()
    table = table.rename(columns={"count": "referral_count",
                                  "count_suppressed": "referral_count_suppressed"})
    table.insert(1, "area_name", table["area_code"].map(
        lambda c: "Total" if c == "Total" else area_name(c)))
    return table


@lru_cache(maxsize=16)
def national_funnel(home_code: str):
    """Funnel data for the 43 forces (published figures, so no disclosure step is needed)."""
    from analysis.funnel import national_funnel as build

    return build(national_forces(), home_code, overdispersion="auto")


@lru_cache(maxsize=32)
def force_peers(force_code: str, n: int = 5) -> pd.DataFrame:
    """The force and its most similar forces (size and growth) with their published rates."""
    from analysis.peers import find_peers

    peers = find_peers(force_code, level="police_force_area", n_neighbors=n)
    rates = national_forces().set_index("pfa_code")
    codes = [force_code, *peers["peer_code"]]
    out = rates.loc[
        [c for c in codes if c in rates.index],
        ["pfa_name", "referrals", "population", "annual_rate_per_100k"],
    ]
    out = out.reset_index().rename(columns={"pfa_code": "area_code", "pfa_name": "area_name"})
    out["highlighted"] = out["area_code"] == force_code
    out["similarity"] = peers["features"].iloc[0] if len(peers) else ""
    return out


@lru_cache(maxsize=64)
def district_peers(lad_code: str, n: int = 5) -> pd.DataFrame:
    """The most similar districts of England and Wales (size and growth)."""
    from analysis.peers import find_peers

    peers = find_peers(lad_code, level="local_authority", n_neighbors=n)
    return peers.rename(columns={"peer_code": "peer_area_code", "area_name": "peer_area_name"})


def is_force(code: str) -> bool:
    return code in _area_lookup()[1]
