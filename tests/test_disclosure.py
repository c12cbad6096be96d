"""Small-number suppression: nothing small survives and no hidden cell can be solved back.

The attacker here is independent of analysis.disclosure: a linear programme (scipy linprog)
over every published number, asking for the least and greatest value each hidden cell can
take. A cell is protected when that range has positive width.
"""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from analysis.disclosure import (
    SUPPRESSED_MARKER,
    format_suppressed,
    protected_total,
    suppress_series,
    suppress_small_counts,
)

SECTORS = ["agriculture", "car_wash", "nail_bar", "construction", "hospitality", "care", "other"]


def _random_counts(rng, shape):
    """Counts with plenty of 0s, 1-4s and larger values, as in real area x sector tables."""
    kind = rng.choice(3, size=shape, p=[0.15, 0.35, 0.5])
    small = rng.integers(1, 5, size=shape)
    large = rng.integers(5, 60, size=shape)
    return np.where(kind == 0, 0, np.where(kind == 1, small, large))


def _wide_table(grid, *, with_margins):
    """Area rows x sector columns; with_margins adds a 'Total' row and a 'total' column."""
    cols = SECTORS[: grid.shape[1]]
    t = pd.DataFrame(grid, columns=cols)
    t.insert(0, "area", [f"area{i}" for i in range(len(t))])
    if with_margins:
        t["total"] = t[cols].sum(axis=1)
        total_row = {"area": "Total", **t[cols + ["total"]].sum().to_dict()}
        t = pd.concat([t, pd.DataFrame([total_row])], ignore_index=True)
    return t, cols


def _lp_ranges(full, hidden, extra=()):
    """Min and max of every hidden cell given all published numbers.

    ``full``: true grid including margins (last row and column are totals);
    ``hidden``: bool grid; ``extra``: (weights grid, published value) pairs, e.g. filtered
    views. Returns {(r, c): (low, high)} for hidden cells.
    """
    n_rows, n_cols = full.shape
    unknown = list(zip(*np.nonzero(hidden), strict=True))
    pos = {cell: j for j, cell in enumerate(unknown)}
    equations = []
    for r in range(n_rows):  # each row adds to its total column
        w = np.zeros(full.shape)
        w[r, :-1] = 1
        w[r, -1] = -1
        equations.append((w, 0.0))
    for c in range(n_cols):  # each column adds to the total row
        w = np.zeros(full.shape)
        w[:-1, c] = 1
        w[-1, c] = -1
        equations.append((w, 0.0))
    equations += list(extra)
    a_eq, b_eq = [], []
    for w, rhs in equations:
        row = np.zeros(len(unknown))
        const = 0.0
        for (r, c), weight in np.ndenumerate(w):
            if weight == 0:
                continue
            if hidden[r, c]:
                row[pos[(r, c)]] += weight
            else:
                const += weight * full[r, c]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs - const)
    ranges = {}
    for cell, j in pos.items():
        objective = np.zeros(len(unknown))
        objective[j] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0 and high.status == 0
        ranges[cell] = (low.fun, -high.fun)
    return ranges


def _full_grid(grid):
    full = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1))
    full[:-1, :-1] = grid
    full[:-1, -1] = grid.sum(axis=1)
    full[-1, :] = full[:-1, :].sum(axis=0)
    return full


def _margins_not_shown(t, cols, grid):
    """Totals not printed in the table reach readers only through protected_total: the
    attacker knows every row, column and grand total that it agrees to show."""
    hidden = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1), dtype=bool)
    for r in range(grid.shape[0]):
        hidden[r, -1] = protected_total(t, cols, [r], threshold=5) is pd.NA
    for c, name in enumerate(cols):
        hidden[-1, c] = protected_total(t, cols, columns=[name], threshold=5) is pd.NA
    hidden[-1, -1] = protected_total(t, cols, threshold=5) is pd.NA
    return hidden


def test_no_count_from_one_to_four_survives_threshold_five():
    rng = np.random.default_rng(1)
    for _ in range(40):
        t = pd.DataFrame({"sector": SECTORS, "referral_count": _random_counts(rng, 7)})
        out = suppress_small_counts(t, "referral_count", threshold=5)
        shown = out["referral_count"].dropna()
        assert not shown.between(1, 4).any()
        assert (out["referral_count_suppressed"] == t["referral_count"].between(1, 4)
                | out["referral_count_suppressed"]).all()


def test_a_single_hidden_cell_in_a_one_way_table_takes_the_next_smallest_with_it():
    t = pd.DataFrame({"sector": SECTORS[:5], "referral_count": [30, 3, 0, 12, 8]})
    out = suppress_small_counts(t, "referral_count", threshold=5)
    # 3 is primary; 0 is not disclosive and no use as a complement; 8 is the next smallest
    assert out["referral_count_suppressed"].tolist() == [False, True, False, False, True]
    assert format_suppressed(out)["referral_count"].tolist() == ["30", "[c]", "0", "12", "[c]"]


def test_zero_is_shown_by_default_and_hidden_when_configured():
    t = pd.DataFrame({"referral_count": [0, 0, 20, 25]})
    assert not suppress_small_counts(t, "referral_count", threshold=5)[
        "referral_count_suppressed"].any()
    out = suppress_small_counts(t, "referral_count", threshold=5, zero_is_disclosive=True)
    # two hidden zeros beside a visible 20 + 25 = total would both be pinned at 0
    assert out["referral_count_suppressed"].tolist() == [True, True, True, False]


def test_threshold_defaults_to_the_setting(monkeypatch):
    t = pd.DataFrame({"referral_count": [7, 9, 40, 50]})
    assert not suppress_small_counts(t, "referral_count")["referral_count_suppressed"].any()
    monkeypatch.setenv("DARKFIGURE_SUPPRESSION_THRESHOLD", "10")
    out = suppress_small_counts(t, "referral_count")
    assert out["referral_count_suppressed"].tolist() == [True, True, False, False]


def test_groups_are_protected_separately_and_the_input_is_left_alone():
    t = pd.DataFrame({"area": ["A", "A", "A", "B", "B", "B"],
                      "referral_count": [2, 9, 20, 15, 16, 30]},
                     index=[10, 11, 12, 13, 14, 15])
    before = t.copy()
    out = suppress_small_counts(t, "referral_count", threshold=5, group_columns="area")
    assert out["referral_count_suppressed"].tolist() == [True, True, False, False, False, False]
    assert list(out.index) == [10, 11, 12, 13, 14, 15]
    pd.testing.assert_frame_equal(t, before)


def test_total_rows_are_protected_too():
    t = pd.DataFrame({"sector": ["a", "b", "c", "Total"], "n": [1, 2, 0, 3]})
    out = suppress_small_counts(t, "n", threshold=5, total_rows=t["sector"] == "Total")
    assert out["n_suppressed"].tolist() == [True, True, False, True]


@pytest.mark.parametrize("seed", range(3))
def test_no_hidden_cell_of_a_two_way_table_with_margins_can_be_solved(seed):
    rng = np.random.default_rng(100 + seed)
    for _ in range(20):
        grid = _random_counts(rng, (int(rng.integers(2, 7)), int(rng.integers(2, 8))))
        t, cols = _wide_table(grid, with_margins=True)
        out = suppress_small_counts(t, cols, threshold=5, total_rows=t["area"] == "Total",
                                    total_column="total")
        hidden = out[[c + "_suppressed" for c in cols + ["total"]]].to_numpy()
        full = _full_grid(grid)
        shown = out[cols + ["total"]].to_numpy(dtype=float, na_value=np.nan)
        assert not ((shown >= 1) & (shown <= 4)).any()
        for (r, c), (low, high) in _lp_ranges(full, hidden).items():
            assert high - low >= 1 - 1e-6, (grid, r, c, low, high)


def test_no_hidden_cell_can_be_solved_when_the_margins_are_published_elsewhere():
    rng = np.random.default_rng(7)
    for _ in range(40):
        grid = _random_counts(rng, (int(rng.integers(2, 6)), int(rng.integers(2, 7))))
        t, cols = _wide_table(grid, with_margins=False)
        out = suppress_small_counts(t, cols, threshold=5)
        hidden = _margins_not_shown(t, cols, grid)
        hidden[:-1, :-1] = out[[c + "_suppressed" for c in cols]].to_numpy()
        for cell, (low, high) in _lp_ranges(_full_grid(grid), hidden).items():
            assert high - low >= 1 - 1e-6, (grid, cell)


def test_a_printed_total_equal_to_a_hidden_count_is_hidden_too():
    t = pd.DataFrame({"n": [3], "m": [0], "total": [3]})
    # one row: 3 + 0 = 3, and the printed total gives the 3 away unless it is hidden too
    out = suppress_small_counts(t, ["n", "m"], threshold=5, total_column="total")
    assert out[["n_suppressed", "m_suppressed", "total_suppressed"]].iloc[0].tolist() == [
        True, False, True]


def test_a_series_hides_the_next_smallest_period_with_a_small_one():
    s = pd.DataFrame({"quarter": ["2024Q3", "2024Q1", "2024Q2", "2024Q4"],
                      "referral_count": [6, 12, 1, 30]})
    out = suppress_series(s, "referral_count", time_column="quarter", threshold=5)
    assert list(out["quarter"]) == list(s["quarter"])
    assert out["referral_count_suppressed"].tolist() == [True, False, True, False]


def test_two_filtered_views_cannot_be_subtracted_to_reveal_a_hidden_count():
    # nail bars in Leicester: 2 referrals, hidden; car washes 6 is the complement.
    t = pd.DataFrame({"sector": ["nail_bar", "car_wash", "care", "agriculture"],
                      "referral_count": [2, 6, 40, 50]})
    protected = suppress_small_counts(t, "referral_count", threshold=5)
    assert protected["referral_count_suppressed"].tolist() == [True, True, False, False]
    everything = protected_total(t, "referral_count", threshold=5)
    without_nail_bars = protected_total(t, "referral_count", [1, 2, 3], threshold=5)
    nail_bars_and_care = protected_total(t, "referral_count", [0, 2], threshold=5)
    assert everything == 98                      # the line total: published anyway
    assert without_nail_bars is pd.NA            # 98 - this would give the 2
    assert nail_bars_and_care is pd.NA           # this - 40 would give the 2
    assert protected_total(t, "referral_count", [0, 1], threshold=5) == 8  # = 98 - 40 - 50


def test_no_set_of_filtered_views_lets_an_attacker_solve_a_hidden_cell():
    """Publish every view protected_total allows (random row and column selections) and
    hand them all to the LP attacker along with the protected table."""
    rng = np.random.default_rng(2024)
    for _ in range(12):
        grid = _random_counts(rng, (4, 5))
        t, cols = _wide_table(grid, with_margins=False)
        out = suppress_small_counts(t, cols, threshold=5)
        hidden = _margins_not_shown(t, cols, grid)
        hidden[:-1, :-1] = out[[c + "_suppressed" for c in cols]].to_numpy()
        views, refused = [], 0
        for _ in range(40):
            rows = rng.random(4) < 0.6
            chosen = [c for c in cols if rng.random() < 0.6] or cols[:1]
            value = protected_total(t, cols, rows, columns=chosen, threshold=5)
            if value is pd.NA:
                refused += 1
                continue
            w = np.zeros((5, 6))
            w[np.ix_(rows, [cols.index(c) for c in chosen])] = 1
            views.append((w, float(value)))
        for cell, (low, high) in _lp_ranges(_full_grid(grid), hidden, views).items():
            assert high - low > 1e-6, (grid, cell)
        if hidden.any():
            assert refused > 0 or len(views) == 40


def test_format_suppressed_uses_the_gss_marker():
    t = pd.DataFrame({"n": [1, 10, 12]})
    shown = format_suppressed(suppress_small_counts(t, "n", threshold=5))
    assert list(shown.columns) == ["n"]
    assert shown["n"].tolist() == [SUPPRESSED_MARKER, SUPPRESSED_MARKER, "12"]
