"""Read-only queries behind the pages: open the store read-only, filter, reshape, cache.

No statistics here: estimates come from ``analysis``; this module only selects the records a
view asks for and hands them to the estimators, then protects the counts with
``analysis.disclosure`` before anything reaches a chart, table or download.

Every cached function is keyed on the store's *version* (path plus file modification time),
so an upload invalidates the caches without any global state being mutated.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config, reference
from analysis.schema import AGE_GROUPS, EXPLOITATION_TYPES, SECTORS
from dashboard.components.filters import FilterOptions
from dashboard.state import ALL, ViewState

StoreVersion = tuple[str, int]


def store_version(store_path: Path | str) -> StoreVersion:
    """Identity of the store's current contents: path and modification time (0 if absent)."""
    path = Path(store_path)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        stamp = 0
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        stamp = max(stamp, wal.stat().st_mtime_ns)
    return (str(path), stamp)


# DuckDB refuses a read-only and a read-write connection to the same file in one process,
# so every store connection the dashboard opens (reads here, uploads in dashboard.uploads)
# takes this lock. Reads are cached per store version, so it is rarely contended.
STORE_LOCK = threading.RLock()


@contextmanager
def _open(version: StoreVersion):
    from analysis.store import Store

    with STORE_LOCK, Store(version[0], read_only=True) as store:
        yield store


CATEGORY_COLUMNS = (
    "area_code",
    "quarter",
    "sector",
    "exploitation_type",
    "age_group",
    "nationality_group",
    "agency",
    "agency_type",
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
    codes, _ = pd.factorize(frame["person_key"], use_na_sentinel=True)
    out["person_id"] = codes  # -1 where the agency could not link the person
    if "load_id" in frame.columns:
        out["load_id"] = pd.to_numeric(frame["load_id"], errors="coerce").to_numpy()
    return out


@lru_cache(maxsize=4)
def _all_referrals(version: StoreVersion) -> pd.DataFrame:
    if version[1] == 0:
        return pd.DataFrame()
    with _open(version) as store:
        return prepare_referrals(store.referrals())


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


def referrals(
    store_path: Path | str, state: ViewState, *, use_area: bool = True, use_period: bool = True
) -> pd.DataFrame:
    """Referrals selected by the view's filters (and frozen to its snapshot, if any)."""
    return _referrals(store_version(store_path), state, use_area, use_period).copy()


def people(
    store_path: Path | str, state: ViewState, *, use_area: bool = True, use_period: bool = True
) -> pd.DataFrame:
    """The view's detected new victims: each linked person once, at their first-ever record in
    the store (any agency, area or date; ``analysis.detection.new_victims``), kept when that
    record falls in the view. What every detected count on screen counts."""
    return _people(store_version(store_path), state, use_area, use_period).copy()


@lru_cache(maxsize=8)
def _first_records(version: StoreVersion, snapshot: int | None) -> np.ndarray:
    """Boolean mask over all stored referrals: the record is its person's first-ever one."""
    from analysis.tables import first_detections

    frame = _all_referrals(version)
    if frame.empty:
        return np.zeros(0, dtype=bool)
    rows = frame
    if snapshot is not None and "load_id" in frame.columns:
        rows = frame.loc[frame["load_id"].to_numpy() <= snapshot]
    keyed = rows[["referral_date"]].assign(person_id=rows["person_id"].where(rows["person_id"] >= 0))
    mask = np.zeros(len(frame), dtype=bool)
    mask[first_detections(keyed, key="person_id").index.to_numpy()] = True
    return mask


@lru_cache(maxsize=64)
def _people(version: StoreVersion, state: ViewState, use_area: bool, use_period: bool) -> pd.DataFrame:
    rows = _referrals(version, state, use_area, use_period)
    if rows.empty:
        return rows
    first = _first_records(version, state.snapshot)
    return rows.loc[first[rows.index.to_numpy()]]


def headline_referrals(store_path: Path | str, snapshot: int | None = None,
                       area_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """New victims (first-ever records, to the snapshot) in the districts given, in the columns
    ``analysis.headline`` reads. First records are found over the whole store first, so this
    small frame gives ``analysis`` exactly what the whole store would."""
    return _headline_referrals(store_version(store_path), snapshot, area_codes)


@lru_cache(maxsize=32)
def _headline_referrals(version: StoreVersion, snapshot: int | None,
                        area_codes: tuple[str, ...] | None) -> pd.DataFrame:
    frame = _all_referrals(version)
    if frame.empty:
        return pd.DataFrame(columns=["area_code", "quarter", "sector", "exploitation_type",
                                     "age_group", "person_key", "referral_date"])
    keep = _first_records(version, snapshot)
    if area_codes is not None:
        keep = keep & _category_mask(frame["area_code"], list(area_codes))
    rows = frame.loc[keep]
    out = pd.DataFrame({c: rows[c].astype(str) for c in
                        ("area_code", "quarter", "sector", "exploitation_type", "age_group")})
    out["person_key"] = rows["person_id"].where(rows["person_id"] >= 0).astype("Int64")
    out["referral_date"] = rows["referral_date"].to_numpy()
    return out.reset_index(drop=True)


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


@lru_cache(maxsize=64)
def _referrals(
    version: StoreVersion, state: ViewState, use_area: bool, use_period: bool
) -> pd.DataFrame:
    frame = _all_referrals(version)
    if frame.empty:
        return frame
    keep = np.ones(len(frame), dtype=bool)
    if state.snapshot is not None and "load_id" in frame.columns:
        keep &= frame["load_id"].to_numpy() <= state.snapshot
    if use_area:
        keep &= _category_mask(frame["area_code"], lads_in(state.area or home_area()))
    if use_period and (state.start or state.end):
        quarters = [
            q
            for q in frame["quarter"].cat.categories
            if (not state.start or q >= state.start) and (not state.end or q <= state.end)
        ]
        keep &= _category_mask(frame["quarter"], quarters)
    for column, value in (
        ("sector", state.sector),
        ("exploitation_type", state.exploitation_type),
        ("age_group", state.age_group),
    ):
        if value != ALL:
            keep &= _category_mask(frame[column], [value])
    return frame.loc[keep]


def _category_mask(column: pd.Series, values: list[str]) -> np.ndarray:
    """Rows whose category is one of ``values``, compared on the integer codes."""
    wanted = np.zeros(len(column.cat.categories) + 1, dtype=bool)  # last slot: missing (-1)
    positions = column.cat.categories.get_indexer(values)
    wanted[positions[positions >= 0]] = True
    return wanted[column.cat.codes.to_numpy()]


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
    frame = _all_referrals(version)
    quarters: list[str] = []
    if not frame.empty:
        seen = {c for c, _ in areas}
        present = frame["area_code"].cat.categories[
            np.unique(frame["area_code"].cat.codes[frame["area_code"].cat.codes >= 0])
        ]
        areas += [(c, area_name(c)) for c in sorted(set(present) - seen)]
        quarters = sorted(frame["quarter"].cat.categories)
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
    """Detected people by district and quarter for the view, protected for disclosure."""
    from analysis.disclosure import suppress_small_counts

    frame = people(store_path, state)
    if frame.empty:
        return pd.DataFrame(columns=["area_code", "area_name", "quarter", "referral_count"])
    table = (
        frame.groupby(["area_code", "quarter"], observed=True)
        .size()
        .rename("referral_count")
        .reset_index()
    )
    table.insert(1, "area_name", table["area_code"].map(area_name))
    return suppress_small_counts(table, "referral_count", group_columns="area_code")


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
