"""Read-only national views for the National page: the store's NRM tables, cached per store
version (path and modification time), so a newly loaded release shows at once.

No statistics here: every figure comes from ``analysis.national``. These are published
aggregate figures, not record-level counts, so no disclosure step applies. Without a store
the same functions read the bundled reference files.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pandas as pd

from dashboard.data import StoreVersion, _open, store_version


@contextmanager
def _store(version: StoreVersion):
    if version[1] == 0:
        yield None
    else:
        with _open(version) as store:
            yield store


@lru_cache(maxsize=4)
def _forces(version: StoreVersion) -> pd.DataFrame:
    from analysis.errors import DarkFigureError
    from analysis.national import police_referrals_by_force

    with _store(version) as store:
        try:
            return police_referrals_by_force(store=store)
        except DarkFigureError:  # no police table in the store yet: the charts say so
            return pd.DataFrame()


@lru_cache(maxsize=16)
def _funnel(version: StoreVersion, home_code: str):
    from analysis.national import force_funnel

    forces = _forces(version)
    return force_funnel(forces, home_code) if len(forces) else None


@lru_cache(maxsize=4)
def _uk_series(version: StoreVersion, vintage: str) -> pd.DataFrame:
    from analysis.national import uk_quarterly_referrals

    with _store(version) as store:
        return uk_quarterly_referrals(vintage, store=store)


@lru_cache(maxsize=4)
def _locations(version: StoreVersion) -> pd.DataFrame:
    from analysis.national import uk_referrals_by_location

    with _store(version) as store:
        return uk_referrals_by_location(store=store)


@lru_cache(maxsize=1)
def _uk_nationals_by_force() -> pd.DataFrame:
    from analysis.national import uk_national_share_by_force

    return uk_national_share_by_force()


def forces(store_path: Path | str) -> pd.DataFrame:
    """Police NRM referrals and rates per 100,000 residents for the 43 forces."""
    return _forces(store_version(store_path)).copy()


def funnel(store_path: Path | str, home_code: str):
    """The force funnel as shown (:class:`analysis.national.ForceFunnelResult`)."""
    return _funnel(store_version(store_path), home_code)


def uk_series(store_path: Path | str, vintage: str = "latest") -> pd.DataFrame:
    return _uk_series(store_version(store_path), vintage).copy()


def locations(store_path: Path | str) -> pd.DataFrame:
    return _locations(store_version(store_path)).copy()


def uk_nationals_by_force() -> pd.DataFrame:
    return _uk_nationals_by_force().copy()


def uk_national_mix(store_path: Path | str, state) -> pd.DataFrame:
    """UK nationals among the view's detected people (protected) and among UK NRM referrals."""
    from analysis.national_mix import uk_national_mix as build
    from dashboard import data

    cells = data.cell_counts(store_path, state, ("quarter", "nationality_group"))
    if cells.empty:
        return pd.DataFrame()
    return build(cells, data.area_name(state.area or data.home_area()),
                 mode=data.disclosure_mode(state))
