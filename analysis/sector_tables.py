"""Protected tables of new victims by sector: by calendar year, and by district.

A district x sector table of one year is a grid of small counts (the sample force: 216 people
in 9 districts x 14 sectors, three cells in four ``[c]`` under the cell-key method), so the
readable default is the area's sectors by year, where each cell holds a year of people. Both
tables count people at their first-ever record (:func:`analysis.detection.new_victims`) and
pass every cell and margin through :func:`analysis.disclosure.protect_table`: a total is a
cell of its own, counted from the records, never the sum of the shown cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.disclosure import protect_cell_table, protect_table

COLUMNS = ["area_code", "sector", "period", "people", "people_suppressed"]


def year_labels(quarters: Sequence[str]) -> dict[str, str]:
    """Each quarter's calendar-year label; a year not wholly in ``quarters`` names its part.

    Examples
    --------
    >>> year_labels(["2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4"])["2024Q3"]
    '2024 (Q3-Q4)'
    >>> year_labels(["2025Q1", "2025Q2", "2025Q3", "2025Q4"])["2025Q2"]
    '2025'
    """
    by_year: dict[str, list[str]] = {}
    for quarter in quarters:
        by_year.setdefault(str(quarter)[:4], []).append(str(quarter))
    labels = {}
    for year, held in by_year.items():
        label = year if len(held) == 4 else f"{year} ({held[0][4:]}-{held[-1][4:]})"
        if len(held) == 1:
            label = f"{year} ({held[0][4:]})"
        labels.update({q: label for q in held})
    return labels


def _tidy(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table.rename(columns={"count": "people", "count_suppressed": "people_suppressed",
                                 column: "period"})


def sectors_by_year(people: pd.DataFrame, quarters: Sequence[str], *,
                    sectors: Sequence[str] | None = None, mode: str = "protected",
                    threshold: int | None = None) -> pd.DataFrame:
    """Protected counts of new victims by sector and calendar year, with every margin.

    Parameters
    ----------
    people : DataFrame
        One row per new victim (first-ever records), with ``quarter``, ``sector`` and the
        columns :func:`analysis.disclosure.protect_table` keys on; or cells already counted
        by ``sector`` and ``quarter`` with ``count`` and ``cell_key``
        (:func:`analysis.victim_counts.count_cells`), protected the same way.
    quarters : sequence of str
        The quarters to count (e.g. the store's history up to the view's end); rows outside
        are dropped and every year in them is a column, even an empty one.
    sectors : sequence of str, optional
        The sectors to show (default: those present).

    Returns
    -------
    DataFrame
        ``sector``, ``period`` (year label, ``Total`` for all years), ``people`` (NA when
        ``[c]``), ``people_suppressed``; the row ``sector == "Total"`` is every sector.

    Examples
    --------
    >>> rows = pd.DataFrame({"person_key": [f"p{i}" for i in range(40)], "agency": "x",
    ...     "record_id": [str(i) for i in range(40)], "sector": ["care"] * 30 + ["farm"] * 10,
    ...     "quarter": ["2024Q1"] * 20 + ["2025Q1"] * 20})
    >>> t = sectors_by_year(rows, ["2024Q1", "2025Q1"], threshold=5)
    >>> sorted(t["period"].unique())
    ['2024 (Q1)', '2025 (Q1)', 'Total']
    """
    labels = year_labels(quarters)
    frame = people[people["quarter"].astype(str).isin(list(labels))]
    frame = frame.assign(sector=frame["sector"].astype(str),
                         year=frame["quarter"].astype(str).map(labels))
    levels: dict[str, list[str]] = {"year": list(dict.fromkeys(labels.values()))}
    levels["sector"] = (list(sectors) if sectors is not None
                        else sorted(frame["sector"].unique().tolist()))
    table = _protect(frame, ["sector", "year"], levels=levels, margins=True, mode=mode,
                     threshold=threshold).to_frame()
    return _tidy(table, "year")


def sectors_by_district(people: pd.DataFrame, districts: Sequence[str], *,
                        sectors: Sequence[str] | None = None, mode: str = "protected",
                        threshold: int | None = None) -> pd.DataFrame:
    """Protected counts of new victims by district and sector over the rows given, with every
    margin (``Total``): the full table behind the default sector-by-year view.

    Examples
    --------
    >>> rows = pd.DataFrame({"person_key": [f"p{i}" for i in range(12)], "agency": "x",
    ...     "record_id": [str(i) for i in range(12)], "sector": ["care"] * 12,
    ...     "area_code": ["a"] * 9 + ["b"] * 3})
    >>> t = sectors_by_district(rows, ["a", "b"], threshold=5)
    >>> t.loc[t["area_code"] == "b", "people_suppressed"].tolist()
    [True, True]
    """
    frame = people.assign(area_code=people["area_code"].astype(str),
                          sector=people["sector"].astype(str))
    present = (list(sectors) if sectors is not None
               else sorted(frame["sector"].unique().tolist()))
    return _tidy(_protect(frame, ["area_code", "sector"],
                          levels={"area_code": list(districts), "sector": present},
                          margins=True, mode=mode, threshold=threshold).to_frame(), "_")


def _protect(frame: pd.DataFrame, by: list[str], **kwargs):
    """People rows through ``protect_table``; cells counted in the store (``count`` and
    ``cell_key``) through ``protect_cell_table``: the same shown table either way."""
    if {"count", "cell_key"} <= set(frame.columns):
        return protect_cell_table(frame, by, **kwargs)
    return protect_table(frame, by, **kwargs)


@dataclass(frozen=True)
class SectorTables:
    """New victims by sector for one area: by year (the readable view) and by district for
    the view's period (the full table), both protected.

    ``by_year`` has ``sector``, ``period``, ``people``, ``people_suppressed``; ``by_district``
    has ``area_code``, ``sector``, ``people``, ``people_suppressed``.
    """

    area_code: str
    period: str  # the view's period, e.g. "2025Q1:2025Q4"
    by_year: pd.DataFrame
    by_district: pd.DataFrame

    def suppressed_share(self, table: str = "by_year") -> float:
        """Share of the table's cells (margins included) shown as ``[c]``."""
        frame = getattr(self, table)
        return float(frame["people_suppressed"].mean()) if len(frame) else 0.0

    def to_frame(self) -> pd.DataFrame:
        """Both tables in one long frame: ``area_code`` (the area itself for the yearly rows,
        ``Total`` for all districts), ``sector``, ``period``, ``people``,
        ``people_suppressed``."""
        yearly = self.by_year.assign(area_code=self.area_code)
        district = self.by_district.assign(period=self.period)
        return pd.concat([yearly[COLUMNS], district[COLUMNS]], ignore_index=True)


def sector_tables(referrals: pd.DataFrame, area_code: str, quarters: Sequence[str],
                  history: Sequence[str], *, where: Mapping[str, str] | None = None,
                  mode: str = "protected", threshold: int | None = None) -> SectorTables:
    """:class:`SectorTables` from every stored referral (so each person counts once, at their
    first-ever record): ``quarters`` is the view's period (the district table), ``history``
    the quarters of the yearly table (e.g. the store's first quarter to the view's end).
    ``where`` filters a group other than the sector (e.g. ``{"age_group": "child"}``)."""
    from analysis.detection import districts_of
    from analysis.headline import view_people

    districts = districts_of(area_code)
    people = view_people(referrals, area_code, list(history) + list(quarters), where)
    in_view = people[people["quarter"].astype(str).isin(list(quarters))]
    period = f"{quarters[0]}:{quarters[-1]}" if len(quarters) else ""
    return SectorTables(
        area_code, period,
        sectors_by_year(people, history, mode=mode, threshold=threshold),
        sectors_by_district(in_view, districts, mode=mode, threshold=threshold),
    )


def read_sector_tables(store_path: str | Path | None, area_code: str, period: str, *,
                       where: Mapping[str, str] | None = None, mode: str = "protected",
                       snapshot: int | None = None) -> SectorTables:
    """:func:`sector_tables` on a store file, for ``period`` ("FROM:TO" quarters); the yearly
    table runs from the store's first quarter to the period's end. ``snapshot`` keeps only
    the loads up to that load id (the store as it was then).

    Examples
    --------
    >>> from analysis.store import build_sample_store
    >>> import tempfile, os
    >>> path = build_sample_store(os.path.join(tempfile.mkdtemp(), "s.duckdb"))
    >>> t = read_sector_tables(path, "E23000021", "2025Q1:2025Q4")
    >>> t.by_year["period"].iloc[0], round(t.suppressed_share(), 2) < 0.1
    ('2019', True)
    """
    from analysis.headline import stored_quarters
    from analysis.periods import quarter_range
    from analysis.store import Store

    with Store(store_path, read_only=True) as store:
        referrals = store.referrals()
    stored = stored_quarters(referrals)  # the store's span, as its period filters offer
    if snapshot is not None:
        referrals = referrals[referrals["load_id"] <= snapshot]
    start, end = period.split(":")
    quarters = quarter_range(start, end)
    history = quarter_range(stored[0], end) if stored else quarters
    return sector_tables(referrals, area_code, quarters, history, where=where, mode=mode)
