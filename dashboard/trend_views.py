"""Trend estimates for a view: the protected quarterly series, forecast, control chart and
interrupted time series, each from ``analysis`` and cached per (store version, view)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from dashboard import data, fit_cache
from dashboard.estimates import expected_for, group_has_expected, view_quarters, without_board
from dashboard.state import ViewState


@dataclass(frozen=True)
class TrendView:
    series: pd.DataFrame  # quarter, detected (protected), expected, expected_lower/upper
    raw: pd.DataFrame  # quarter, detected (unprotected): for the estimators only


def trend_view(store_path: Path | str, state: ViewState) -> TrendView:
    return _trend_view(data.store_version(store_path), without_board(state))


@lru_cache(maxsize=128)
def _trend_view(version, state: ViewState) -> TrendView:
    store_path = version[0]
    quarters = view_quarters(store_path, state, whole_history=True)
    if not quarters:
        empty = pd.DataFrame(
            columns=["quarter", "detected", "expected", "expected_lower", "expected_upper"]
        )
        return TrendView(empty, empty[["quarter", "detected"]])
    counted = data.true_counts(store_path, state, "quarter").set_index("quarter")["count"]
    raw = pd.DataFrame({"quarter": quarters,
                        "detected": counted.reindex(quarters, fill_value=0).to_numpy()})
    area = state.area or data.home_area()
    exp = expected_for(
        area, 1, state.scenario, state.sector, state.exploitation_type, state.age_group
    )
    shown = data.counts(store_path, state, "quarter", levels={"quarter": quarters}).to_frame()
    protected = pd.DataFrame({"quarter": quarters, "detected": shown["count"].to_numpy(),
                              "detected_suppressed": shown["count_suppressed"].to_numpy()})
    if group_has_expected(state):
        series = protected.assign(
            expected=exp.value, expected_lower=exp.lower, expected_upper=exp.upper
        )
    else:  # no documented expected share for this group: no band is drawn
        series = protected.assign(expected=None, expected_lower=None, expected_upper=None)
    return TrendView(series, raw)


def trend_forecast(store_path: Path | str, state: ViewState) -> pd.DataFrame | None:
    """Four-quarter forecast (quarter, mean, lower, upper) from ``analysis.trends``."""
    return _trend_forecast(data.store_version(store_path), without_board(state))


@fit_cache.per_view("trend_forecast")
def _trend_forecast(version, state: ViewState) -> pd.DataFrame | None:
    from analysis.errors import DarkFigureError
    from analysis.trends import forecast_counts

    raw = _trend_view(version, state).raw
    if len(raw) < 8 or raw["detected"].sum() == 0:  # needs two years of quarters and a count
        return None
    try:
        result = forecast_counts(raw, count="detected")
    except DarkFigureError:
        return None
    return result.forecast.rename(columns={"value": "mean"})[["quarter", "mean", "lower", "upper"]]


def trend_control(store_path: Path | str, state: ViewState) -> pd.DataFrame | None:
    """c-chart values and limits from ``analysis.control_chart``, counts protected."""
    return _trend_control(data.store_version(store_path), without_board(state))


@lru_cache(maxsize=128)
def _trend_control(version, state: ViewState) -> pd.DataFrame | None:
    from analysis.control_chart import control_chart
    from analysis.errors import DarkFigureError

    view = _trend_view(version, state)
    if view.raw.empty:
        return None
    try:
        table = control_chart(view.raw, count="detected").table
    except DarkFigureError:
        return None
    return pd.DataFrame(
        {
            "quarter": table["quarter"],
            "detected": view.series["detected"],
            "centre": table["centre"],
            "lower": table["lower"],
            "upper": table["upper"],
            "signal": table["signal"] != "within",
        }
    )


def trend_its(store_path: Path | str, state: ViewState):
    """Interrupted time series at the view's intervention quarter (None without one)."""
    if not state.event:
        return None
    return _trend_its(data.store_version(store_path), without_board(state))


@fit_cache.per_view("trend_its")
def _trend_its(version, state: ViewState):
    from analysis.errors import DarkFigureError
    from analysis.trends import interrupted_time_series

    try:
        return interrupted_time_series(
            _trend_view(version, state).raw, state.event, count="detected"
        )
    except (DarkFigureError, ValueError):  # e.g. a GLM that cannot start on the data
        return None
