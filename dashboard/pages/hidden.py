"""Hidden figure: overlaps between agencies' lists, every multiple systems estimate side by side
(the method-sensitivity table) and the expected number exploited during the same window."""

from __future__ import annotations

import math

import pandas as pd
from dash import html

from dashboard import data, hidden_views
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components.chart import chart_panel
from dashboard.components.chart_code import mse_code
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
    "Linked, pseudonymised referrals of forum agencies (lists = agency types, labour "
    "inspectors and enforcement merged). Expected: national scenario scaled by population, "
    "people exploited at some time during the same window."
)


def _window_text(view: hidden_views.HiddenView) -> str:
    if not view.window:
        return "the selected period"
    return f"{view.window[0]} to {view.window[-1]}"


def _estimates_table(view: hidden_views.HiddenView) -> pd.DataFrame:
    """One row per method (95% intervals labelled by kind) and the expected figure."""
    rows = []
    r = view.result
    observed = None if view.observed is None or pd.isna(view.observed) else int(view.observed)
    if r is not None:
        for row in r.table().itertuples(index=False):
            if not math.isfinite(row.estimate):
                continue
            kind = "posterior" if row.interval_kind == "credible" else "confidence"
            star = " (headline)" if row.headline else ""
            rows.append({
                "label": f"{row.label}{star}<br>{1 - r.alpha:.0%} {kind} interval",
                "method": row.method, "value": row.estimate, "lower": row.lower,
                "upper": row.upper, "interval": f"{1 - r.alpha:.0%} {kind} interval",
                "interval_method": row.interval_method, "observed": observed,
                "checks": row.checks, "notes": row.notes})
    e = view.expected
    rows.append({
        "label": "Expected from the national estimate<br>(people exploited during the window)",
        "method": "expected_during_window", "value": e.value, "lower": e.lower,
        "upper": e.upper, "interval": e.interval_kind, "interval_method": e.method,
        "observed": None, "checks": "", "notes": "; ".join(e.assumptions)})
    return pd.DataFrame(rows)


def _summary(view: hidden_views.HiddenView, area: str) -> str:
    r = view.result
    window = _window_text(view)
    if r is None:
        return f"{area}, {window}: {view.note}"
    best = r.best
    known = "" if view.observed is None or pd.isna(view.observed) else \
        f"{fmt_count(view.observed)} people are known to at least one agency; "
    e = view.expected
    text = (
        f"{area}, {window}: {known}the headline multiple systems estimate "
        f"({_label(r)}) is about {fmt_count(best.estimate)} people exploited at "
        f"some time in the window ({fmt_count(best.lower)} to {fmt_count(best.upper)}), "
        f"chosen because {r.reason}. {r.spread} The national scenario expects "
        f"{fmt_count(e.value)} ({e.interval_kind}: {fmt_count(e.lower)} to "
        f"{fmt_count(e.upper)}) over the same window."
    )
    if r.notes:
        text += " Warnings: " + " ".join(f"({i}) {n}." for i, n in enumerate(r.notes, 1))
    return text


def _label(result) -> str:
    from analysis.mse.sensitivity import LABELS

    return LABELS[result.headline]


def _estimates(store_path, state) -> ChartOutput:
    view = hidden_views.hidden_view(store_path, state)
    table = _estimates_table(view)
    area = data.area_name(state.area or data.home_area())
    shown = table
    if state.board and len(table):
        # a projected screen shows what its message says, legibly: the headline method beside
        # the expected figure, one line a row (every method stays in the table, the downloads
        # and the analyst's page; at 1280x720 five rows left room for two labels)
        keep = (table["label"].str.contains("(headline)", regex=False)
                | (table["method"] == "expected_during_window"))
        shown = table[keep] if keep.sum() == 2 else table
        shown = shown.assign(label=shown["label"].str.split("<br>").str[0]
                             .str.replace(" (headline)", "", regex=False))
        # the expected figure's range is over assumptions, not a sampling interval: say so
        shown.loc[shown["method"] == "expected_during_window", "label"] = \
            "Expected (range over assumptions)"
    if view.pending:
        return ChartOutput(fig.message_figure(view.note + "…", board=state.board),
                           f"{area}, {_window_text(view)}: {view.note}.", table,
                           _window_text(view), pending=True)
    code = (mse_code(store_path, state, state.area or data.home_area(), list(view.window),
                     hidden_views.LATENT_CLASS) if view.window else "")
    return ChartOutput(
        fig.estimates_chart(shown, board=state.board, source=SOURCE), _summary(view, area), table,
        _window_text(view), code=code, message=_message(view, area),
    )


def _message(view: hidden_views.HiddenView, area: str) -> str:
    """The one line a board member can repeat (board mode)."""
    r, e = view.result, view.expected
    if r is None:
        return f"{area}, {_window_text(view)}: no multiple systems estimate for this window."
    best = r.best
    return (f"{area}, {_window_text(view)}: about {fmt_count(best.estimate)} people exploited "
            f"({fmt_count(best.lower)} to {fmt_count(best.upper)}); the national scenario "
            f"expects {fmt_count(e.value)}.")


def _overlaps(store_path, state) -> ChartOutput:
    patterns = hidden_views.window_patterns(store_path, state)
    lists = [c for c in patterns.columns if c != "count" and not str(c).endswith("_suppressed")]
    summary = (
        f"{len(patterns)} combinations of lists hold linked people in the window; bars show "
        "how many people each combination holds ([c] where too few to show)."
    )
    quarters = hidden_views.hidden_window(store_path, state)
    code = (mse_code(store_path, state, state.area or data.home_area(), quarters,
                     hidden_views.LATENT_CLASS, estimates=False) if quarters else "")
    return ChartOutput(fig.upset_chart(patterns, lists, board=state.board), summary, patterns,
                       code=code)


CHARTS = (
    ChartSpec(
        "hidden-estimates",
        "Multiple systems estimates by method beside the expected figure",
        _estimates,
    ),
    ChartSpec("hidden-overlaps", "People known to each combination of lists", _overlaps),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "Two independent views of the hidden figure over one window (the latest "
                "year unless a period is chosen): from the top, a national prevalence "
                "estimate scaled to the area; from the bottom, the overlaps between "
                "agencies' own lists (multiple systems estimation, the method behind the "
                "Home Office's 2014 estimate), by four methods whose spread is part of the "
                "uncertainty.",
            ),
            chart_panel(
                "hidden-estimates",
                CHARTS[0].caption,
                caption="Each row is a method: stepwise selection (SparseMSE), BIC over all "
                "hierarchical models with bootstrap reselection, Bayesian model averaging "
                "over decomposable graphs, and Bayesian latent classes (which allow people to "
                "differ in how catchable they are). Confidence intervals are bootstrap "
                "sampling intervals; posterior intervals are Bayesian; the expected figure's "
                "range is over assumed durations, not a sampling interval.",
            ),
            chart_panel(
                "hidden-overlaps",
                CHARTS[1].caption,
                board=False,
                caption="Each bar is a combination of lists (dots below); only records with a "
                "linkage key are counted.",
            ),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)
