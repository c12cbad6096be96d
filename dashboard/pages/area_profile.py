"""Area profile: one district or force in detail (drill-down from Areas)."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import data, estimates, headline_view
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components import chart_code
from dashboard.components.chart import chart_panel
from dashboard.components.code import headline_code
from dashboard.components.page import page_header
from dashboard.components.table import data_table
from dashboard.figures import gap as gap_fig
from dashboard.figures import sectors as sector_fig
from dashboard.state import from_dict

SLUG = "profile"
PATH = "/area/<area_code>"
TITLE = "Area profile"
NAV_LABEL = "Area profile"
IN_NAV = False
BOARD_ORDER = None


def _band(store_path, state) -> ChartOutput:
    h = headline_view.headline(store_path, state)
    e = h.expected
    table = h.ratio.to_frame() if h.ratio is not None else e.estimate.to_frame()
    return ChartOutput(
        gap_fig.gap_band(
            h.detected, e.value, e.lower, e.upper, board=state.board, label=h.area_name,
            range_label=e.interval_kind, axis_title=f"People: new victims in {h.period_label}",
        ),
        gap_fig.describe_headline(h),
        table.assign(area=h.area_name, period=h.period_code, period_label=h.period_label),
        h.period_label,
        code=headline_code(store_path, state, state.area or data.home_area(), list(h.quarters)),
    )


def _trend(store_path, state) -> ChartOutput:
    # the same rules as the Trends page: years when most quarters are [c], models only on
    # series whose every count is shown
    from dashboard.pages.trends import series_output

    return series_output(store_path, state, with_its=False)


def _sectors(store_path, state) -> ChartOutput:
    from analysis.periods import period_label

    table = estimates.category_view(store_path, state, "sector")
    period = period_label(estimates.view_quarters(store_path, state))
    return ChartOutput(
        sector_fig.detected_vs_expected(table, "sector", board=state.board,
                                        axis_title=f"People: new victims in {period}"),
        sector_fig.describe_sectors(table, "sector", period),
        table, period,
        code=chart_code.sector_counts_code(store_path, state, state.area or data.home_area(),
                                           estimates.view_quarters(store_path, state)),
    )


CHARTS = (
    ChartSpec("profile-band", "Detected against expected", _band),
    ChartSpec("profile-trend", "New victims detected over time", _trend),
    ChartSpec("profile-sectors", "New victims by sector", _sectors),
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
                        "The five districts closest in population size and population growth "
                        "(the only measures in the reference data; not measures of risk), "
                        "closest first."
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

    @app.callback(Output("profile-heading", "children"), Input("filter-state", "data"))
    def heading(state):  # the heading follows an area change in the filters
        return f"Area profile: {data.area_name(from_dict(state).area or data.home_area())}"

    @app.callback(Output("profile-peers", "children"), Input("filter-state", "data"))
    def peers(state):
        code = from_dict(state).area or data.home_area()
        table = data.force_peers(code) if data.is_force(code) else data.district_peers(code)
        return data_table(readable_peers(table), "Most similar areas of England and Wales")


def readable_peers(table):
    """The peer table in words: names, residents and growth, no model internals (the method
    is stated once above the table)."""
    import pandas as pd

    if table is None or table.empty:
        return table
    name = "peer_area_name" if "peer_area_name" in table else "area_name"
    growth = table.get("population_growth")
    return pd.DataFrame({
        "Area": table[name],
        "Residents (Census 2021)": table["population"].map(lambda v: f"{v:,.0f}"),
        **({"Population growth, 2011 to 2021": growth.map(lambda v: f"{v:+.1%}")} if growth is not None
           else {}),
        **({"Police-made NRM referrals a year per 100,000": table["annual_rate_per_100k"]
            .map(lambda v: f"{v:.1f}")} if "annual_rate_per_100k" in table else {}),
    })
