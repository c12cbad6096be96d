"""The hidden figure: overlaps between agency lists and the multiple systems estimate."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.figures.common import message_figure
from dashboard.theme import fmt_count


def upset_chart(
    patterns: pd.DataFrame,
    lists: list[str],
    *,
    board: bool = False,
    count: str = "count",
    top: int = 15,
) -> go.Figure:
    """UpSet-style chart: bars of people per combination of lists, with a dot matrix below.

    ``patterns`` has one 0/1 column per list and a ``count`` column (NA when suppressed).
    """
    if patterns.empty or not lists:
        return message_figure("No linked records for this selection", board=board)
    frame = patterns.copy()
    frame["_sort"] = frame[count].astype("Float64").fillna(0)
    frame = frame.sort_values("_sort", ascending=False).head(top).reset_index(drop=True)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.03
    )
    x = list(range(len(frame)))
    fig.add_trace(
        go.Bar(
            x=x,
            y=frame["_sort"],
            marker=dict(color=theme.BLUE),
            text=[fmt_count(v) for v in frame[count]],
            textposition="outside",
            name="People",
            hovertemplate="%{text} people<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for i, name in enumerate(lists):
        member = frame[name].astype(int) == 1
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[i] * len(x),
                mode="markers",
                showlegend=False,
                marker=dict(
                    size=16 if board else 11,
                    color=[theme.INK if m else theme.LIGHT_GREY for m in member],
                ),
                hoverinfo="skip",
            ),
            row=2,
            col=1,
        )
    fig.update_layout(
        template=theme.template(board),
        height=700 if board else 520,
        showlegend=False,
        margin=dict(l=220 if board else 170),
    )
    fig.update_yaxes(title="People", row=1, col=1, rangemode="tozero")
    fig.update_yaxes(
        tickvals=list(range(len(lists))),
        ticktext=lists,
        row=2,
        col=1,
        showgrid=False,
        autorange="reversed",
    )
    fig.update_xaxes(showticklabels=False, showgrid=False)
    return fig


def estimates_chart(table: pd.DataFrame, *, board: bool = False, source: str = "") -> go.Figure:
    """Point estimates with intervals side by side (e.g. MSE total vs expected figure).

    ``table``: ``label``, ``value``, ``lower``, ``upper``; optional ``observed``.
    """
    if table.empty:
        return message_figure("No estimate available for this selection", board=board)
    from dashboard.figures.common import base_figure

    fig = base_figure(board=board, height=460 if not board else 620, source=source)
    colours = [theme.BLUE, theme.GREY, theme.ORANGE, theme.SKY]
    for i, row in table.reset_index(drop=True).iterrows():
        fig.add_trace(
            go.Scatter(
                x=[row["value"]],
                y=[row["label"]],
                # with many rows on a projected screen the labels would sit on the next row:
                # the board message states the headline figure, hover gives each row's
                mode="markers" if board and len(table) > 3 else "markers+text",
                marker=dict(
                    size=22 if board else 15, color=colours[i % len(colours)], symbol="diamond"
                ),
                error_x=dict(
                    type="data",
                    symmetric=False,
                    array=[row["upper"] - row["value"]],
                    arrayminus=[row["value"] - row["lower"]],
                    thickness=4,
                    width=10,
                    color=colours[i % len(colours)],
                ),
                text=[
                    f"{fmt_count(row['value'])} ({fmt_count(row['lower'])} to "
                    f"{fmt_count(row['upper'])})"
                ],
                textposition="top center",
                cliponaxis=False,  # a value label near an edge is shown whole
                textfont=dict(size=theme.font_size(board)),
                name=row["label"],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    if "observed" in table.columns and table["observed"].notna().any():
        observed = table["observed"].dropna().iloc[0]
        fig.add_vline(x=observed, line=dict(color=theme.INK, dash="dot"))
        fig.add_annotation(
            x=observed,
            y=1,
            yref="paper",
            text=f"known {fmt_count(observed)}",
            showarrow=False,
            yanchor="bottom",
            xanchor="left",
        )
    fig.update_xaxes(title="People", rangemode="tozero", tickformat=",")
    fig.update_yaxes(showgrid=False, automargin=True)
    fig.update_layout(showlegend=False)
    return fig
