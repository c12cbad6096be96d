"""Counts of new victims for any view, aggregated in DuckDB: the data step of every page.

A view (districts, quarters, filters, an optional snapshot) selects rows of the store's
``new_victims`` table (each person's first-ever record; ``analysis.store.new_victims``);
:func:`count_cells` groups them in the database and returns only the small table a chart
needs, one row per non-empty cell with its count and cell key; :func:`protected_counts` puts
that through the disclosure layer (``analysis.disclosure.protect_cell_table``), so the
numbers are exactly those ``protect_table`` gives from the people themselves. Notebooks, the
dashboard and the CLI call the same functions.

Examples
--------
>>> from analysis.store import Store
>>> with Store(read_only=True) as store:                                # doctest: +SKIP
...     table = protected_counts(store.connection,
...                              Selection(quarters=("2025Q1", "2025Q2")), "quarter")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from analysis.disclosure import (
    PROTECTED,
    ProtectedCount,
    ProtectedTable,
    protect_cell_table,
    protect_cells,
)
from analysis.disclosure.keys import KEY_MODULUS
from analysis.errors import DarkFigureError
from analysis.store.new_victims import COLUMNS, TABLE, source_sql

#: Columns a view may filter or count by (besides ``year``, derived from ``quarter``).
DIMENSIONS = ("area_code", "quarter", "sector", "exploitation_type", "age_group", "sex",
              "nationality_group", "agency", "agency_type")
_DERIVED = {"year": "substr(quarter, 1, 4)",
            # whether the person was linked (has a person key): records without one count
            # once each, and the headline says how many
            "linked": "coalesce(person_key <> '', false)"}


@dataclass(frozen=True)
class Selection:
    """Which new victims a view counts. ``None`` means no restriction.

    ``where`` holds (column, allowed values) pairs; ``snapshot`` freezes the data at a load.
    Hashable, so callers can cache on it.
    """

    area_codes: tuple[str, ...] | None = None
    quarters: tuple[str, ...] | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    snapshot: int | None = None

    def clauses(self) -> tuple[str, list]:
        """SQL ``WHERE`` text (or ``TRUE``) and its parameters."""
        parts, params = [], []
        for column, values in (("area_code", self.area_codes), ("quarter", self.quarters),
                               *self.where):
            if values is None:
                continue
            if column not in DIMENSIONS:
                raise DarkFigureError(f"cannot select new victims by {column!r}: use one of "
                                      f"{', '.join(DIMENSIONS)}")
            parts.append(f"{column} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(values))
        return (" AND ".join(parts) or "TRUE"), params


def _query(con: duckdb.DuckDBPyConnection, snapshot: int | None, sql: str,
           params: list) -> pd.DataFrame:
    """Run ``sql`` with ``{source}`` the new victims: the stored table, or (a snapshot, or
    an older store without the table, opened read-only) the same rows computed."""
    if snapshot is None:
        try:
            return con.execute(sql.format(source=TABLE), params).df()
        except duckdb.CatalogException:
            pass  # a store made before the table: compute it
    return con.execute(sql.format(source=source_sql(con, snapshot)), params).df()


def _expression(column: str) -> str:
    if column in _DERIVED:
        return f"{_DERIVED[column]} AS {column}"
    if column not in DIMENSIONS:
        raise DarkFigureError(f"cannot count new victims by {column!r}: use one of "
                              f"{', '.join((*DIMENSIONS, *_DERIVED))}")
    return column


def count_cells(con: duckdb.DuckDBPyConnection, selection: Selection,
                by: str | Sequence[str]) -> pd.DataFrame:
    """True counts and cell keys of the non-empty cells of ``by`` (a group-by in DuckDB).

    Returns the ``by`` columns, ``count`` (int64) and ``cell_key`` (uint64: the sum of the
    cell's record keys modulo 2**64). An empty ``by`` gives one row for the whole selection.
    Not for display: pass the result to :func:`protect` (or use :func:`protected_counts`).
    """
    by = [by] if isinstance(by, str) else list(by)
    where, params = selection.clauses()
    select = ", ".join([*(_expression(c) for c in by),
                        "count(*)::BIGINT AS count",
                        f"coalesce((sum(record_key) % {KEY_MODULUS}), 0)::UBIGINT AS cell_key"])
    group = f" GROUP BY {', '.join(by)}" if by else ""
    cells = _query(con, selection.snapshot,
                   f"SELECT {select} FROM {{source}} WHERE {where}{group}", params)
    if by:
        cells = cells[cells["count"] > 0]
    for column in by:
        cells[column] = cells[column].astype(object)
    return cells.astype({"count": "int64", "cell_key": "uint64"}).reset_index(drop=True)


def protect(cells: pd.DataFrame, by: str | Sequence[str], *,
            levels: Mapping[str, Sequence] | None = None, margins: bool = False,
            mode: str = PROTECTED, threshold: int | None = None) -> ProtectedTable:
    """The shown table of cells from :func:`count_cells` (``protect_cell_table``)."""
    return protect_cell_table(cells, by, levels=levels, margins=margins, mode=mode,
                              threshold=threshold)


def protect_total(cells: pd.DataFrame, *, mode: str = PROTECTED,
                  threshold: int | None = None) -> ProtectedCount:
    """The people of cells that partition them (from :func:`count_cells`) as one protected
    count: its count and cell key are the sums of the cells' (keys modulo 2**64), so it is
    the count :func:`analysis.disclosure.protect_count` gives from the people themselves.

    Examples
    --------
    >>> cells = pd.DataFrame({"count": [3, 40], "cell_key": [2**64 - 1, 5]})
    >>> protect_total(cells, mode="exact").value
    43
    >>> abs(protect_total(cells).value - 43) <= 2
    True
    """
    count = int(cells["count"].sum()) if len(cells) else 0
    key = sum(int(k) for k in cells["cell_key"]) % KEY_MODULUS if len(cells) else 0
    value = protect_cells([count], [key], mode=mode, threshold=threshold)[0]
    return ProtectedCount(None if value is pd.NA else int(value), mode)


def protected_counts(con: duckdb.DuckDBPyConnection, selection: Selection,
                     by: str | Sequence[str], *, levels: Mapping[str, Sequence] | None = None,
                     margins: bool = False, mode: str = PROTECTED,
                     threshold: int | None = None) -> ProtectedTable:
    """New victims of ``selection`` counted by ``by`` and protected: what a page shows.

    Parameters
    ----------
    con : DuckDB connection to the store
    selection : Selection
    by : str or list of str
        Columns of :data:`DIMENSIONS`, or ``year``.
    levels : mapping, optional
        The categories to show per column (missing ones are empty cells, ``[c]``).
    margins : bool
        Add every margin, each a cell counted from the people (never a sum of shown cells).
    mode : {"protected", "exact"}
    threshold : int, optional

    Returns
    -------
    ProtectedTable
    """
    return protect(count_cells(con, selection, by), by, levels=levels, margins=margins,
                   mode=mode, threshold=threshold)


def detected_from_cells(cells: pd.DataFrame, keys: Sequence[str], *,
                        quarters: Sequence[str] | None = None,
                        area_codes: Sequence[str] | None = None,
                        where: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`analysis.detection.detected_counts` from new victims counted by
    :func:`count_cells` (true counts, for estimators): the ``keys`` columns and ``detected``
    over the complete grid of the ``quarters`` and ``area_codes`` given.

    Examples
    --------
    >>> cells = pd.DataFrame({"area_code": ["a", "a", "b"], "quarter": ["2024Q1"] * 3,
    ...                       "exploitation_type": ["labour", "sexual", "labour"],
    ...                       "count": [3, 2, 4], "cell_key": [1, 2, 3]})
    >>> detected_from_cells(cells, ["area_code", "quarter"], quarters=["2024Q1", "2024Q2"],
    ...                     where={"exploitation_type": "labour"})["detected"].tolist()
    [3, 0, 4, 0]
    """
    keys = list(keys)
    frame = cells
    for column, value in (where or {}).items():
        frame = frame[frame[column].astype(str) == str(value)]
    levels = {}
    for column, chosen in (("quarter", quarters), ("area_code", area_codes)):
        if chosen is not None:
            frame = frame[frame[column].astype(str).isin([str(v) for v in chosen])]
            levels[column] = [str(v) for v in chosen]
    missing = [c for c in keys if c not in frame.columns]
    if missing:
        raise DarkFigureError(f"the counted cells lack column(s) {missing}")
    sums = frame.assign(**{c: frame[c].astype(str) for c in keys}).groupby(keys)["count"].sum()
    grid = [levels.get(c, sorted(frame[c].astype(str).unique())) for c in keys]
    out = (sums.reindex(pd.MultiIndex.from_product(grid, names=keys), fill_value=0)
           .rename("detected").reset_index())
    out["detected"] = out["detected"].astype(int)
    return out.sort_values(keys, ignore_index=True)


def new_victim_rows(con: duckdb.DuckDBPyConnection, selection: Selection,
                    columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The selected new victims, one row each (for estimators that need records, e.g. the
    headline's trend model over one area): ``columns`` of the table, default all."""
    columns = list(columns or COLUMNS)
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise DarkFigureError(f"new victims have no column(s) {unknown}")
    where, params = selection.clauses()
    frame = _query(con, selection.snapshot,
                   f"SELECT {', '.join(columns)} FROM {{source}} WHERE {where} "
                   "ORDER BY referral_date, agency, record_id", params)
    if "referral_date" in frame:
        frame["referral_date"] = pd.to_datetime(frame["referral_date"])
    return frame


def stored_quarters(con: duckdb.DuckDBPyConnection, snapshot: int | None = None) -> list[str]:
    """Every quarter holding a new victim, in order."""
    rows = _query(con, snapshot, "SELECT DISTINCT quarter FROM {source} ORDER BY quarter", [])
    return rows["quarter"].tolist()


def stored_areas(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every district code holding a new victim, in order."""
    rows = _query(con, None, "SELECT DISTINCT area_code FROM {source} "
                  "WHERE area_code IS NOT NULL ORDER BY area_code", [])
    return rows["area_code"].tolist()
