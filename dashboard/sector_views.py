"""The Sectors page's heatmap data: new victims by sector and year for the view's area (the
readable default), with the district x sector table of the view's period beside it for the
download. Both are built by :func:`analysis.sector_tables.sector_tables` (the same call the
chart's "Python" action shows) from the view's counts in the store, cached per store version
and view.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.sector_tables import SectorTables, sectors_by_district, sectors_by_year
from dashboard import data, estimates
from dashboard.state import ALL, ViewState

BY_YEAR = ["sector", "period", "people", "people_suppressed"]
BY_DISTRICT = ["area_code", "sector", "people", "people_suppressed"]


def history_quarters(store_path: Path | str, state: ViewState) -> list[str]:
    """The yearly table's quarters: the store's first quarter to the view's last."""
    quarters = estimates.view_quarters(store_path, state)
    stored = data.filter_options(store_path).quarters
    return [q for q in stored if quarters and q <= quarters[-1]]


def sector_tables(store_path: Path | str, state: ViewState) -> SectorTables:
    """The view's :class:`analysis.sector_tables.SectorTables` (the sector filter lifted:
    the chart shows every sector)."""
    return _sector_tables(data.store_version(store_path), estimates.without_board(state))


@lru_cache(maxsize=64)
def _sector_tables(version, state: ViewState) -> SectorTables:
    store_path = version[0]
    area = state.area or data.home_area()
    quarters = estimates.view_quarters(store_path, state)
    history = history_quarters(store_path, state)
    lifted = replace(state, sector=ALL)
    period = f"{quarters[0]}:{quarters[-1]}" if quarters else ""
    if not quarters:  # an empty store
        return SectorTables(area, period, pd.DataFrame(columns=BY_YEAR),
                            pd.DataFrame(columns=BY_DISTRICT))
    # counted in the store; the analysis functions protect the cells (protect_cell_table)
    everyone = data.cell_counts(store_path, replace(lifted, period=f"{history[0]}:{history[-1]}"),
                                ("sector", "quarter"))
    in_view = data.cell_counts(store_path, replace(lifted, period=period),
                               ("area_code", "sector"))
    mode = data.disclosure_mode(state)
    return SectorTables(area, period, sectors_by_year(everyone, history, mode=mode),
                        sectors_by_district(in_view, data.lads_in(area), mode=mode))
