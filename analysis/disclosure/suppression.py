"""Small-number suppression with primary and secondary (complementary) cell suppression.

The earlier, per-table layer, kept for published tables rearranged by hand. Counts of
people from stored referrals go through the cell-key layer (:mod:`analysis.disclosure.cellkey`):
per-table suppression cannot stay consistent across the free filters of a table builder.

Method
------
After GSS/GSR, *Disclosure Control Guidance for Tables Produced from Administrative Sources*
(2014) and Hundepool et al., *Statistical Disclosure Control* (Wiley, 2012), chapter 4:

1. **Primary suppression**: a count ``1 <= n < threshold`` is hidden (threshold from
   :func:`analysis.config.suppression_threshold`, default 5). A zero is *not* hidden by
   default: in an aggregate table a zero reveals only that nobody fell in the cell, which
   the GSS guidance treats as non-disclosive unless the zero itself is sensitive (e.g. a
   "group disclosure" of everyone in a row); ``zero_is_disclosive=True`` hides zeros too.
2. **Secondary suppression**: a hidden cell must not be recoverable from totals. Every line
   of the table (a group of cells that adds up to a total, whether that total is printed in
   the table or not) must hold no hidden cell or at least two. Complements are chosen as
   the smallest non-zero visible count in the line (a zero only when nothing else is left),
   repeating until stable.
3. **Audit**: "two per line" is necessary but not sufficient (in a two-way table a hidden
   cell joining two otherwise separate patterns can still be solved). So the hidden cells
   are audited as unknowns of the linear system the published values define, as in
   Statistics Norway's GaussSuppression (Langsrud 2024, *Secondary cell suppression by
   Gaussian elimination*, PSD 2024) and the US FCSM Working Paper 22 (1994) audit: a hidden
   cell is *determined* when its unit vector lies in the row space of the constraint matrix
   (every null-space vector has a zero in its place). Each determined cell gets one more
   complement until none is determined. Because every hidden count is positive, an
   undetermined cell can move both ways, so its feasible range has positive width.

Differencing ("two filtered views")
-----------------------------------
A dashboard that shows a filtered total for {nail bar, car wash} and another for {car wash}
gives away the nail bar count by subtraction, even though neither view holds a small number.
The rule here: **a filtered total is shown only if it is already implied by the protected
table** (:func:`protected_total`): its hidden part must be a combination of published
totals, i.e. orthogonal to the null space of the hidden cells' constraint matrix. Totals of
whole lines, sums of visible cells and sums of those are shown; a selection that splits the
hidden cells of a line is ``[c]``. Since every shown number is then a linear function of the
protected table, any number of views reveals no more than the audited table itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import config
from analysis.disclosure.markers import SUFFIX, format_suppressed  # noqa: F401 (doctests)
from analysis.errors import DarkFigureError

_VIRTUAL_TOTAL = "__total__"
_TOL = 1e-9


class DisclosureError(DarkFigureError):
    """A table cannot be protected as laid out (e.g. a hidden cell equals a printed total)."""


@dataclass
class _System:
    """Cells of a table and the lines (groups of cells adding to a total) that bind them."""

    cells: list[tuple[int, str]]          # (row position, column)
    values: np.ndarray                    # float, nan where the input was missing
    lines: list[tuple[list[int], int | None]]   # (member cells, explicit margin cell or None)

    def constraint_matrix(self, hidden: np.ndarray) -> np.ndarray:
        cols = np.flatnonzero(hidden)
        where = {c: j for j, c in enumerate(cols)}
        rows = []
        for members, margin in self.lines:
            row = np.zeros(len(cols))
            for m in members:
                if m in where:
                    row[where[m]] += 1.0
            if margin is not None and margin in where:
                row[where[margin]] -= 1.0
            if row.any():
                rows.append(row)
        return np.array(rows).reshape(len(rows), len(cols))


def _null_space(matrix: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the null space, one vector per column."""
    n = matrix.shape[1]
    if matrix.shape[0] == 0:
        return np.eye(n)
    _, s, vt = np.linalg.svd(matrix)
    rank = int((s > _TOL * max(1.0, s.max(initial=0.0))).sum())
    return vt[rank:].T


def _row_mask(table: pd.DataFrame, rows) -> np.ndarray:
    if rows is None:
        return np.zeros(len(table), dtype=bool)
    if isinstance(rows, pd.Series) and rows.dtype == bool:
        return rows.reindex(table.index).fillna(False).to_numpy(dtype=bool)
    arr = np.asarray(rows)
    if arr.dtype == bool:
        if len(arr) != len(table):
            raise ValueError("a boolean row selection must have one entry per table row")
        return arr
    return table.index.isin(list(rows))


def _build_system(table: pd.DataFrame, count_columns: list[str], group_columns: list[str],
                  total_rows: np.ndarray, total_column: str | None) -> _System:
    """Cells and lines, with every total the reader could be shown made explicit.

    Totals the table does not print (group totals, row totals across several count columns,
    the overall total over groups) are added as virtual cells: readers may see them
    elsewhere (through :func:`protected_total`), so they are constraints and, when small,
    cells to protect; a small total recoverable by differencing other totals is caught by
    the same audit.
    """
    for col in count_columns + ([total_column] if total_column else []):
        if col not in table.columns:
            raise KeyError(f"count column {col!r} not in table")
    counts = np.column_stack([pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
                              for c in count_columns])
    names = list(count_columns)
    if total_column or len(count_columns) > 1:
        names.append(total_column or _VIRTUAL_TOTAL)
        row_total = (pd.to_numeric(table[total_column], errors="coerce").to_numpy(dtype=float)
                     if total_column else counts.sum(axis=1))
        counts = np.column_stack([counts, row_total])
    if np.any(counts[~np.isnan(counts)] < 0):
        raise DisclosureError("counts must not be negative")
    grid = list(counts)
    if group_columns:
        groups = [np.asarray(p) for p in
                  table.groupby(group_columns, sort=False, dropna=False).indices.values()]
    else:
        groups = [np.arange(len(table))]
    width = len(names)

    def cell(r: int, j: int) -> int:
        return r * width + j

    lines: list[tuple[list[int], int | None]] = []
    group_totals = []
    for positions in groups:
        totals = positions[total_rows[positions]]
        interior = positions[~total_rows[positions]]
        if len(totals) > 1:
            raise DisclosureError("a group holds more than one total row")
        if len(totals):
            total = int(totals[0])
        else:
            grid.append(counts[interior].sum(axis=0))
            total = len(grid) - 1
        group_totals.append(total)
        lines += [([cell(r, j) for r in interior], cell(total, j)) for j in range(width)]
    if len(groups) > 1:
        grid.append(np.sum([grid[t] for t in group_totals], axis=0))
        lines += [([cell(t, j) for t in group_totals], cell(len(grid) - 1, j))
                  for j in range(width)]
    if width > len(count_columns):
        lines += [([cell(r, j) for j in range(len(count_columns))], cell(r, width - 1))
                  for r in range(len(grid))]
    cells = [(r, c) for r in range(len(grid)) for c in names]
    return _System(cells, np.concatenate(grid).astype(float), lines)


def _choose(system: _System, hidden: np.ndarray, candidates: set[int]) -> int | None:
    """Smallest non-zero visible candidate, else a visible zero (ties: first in the table)."""
    usable = [k for k in candidates if not hidden[k] and not np.isnan(system.values[k])]
    if not usable:
        return None
    return min(usable, key=lambda k: (system.values[k] == 0, system.values[k], k))


def _suppress(system: _System, threshold: int, zero_is_disclosive: bool) -> np.ndarray:
    v = system.values
    low = 0 if zero_is_disclosive else 1
    primary = (v >= low) & (v < threshold)
    hidden = primary | np.isnan(v)   # a missing input is unknown to readers too
    lines_of: dict[int, list[int]] = {}
    for i, (members, margin) in enumerate(system.lines):
        for m in members + ([margin] if margin is not None else []):
            lines_of.setdefault(m, []).append(i)
    while True:
        changed = False
        for members, margin in system.lines:
            everyone = members + ([margin] if margin is not None else [])
            if sum(hidden[m] for m in everyone) == 1:
                # prefer an interior complement; the printed total only as a last resort
                pick = _choose(system, hidden, set(members))
                if pick is None:
                    pick = _choose(system, hidden, set(everyone))
                if pick is not None:
                    hidden[pick] = True
                    changed = True
        if changed:
            continue
        undetermined = _determined(system, hidden)
        if not undetermined.size:
            return hidden
        cell = int(undetermined[0])
        pool = {m for i in lines_of.get(cell, []) for m in
                system.lines[i][0] + ([system.lines[i][1]] if system.lines[i][1] is not None
                                      else [])}
        pick = _choose(system, hidden, pool)
        if pick is None:
            row, col = system.cells[cell]
            raise DisclosureError(
                f"row {row}, column {col!r} can be recovered from the totals however many "
                "cells are hidden; suppress or remove the total that equals it")
        hidden[pick] = True


def _determined(system: _System, hidden: np.ndarray) -> np.ndarray:
    """Hidden cells whose value follows from the published values (cell indices)."""
    cols = np.flatnonzero(hidden)
    if not cols.size:
        return cols
    matrix = system.constraint_matrix(hidden)
    null = _null_space(matrix)
    solved = np.linalg.norm(null, axis=1) < 1e-7 if null.size else np.ones(len(cols), bool)
    known = ~np.isnan(system.values[cols])
    found = cols[solved & known]
    # With every hidden count positive, an unsolved cell can move both ways. A hidden zero
    # sits on its bound and can pin its neighbours (x + y = 0 forces both), so then the
    # bounds are checked too, by linear programming.
    if not found.size and (system.values[cols[known]] == 0).any():
        found = _pinned_by_bounds(system, cols, matrix)
    return found


def _pinned_by_bounds(system: _System, cols: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    from scipy.optimize import linprog  # only needed when zeros are hidden

    values = np.nan_to_num(system.values[cols], nan=0.0)
    rhs = matrix @ values
    pinned = []
    for j, cell in enumerate(cols):
        if np.isnan(system.values[cell]):
            continue
        objective = np.zeros(len(cols))
        objective[j] = 1.0
        kwargs = {"A_eq": matrix, "b_eq": rhs} if matrix.size else {}
        low = linprog(objective, bounds=(0, None), method="highs", **kwargs)
        high = linprog(-objective, bounds=(0, None), method="highs", **kwargs)
        if high.status == 0 and low.status == 0 and -high.fun - low.fun < 1e-6:
            pinned.append(cell)
    return np.array(pinned, dtype=int)


def _prepare(table, count_columns, group_columns, total_rows, total_column):
    count_columns = [count_columns] if isinstance(count_columns, str) else list(count_columns)
    if isinstance(group_columns, str):
        group_columns = [group_columns]
    table = table.reset_index(drop=True) if not table.index.is_unique else table
    mask = _row_mask(table, total_rows)
    system = _build_system(table, count_columns, list(group_columns or []), mask, total_column)
    return table, count_columns, system


def suppress_small_counts(table: pd.DataFrame, count_columns: str | Sequence[str], *,
                          threshold: int | None = None,
                          group_columns: str | Sequence[str] | None = None,
                          total_rows=None, total_column: str | None = None,
                          zero_is_disclosive: bool = False) -> pd.DataFrame:
    """Hide small counts and enough complements that none can be recovered from totals.

    Parameters
    ----------
    table : DataFrame
        Counts from record-level data. Long form (one count column) or wide form (several
        count columns that are categories of one variable, e.g. one column per sector,
        so they add up across a row). Protect unrelated count columns in separate calls.
    count_columns : str or list of str
        The count columns.
    threshold : int, optional
        Counts ``1 <= n < threshold`` are hidden. Default
        :func:`analysis.config.suppression_threshold` (5).
    group_columns : str or list of str, optional
        Rows with equal values here form a group whose cells add to a group total (a line);
        default: the whole table is one group. Each count column is one line per group.
    total_rows : bool mask or index labels, optional
        Rows that hold their group's total (at most one per group). When absent the totals
        are assumed published elsewhere, so they are protected all the same.
    total_column : str, optional
        Column holding each row's total across ``count_columns`` (wide form).
    zero_is_disclosive : bool, default False
        Also hide zeros as primary suppressions.

    Returns
    -------
    DataFrame
        A copy with hidden counts as ``pd.NA`` (nullable ``Int64``) and a bool column
        ``<col>_suppressed`` per count column (and the total column).

    Examples
    --------
    >>> t = pd.DataFrame({"sector": ["car_wash", "nail_bar", "care", "other"],
    ...                   "referral_count": [3, 12, 40, 0]})
    >>> out = suppress_small_counts(t, "referral_count", threshold=5)
    >>> out["referral_count_suppressed"].tolist()
    [True, True, False, False]
    >>> format_suppressed(out)["referral_count"].tolist()
    ['[c]', '[c]', '40', '0']
    """
    threshold = config.suppression_threshold() if threshold is None else int(threshold)
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    original_index = table.index
    table, count_columns, system = _prepare(table, count_columns, group_columns, total_rows,
                                            total_column)
    hidden = _suppress(system, threshold, zero_is_disclosive)
    out = table.copy()
    columns = count_columns + ([total_column] if total_column else [])
    for col in columns:
        out[col] = pd.to_numeric(out[col], errors="coerce").round().astype("Int64")
        flags = np.zeros(len(out), dtype=bool)
        for k, (r, c) in enumerate(system.cells):
            if c == col and r < len(out) and hidden[k] and not np.isnan(system.values[k]):
                flags[r] = True
        out.loc[flags, col] = pd.NA
        out[col + SUFFIX] = flags
    out.index = original_index
    return out


def suppress_series(table: pd.DataFrame, count_column: str, *, time_column: str | None = None,
                    threshold: int | None = None,
                    group_columns: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Protect a time series (e.g. quarterly counts) whose total is shown too.

    The series is a one-way table: its periods add up to the total for the whole span, so a
    single hidden period gets the next smallest period hidden as well. With
    ``group_columns`` (e.g. ``"area_code"``) each area's series is protected separately.
    Filtered period totals (e.g. "last 12 months") go through :func:`protected_total`.

    Examples
    --------
    >>> s = pd.DataFrame({"quarter": ["2024Q1", "2024Q2", "2024Q3", "2024Q4"],
    ...                   "referral_count": [9, 2, 7, 11]})
    >>> suppress_series(s, "referral_count", time_column="quarter", threshold=5)[
    ...     "referral_count_suppressed"].tolist()
    [False, True, True, False]
    """
    ordered = table.sort_values(time_column, kind="stable") if time_column else table
    out = suppress_small_counts(ordered, count_column, threshold=threshold,
                                group_columns=group_columns)
    return out.loc[table.index]


def protected_total(table: pd.DataFrame, count_columns: str | Sequence[str],
                    rows=None, *, columns: Sequence[str] | None = None,
                    threshold: int | None = None,
                    group_columns: str | Sequence[str] | None = None,
                    total_rows=None, total_column: str | None = None,
                    zero_is_disclosive: bool = False):
    """Total of a filtered view, or ``pd.NA`` when showing it would reveal a hidden cell.

    ``table`` is the *unprotected* table (same layout arguments as
    :func:`suppress_small_counts`); ``rows`` selects the view's rows (mask or labels;
    default all non-total rows) and ``columns`` its count columns (default all). The total
    is shown only if it follows from what the protected table already publishes (see the
    module notes on differencing), so no pair of views can be subtracted to expose a cell.

    Examples
    --------
    >>> t = pd.DataFrame({"sector": ["nail_bar", "car_wash", "care", "farm"],
    ...                   "referral_count": [2, 6, 40, 50]})
    >>> protected_total(t, "referral_count", threshold=5)           # the whole line: shown
    98
    >>> protected_total(t, "referral_count", [0, 1, 2], threshold=5)  # 98 - 50: shown
    48
    >>> protected_total(t, "referral_count", [0, 2], threshold=5)     # splits 2 and 6: hidden
    <NA>
    """
    threshold = config.suppression_threshold() if threshold is None else int(threshold)
    table, count_columns, system = _prepare(table, count_columns, group_columns, total_rows,
                                            total_column)
    hidden = _suppress(system, threshold, zero_is_disclosive)
    totals = _row_mask(table, total_rows)
    chosen_rows = ~totals if rows is None else _row_mask(table, rows)
    chosen_cols = set(count_columns if columns is None else columns)
    select = np.array([r < len(table) and chosen_rows[r] and c in chosen_cols
                       for r, c in system.cells])
    if np.isnan(system.values[select]).any():
        return pd.NA
    value = int(round(system.values[select].sum()))
    hidden_cols = np.flatnonzero(hidden)
    weights = select[hidden_cols].astype(float)
    if not weights.any():
        return value
    null = _null_space(system.constraint_matrix(hidden))
    if null.size and np.abs(weights @ null).max() > 1e-7:
        return pd.NA
    if value and value < threshold:
        return pd.NA
    return value
