"""Binds a page's chart to its data and figure functions and registers its callbacks.

A page declares ``ChartSpec(chart_id, caption, build)`` where ``build(store_path, state)``
returns a :class:`ChartOutput` (figure, one-sentence summary, the table behind it, already
protected by ``analysis.disclosure``). This module turns each spec into two thin callbacks:
render (figure, summary, data table) and download (CSV/XLSX via ``analysis.export``; PNG/SVG
in the browser through plotly's own image export, so no server round trip).

Downloads are always protected, even while an analyst has exact counts on screen: the
CSV/XLSX callback builds the view with ``exact=False``, and with exact counts on the render
callback also sends the protected figure (``<chart_id>-image``), which the PNG/SVG export
draws instead of the one on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, State, dcc, no_update

from dashboard import context
from dashboard.components.chart import GRAPH_CONFIG
from dashboard.components.table import data_table
from dashboard.figures.common import SOURCE_NAME
from dashboard.shared_cache import shared_cache
from dashboard.state import ViewState, from_dict


@dataclass(frozen=True)
class ChartOutput:
    figure: go.Figure
    summary: str
    table: pd.DataFrame
    period: str = ""  # the period the chart shows, in words; appended to its title
    code: str = ""  # the few `analysis` calls that reproduce ``table`` (the "Python" action)
    message: str = ""  # the view's one board sentence, when it differs from the summary
    pending: bool = False  # a model fit is still running: the chart asks again shortly


def chart_title(caption: str, period: str) -> str:
    """The chart's title naming its period, e.g. 'New victims by sector, 2025'."""
    return f"{caption}, {period}" if period else caption


@dataclass(frozen=True)
class ChartSpec:
    chart_id: str
    caption: str
    build: Callable[[Path, ViewState], ChartOutput]


def download_bytes(table: pd.DataFrame, kind: str) -> bytes:
    """Protected table -> CSV or XLSX bytes, formula-neutralised, suppressed cells as [c]."""
    from analysis import disclosure, export

    shown = table[[c for c in table.columns if not str(c).endswith("_suppressed")]]
    if any(str(c).endswith("_suppressed") for c in table.columns):
        shown = disclosure.format_suppressed(table)
        shown = shown[[c for c in shown.columns if not str(c).endswith("_suppressed")]]
    return export.to_csv_bytes(shown) if kind == "csv" else export.to_xlsx_bytes(shown)


def fit_to_screen(figure: go.Figure) -> tuple[go.Figure, str]:
    """Board mode: the figure fills its panel (no fixed height) and its source line moves out
    of the plot into the page, where it wraps at the screen's width instead of being cut."""
    figure = go.Figure(figure)
    notes = [a for a in figure.layout.annotations if a.name == SOURCE_NAME]
    figure.layout.annotations = [a for a in figure.layout.annotations if a.name != SOURCE_NAME]
    figure.layout.height = None
    figure.layout.autosize = True
    for axis in ("yaxis", "xaxis"):  # a long axis title would be cut on a short screen
        title = figure.layout[axis].title.text
        if title and len(title) > (26 if axis == "yaxis" else 70) and "<br>" not in title:
            figure.layout[axis].title.text = _wrap(title, 26 if axis == "yaxis" else 70)
    if notes:
        figure.update_layout(margin=dict(b=70))
    return figure, " ".join(str(a.text).replace("<br>", " ") for a in notes)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "<br>".join(textwrap.wrap(text, width))


def graph_config(board: bool, exact: bool = False) -> dict:
    """Plotly's toolbar is for analysts; a projected board view has none. With exact counts
    on screen the toolbar's own image button goes (it would save the exact figure); the
    PNG/SVG buttons below the chart save the protected one."""
    if board:
        return {**GRAPH_CONFIG, "displayModeBar": False}
    if exact:
        return {**GRAPH_CONFIG, "modeBarButtonsToRemove": [
            *GRAPH_CONFIG["modeBarButtonsToRemove"], "toImage"]}
    return GRAPH_CONFIG


def code_block(code: str):
    """The "Python" action's text: the analysis calls behind the chart, or why there are none."""
    return code or NO_CODE


TABLE_PENDING = "Loading the table…"

NO_CODE = ("This chart combines several steps of the dashboard's view layer, so there is no "
           "single `analysis` call that reproduces it; use the Data table or the CSV download.")


def protected(view: ViewState) -> ViewState:
    """The view as every export is built: protected counts, whatever is on screen."""
    return replace(view, exact=False)


#: Rendered charts kept per process: the views a team keeps opening (the home area, this
#: year, the board's pages) are drawn once per store version, not once per request.
RENDERED_KEPT = 512


def _settings() -> tuple:
    """The settings in force (read at call time, as ``analysis.config`` does): a chart drawn
    under another home area or threshold is another chart."""
    import os

    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("DARKFIGURE_")))


@shared_cache(maxsize=RENDERED_KEPT, keep=lambda outputs: outputs[-1])
def _rendered(spec: ChartSpec, version, view: ViewState, settings: tuple) -> tuple:
    """The render callback's outputs for one chart, store version, granted view and settings.
    A chart whose model fit is still running (its poll left on) is not kept."""
    store_path = Path(version[0])
    out = spec.build(store_path, view)
    # exact on screen: the image downloads draw this protected figure instead
    image = spec.build(store_path, protected(view)).figure.to_dict() if view.exact else None
    # a chart without a period keeps the title its page wrote (e.g. periods from the store)
    title = chart_title(spec.caption, out.period) if out.period else no_update
    figure, source = fit_to_screen(out.figure) if view.board else (out.figure, "")
    pending = "" if out.table is not None and len(out.table) else "No data for this selection."
    # the poll stays on while a model fit for this view runs in the background
    return (figure.to_dict(), out.summary, pending, title, graph_config(view.board, view.exact),
            source, code_block(out.code), image, not out.pending)


def register_chart(app, spec: ChartSpec) -> None:
    cid = spec.chart_id

    targets = [(f"{cid}-graph", "figure"), (f"{cid}-summary", "children"),
               (f"{cid}-table", "children"), (f"{cid}-title", "children"),
               (f"{cid}-graph", "config"), (f"{cid}-source", "children"),
               (f"{cid}-code", "children"), (f"{cid}-image", "data"), (f"{cid}-poll", "disabled")]

    def rendered(state):
        from dashboard.store_reader import store_version

        # the view as granted to this user (exact counts only for an analyst), so the cache
        # below never hands one user's exact figure to another
        view = from_dict(state)
        return _rendered(spec, store_version(context.current().store_path), view, _settings())

    @app.callback(*[Output(i, p) for i, p in targets], Input("filter-state", "data"))
    def render(state):
        return rendered(state)

    @app.callback(*[Output(i, p, allow_duplicate=True) for i, p in targets],
                  Input(f"{cid}-poll", "n_intervals"), State("filter-state", "data"),
                  prevent_initial_call=True)
    def refresh(_polls, state):  # asked again while the view's model fit is running
        return rendered(state)

    # The table is built only once its "Data table" section has been opened: a few thousand
    # cells of html components on a page (the National page has three wide tables) cost the
    # browser seconds to render, and most readers never open them.
    @app.callback(
        Output(f"{cid}-table-body", "children"),
        Input(f"{cid}-table-toggle", "n_clicks"),
        Input("filter-state", "data"),
    )
    def table(n_clicks, state):
        if not n_clicks:
            return TABLE_PENDING
        out = spec.build(context.current().store_path, from_dict(state))
        return data_table(out.table, chart_title(spec.caption, out.period))

    @app.callback(
        Output(f"{cid}-download", "data"),
        Input(f"{cid}-csv", "n_clicks"),
        Input(f"{cid}-xlsx", "n_clicks"),
        State("filter-state", "data"),
        prevent_initial_call=True,
    )
    def download(csv_clicks, xlsx_clicks, state):
        from dash import ctx

        kind = "xlsx" if ctx.triggered_id == f"{cid}-xlsx" else "csv"
        table = spec.build(context.current().store_path, protected(from_dict(state))).table
        return dcc.send_bytes(download_bytes(table, kind), f"{cid}.{kind}")

    app.clientside_callback(
        ClientsideFunction(namespace="darkfigure", function_name="downloadImage"),
        Output(f"{cid}-png", "title"),
        Input(f"{cid}-png", "n_clicks"),
        Input(f"{cid}-svg", "n_clicks"),
        State(f"{cid}-graph", "id"),
        State(f"{cid}-image", "data"),
        prevent_initial_call=True,
    )
