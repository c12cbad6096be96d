"""Trends: the quarterly series against the expected band, forecast, interventions, control."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard import data, trend_views
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components import chart_code
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures import trends as fig
from dashboard.figures.common import message_figure
from dashboard.theme import fmt_count

SLUG = "trends"
PATH = "/trends"
TITLE = "Trends"
NAV_LABEL = "Trends"
IN_NAV = True
BOARD_ORDER = 5
SOURCE = ("Source: people first recorded by forum agencies (the store); expected from the "
          "national scenario.")


def its_sentence(its) -> str:
    """The change test in one line with a plain verdict first, then its numbers."""
    if its is None:
        return ""
    level = its.level_change
    if level.lower <= 1 <= level.upper:
        verdict = f"No evidence of a change in level from {its.first_post_quarter}"
    else:
        change = level.value - 1
        verdict = (f"About {abs(change):.0%} {'more' if change > 0 else 'fewer'} a quarter "
                   f"from {its.first_post_quarter}")
    return (
        f"{verdict} (rate ratio {level.value:.2f}, 95% interval {level.lower:.2f} to "
        f"{level.upper:.2f}; change in yearly trend {its.slope_change.value:.2f}, "
        f"{its.slope_change.lower:.2f} to {its.slope_change.upper:.2f})."
    )


def series_output(store_path, state, *, source: str = "", with_its: bool = True) -> ChartOutput:
    """The detected series at the resolution its protected counts allow, with models only
    when every count on the chart is shown (``analysis.small_numbers.plan_series``)."""
    from analysis.small_numbers import plan_series, protect_years

    view = trend_views.trend_view(store_path, state)
    area = data.area_name(state.area or data.home_area())
    plan = plan_series(view.series)
    if plan.resolution == "year":
        per = tuple(c for c in ("expected", "expected_lower", "expected_upper")
                    if c in view.series and view.series[c].notna().any())
        raw = view.raw.assign(**{c: pd.to_numeric(view.series[c]) for c in per})
        years = protect_years(raw, _cell_key_years(store_path, state), per_quarter=per)
        figure = fig.trend_chart(years.rename(columns={"year": "quarter"}), board=state.board,
                                 source=source, unit="year")
        summary = f"{area}. {plan.reason}"
        return ChartOutput(figure, summary, years, _period(view.series),
                           message=f"{area}: {plan.reason}",
                           code=chart_code.view_layer_code(
                               store_path, state, "dashboard/pages/trends.py",
                               "trends.series_output({store}, state).table"))
    forecast = trend_views.trend_forecast(store_path, state) if plan.models_allowed else None
    its = (trend_views.trend_its(store_path, state)
           if plan.models_allowed and with_its else None)
    events = (pd.DataFrame({"quarter": [its.first_post_quarter], "label": ["Intervention"]})
              if its is not None else None)
    figure = fig.trend_chart(view.series, forecast=forecast, interventions=events,
                             board=state.board, source=source)
    summary = " ".join(t for t in (f"{area}.", fig.describe_trend(view.series, its_sentence(its)),
                                   plan.reason) if t)
    table = (view.series if forecast is None else pd.concat(
        [view.series, forecast.rename(columns={"mean": "forecast", "lower": "forecast_lower",
                                               "upper": "forecast_upper"})],
        ignore_index=True))
    return ChartOutput(figure, summary, table, _period(view.series),
                       message=board_message(area, view.series, its),
                       code=_code(store_path, state, forecast=forecast is not None))


def _code(store_path, state, **kind) -> str:
    """The analysis calls behind the quarterly series (the whole stored history unless a
    period is chosen)."""
    from dashboard.estimates import view_quarters

    quarters = view_quarters(store_path, state, whole_history=True)
    return (chart_code.quarterly_code(store_path, state, state.area or data.home_area(),
                                      quarters, **kind) if quarters else "")


def _cell_key_years(store_path, state):
    """The protection step for a yearly series: each year a cell of the cell-key layer,
    counted from the same people as the quarters (``analysis.disclosure.protect_table``)."""
    from dashboard.estimates import without_board

    def protect(years: pd.DataFrame, count: str, time_column: str = "year") -> pd.DataFrame:
        shown = data.counts(store_path, without_board(state), "year",
                            levels={"year": list(years[time_column])}).to_frame()
        return years.assign(**{count: shown["count"].to_numpy(),
                               f"{count}_suppressed": shown["count_suppressed"].to_numpy()})

    return protect


def board_message(area: str, series: pd.DataFrame, its) -> str:
    """'Leicestershire: 51 new victims detected in 2025 Q4, against 101 to 503 expected.'"""
    shown = series.dropna(subset=["detected"])
    if shown.empty:
        return f"{area}: no quarter has a count large enough to show."
    last = shown.iloc[-1]
    from analysis.periods import period_label

    text = (f"{area}: {fmt_count(last['detected'])} new victims detected in "
            f"{period_label([last['quarter']])}")
    if "expected_lower" in shown and pd.notna(last.get("expected_lower")):
        text += (f", against {fmt_count(last['expected_lower'])} to "
                 f"{fmt_count(last['expected_upper'])} expected a quarter")
    return text + "." + (" " + its_sentence(its).split(" (")[0] + "." if its is not None else "")


def _series(store_path, state) -> ChartOutput:
    return series_output(store_path, state, source=SOURCE)


def _period(series: pd.DataFrame) -> str:
    from analysis.periods import period_label

    return period_label(list(series["quarter"])) if len(series) else ""


def _control(store_path, state) -> ChartOutput:
    from analysis.small_numbers import plan_series

    view = trend_views.trend_view(store_path, state)
    plan = plan_series(view.series)
    if not plan.models_allowed:
        return ChartOutput(message_figure("No control chart: " + plan.reason.split(", so")[0]
                                          .split(" (")[0].lower(), board=state.board),
                           plan.reason, pd.DataFrame(), _period(view.series))
    control = trend_views.trend_control(store_path, state)
    control = control if control is not None else pd.DataFrame()
    signals = int(control["signal"].sum()) if len(control) else 0
    summary = (
        (
            f"{signals} quarter(s) fall outside the three-sigma control limits; points "
            "outside say 'look here', not 'something changed'."
        )
        if len(control)
        else ""
    )
    return ChartOutput(fig.control_chart(control, board=state.board), summary, control,
                       _period(view.series), code=_code(store_path, state, control=True))


CHARTS = (
    ChartSpec("trends-series", "New victims detected over time against the expected range",
              _series),
    ChartSpec("trends-control", "Process-control view of the quarterly counts", _control),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "Is detection changing? The series is compared with the "
                "expected range, projected four quarters ahead, and tested for a change at "
                "an intervention quarter chosen in the filters.",
            ),
            chart_panel(
                "trends-series",
                CHARTS[0].caption,
                caption="Grey band: expected new victims a quarter under the scenario, over "
                "assumed durations of 1 to 5 years (not a confidence interval). Orange: "
                "forecast with its 95% prediction interval.",
            ),
            chart_panel(
                "trends-control",
                CHARTS[1].caption,
                board=False,
                caption="c-chart: centre line is the mean count; limits at three sigma.",
            ),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)
