"""The hidden-figure view: overlaps between agency lists (protected) and every multiple
systems estimate from ``analysis.mse`` (the method-sensitivity table), beside the expected
number of people exploited during the same window and area
(``analysis.expected.expected_during_window``), never the one-day stock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard import data, fit_cache
from dashboard.estimates import view_quarters, without_board
from dashboard.shared_cache import shared_cache
from dashboard.state import ViewState


@dataclass(frozen=True)
class HiddenView:
    patterns: pd.DataFrame  # one 0/1 column per list + count (protected)
    lists: tuple[str, ...]
    result: object | None  # SensitivityResult from analysis.mse (every method), when it fits
    expected: object  # analysis.results.Estimate: people exploited during the same window
    note: str
    window: tuple[str, ...] = ()  # the quarters the estimates cover
    observed: object = None  # linked people, through the protection layer (int or pd.NA)

    @property
    def pending(self) -> bool:
        """The models for this window are still being fitted (the page asks again)."""
        return self.note == FITTING


FITTING = ("Fitting the four models for this window (the first time this table is seen; "
           "it takes a little while and is then kept)")


def hidden_view(store_path: Path | str, state: ViewState) -> HiddenView:
    return _hidden_view(data.store_version(store_path), without_board(state))


def _hidden_view(version, state: ViewState) -> HiddenView:
    from analysis.expected import expected_during_window

    patterns, raw, lists, quarters, observed = _window_patterns(version, state)
    area = state.area or data.home_area()
    years = max(len(quarters), 1) / 4
    expected = expected_during_window(area, window_years=years, scenario=state.scenario)
    result, note = _fit(raw, lists, years, version)
    return HiddenView(patterns, lists, result, expected, note, tuple(quarters), observed)


def hidden_window(store_path: Path | str, state: ViewState) -> list[str]:
    """The quarters of the view's estimation window."""
    return list(_window_patterns(data.store_version(store_path), without_board(state))[3])


def window_observed(store_path: Path | str, state: ViewState):
    """The people of the view's window known to at least one list, protected (int or NA)."""
    return _window_patterns(data.store_version(store_path), without_board(state))[4]


def window_patterns(store_path: Path | str, state: ViewState) -> pd.DataFrame:
    """The protected capture patterns of the view's window (no estimation: fast)."""
    return _window_patterns(data.store_version(store_path), without_board(state))[0]


@shared_cache(maxsize=32)
def _window_patterns(version, state: ViewState):
    from analysis.victim_counts import protect_total

    store_path = version[0]
    # an annual window by default (MSE assumes a closed population)
    quarters = view_quarters(store_path, state)  # default: the latest four complete quarters
    window = replace(state, period=f"{quarters[0]}:{quarters[-1]}") if quarters else state
    cells = data.capture_cells(store_path, window)  # people per pattern, in the store
    lists = tuple(c for c in cells.columns if c not in ("count", "cell_key"))
    raw = cells[[*lists, "count"]].copy()
    raw.attrs["merged_lists"] = cells.attrs.get("merged_lists", {})
    mode = data.disclosure_mode(state)
    protected = _protect_patterns(cells, lists, mode) if len(raw) else raw
    # one cell: the people on at least one list (the patterns partition them)
    observed = protect_total(cells, mode=mode).value if len(cells) else 0
    return protected, raw, lists, quarters, observed


def _protect_patterns(cells: pd.DataFrame, lists: tuple[str, ...],
                      mode: str = "protected") -> pd.DataFrame:
    """The capture-pattern counts as shown: each pattern a cell of the people in it
    (``analysis.disclosure.protect_cell_table``), so its count is perturbed like any other."""
    from analysis.disclosure import protect_cell_table

    words = ["".join(str(int(v)) for v in row) for row in cells[list(lists)].to_numpy()]
    shown = protect_cell_table(cells.assign(pattern=words), "pattern",
                               levels={"pattern": words}, mode=mode).to_frame()
    out = cells[[*lists, "count"]].copy()
    out["count"] = shown["count"].to_numpy()
    out["count_suppressed"] = shown["count_suppressed"].to_numpy()
    return out


def _fit(patterns: pd.DataFrame, lists: tuple[str, ...], years: float, version):
    """Every MSE method on the table; a failure is reported, not raised. Fitted once per
    distinct table and window length (views that differ only in, say, the prevalence
    scenario share the same capture patterns and so the same fit), and once across the
    server's processes (``dashboard.fit_cache``)."""
    if len(lists) < 2:
        return None, "Multiple systems estimation needs at least two lists."
    rows = tuple(map(tuple, patterns[[*lists, "count"]].to_numpy(dtype=np.int64).tolist()))
    fitted = fit_cache.cached_fit("mse", version, (rows, lists, years),
                                  lambda: _fit_table(rows, lists, years), wait=False)
    if fitted is fit_cache.PENDING:
        return None, FITTING
    return fitted


def _fit_table(rows: tuple[tuple[int, ...], ...], lists: tuple[str, ...], years: float):
    from analysis.errors import DarkFigureError
    from analysis.mse import compare_methods

    patterns = pd.DataFrame(list(rows), columns=[*lists, "count"])
    try:
        return compare_methods(patterns, window_years=years, latent_class=LATENT_CLASS), ""
    except DarkFigureError as exc:
        return None, f"No multiple systems estimate: {exc}"


# Chains of 2,000 + 6,000 iterations: with the ridge and split-merge moves these converge on
# tables like the UK five-list one in about a third of the default's time; on sparse tables
# (the synthetic sample) the result says when they have not, and is then not headlined. The
# fit is cached per table, so a page pays for it once.
LATENT_CLASS = {"burn_in": 2_000, "draws": 6_000}
