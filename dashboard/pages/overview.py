"""Overview: the headline for the selected area and period, in numbers and one sentence."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import context, data, headline_view
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components import chart_code
from dashboard.components.chart import chart_panel
from dashboard.components.code import headline_code
from dashboard.components.page import page_header
from dashboard.components.tiles import tile
from dashboard.figures import composition as composition_fig
from dashboard.figures import gap as fig
from dashboard.state import from_dict
from dashboard.theme import RATIO_COLOUR_NOTE, fmt_count

SLUG = "overview"
PATH = "/"
TITLE = "Overview"
NAV_LABEL = "Overview"
IN_NAV = True
BOARD_ORDER = 1
OWN_MESSAGE = True  # the tiles callback writes overview-message
SOURCE = (
    "Detected: people first recorded by any forum agency in the period (the store). Expected: "
    "national prevalence scenario x Census 2021 population share / assumed mean duration."
)


def _sentence(h: headline_view.Headline, board: bool = False) -> str:
    text = fig.describe_headline(h, short=board)
    if board:
        return text
    return " ".join([text, *[n[0].upper() + n[1:] + "." for n in h.notes
                             if n.startswith(("left censoring", "no published split",
                                              "more new victims", "at the low end"))]])


def _scenario_note(h: headline_view.Headline) -> str:
    """The scenario in one line; every assumption in full is on the Methods page."""
    e = h.expected
    return (f"Scenario in use: {e.scenario_title or e.scenario}; mean duration of exploitation "
            f"{e.duration.central:g} years (sensitivity {e.duration.low:g} to "
            f"{e.duration.high:g} years). Other scenarios are compared, each as its own row, "
            "on the Methods page, with every assumption and its source.")


def _band(store_path, state) -> ChartOutput:
    h = headline_view.headline(store_path, state)
    e = h.expected
    who = f"new victims ({h.group})" if h.group else "new victims"
    figure = fig.gap_band(
        h.detected, e.value, e.lower, e.upper, board=state.board, label=h.area_name,
        source=SOURCE, range_label=e.interval_kind,
        axis_title=f"People: {who} in {h.period_label}",
    )
    table = (h.ratio.to_frame() if h.ratio is not None else e.estimate.to_frame())
    table = table.assign(area=h.area_name, period=h.period_code, period_label=h.period_label,
                         detected_shown=fmt_count(h.detected))
    if h.ratio is not None and h.detected is None:
        table = e.estimate.to_frame().assign(area=h.area_name, period=h.period_code,
                                             period_label=h.period_label,
                                             detected_shown="[c]")
    code = headline_code(store_path, state, state.area or data.home_area(), list(h.quarters))
    return ChartOutput(figure, _sentence(h), table, h.period_label, code=code)


def _composition(store_path, state) -> ChartOutput:
    from analysis.periods import period_label

    table, quarters = headline_view.composition(store_path, state)
    label = period_label(quarters) if quarters else "no data"
    code = f"{quarters[0]}:{quarters[-1]}" if quarters else ""
    return ChartOutput(
        composition_fig.composition_dots(table, board=state.board, source=COMPOSITION_SOURCE),
        composition_fig.describe_composition(table, label),
        table.assign(period=code, period_label=label) if not table.empty else table,
        label,
        code=chart_code.composition_code(store_path, state, state.area or data.home_area(),
                                         list(quarters)) if quarters else "",
    )


COMPOSITION_SOURCE = ("New victims: the store (all agencies). National: Home Office NRM "
                      "statistics, all first responders, latest year held (2023).")
CHARTS = (
    ChartSpec("overview-band", "New victims detected against expected", _band),
    ChartSpec("overview-composition",
              "Who the new victims are, against the national NRM mix (shares, 95% intervals)",
              _composition),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "How many new victims of modern slavery agencies detected, how many the "
                "national estimate implies, and what the difference does and does not mean.",
            ),
            html.Div(
                [
                    tile("overview-detected", "Detected new victims"),
                    tile("overview-expected", "Expected new victims"),
                    tile("overview-ratio", "Detection ratio"),
                    tile("overview-gap", "Not detected (expected minus detected)"),
                    tile("overview-trend", "Trend in detection"),
                ],
                className="tiles",
            ),
            html.P(RATIO_COLOUR_NOTE, className="caveat analyst-only"),
            chart_panel("overview-band", CHARTS[0].caption),
            chart_panel("overview-composition", CHARTS[1].caption, board=False),
            html.P(id="overview-scenario", className="scenario-note"),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)

    @app.callback(
        *[
            Output(f"overview-{t}-{p}", "children")
            for t in ("detected", "expected", "ratio", "gap", "trend")
            for p in ("value", "detail")
        ],
        Output("overview-trend", "style"),
        Output("overview-scenario", "children"),
        Output("overview-message", "children"),
        Input("filter-state", "data"),
    )
    def tiles(state):
        h = headline_view.headline(context.current().store_path, from_dict(state))
        texts = headline_view.headline_tiles(h)
        # no trend estimate: the tile is not drawn rather than showing "n/a"
        return (*texts, None if texts[-2] else {"display": "none"}, _scenario_note(h),
                _sentence(h, from_dict(state).board))
