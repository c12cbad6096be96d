"""Hidden figure: overlaps between agencies' lists and the multiple systems estimate beside the
prevalence-scaled expected figure."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard import data, hidden_views
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures import hidden as fig
from dashboard.theme import fmt_count

SLUG = "hidden"
PATH = "/hidden"
TITLE = "Hidden figure"
NAV_LABEL = "Hidden figure"
IN_NAV = True
BOARD_ORDER = 6
SOURCE = (
    "Linked, pseudonymised referrals of forum agencies (lists = agency types). Expected: "
    "national scenario scaled by population (people in exploitation on one day)."
)


def _estimates_table(view: hidden_views.HiddenView) -> pd.DataFrame:
    rows = []
    r = view.result
    if r is not None:
        rows.append(
            {
                "label": "Multiple systems estimate",
                "value": r.estimate,
                "lower": r.lower,
                "upper": r.upper,
                "observed": r.observed,
            }
        )
    stock = view.expected.stock
    rows.append(
        {
            "label": "Expected from the national<br>estimate (on one day)",
            "value": stock.value,
            "lower": stock.lower,
            "upper": stock.upper,
            "observed": None,
        }
    )
    return pd.DataFrame(rows)


def _summary(view: hidden_views.HiddenView, area: str) -> str:
    r = view.result
    if r is None:
        return f"{area}: {view.note}"
    return (
        f"{area}: {fmt_count(r.observed)} people are known to at least one agency; the "
        f"overlaps between agencies suggest about {fmt_count(r.estimate)} in all "
        f"({fmt_count(r.lower)} to {fmt_count(r.upper)}), so roughly "
        f"{fmt_count(r.estimate - r.observed)} not known to any agency. The estimate "
        "assumes the lists' overlaps are not driven by hidden dependence between agencies."
    )


def _estimates(store_path, state) -> ChartOutput:
    view = hidden_views.hidden_view(store_path, state)
    table = _estimates_table(view)
    area = data.area_name(state.area or data.home_area())
    return ChartOutput(
        fig.estimates_chart(table, board=state.board, source=SOURCE), _summary(view, area), table
    )


def _overlaps(store_path, state) -> ChartOutput:
    view = hidden_views.hidden_view(store_path, state)
    n = len(view.patterns)
    summary = (
        f"{n} combinations of agency types hold linked people; bars show how many "
        "people each combination holds ([c] where too few to show)."
    )
    return ChartOutput(
        fig.upset_chart(view.patterns, list(view.lists), board=state.board), summary, view.patterns
    )


CHARTS = (
    ChartSpec(
        "hidden-estimates", "Multiple systems estimate beside the expected figure", _estimates
    ),
    ChartSpec("hidden-overlaps", "People known to each combination of agency types", _overlaps),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "Two independent views of the hidden figure: from the top, a "
                "national prevalence estimate scaled to the area; from the bottom, the "
                "overlaps between agencies' own lists (multiple systems estimation, the "
                "method behind the Home Office's 2014 estimate).",
            ),
            chart_panel("hidden-estimates", CHARTS[0].caption),
            chart_panel(
                "hidden-overlaps",
                CHARTS[1].caption,
                board=False,
                caption="Each bar is a combination of agency types (dots below); only "
                "records with a linkage key are counted.",
            ),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)
