"""Trends: the quarterly series against the expected band, forecast, interventions, control."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard import data, trend_views
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures import trends as fig

SLUG = "trends"
PATH = "/trends"
TITLE = "Trends"
NAV_LABEL = "Trends"
IN_NAV = True
BOARD_ORDER = 5
SOURCE = ("Source: people first recorded by forum agencies (the store); expected from the "
          "national scenario.")


def _its_sentence(its) -> str:
    if its is None:
        return ""
    level = its.level_change
    return (
        f"From {its.first_post_quarter} the level changed by a rate ratio of "
        f"{level.value:.2f} ({level.lower:.2f} to {level.upper:.2f}); the yearly trend "
        f"changed by {its.slope_change.value:.2f} ({its.slope_change.lower:.2f} to "
        f"{its.slope_change.upper:.2f})."
    )


def _series(store_path, state) -> ChartOutput:
    view = trend_views.trend_view(store_path, state)
    forecast = trend_views.trend_forecast(store_path, state)
    its = trend_views.trend_its(store_path, state)
    events = (
        pd.DataFrame({"quarter": [its.first_post_quarter], "label": ["Intervention"]})
        if its is not None
        else None
    )
    figure = fig.trend_chart(
        view.series, forecast=forecast, interventions=events, board=state.board, source=SOURCE
    )
    area = data.area_name(state.area or data.home_area())
    summary = f"{area}. " + fig.describe_trend(view.series, _its_sentence(its))
    table = (
        view.series
        if forecast is None
        else pd.concat(
            [
                view.series,
                forecast.rename(
                    columns={
                        "mean": "forecast",
                        "lower": "forecast_lower",
                        "upper": "forecast_upper",
                    }
                ),
            ],
            ignore_index=True,
        )
    )
    return ChartOutput(figure, summary, table, _period(view.series))


def _period(series: pd.DataFrame) -> str:
    from analysis.periods import period_label

    return period_label(list(series["quarter"])) if len(series) else ""


def _control(store_path, state) -> ChartOutput:
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
    view = trend_views.trend_view(store_path, state)
    return ChartOutput(fig.control_chart(control, board=state.board), summary, control,
                       _period(view.series))


CHARTS = (
    ChartSpec("trends-series", "New victims detected a quarter against the expected range", _series),
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
