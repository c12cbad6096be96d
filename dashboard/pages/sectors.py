"""Sectors and exploitation types: detected against the assumed expected split, heatmap."""

from __future__ import annotations

from dash import html

from dashboard import data, estimates
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures import sectors as fig

SLUG = "sectors"
PATH = "/sectors"
TITLE = "Sectors and exploitation types"
NAV_LABEL = "Sectors"
IN_NAV = True
BOARD_ORDER = 4
SOURCE = (
    "Detected: people first recorded by any forum agency (the store). Expected by type: UK NRM "
    "2023 referral shares (assumption); no expected split by sector exists."
)


def _sectors(store_path, state) -> ChartOutput:
    table = estimates.category_view(store_path, state, "sector")
    area = data.area_name(state.area or data.home_area())
    period = estimates.view_period(store_path, state)
    text = fig.describe_sectors(table, "sector", period)
    first = text.split(". ")[0].rstrip(".") + "."
    message = (first.replace(f"In {period},", f"In {area}, {period},", 1)
               if first.startswith("In ") else f"{area}: {first}")
    return ChartOutput(
        fig.detected_vs_expected(table, "sector", board=state.board, source=SOURCE,
                                 axis_title=f"People: new victims in {period}"),
        f"{area}. " + text, table, period, message=message,
    )


def _types(store_path, state) -> ChartOutput:
    table = estimates.category_view(store_path, state, "exploitation_type")
    period = estimates.view_period(store_path, state)
    return ChartOutput(
        fig.detected_vs_expected(table, "exploitation_type", board=state.board, source=SOURCE,
                                 axis_title=f"People: new victims in {period}"),
        fig.describe_sectors(table, "exploitation_type", period),
        table, period,
    )


def _heatmap(store_path, state) -> ChartOutput:
    table = estimates.area_by_category(store_path, state, "sector")
    return ChartOutput(
        fig.heatmap(table, "area", "sector", board=state.board),
        "New victims by district and sector; [c] marks counts too small to show.",
        table, estimates.view_period(store_path, state),
    )


CHARTS = (
    ChartSpec("sectors-sector", "New victims by sector", _sectors),
    ChartSpec("sectors-type", "New victims against expected by exploitation type", _types),
    ChartSpec("sectors-heatmap", "New victims by district and sector", _heatmap),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "In which sectors and types of exploitation new victims were first recorded; "
                "against an expected figure only where a documented share exists.",
            ),
            html.P(fig.SECTOR_CAVEAT, className="caveat"),
            chart_panel("sectors-sector", CHARTS[0].caption),
            chart_panel("sectors-type", CHARTS[1].caption, board=False),
            chart_panel("sectors-heatmap", CHARTS[2].caption, board=False),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)
