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
    "Detected: forum agencies' referrals. Expected split: equal shares by sector "
    "(assumption); NRM 2023 referral shares by type."
)


def _sectors(store_path, state) -> ChartOutput:
    table = estimates.category_view(store_path, state, "sector")
    area = data.area_name(state.area or data.home_area())
    return ChartOutput(
        fig.detected_vs_expected(table, "sector", board=state.board, source=SOURCE),
        f"{area}. " + fig.describe_sectors(table, "sector"),
        table,
    )


def _types(store_path, state) -> ChartOutput:
    table = estimates.category_view(store_path, state, "exploitation_type")
    return ChartOutput(
        fig.detected_vs_expected(table, "exploitation_type", board=state.board, source=SOURCE),
        "Expected by type uses the UK NRM 2023 referral shares, which over-represent the types "
        "agencies already see.",
        table,
    )


def _heatmap(store_path, state) -> ChartOutput:
    table = estimates.area_by_category(store_path, state, "sector")
    return ChartOutput(
        fig.heatmap(table, "area", "sector", board=state.board),
        "Referrals by district and sector; [c] marks counts too small to show.",
        table,
    )


CHARTS = (
    ChartSpec("sectors-sector", "Detected against expected by sector", _sectors),
    ChartSpec("sectors-type", "Detected against expected by exploitation type", _types),
    ChartSpec("sectors-heatmap", "Referrals by district and sector", _heatmap),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "Where the detected cases are, and where the expected figure "
                "would put them if every sector carried an equal share.",
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
