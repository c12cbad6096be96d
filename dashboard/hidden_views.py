"""The hidden-figure view: overlaps between agency lists (protected) and the multiple
systems estimate from ``analysis.mse``, beside the expected stock for the same area."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard import data
from dashboard.estimates import expected_for, view_quarters, without_board
from dashboard.state import ViewState


@dataclass(frozen=True)
class HiddenView:
    patterns: pd.DataFrame  # one 0/1 column per list + count (protected)
    lists: tuple[str, ...]
    result: object | None  # MSEResult from analysis.mse, when it has landed and fits
    expected: object  # ExpectedResult for the same area and period (stock)
    note: str


def overlap_patterns(frame: pd.DataFrame, list_column: str = "agency_type") -> pd.DataFrame:
    """People per combination of lists (a reshape): linked records only (person key known).

    >>> f = pd.DataFrame({"person_id": [0, 0, 1, 2, -1],
    ...                   "agency_type": ["police", "ngo", "police", "ngo", "ngo"]})
    >>> overlap_patterns(f).sort_values(["ngo", "police"]).to_dict("list")
    {'ngo': [0, 1, 1], 'police': [1, 0, 1], 'count': [1, 1, 1]}
    """
    if frame.empty:
        return pd.DataFrame(columns=["count"])
    linked = frame[frame["person_id"] >= 0]
    if linked.empty:
        return pd.DataFrame(columns=["count"])
    lists = linked[list_column].astype("category")
    names = list(lists.cat.categories)
    # One bit per list; a person's pattern is the OR of the bits of their records. Sorting
    # and reduceat keeps this linear in the records (a crosstab is far slower at 1M rows).
    bits = np.left_shift(1, lists.cat.codes.to_numpy().astype(np.int64))
    people = linked["person_id"].to_numpy()
    order = np.argsort(people, kind="stable")
    people, bits = people[order], bits[order]
    starts = np.flatnonzero(np.r_[True, people[1:] != people[:-1]])
    masks, counts = np.unique(np.bitwise_or.reduceat(bits, starts), return_counts=True)
    out = pd.DataFrame({name: (masks >> i) & 1 for i, name in enumerate(names)})
    out["count"] = counts
    present = [n for n in names if out[n].any()]
    return out[[*present, "count"]].sort_values("count", ascending=False, ignore_index=True)


def hidden_view(store_path: Path | str, state: ViewState) -> HiddenView:
    return _hidden_view(data.store_version(store_path), without_board(state))


@lru_cache(maxsize=64)
def _hidden_view(version, state: ViewState) -> HiddenView:
    from analysis.disclosure import suppress_small_counts

    store_path = version[0]
    quarters = view_quarters(store_path, state)
    rows = data.referrals(store_path, state)
    raw = overlap_patterns(rows)
    lists = tuple(c for c in raw.columns if c != "count")
    protected = suppress_small_counts(raw, "count") if len(raw) else raw
    area = state.area or data.home_area()
    expected = expected_for(
        area,
        max(len(quarters), 1),
        state.scenario,
        state.sector,
        state.exploitation_type,
        state.age_group,
    )
    result, note = None, ""
    try:
        from analysis import mse
    except ImportError:
        note = "The multiple systems estimate is not available in this version."
    else:
        result, note = _fit_mse(mse, raw, lists)
    return HiddenView(protected, lists, result, expected, note)


def _fit_mse(mse, patterns: pd.DataFrame, lists: tuple[str, ...]):
    """Fit ``analysis.mse`` on the capture-pattern table; a failure is reported, not raised."""
    from analysis.errors import DarkFigureError

    if len(lists) < 2:
        return None, "Multiple systems estimation needs at least two lists."
    estimator = getattr(mse, "MultipleSystemsEstimator", None)
    if estimator is None:
        return None, "The multiple systems estimate is not available in this version."
    try:
        result = estimator().fit(patterns)
    except DarkFigureError as exc:
        return None, f"No multiple systems estimate: {exc}"
    if not all(hasattr(result, a) for a in ("estimate", "lower", "upper", "observed")):
        return None, "The multiple systems estimate could not be read (unexpected result)."
    return result, ""
