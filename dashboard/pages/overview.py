"""Overview: the headline for the selected area and period, in numbers and one sentence."""

from __future__ import annotations

from dash import Input, Output, html

from dashboard import context, estimates
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.components.tiles import tile
from dashboard.figures import gap as fig
from dashboard.state import from_dict
from dashboard.theme import RATIO_COLOUR_NOTE

SLUG = "overview"
PATH = "/"
TITLE = "Overview"
NAV_LABEL = "Overview"
IN_NAV = True
BOARD_ORDER = 1
SOURCE = (
    "Detected: forum agencies' referrals in the store. Expected: national prevalence "
    "scenario scaled by Census 2021 population, divided by the assumed duration."
)


def _period_label(h: estimates.Headline) -> str:
    if not h.quarters:
        return "no data"
    return h.quarters[0] if len(h.quarters) == 1 else f"{h.quarters[0]} to {h.quarters[-1]}"


def _sentence(h: estimates.Headline) -> str:
    ratio = h.ratio
    e = h.expected
    text = fig.describe_gap(
        h.detected,
        e.value,
        e.lower,
        e.upper,
        getattr(ratio, "value", None),
        getattr(ratio, "lower", None),
        getattr(ratio, "upper", None),
        h.area_name,
    )
    return " ".join([text, *[n[0].upper() + n[1:] + "." for n in h.notes]])


def _scenario_note(h: estimates.Headline) -> str:
    """The scenario in one line; every assumption in full is on the Methods page."""
    e = h.expected
    return (f"Scenario in use: {e.scenario}; mean duration of exploitation {e.duration.central:g} "
            f"years (range {e.duration.low:g} to {e.duration.high:g}). Every assumption, with "
            "its source, is listed on the Methods page.")


def _band(store_path, state) -> ChartOutput:
    h = estimates.headline(store_path, state)
    e = h.expected
    figure = fig.gap_band(
        h.detected, e.value, e.lower, e.upper, board=state.board, label=h.area_name, source=SOURCE
    )
    table = e.to_frame().assign(
        detected=h.detected if h.detected is not None else "[c]", period=_period_label(h)
    )
    return ChartOutput(figure, _sentence(h), table)


CHARTS = (ChartSpec("overview-band", "Detected against expected, new cases in the period", _band),)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "How many people agencies detected, how many the national "
                "estimate implies, and what the difference does and does not mean.",
            ),
            html.Div(
                [
                    tile("overview-detected", "Detected"),
                    tile("overview-expected", "Expected"),
                    tile("overview-ratio", "Detection ratio"),
                    tile("overview-gap", "Gap (expected minus detected)"),
                    tile("overview-trend", "Trend"),
                ],
                className="tiles",
            ),
            html.P(RATIO_COLOUR_NOTE, className="caveat analyst-only"),
            chart_panel("overview-band", CHARTS[0].caption),
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
        Output("overview-scenario", "children"),
        Output("overview-message", "children"),
        Input("filter-state", "data"),
    )
    def tiles(state):
        h = estimates.headline(context.current().store_path, from_dict(state))
        return (
            *estimates.headline_tiles(h, _period_label(h)),
            _scenario_note(h),
            _sentence(h),
        )
