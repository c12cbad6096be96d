"""Area profile: one district or force in detail (drill-down from Areas)."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import data, estimates, trend_views
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.components.table import data_table
from dashboard.figures import gap as gap_fig
from dashboard.figures import sectors as sector_fig
from dashboard.figures import trends as trend_fig
from dashboard.state import from_dict

SLUG = "profile"
PATH = "/area/<area_code>"
TITLE = "Area profile"
NAV_LABEL = "Area profile"
IN_NAV = False
BOARD_ORDER = None


def _period_code(h) -> str:
    return f"{h.quarters[0]}:{h.quarters[-1]}" if h.quarters else ""


def _band(store_path, state) -> ChartOutput:
    h = estimates.headline(store_path, state)
    e = h.expected
    table = h.ratio.to_frame() if h.ratio is not None else e.estimate.to_frame()
    return ChartOutput(
        gap_fig.gap_band(
            h.detected, e.value, e.lower, e.upper, board=state.board, label=h.area_name,
            range_label=e.interval_kind, axis_title=f"People: new victims in {h.period_label}",
        ),
        gap_fig.describe_headline(h),
        table.assign(area=h.area_name, period=_period_code(h), period_label=h.period_label),
    )


def _trend(store_path, state) -> ChartOutput:
    view = trend_views.trend_view(store_path, state)
    return ChartOutput(
        trend_fig.trend_chart(
            view.series, forecast=trend_views.trend_forecast(store_path, state), board=state.board
        ),
        trend_fig.describe_trend(view.series),
        view.series,
    )


def _sectors(store_path, state) -> ChartOutput:
    table = estimates.category_view(store_path, state, "sector")
    return ChartOutput(
        sector_fig.detected_vs_expected(table, "sector", board=state.board),
        sector_fig.describe_sectors(table, "sector"),
        table,
    )


CHARTS = (
    ChartSpec("profile-band", "Detected against expected", _band),
    ChartSpec("profile-trend", "People detected per quarter", _trend),
    ChartSpec("profile-sectors", "Detected against expected by sector", _sectors),
)


def layout(area_code: str | None = None, **_query) -> html.Div:
    name = data.area_name(area_code) if area_code else "Area"
    return html.Div(
        [
            page_header(
                SLUG,
                f"Area profile: {name}",
                "The selected area in detail. Change the "
                "area in the filters to move to another profile.",
            ),
            chart_panel("profile-band", CHARTS[0].caption),
            chart_panel("profile-trend", CHARTS[1].caption, board=False),
            chart_panel("profile-sectors", CHARTS[2].caption, board=False),
            html.Section(
                [
                    html.H2("Most similar districts"),
                    html.P(
                        "Similar in population size and growth only: the reference data "
                        "hold no covariates of risk."
                    ),
                    html.Div(id="profile-peers"),
                ],
                className="analyst-only",
            ),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)

    @app.callback(Output("profile-peers", "children"), Input("filter-state", "data"))
    def peers(state):
        code = from_dict(state).area or data.home_area()
        table = data.force_peers(code) if data.is_force(code) else data.district_peers(code)
        return data_table(table, "Most similar areas of England and Wales")
