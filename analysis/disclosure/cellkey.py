"""The protection layer: record-level rows (or counts with cell keys) in, shown counts out.

Every count of people taken from stored referrals passes through one of
:func:`protect_count` (one number: a headline tile, a sentence, an MSE observed count),
:func:`protect_table` (a table, chart series or heatmap, with margins if shown) or
:func:`protect_cells` (counts and cell keys aggregated elsewhere, e.g. in DuckDB), and is
formatted for people by :func:`format_count`. Nothing else formats a record-level count.

Rules (docs/methods/disclosure.md): every count is perturbed by the published table
(:func:`analysis.disclosure.ptable.perturbation_table`) at the row its cell key selects, by
at most 2; a perturbed count below the threshold (5 by default) is ``[c]``, so empty cells,
1s and 2s are always ``[c]`` and an empty cell cannot be told from one with people in it. A
total is a cell of its own, counted from the records, never the sum of shown cells.

Audiences: ``mode="protected"`` (the default) is what viewers, exports and the board pack
get. ``mode="exact"`` returns the true counts, for analysts working under the data-sharing
agreement who ask for them explicitly (the dashboard logs the switch); the result carries
its mode so an exact table is never mistaken for a protected one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd

from analysis.disclosure.keys import KEY_MODULUS, cell_keys
from analysis.disclosure.markers import SUFFIX, SUPPRESSED_MARKER
from analysis.disclosure.ptable import PerturbationTable, draws, perturbation_table
from analysis.errors import DarkFigureError

PROTECTED = "protected"
EXACT = "exact"
MODES = (PROTECTED, EXACT)
TOTAL = "Total"
COUNT = "count"


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is ``"protected"`` or ``"exact"``; a clear error otherwise.

    Examples
    --------
    >>> check_mode("protected")
    'protected'
    """
    if mode not in MODES:
        raise DarkFigureError(f"unknown disclosure mode {mode!r}: use 'protected' (default) "
                              "or 'exact' (analysts under the data-sharing agreement only)")
    return mode


@dataclass(frozen=True)
class ProtectedCount:
    """One count as it may be shown: ``value`` is None when it is ``[c]``.

    The true count is not kept (in protected mode), so nothing downstream can show it.
    """

    value: int | None
    mode: str = PROTECTED

    @property
    def suppressed(self) -> bool:
        """True when the count is shown as ``[c]``."""
        return self.value is None

    def __str__(self) -> str:
        return format_count(self)

    def to_frame(self) -> pd.DataFrame:
        """One row: ``count`` (nullable), ``count_suppressed``, ``mode``."""
        return pd.DataFrame({COUNT: pd.array([self.value], dtype="Int64"),
                             COUNT + SUFFIX: [self.suppressed], "mode": [self.mode]})


@dataclass(frozen=True)
class ProtectedTable:
    """A table of protected counts in long form, margins (if asked for) labelled ``Total``.

    ``table`` holds the ``by`` columns, ``count`` (nullable Int64; missing when ``[c]``)
    and ``count_suppressed`` (bool), the layout :func:`format_suppressed` and the exports
    already understand.
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    mode: str
    threshold: int

    def to_frame(self) -> pd.DataFrame:
        """The long table (a copy)."""
        return self.table.copy()

    def formatted(self, *, grouping: bool = False) -> pd.DataFrame:
        """The long table with ``count`` as text (``[c]`` for hidden counts), flag dropped."""
        out = self.table.drop(columns=[COUNT + SUFFIX])
        out[COUNT] = format_counts(self.table[COUNT], grouping=grouping)
        return out

    def wide(self, rows: str, columns: str | None = None, *,
             grouping: bool = False) -> pd.DataFrame:
        """Rows x columns of formatted counts, in the order of the levels.

        Examples
        --------
        >>> people = pd.DataFrame({"person_key": list("abcdefgh"), "agency": "x",
        ...     "record_id": list("12345678"), "sex": ["female"] * 6 + ["male"] * 2})
        >>> protect_table(people, "sex", mode="exact", margins=True).wide("sex").values.tolist()
        [['female', '6'], ['male', '2'], ['Total', '8']]
        """
        if columns is None:
            out = self.formatted(grouping=grouping)[[rows, COUNT]]
            return out.reset_index(drop=True)
        text = self.formatted(grouping=grouping)
        order_r = list(dict.fromkeys(text[rows]))
        order_c = list(dict.fromkeys(text[columns]))
        wide = text.pivot(index=rows, columns=columns, values=COUNT)
        wide = wide.reindex(index=order_r, columns=order_c)
        wide.columns.name = None
        return wide.reset_index()


def _as_array(values) -> np.ndarray:
    return np.asarray(pd.to_numeric(pd.Series(values), errors="raise"), dtype=np.int64)


def protect_cells(counts, keys, *, mode: str = PROTECTED, threshold: int | None = None,
                  table: PerturbationTable | None = None) -> pd.arrays.IntegerArray:
    """Protected values of cells given their true counts and cell keys.

    Parameters
    ----------
    counts : array-like of int
        True counts (people) of the cells.
    keys : array-like of uint64
        Their cell keys (sum of record keys mod 2**64, :func:`cell_keys`); ignored in
        exact mode.
    mode : {"protected", "exact"}
    threshold : int, optional
        Default :func:`analysis.config.suppression_threshold`.
    table : PerturbationTable, optional
        Default :func:`perturbation_table` for the threshold.

    Returns
    -------
    Nullable Int64 array: the shown counts, missing where ``[c]``.

    Examples
    --------
    >>> out = protect_cells([0, 2, 40], np.array([0, 11, 12], dtype=np.uint64), threshold=5)
    >>> out[0] is pd.NA, out[1] is pd.NA, abs(int(out[2]) - 40) <= 2
    (True, True, True)
    >>> protect_cells([0, 2, 40], [0, 11, 12], mode="exact").tolist()
    [0, 2, 40]
    """
    check_mode(mode)
    counts = _as_array(counts)
    if (counts < 0).any():
        raise DarkFigureError("counts must not be negative")
    if mode == EXACT:
        return pd.array(counts, dtype="Int64")
    table = table or perturbation_table(threshold)
    keys = np.asarray(keys, dtype=np.uint64)
    if len(keys) != len(counts):
        raise DarkFigureError("one cell key per count is needed")
    shown = np.full(len(counts), np.nan)
    # counts that cannot reach the threshold whatever the noise are [c] without a draw
    reach = counts >= max(table.threshold - table.max_noise, 1)
    if reach.any():
        shown[reach] = table.shown(counts[reach], draws(keys[reach]))
    return pd.array([pd.NA if np.isnan(v) else int(v) for v in shown], dtype="Int64")


def protect_count(people: pd.DataFrame, *, mode: str = PROTECTED,
                  threshold: int | None = None) -> ProtectedCount:
    """One protected count from the rows of the people it counts.

    Parameters
    ----------
    people : DataFrame
        The rows of the people counted, with ``person_key``, ``agency`` and ``record_id``
        or a ``record_key`` column derived at load (e.g. the view's first detections, or
        every referral of an MSE table: each person counts once). Use it for a headline, a
        sentence, an MSE observed count.
    mode : {"protected", "exact"}
    threshold : int, optional

    Examples
    --------
    >>> people = pd.DataFrame({"person_key": ["a", "b", "c"], "agency": "x",
    ...                        "record_id": ["1", "2", "3"]})
    >>> str(protect_count(people, threshold=5)), str(protect_count(people, mode="exact"))
    ('[c]', '3')
    """
    check_mode(mode)
    cell = cell_keys(people, [])
    count, key = int(cell[COUNT].iloc[0]), cell["cell_key"].to_numpy()
    if mode == EXACT:
        return ProtectedCount(count, EXACT)
    value = protect_cells([count], key, threshold=threshold)[0]
    return ProtectedCount(None if value is pd.NA else int(value), PROTECTED)


def _levels(people: pd.DataFrame, by: list[str],
            levels: Mapping[str, Sequence] | None) -> list[list]:
    levels = dict(levels or {})
    unknown = set(levels) - set(by)
    if unknown:
        raise DarkFigureError(f"levels given for column(s) not counted by: {sorted(unknown)}")
    return [list(levels[c]) if c in levels else sorted(people[c].dropna().unique().tolist())
            for c in by]


def protect_table(people: pd.DataFrame, by: str | Sequence[str], *,
                  levels: Mapping[str, Sequence] | None = None, margins: bool = False,
                  mode: str = PROTECTED, threshold: int | None = None) -> ProtectedTable:
    """Protected counts of people by ``by``, over the full grid of levels, with margins.

    Parameters
    ----------
    people : DataFrame
        One row per person counted (``person_key``, ``agency``, ``record_id`` or
        ``record_key``, and the ``by`` columns).
    by : str or list of str
        One or two (or more) columns, e.g. ``"quarter"`` for a chart series or
        ``["area_code", "sector"]`` for a heatmap.
    levels : mapping, optional
        The categories to show per column (every district, every quarter of the period);
        missing combinations are empty cells (``[c]``). Default: the values present.
    margins : bool
        Add every margin: each column's level totalled over the others, labelled ``Total``,
        and the grand total. Each margin is a cell counted from the people, so it is
        perturbed on its own and never the sum of shown cells.
    mode : {"protected", "exact"}
    threshold : int, optional

    Returns
    -------
    ProtectedTable

    Examples
    --------
    >>> people = pd.DataFrame({"person_key": [f"p{i}" for i in range(30)], "agency": "x",
    ...     "record_id": [str(i) for i in range(30)],
    ...     "sector": ["care"] * 24 + ["farm"] * 6, "age_group": ["adult"] * 28 + ["child"] * 2})
    >>> t = protect_table(people, ["sector", "age_group"], margins=True, threshold=5)
    >>> t.wide("sector", "age_group")["child"].tolist()
    ['[c]', '[c]', '[c]']
    """
    check_mode(mode)
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise DarkFigureError("protect_table needs at least one column to count by")
    missing = [c for c in by if c not in people.columns]
    if missing:
        raise DarkFigureError(f"the rows lack column(s) {missing}")
    grid = _levels(people, by, levels)
    frame = people.copy()
    for column, values in zip(by, grid, strict=True):
        frame[column] = frame[column].astype(object)
        frame = frame[frame[column].isin(values)]
    sums: dict[tuple, tuple[int, int]] = {}
    for kept in ([list(s) for s in _subsets(by)] if margins else [by]):
        if not len(frame):
            continue
        counted = cell_keys(frame, kept)
        values = zip(*(counted[c].tolist() if c in kept else [TOTAL] * len(counted)
                       for c in by), strict=True)
        sums.update(zip(values, zip(counted[COUNT].tolist(), counted["cell_key"].tolist(),
                                    strict=True), strict=True))
    return _shown(sums, by, grid, margins, mode, threshold)


def protect_cell_table(cells: pd.DataFrame, by: str | Sequence[str], *,
                       levels: Mapping[str, Sequence] | None = None, margins: bool = False,
                       mode: str = PROTECTED, threshold: int | None = None) -> ProtectedTable:
    """:func:`protect_table` from counts already aggregated (e.g. in DuckDB).

    ``cells`` hold the ``by`` columns, ``count`` and ``cell_key`` (the sum of the cell's
    record keys modulo 2**64) of cells that *partition* the people counted: each person in
    exactly one cell, as one row per new victim gives. Then a margin's count and key are
    the sums of its cells' (keys modulo 2**64), so the table, its margins and its shown
    counts are exactly those :func:`protect_table` gives from the people themselves.

    Examples
    --------
    >>> people = pd.DataFrame({"person_key": [f"p{i}" for i in range(30)], "agency": "x",
    ...     "record_id": [str(i) for i in range(30)],
    ...     "sector": ["care"] * 24 + ["farm"] * 6, "age_group": ["adult"] * 28 + ["child"] * 2})
    >>> cells = cell_keys(people, ["sector", "age_group"])
    >>> a = protect_cell_table(cells, ["sector", "age_group"], margins=True).to_frame()
    >>> b = protect_table(people, ["sector", "age_group"], margins=True).to_frame()
    >>> a.equals(b)
    True
    """
    check_mode(mode)
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise DarkFigureError("protect_cell_table needs at least one column to count by")
    missing = [c for c in (*by, COUNT, "cell_key") if c not in cells.columns]
    if missing:
        raise DarkFigureError(f"the cells lack column(s) {missing}")
    grid = _levels(cells, by, levels)
    wanted = [set(values) for values in grid]
    finest: dict[tuple, tuple[int, int]] = {}
    columns = [cells[c].tolist() for c in by]
    for *values, count, key in zip(*columns, cells[COUNT].tolist(), cells["cell_key"].tolist(),
                                   strict=True):
        if all(v in w for v, w in zip(values, wanted, strict=True)):
            old = finest.get(tuple(values), (0, 0))
            finest[tuple(values)] = (old[0] + int(count), (old[1] + int(key)) % KEY_MODULUS)
    sums = dict(finest)
    if margins:
        for kept in _subsets(by):
            if len(kept) == len(by):
                continue
            for values, (count, key) in finest.items():
                margin = tuple(v if c in kept else TOTAL for c, v in zip(by, values,
                                                                          strict=True))
                old = sums.get(margin, (0, 0))
                sums[margin] = (old[0] + count, (old[1] + key) % KEY_MODULUS)
    return _shown(sums, by, grid, margins, mode, threshold)


def _shown(sums: Mapping[tuple, tuple[int, int]], by: list[str], grid: list[list],
           margins: bool, mode: str, threshold: int | None) -> ProtectedTable:
    """The protected table over the full grid (every margin after its level, ``Total``
    last in each column) from the (count, cell key) of each non-empty cell."""
    rows = []
    for values in product(*(list(g) + ([TOTAL] if margins else []) for g in grid)):
        rows.append(values)
    counts = [sums.get(v, (0, 0))[0] for v in rows]
    keys = np.array([sums.get(v, (0, 0))[1] for v in rows], dtype=np.uint64)
    table = perturbation_table(threshold)
    shown = protect_cells(counts, keys, mode=mode, table=table)
    out = pd.DataFrame(rows, columns=by, dtype=object) if rows else pd.DataFrame(
        {c: pd.Series(dtype=object) for c in by})
    out[COUNT] = shown
    out[COUNT + SUFFIX] = out[COUNT].isna().to_numpy()
    return ProtectedTable(out, tuple(by), mode, table.threshold)


def _subsets(by: list[str]):
    """Every subset of ``by`` (all of it first, the empty set last), kept in order."""
    n = len(by)
    for size in range(n, -1, -1):
        for mask in range(2**n):
            if bin(mask).count("1") == size:
                yield tuple(c for i, c in enumerate(by) if mask >> i & 1)


def format_count(value, *, grouping: bool = True) -> str:
    """A protected count for people to read: ``[c]`` when hidden, else the whole number.

    Accepts a :class:`ProtectedCount`, an int, or None/NA (hidden). ``grouping`` puts
    thousands separators in (on for pages and the pack; off for CSV).

    Examples
    --------
    >>> format_count(ProtectedCount(1234)), format_count(None), format_count(7, grouping=False)
    ('1,234', '[c]', '7')
    """
    if isinstance(value, ProtectedCount):
        value = value.value
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return SUPPRESSED_MARKER
    number = int(round(float(value)))
    return f"{number:,}" if grouping else str(number)


def format_counts(values, *, grouping: bool = False) -> pd.Series:
    """:func:`format_count` over a column (returns text, ``[c]`` where missing).

    Examples
    --------
    >>> format_counts(pd.array([5, pd.NA], dtype="Int64")).tolist()
    ['5', '[c]']
    """
    series = pd.Series(values)
    return pd.Series([format_count(v, grouping=grouping) for v in series], index=series.index,
                     dtype=object)
