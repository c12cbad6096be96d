"""National context: police-made NRM referrals across the 43 forces of England and Wales."""

from __future__ import annotations

from dash import html

from dashboard import data
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures import funnel as funnel_fig
from dashboard.figures import national as fig

SLUG = "national"
PATH = "/national"
TITLE = "National context: the 43 forces"
NAV_LABEL = "National context"
IN_NAV = True
BOARD_ORDER = 2
SOURCE = fig.NRM_SOURCE


def _forces(store_path, state) -> ChartOutput:
    forces, home = data.national_forces(), data.home_force(state)
    return ChartOutput(
        fig.force_rates(forces, home, board=state.board),
        fig.describe_force_rates(forces, home),
        forces,
    )


def _funnel(store_path, state) -> ChartOutput:
    result = data.national_funnel(data.home_force(state))
    figure = funnel_fig.funnel_plot(
        result.table,
        result.curve(),
        result.target,
        board=state.board,
        x_title="Expected referrals if the force referred at the England and Wales rate",
        y_title="Referrals / expected",
        source=fig.NRM_SOURCE,
    )
    return ChartOutput(
        figure, funnel_fig.describe_funnel(result.table, "forces"), result.to_frame()
    )


def _uk(store_path, state) -> ChartOutput:
    series = data.uk_series()
    return ChartOutput(
        fig.uk_quarterly(series, board=state.board), fig.describe_uk_quarterly(series), series
    )


CHARTS = (
    ChartSpec(
        "national-funnel", "Police-made NRM referrals against the England and Wales rate", _funnel
    ),
    ChartSpec(
        "national-forces",
        "Police-made NRM referrals per 100,000 residents a year, by force",
        _forces,
    ),
    ChartSpec("national-uk", "UK NRM referrals per quarter", _uk),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "Published Home Office figures for every territorial force. "
                "They count referrals the force made, not where the exploitation happened, "
                "and they are not estimates of prevalence.",
            ),
            chart_panel(
                "national-funnel",
                CHARTS[0].caption,
                caption="Each point is a force, placed by its size (expected referrals at "
                "the national rate) and its ratio. Points between the lines differ from the "
                "national rate by no more than chance would explain.",
            ),
            chart_panel(
                "national-forces",
                CHARTS[1].caption,
                board=False,
                caption="Each dot is a force; the highlighted dot is the selected force area.",
            ),
            chart_panel("national-uk", CHARTS[2].caption, board=False),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)
