"""Binds a page's chart to its data and figure functions and registers its callbacks.

A page declares ``ChartSpec(chart_id, caption, build)`` where ``build(store_path, state)``
returns a :class:`ChartOutput` (figure, one-sentence summary, the table behind it, already
protected by ``analysis.disclosure``). This module turns each spec into two thin callbacks:
render (figure, summary, data table) and download (CSV/XLSX via ``analysis.export``; PNG/SVG
in the browser through plotly's own image export, so no server round trip).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, State, dcc

from dashboard import context
from dashboard.components.table import data_table
from dashboard.state import ViewState, from_dict


@dataclass(frozen=True)
class ChartOutput:
    figure: go.Figure
    summary: str
    table: pd.DataFrame
    period: str = ""  # the period the chart shows, in words; appended to its title


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


def register_chart(app, spec: ChartSpec) -> None:
    cid = spec.chart_id

    @app.callback(
        Output(f"{cid}-graph", "figure"),
        Output(f"{cid}-summary", "children"),
        Output(f"{cid}-table", "children"),
        Output(f"{cid}-title", "children"),
        Input("filter-state", "data"),
    )
    def render(state):
        out = spec.build(context.current().store_path, from_dict(state))
        title = chart_title(spec.caption, out.period)
        return out.figure, out.summary, data_table(out.table, title), title

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
        table = spec.build(context.current().store_path, from_dict(state)).table
        return dcc.send_bytes(download_bytes(table, kind), f"{cid}.{kind}")

    app.clientside_callback(
        ClientsideFunction(namespace="darkfigure", function_name="downloadImage"),
        Output(f"{cid}-png", "title"),
        Input(f"{cid}-png", "n_clicks"),
        Input(f"{cid}-svg", "n_clicks"),
        State(f"{cid}-graph", "id"),
        prevent_initial_call=True,
    )
