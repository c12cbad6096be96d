"""Areas: the districts of the force compared fairly (funnel, intervals, map), no ranks.

Funnel, bars and map share one colour key: the funnel's comparison with the benchmark
(significantly above / similar / significantly below, over-dispersion adjusted)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from dash import Input, Output, dcc, html

from dashboard import data, estimates
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components import chart_code as code
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures import benchmark
from dashboard.figures import funnel as funnel_fig
from dashboard.figures import gap as gap_fig
from dashboard.figures import maps as map_fig
from dashboard.figures.common import message_figure
from dashboard.state import from_dict, to_query

SLUG = "areas"
PATH = "/areas"
TITLE = "Areas"
NAV_LABEL = "Areas"
IN_NAV = True
BOARD_ORDER = 3
SOURCE = ("Source: people first recorded by forum agencies (the store); expected new victims "
          "from the national scenario and Census 2021.")


def _funnel(store_path, state) -> ChartOutput:
    view = estimates.area_view(store_path, state)
    result = estimates.area_funnel(store_path, state)
    if result is None:
        return ChartOutput(
            message_figure("No referrals for this selection", board=state.board), "", view.table
        )
    figure = funnel_fig.funnel_plot(
        result.table,
        result.curve(),
        result.target,
        board=state.board,
        x_title=f"Expected new victims in {estimates.view_period(store_path, state)}",
        y_title="Detection ratio (detected / expected)",
        source=SOURCE,
        label_all=True,
    )
    summary = (funnel_fig.describe_funnel(result.table, "districts", result.target) + " "
               + result.adjustment_note)
    return ChartOutput(figure, summary, result.to_frame(), estimates.view_period(store_path, state),
                       code=_code(store_path, state, code.FUNNEL_LAST))


def _bars(store_path, state) -> ChartOutput:
    view = estimates.area_view(store_path, state)
    result = estimates.area_shrinkage(store_path, state)
    if result is None:
        return ChartOutput(
            message_figure("No referrals for this selection", board=state.board), "", view.table
        )
    t = result.table
    table = pd.DataFrame(
        {
            "area_code": t["area_code"],
            "area_name": t["area_name"],
            "ratio": t["posterior_mean"],
            "ratio_lower": t["lower"],
            "ratio_upper": t["upper"],
            "highlighted": t["area_code"] == state.area,
        }
    )
    table["benchmark"] = _classes(store_path, state).reindex(table["area_code"]).fillna(
        benchmark.NOT_SHOWN).to_numpy()
    summary = (
        "Detection ratios pulled towards the force-wide ratio in proportion to how "
        "little data each district has (empirical Bayes), with 95% intervals. Districts are "
        "listed alphabetically, not ranked; the colour is the funnel plot's comparison with "
        "the benchmark, the same as on the map."
    )
    return ChartOutput(
        gap_fig.ratio_bars(table, board=state.board, source=SOURCE),
        summary,
        result.to_frame(),
        estimates.view_period(store_path, state),
        code=_code(store_path, state, code.SHRINK_LAST),
    )


def _code(store_path, state, last: str) -> str:
    """The analysis calls behind the district charts; with a group filter the expected
    figure takes a share assumption the view layer picks, so that code is the view layer's."""
    view = estimates.area_view(store_path, state)
    if estimates.group_label(state) is not None:
        call = {code.FUNNEL_LAST: "estimates.area_funnel({store}, state).to_frame()",
                code.SHRINK_LAST: "estimates.area_shrinkage({store}, state).to_frame()",
                code.MAP_LAST: "estimates.area_funnel({store}, state).table[\n"
                               "    ['area_code', 'area_name', 'ratio', 'classification']]"}[last]
        return code.view_layer_code(store_path, state, "dashboard/estimates.py", call)
    return code.districts_code(store_path, state, data.home_force(state), list(view.quarters),
                               last.format(highlight=view.highlight))


def _classes(store_path, state) -> pd.Series:
    """Each district's benchmark class from the funnel (over-dispersion adjusted)."""
    result = estimates.area_funnel(store_path, state)
    if result is None:
        return pd.Series(dtype=object)
    return benchmark.classify(result.table).set_axis(result.table["area_code"])


def _map(store_path, state) -> ChartOutput:
    view = estimates.area_view(store_path, state)
    result = estimates.area_funnel(store_path, state)
    if result is None:
        return ChartOutput(
            message_figure("No referrals for this selection", board=state.board), "", view.table
        )
    t = result.table
    classes = benchmark.classify(t)
    counts = ", ".join(f"{(classes == c).sum()} {benchmark.SHORT[c].lower()}"
                       for c in benchmark.ORDER if (classes == c).any())
    return ChartOutput(
        map_fig.district_map(t, board=state.board, highlight=state.area),
        f"Districts coloured by the funnel plot's comparison with the benchmark: {counts}. "
        + benchmark.legend_note(result.target),
        t[["area_code", "area_name", "ratio", "classification"]].assign(
            benchmark=classes.to_numpy()),
        estimates.view_period(store_path, state),
        code=_code(store_path, state, code.MAP_LAST),
    )


def _peers(store_path, state) -> ChartOutput:
    from dashboard.figures import national as national_fig

    peers = data.force_peers(data.home_force(state))
    summary = (
        "The selected force beside the five forces most like it in population size and "
        "growth (the only covariates in the reference data, not risk)."
    )
    return ChartOutput(national_fig.peer_rates(peers, board=state.board), summary, peers,
                       code=code.peers_code(data.home_force(state)))


CHARTS = (
    ChartSpec(
        "areas-funnel", "Districts against the force-wide detection ratio (funnel plot)", _funnel
    ),
    ChartSpec("areas-bars", "Detection ratio by district with 95% intervals", _bars),
    ChartSpec("areas-map", "Districts compared with the benchmark (map)", _map),
    ChartSpec("areas-peers", "Most similar forces: police-made NRM referrals", _peers),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "How the districts of the force compare, allowing for chance: "
                "small districts vary more, so they are judged against wider limits.",
            ),
            chart_panel(
                "areas-funnel",
                CHARTS[0].caption,
                caption="Each point is a district. Between the dashed lines: no more "
                "different from the force as a whole than chance would explain.",
            ),
            html.Div(
                [
                    chart_panel("areas-bars", CHARTS[1].caption, board=False),
                    chart_panel("areas-map", CHARTS[2].caption, board=False),
                ],
                className="grid-2 analyst-only",
            ),
            chart_panel("areas-peers", CHARTS[3].caption, board=False),
            html.Section(
                [html.H2("District profiles"), html.Ul(id="areas-links")], className="analyst-only"
            ),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)

    @app.callback(Output("areas-links", "children"), Input("filter-state", "data"))
    def links(state):
        view = from_dict(state)
        return [
            html.Li(dcc.Link(data.area_name(code), href=f"/area/{code}{_query(view, code)}"))
            for code in data.lads_in(data.home_force(view))
        ]


def _query(view, code: str) -> str:
    return to_query(replace(view, area=code))
