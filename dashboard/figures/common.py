"""Shared pieces of every chart: layout defaults, the 'no data' figure, source footnotes."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard import theme

SOURCE_NAME = "source"  # names the source annotation, so board mode can move it into the page


def base_figure(
    title: str = "", *, board: bool = False, height: int | None = None, source: str = ""
) -> go.Figure:
    """An empty figure in the house template, with an optional title and source line."""
    fig = go.Figure()
    fig.update_layout(
        template=theme.template(board),
        title=dict(text=title) if title else None,
        height=height or (620 if board else 430),
    )
    if title:
        fig.update_layout(margin=dict(t=110 if board else 70))
    if source:
        add_source(fig, source, board=board)
    return fig


def add_source(fig: go.Figure, source: str, *, board: bool = False) -> go.Figure:
    """A small source line under the plot area, so a screenshot or printout keeps its provenance."""
    size = 16 if board else 11
    if not source.lower().startswith("source"):
        source = "Source: " + source
    # wrapped, so a half-width chart does not cut its source at the right edge
    import textwrap

    width = 150 if board else 75
    source = "<br>".join(line for part in source.split("<br>")
                         for line in (textwrap.wrap(part, width) or [part]))
    lines = source.count("<br>") + 1
    fig.add_annotation(
        text=source,
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-(90 if board else 60),
        xanchor="left",
        yanchor="top",
        showarrow=False,
        font=dict(size=size, color=theme.GREY),
        align="left",
        name=SOURCE_NAME,
    )
    bottom = fig.layout.margin.b if fig.layout.margin and fig.layout.margin.b else 60
    fig.update_layout(margin=dict(b=max(bottom, (120 if board else 90) + 14 * (lines - 1))))
    return fig


def message_figure(message: str, *, board: bool = False) -> go.Figure:
    """A blank chart saying why there is nothing to plot (no data, or all suppressed)."""
    fig = base_figure(board=board, height=300 if not board else 500)
    fig.add_annotation(
        text=message,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font=dict(size=theme.font_size(board) + 2, color=theme.GREY),
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
