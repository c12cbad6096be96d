"""Hidden figure."""

from __future__ import annotations

from dash import html

from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures.common import message_figure

SLUG = "hidden"
PATH = "/hidden"
TITLE = "Hidden figure"
NAV_LABEL = "Hidden figure"
IN_NAV = True
BOARD_ORDER = 6


def _main(store_path, state) -> ChartOutput:
    return ChartOutput(message_figure("Not available yet", board=state.board), "", None)


CHARTS = (ChartSpec(f"{SLUG}-main", TITLE, _main),)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div([page_header(SLUG, TITLE), chart_panel(f"{SLUG}-main", TITLE)])


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)
