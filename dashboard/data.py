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

import pandas as pd

from analysis import config, reference
from analysis.schema import AGE_GROUPS, EXPLOITATION_TYPES, SECTORS
from dashboard.components.filters import FilterOptions
from dashboard.queries import (  # noqa: F401,E402 (the pages' one import for data)
    CATEGORY_COLUMNS,
    PEOPLE_COLUMNS,
    capture_cells,
    cell_counts,
    counts,
    disclosure_mode,
    headline_cells,
    people,
    prepare_referrals,
    referrals,
    selection,
    true_counts,
)
from dashboard.state import ViewState
from dashboard.store_reader import (  # noqa: F401 (re-exported for pages and uploads)
    STORE_LOCK,
    StoreVersion,
    open_store,
    release_store,
    store_version,
)

_open = open_store  # every query of this module reads through the shared reader


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
