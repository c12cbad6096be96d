"""The table builder: any two dimensions of detected people, filtered, protected cell by cell.

A view is rows x columns (each one of :data:`DIMENSIONS`), filters (``DIM=VALUE``, several
values of one dimension meaning "any of them"), a period of whole quarters and an area (a
district or a police force area; default the home area, as on the dashboard). It counts
**people**: the referrals the view selects, each linked person once at their first referral
among them (what every detected count on the dashboard counts,
:func:`analysis.tables.first_detections`).

The aggregation runs in DuckDB: first detections by a window function, then counts and cell
keys (sum of record keys, :data:`analysis.disclosure.keys.RECORD_KEY_SQL`) for every cell
and every margin at once with ``GROUPING SETS``, so each total is counted from the records.
:func:`analysis.disclosure.protect_cells` then turns counts and keys into shown values. The
``darkfigure table`` command and the dashboard's table export both call
:func:`build_table`, so they print the same numbers for the same view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import duckdb
import numpy as np
import pandas as pd

from analysis.disclosure.cellkey import (
    COUNT,
    PROTECTED,
    TOTAL,
    ProtectedTable,
    check_mode,
    protect_cells,
)
from analysis.disclosure.keys import IDENTITY_SQL, KEY_MODULUS, RECORD_KEY_SQL
from analysis.disclosure.markers import SUFFIX
from analysis.disclosure.ptable import perturbation_table
from analysis.errors import DarkFigureError

#: Dimensions a table can be built on, with the SQL that reads each from a referral.
DIMENSIONS = {
    "area": "area_code",
    "quarter": "quarter",
    "year": "substr(quarter, 1, 4)",
    "sector": "sector",
    "exploitation_type": "exploitation_type",
    "age_group": "age_group",
    "sex": "sex",
    "nationality_group": "nationality_group",
    "agency_type": "agency_type",
}
UNIT = "people detected (each person once, at their first referral in the view)"


@dataclass(frozen=True)
class TableView:
    """One table-builder view: rows, optional columns, filters (area among them), period."""

    rows: str
    columns: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    period: str | None = None

    def check(self) -> TableView:
        """Raise a clear error for an unknown dimension or a repeated one."""
        for name in [self.rows, self.columns, *(d for d, _ in self.filters)]:
            if name is not None and name not in DIMENSIONS:
                raise DarkFigureError(f"unknown dimension '{name}': use one of "
                                      f"{', '.join(DIMENSIONS)}")
        if self.columns is not None and self.columns == self.rows:
            raise DarkFigureError("--rows and --columns must be different dimensions")
        return self


@dataclass(frozen=True)
class BuiltTable:
    """A protected table for a view, with the quarters and districts it covers."""

    view: TableView
    area: str
    quarters: tuple[str, ...]
    table: ProtectedTable
    labels: dict = field(default_factory=dict, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The table as exported: rows x columns of formatted counts, ``Total`` margins."""
        wide = self.table.wide(self.view.rows, self.view.columns)
        wide[self.view.rows] = [self.labels.get(v, v) for v in wide[self.view.rows]]
        return wide

    def title(self) -> str:
        """What the numbers are: unit, area, period, filters and protection."""
        filters = "; ".join(f"{d} = {v}" for d, v in self.view.filters if d != "area")
        period = f"{self.quarters[0]} to {self.quarters[-1]}" if self.quarters else "no data"
        protection = ("exact counts (analyst mode: not for publication)"
                      if self.table.mode != PROTECTED else
                      "every count perturbed by up to 2 (cell-key method); [c]: below "
                      f"{self.table.threshold} after perturbation")
        return (f"{UNIT.capitalize()}; {self.labels.get(self.area, self.area)}; {period}"
                f"{'; ' + filters if filters else ''}. {protection}.")


def parse_filters(texts: Iterable[str] | None) -> tuple[tuple[str, str], ...]:
    """``["sector=car_wash", ...]`` to ``(("sector", "car_wash"), ...)``, checked.

    Examples
    --------
    >>> parse_filters(["sector=car_wash", "age_group = child"])
    (('sector', 'car_wash'), ('age_group', 'child'))
    """
    out = []
    for text in texts or ():
        name, sep, value = str(text).partition("=")
        if not sep or not name.strip() or not value.strip():
            raise DarkFigureError(f"filter '{text}' is not DIM=VALUE (e.g. sector=car_wash)")
        out.append((name.strip(), value.strip()))
    TableView(rows="area", filters=tuple(out)).check()
    return tuple(out)


def _levels(name: str, districts: list[str], quarters: list[str]) -> list[str]:
    from analysis import schema

    return {
        "area": districts,
        "quarter": quarters,
        "year": sorted({q[:4] for q in quarters}),
        "sector": list(schema.SECTORS),
        "exploitation_type": list(schema.EXPLOITATION_TYPES),
        "age_group": list(schema.AGE_GROUPS),
        "sex": list(schema.SEXES),
        "nationality_group": list(schema.NATIONALITY_GROUPS),
        "agency_type": list(schema.AGENCY_TYPES),
    }[name]


def view_scope(view: TableView, home_area: str) -> tuple[str, list[str]]:
    """The area a view covers (its ``area`` filters, else the home area) and its districts.

    Examples
    --------
    >>> view_scope(TableView("sector", filters=(("area", "E06000016"),)), "E23000021")
    ('E06000016', ['E06000016'])
    """
    areas = [v for d, v in view.filters if d == "area"] or [home_area]
    districts = sorted({d for a in areas for d in _districts(a)})
    return ", ".join(areas), districts


@lru_cache(maxsize=256)
def _districts(area: str) -> tuple[str, ...]:
    from analysis.detection import districts_of  # reads the bundled areas reference

    return tuple(districts_of(area))


def _where(view: TableView, quarters: list[str], districts: list[str]) -> tuple[str, list]:
    clauses, params = ["area_code IN (SELECT unnest(?))", "quarter IN (SELECT unnest(?))"], [
        districts, quarters]
    by_dim: dict[str, list[str]] = {}
    for name, value in view.filters:
        if name != "area":
            by_dim.setdefault(name, []).append(value)
    for name, values in by_dim.items():
        allowed = _levels(name, districts, quarters)
        bad = [v for v in values if v not in allowed]
        if bad:
            raise DarkFigureError(f"filter {name}={bad[0]} is not a value of {name} in this "
                                  f"view: use one of {', '.join(allowed)}")
        clauses.append(f"{DIMENSIONS[name]} IN (SELECT unnest(?))")
        params.append(values)
    return " AND ".join(clauses), params


_KEYED = (f"SELECT *, {IDENTITY_SQL} AS _identity, {RECORD_KEY_SQL} AS _key "
          "FROM _frame")


@contextmanager
def _connection(referrals):
    """A DuckDB cursor on table ``referrals`` with each row's ``_identity`` and record
    ``_key`` (a frame is loaded into a new in-memory database; a connection made by
    :func:`referral_source` is reused)."""
    if isinstance(referrals, duckdb.DuckDBPyConnection):
        cursor = referrals.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
        return
    con = referral_source(referrals)
    try:
        yield con
    finally:
        con.close()


def referral_source(referrals: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database holding ``referrals`` with their record keys.

    Build it once (e.g. per store version) and pass it to :func:`build_table` in place of
    the frame, so the keys are hashed once rather than per table; close it when done.
    """
    con = duckdb.connect()
    con.register("_frame", referrals)
    con.execute(f"CREATE TABLE referrals AS {_KEYED}")
    con.unregister("_frame")
    return con


def count_cells(referrals, view: TableView, quarters: Sequence[str],
                districts: Sequence[str]) -> pd.DataFrame:
    """True counts and cell keys of every cell and margin of a view (DuckDB aggregates).

    Returns the dimension columns (``Total`` in a margin), ``count`` and ``cell_key``; cells
    with nobody in them are absent (count 0).
    """
    dims = [d for d in (view.rows, view.columns) if d is not None]
    where, params = _where(view, list(quarters), list(districts))
    select = ", ".join(f"{DIMENSIONS[d]} AS {d}" for d in dims)
    grouping = "(" + ", ".join(dims) + ")"
    sets = [grouping] + [f"({d})" for d in dims if len(dims) > 1] + ["()"]
    with _connection(referrals) as con:
        firsts = _first_records_sql(con)
    sql = f"""
        WITH firsts AS ({firsts})
        SELECT {", ".join(dims)},
               {", ".join(f"grouping({d}) AS _g_{d}" for d in dims)},
               count(*) AS {COUNT},
               (sum(_key) % {KEY_MODULUS})::UBIGINT AS cell_key
        FROM (SELECT {select}, _key FROM firsts WHERE {where})
        GROUP BY GROUPING SETS ({", ".join(sets)})"""
    with _connection(referrals) as con:
        cells = con.execute(sql, params).df()
    for d in dims:
        cells[d] = cells[d].astype(object).where(cells.pop(f"_g_{d}") == 0, TOTAL)
    cells[COUNT] = cells[COUNT].astype(np.int64)
    # an empty view still has its grand total row, with a null sum: nobody, key 0
    cells["cell_key"] = cells["cell_key"].astype("UInt64").fillna(0).astype(np.uint64)
    return cells


def _first_records_sql(con) -> str:
    """Each person's first-ever record among all the rows on ``con``, found *before* the
    view's filters (a person first seen elsewhere or earlier is not a new victim): the
    store's ``new_victims`` table when the connection is a store's, else computed."""
    from analysis.store.database import has_table
    from analysis.store.new_victims import TABLE

    if has_table(con, TABLE):
        return f"SELECT *, record_key AS _key FROM {TABLE}"
    return ("SELECT * FROM referrals QUALIFY row_number() OVER (PARTITION BY _identity "
            "ORDER BY referral_date, agency, record_id) = 1")


def build_table(referrals, view: TableView, *, home_area: str,
                mode: str = PROTECTED, threshold: int | None = None,
                area_names: dict[str, str] | None = None) -> BuiltTable:
    """The protected table of a view from stored referrals (a pure function).

    Parameters
    ----------
    referrals : DataFrame or DuckDB connection
        Stored referrals (:meth:`analysis.store.Store.referrals`), at least those of the
        view's area and period, or a connection from :func:`referral_source` holding them.
    view : TableView
    home_area : str
        Area used when the view names none (the dashboard's home area).
    mode : {"protected", "exact"}
    threshold : int, optional
    area_names : dict, optional
        District code -> name for the row or column labels.

    Returns
    -------
    BuiltTable
    """
    check_mode(mode)
    view.check()
    area, districts = view_scope(view, home_area)
    quarters = _view_quarters(referrals, view, districts)
    dims = [d for d in (view.rows, view.columns) if d is not None]
    cells = count_cells(referrals, view, quarters, districts) if quarters else pd.DataFrame(
        columns=[*dims, COUNT, "cell_key"])
    grid = [_levels(d, districts, quarters) + [TOTAL] for d in dims]
    index = pd.MultiIndex.from_product(grid, names=dims)
    cells.index = pd.MultiIndex.from_frame(cells[dims].astype(object))
    # nullable types: a plain reindex would turn the 64-bit keys into floats and round them
    cells = cells.drop(columns=dims).astype({COUNT: "Int64", "cell_key": "UInt64"}).reindex(index)
    cells[COUNT] = cells[COUNT].fillna(0).astype(np.int64)
    cells["cell_key"] = cells["cell_key"].fillna(0).astype(np.uint64)
    cells = cells.reset_index()
    table = perturbation_table(threshold)
    out = cells[dims].copy()
    out[COUNT] = protect_cells(cells[COUNT], cells["cell_key"], mode=mode, table=table)
    out[COUNT + SUFFIX] = out[COUNT].isna().to_numpy()
    labels = dict(area_names or {})
    return BuiltTable(view, area, tuple(quarters),
                      ProtectedTable(out, tuple(dims), mode, table.threshold), labels)


def _view_quarters(referrals, view: TableView, districts: list[str]) -> list[str]:
    from analysis.periods import parse_period_range, quarter_range

    start, end = parse_period_range(view.period)
    if start is None or end is None:
        with _connection(referrals) as con:
            low, high = con.execute("SELECT min(quarter), max(quarter) FROM referrals "
                                    "WHERE area_code IN (SELECT unnest(?))",
                                    [districts]).fetchone()
        if low is None:
            return quarter_range(start or end, end or start) if (start or end) else []
        start, end = start or low, end or high
    return quarter_range(start, end)


def query_table(view: TableView, *, store: str | None = None, mode: str = PROTECTED,
                threshold: int | None = None) -> BuiltTable:
    """Open the store read-only and build the view's protected table (the I/O edge)."""
    from analysis import config
    from analysis.reference import read_areas
    from analysis.store import Store

    view.check()
    home = config.get_setting("home_area")
    areas = read_areas()
    names = dict(zip(areas["lad_code"], areas["lad_name"], strict=False))
    names.update(dict(zip(areas["pfa_code"], areas["pfa_name"], strict=False)))
    # counted in the store (its new_victims table): the same people as every page counts
    with Store(store, read_only=True) as opened:
        return build_table(opened.connection, view, home_area=home, mode=mode,
                           threshold=threshold, area_names=names)
