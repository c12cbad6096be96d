"""Per-view bundles of estimates: select the records a view asks for, call the ``analysis``
estimators, and protect every count from record-level data before it leaves this module.

No statistics are computed here; each number comes from an ``analysis`` function. Results are
cached per (store version, view state), so moving between pages or back to a view is instant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.schema import SECTORS
from dashboard import data
from dashboard.state import ALL, ViewState

# Sectors the equal-share assumption spreads the expected figure over ("other" and "unknown"
# are recording categories, not sectors with their own prevalence).
SHARE_SECTORS = tuple(s for s in SECTORS if s not in ("other", "unknown"))


def view_quarters(
    store_path: Path | str, state: ViewState, *, default_last: int | None = None
) -> list[str]:
    """Quarters of the view: the period filter, or the last ``default_last`` quarters held."""
    options = data.filter_options(store_path).quarters
    if not options:
        return []
    if not state.period and default_last:
        return options[-default_last:]
    return [
        q
        for q in options
        if (not state.start or q >= state.start) and (not state.end or q <= state.end)
    ]


def _share_args(state: ViewState) -> tuple[object | None, str | None, list[str]]:
    """The share table and category the view's filters imply, with notes for the reader."""
    from analysis import assumptions

    notes = []
    if state.age_group != ALL:
        notes.append("the expected figure covers all ages: no published split by age is used")
    if state.sector != ALL and state.sector in SHARE_SECTORS:
        if state.exploitation_type != ALL:
            notes.append("expected split by sector only (one share table at a time)")
        return assumptions.equal_shares(SHARE_SECTORS), state.sector, notes
    if state.exploitation_type not in (ALL, "unknown"):
        table = assumptions.exploitation_type_shares()
        if state.exploitation_type in dict(table.shares):
            return table, state.exploitation_type, notes
    if state.sector != ALL or state.exploitation_type != ALL:
        notes.append("no share for this category: the expected figure is for all categories")
    return None, None, notes


@lru_cache(maxsize=256)
def expected_for(area_code: str, n_quarters: int, scenario: str, sector: str, etype: str, age: str):
    """``analysis.expected.expected_flow`` for an area over ``n_quarters`` quarters."""
    from analysis.expected import expected_flow

    state = ViewState(sector=sector, exploitation_type=etype, age_group=age)
    shares, category, _ = _share_args(state)
    return expected_flow(
        area_code, scenario=scenario, period_years=n_quarters / 4, shares=shares, category=category
    )


@dataclass(frozen=True)
class Headline:
    """What the Overview tiles show for one view."""

    area_code: str
    area_name: str
    quarters: tuple[str, ...]
    detected: int | None  # None: suppressed
    expected: object  # ExpectedResult
    ratio: object | None  # detection result (lower/upper), when analysis.detection provides it
    notes: tuple[str, ...]


def headline(store_path: Path | str, state: ViewState) -> Headline:
    return _headline(data.store_version(store_path), state)


@lru_cache(maxsize=128)
def _headline(version, state: ViewState) -> Headline:
    from analysis.disclosure import suppress_small_counts

    store_path = version[0]
    quarters = view_quarters(store_path, state, default_last=4)
    view = replace(state, period=f"{quarters[0]}:{quarters[-1]}") if quarters else state
    area = state.area or data.home_area()
    rows = data.referrals(store_path, view)
    count = pd.DataFrame({"area_code": [area], "referral_count": [len(rows)]})
    shown = suppress_small_counts(count, "referral_count")["referral_count"].iloc[0]
    detected = None if pd.isna(shown) else int(shown)
    expected = expected_for(
        area,
        max(len(quarters), 1),
        state.scenario,
        state.sector,
        state.exploitation_type,
        state.age_group,
    )
    _, _, notes = _share_args(state)
    return Headline(
        area,
        data.area_name(area),
        tuple(quarters),
        detected,
        expected,
        detection_ratio(detected, expected),
        tuple(notes),
    )


def detection_ratio(detected: int | None, expected) -> object | None:
    """Detection ratio with its interval from ``analysis.detection`` (None if suppressed)."""
    if detected is None:
        return None
    try:
        from analysis import detection
    except ImportError:  # the detection module has not landed yet
        return None
    return detection.detection_ratio(detected, expected)


@dataclass(frozen=True)
class TrendView:
    series: pd.DataFrame  # quarter, detected (protected), expected, expected_lower/upper
    forecast: pd.DataFrame | None  # quarter, mean, lower, upper
    control: pd.DataFrame | None  # quarter, detected, centre, lower, upper, signal
    its: object | None  # InterruptedTimeSeriesResult
    notes: tuple[str, ...]


def trend_view(store_path: Path | str, state: ViewState) -> TrendView:
    return _trend_view(data.store_version(store_path), state)


@lru_cache(maxsize=128)
def _trend_view(version, state: ViewState) -> TrendView:
    from analysis.control_chart import control_chart
    from analysis.disclosure import suppress_series
    from analysis.errors import DarkFigureError
    from analysis.trends import forecast_counts, interrupted_time_series

    store_path = version[0]
    quarters = view_quarters(store_path, state)
    rows = data.referrals(store_path, state)
    if not quarters:
        empty = pd.DataFrame(columns=["quarter", "detected", "expected", "expected_lower",
                                      "expected_upper"])
        return TrendView(empty, None, None, None, ("no referrals in the store",))
    counts = rows.groupby("quarter", observed=False).size().reindex(quarters, fill_value=0)
    raw = pd.DataFrame({"quarter": quarters, "detected": counts.to_numpy()})
    area = state.area or data.home_area()
    exp = expected_for(
        area, 1, state.scenario, state.sector, state.exploitation_type, state.age_group
    )
    protected = suppress_series(raw, "detected", time_column="quarter")
    series = protected.assign(
        expected=exp.value, expected_lower=exp.lower, expected_upper=exp.upper
    )
    notes: list[str] = []
    forecast = control = its = None
    try:
        result = forecast_counts(raw, count="detected")
        forecast = result.forecast.rename(columns={"value": "mean"})[
            ["quarter", "mean", "lower", "upper"]
        ]
    except DarkFigureError as exc:
        notes.append(f"no forecast: {exc}")
    try:
        table = control_chart(raw, count="detected").table
        control = pd.DataFrame(
            {
                "quarter": table["quarter"],
                "detected": series["detected"],
                "centre": table["centre"],
                "lower": table["lower"],
                "upper": table["upper"],
                "signal": table["signal"] != "within",
            }
        )
    except DarkFigureError as exc:
        notes.append(f"no control chart: {exc}")
    if state.event:
        try:
            its = interrupted_time_series(raw, state.event, count="detected")
        except DarkFigureError as exc:
            notes.append(f"no intervention effect: {exc}")
    return TrendView(series, forecast, control, its, tuple(notes))
