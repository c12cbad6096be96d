"""National context: police NRM referrals across the 43 forces, and the UK series, from the
store's NRM tables (newest vintage of each published figure)."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard import context, data, national_views
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components import chart_code as code
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures import funnel as funnel_fig
from dashboard.figures import national as fig
from dashboard.figures import national_split as split
from dashboard.figures.common import message_figure
from dashboard.state import from_query

SLUG = "national"
PATH = "/national"
TITLE = "National context: the 43 forces"
NAV_LABEL = "National context"
IN_NAV = True
BOARD_ORDER = 2
SOURCE = fig.NRM_SOURCE
FUNNEL_TITLE = "Police NRM referrals by force against the England and Wales rate"
NO_POLICE = ("No police first-responder table in the store: load an NRM release "
             "(darkfigure ingest) to compare forces")


def _forces(store_path, state) -> ChartOutput:
    forces, home = national_views.forces(store_path), data.home_force(state)
    return ChartOutput(
        fig.force_rates(forces, home, board=state.board),
        fig.describe_force_rates(forces, home),
        forces,
        code=code.national_code(store_path, "police_referrals_by_force(store=store)",
                                imports="police_referrals_by_force"),
    )


def _funnel(store_path, state) -> ChartOutput:
    shown = national_views.funnel(store_path, data.home_force(state))
    if shown is None:
        return ChartOutput(message_figure(NO_POLICE, board=state.board), NO_POLICE,
                           pd.DataFrame())
    result = shown.funnel
    figure = funnel_fig.funnel_plot(
        result.table,
        result.curve(),
        result.target,
        board=state.board,
        x_title="Expected police NRM referrals at the England and Wales rate per resident",
        y_title="Police NRM referrals / expected",
        source=fig.nrm_source(shown.period,
                              str(national_views.forces(store_path)["releases"].iloc[0])),
    )
    figure.update_layout(title=dict(text=f"{FUNNEL_TITLE}, {shown.period}"))
    n = len(result.table)
    label = ("Limits widened for over-dispersion<br>(additive random effect, Spiegelhalter "
             f"2005b).<br>Outside 99.8% limits: {shown.outside_998()} of {n} forces, "
             f"{shown.outside_998(shown.unadjusted)} without the adjustment."
             if shown.overdispersed else "Poisson limits: no over-dispersion between forces.")
    figure.add_annotation(text=label, xref="paper", yref="paper", x=0.99, y=0.98,
                          xanchor="right", yanchor="top", showarrow=False, align="right",
                          bgcolor="rgba(255,255,255,0.85)",
                          font=dict(size=12 if not state.board else 24))
    summary = funnel_fig.describe_funnel(result.table, "forces") + " " + shown.note
    return ChartOutput(figure, summary, shown.to_frame(),
                       code=code.force_funnel_code(store_path, data.home_force(state)))


def _map(store_path, state) -> ChartOutput:
    from dashboard.figures import maps

    home = data.home_force(state)
    shown = national_views.funnel(store_path, home)
    if shown is None:
        return ChartOutput(message_figure(NO_POLICE, board=state.board), NO_POLICE,
                           pd.DataFrame())
    result = shown.funnel
    figure = maps.force_map(result.table, board=state.board, highlight=home,
                            source=fig.nrm_source(shown.period, str(
                                national_views.forces(store_path)["releases"].iloc[0])))
    figure.update_layout(title=dict(text=f"Forces against the England and Wales rate, "
                                         f"{shown.period}"))
    return ChartOutput(
        figure,
        funnel_fig.describe_funnel(result.table, "forces") + " " + shown.note,
        shown.to_frame(), shown.period, code=code.force_funnel_code(store_path, home))


def _uk(store_path, state) -> ChartOutput:
    series = national_views.uk_series(store_path)
    return ChartOutput(
        fig.uk_quarterly(series, board=state.board), fig.describe_uk_quarterly(series), series,
        code=code.national_code(store_path, "uk_quarterly_referrals('latest', store=store)",
                                imports="uk_quarterly_referrals"),
    )


def _locations(store_path, state) -> ChartOutput:
    locations = national_views.locations(store_path)
    return ChartOutput(split.uk_by_location(locations, board=state.board),
                       split.describe_locations(locations), locations,
                       code=code.national_code(store_path,
                                               "uk_referrals_by_location(store=store)",
                                               imports="uk_referrals_by_location"))


def _uk_nationals(store_path, state) -> ChartOutput:
    share, home = national_views.uk_nationals_by_force(), data.home_force(state)
    return ChartOutput(split.uk_nationals_by_force(share, home, board=state.board),
                       split.describe_uk_nationals(share, home), share,
                       code=code.uk_nationals_code())


def _mix(store_path, state) -> ChartOutput:
    from dashboard.estimates import view_quarters

    mix = national_views.uk_national_mix(store_path, state)
    area = state.area or data.home_area()
    quarters = view_quarters(store_path, state, whole_history=True)
    return ChartOutput(split.uk_national_mix(mix, board=state.board),
                       split.describe_uk_national_mix(mix), mix,
                       code=code.national_mix_code(store_path, state, area, quarters,
                                                   data.area_name(area)) if quarters else "")


CHARTS = (
    ChartSpec("national-funnel", FUNNEL_TITLE, _funnel),
    ChartSpec("national-forces", fig.RATE_TITLE + ", by force", _forces),
    ChartSpec("national-uk", "UK NRM referrals per quarter", _uk),
    ChartSpec("national-location", "UK NRM referrals by location of exploitation", _locations),
    ChartSpec("national-nationals", "UK nationals among police NRM referrals, by force",
              _uk_nationals),
    ChartSpec("national-mix", "UK nationals among people detected in the area, against the "
              "national NRM mix", _mix),
    ChartSpec("national-map", "Forces compared with the England and Wales rate (map)", _map),
)
BOARD_CHART = CHARTS[0]


def _periods(query: dict) -> dict[str, str]:
    """Each chart's period, for its title (from the store, as the charts read it)."""
    from analysis.national_series import period_label

    store_path = context.current().store_path
    state = from_query(query)
    present = sorted(data.true_counts(store_path, state, "quarter")["quarter"])
    view = period_label(present) if present else "selected period"
    forces = national_views.forces(store_path)
    series = national_views.uk_series(store_path)
    locations = national_views.locations(store_path)
    quarter = lambda p: p.replace("Q", " Q")  # noqa: E731
    return {
        "forces": str(forces["period"].iloc[0]) if len(forces) else "no period held",
        "uk": f"2015 Q1 to {quarter(series['period'].iloc[-1])}" if len(series) else "",
        "location": f"2015 Q1 to {quarter(locations['period'].iloc[-1])}"
        if len(locations) else "",
        "nationals": str(national_views.uk_nationals_by_force()["period"].iloc[0]),
        "view": view,
    }


def layout(**query) -> html.Div:
    period = _periods(query)
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "Published Home Office figures for every territorial force, from the NRM "
                "releases in the store (the newest published figure for each quarter). They "
                "count referrals the force made, not where the exploitation happened, and "
                "they are not estimates of prevalence.",
            ),
            chart_panel(
                "national-funnel",
                f"{CHARTS[0].caption}, {period['forces']}",
                caption="Each point is a force, placed by its size (police NRM referrals "
                "expected at the England and Wales rate per resident) and its ratio of "
                "referrals to that expectation. Points between the lines differ from the "
                "national rate by no more than chance and the usual spread between forces "
                "would explain.",
            ),
            chart_panel(
                "national-map",
                f"{CHARTS[6].caption}, {period['forces']}",
                board=False,
                caption="Each force coloured as the funnel classes it: significantly above, "
                "similar to, or significantly below the England and Wales rate (95% limits, "
                "adjusted for over-dispersion). Boundaries: ONS, OGL v3.",
            ),
            chart_panel(
                "national-forces",
                f"{CHARTS[1].caption}, {period['forces']}",
                board=False,
                caption="Each dot is a force; the highlighted dot is the selected force area.",
            ),
            chart_panel(
                "national-nationals",
                f"{CHARTS[4].caption}, {period['nationals']}",
                board=False,
                caption="The share of each force's referrals that are UK nationals: forces "
                "differ in who they find, which changes what their rate means.",
            ),
            chart_panel(
                "national-mix",
                f"{CHARTS[5].caption}, {period['view']}",
                board=False,
                caption="A composition, not a ratio: the share of UK nationals among the "
                "people the area's agencies detected in the selected period, beside the share "
                "among all UK NRM referrals in the same quarters.",
            ),
            chart_panel("national-uk", f"{CHARTS[2].caption}, {period['uk']}", board=False,
                        caption="Each quarter shows its newest published figure; hover for the "
                        "release it comes from. Open circles are figures from a secondary "
                        "source."),
            chart_panel(
                "national-location",
                f"{CHARTS[3].caption}, {period['location']}",
                board=False,
                caption="Where the exploitation happened: in the UK only, overseas only, or "
                "both.",
            ),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)
