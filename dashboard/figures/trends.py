"""Trends: quarterly detected counts with the expected band, forecast and interventions."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures.common import base_figure, message_figure
from dashboard.theme import fmt_count


def trend_chart(
    series: pd.DataFrame,
    *,
    forecast: pd.DataFrame | None = None,
    interventions: pd.DataFrame | None = None,
    board: bool = False,
    source: str = "",
) -> go.Figure:
    """Quarterly detected counts against the expected band, with an optional forecast.

    ``series``: ``quarter``, ``detected`` (NA when suppressed), optional ``expected``,
    ``expected_lower``, ``expected_upper``. ``forecast``: ``quarter``, ``mean``, ``lower``,
    ``upper``. ``interventions``: ``quarter``, ``label``.
    """
    if series.empty:
        return message_figure("No referrals for this selection", board=board)
    fig = base_figure(board=board, source=source)
    x = series["quarter"].tolist()
    if {"expected_lower", "expected_upper"} <= set(series.columns):
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=series["expected_upper"].tolist() + series["expected_lower"].tolist()[::-1],
                fill="toself",
                fillcolor=theme.BAND,
                line=dict(width=0),
                name="Expected range",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=series["expected"],
                mode="lines",
                name="Expected",
                line=dict(color=theme.GREY, dash="dash"),
            )
        )
    detected = series["detected"].astype("Float64")
    fig.add_trace(
        go.Scatter(
            x=x,
            y=detected,
            mode="lines+markers+text" if board else "lines+markers",
            name="Detected",
            line=dict(color=theme.BLUE),
            marker=dict(size=10 if board else 7),
            text=[fmt_count(v) for v in series["detected"]] if board else None,
            textposition="top center",
            connectgaps=False,
            hovertemplate="%{x}: %{y:,} detected<extra></extra>",
        )
    )
    if forecast is not None and not forecast.empty:
        fx = forecast["quarter"].tolist()
        fig.add_trace(
            go.Scatter(
                x=fx + fx[::-1],
                y=forecast["upper"].tolist() + forecast["lower"].tolist()[::-1],
                fill="toself",
                fillcolor="rgba(230,159,0,0.25)",
                line=dict(width=0),
                name="Forecast interval",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=fx,
                y=forecast["mean"],
                mode="lines+markers",
                name="Forecast",
                line=dict(color=theme.ORANGE, dash="dot"),
            )
        )
    for _, row in (interventions if interventions is not None else pd.DataFrame()).iterrows():
        fig.add_vline(x=row["quarter"], line=dict(color=theme.INK, dash="dot"))
        fig.add_annotation(
            x=row["quarter"],
            y=1,
            yref="paper",
            text=row["label"],
            showarrow=False,
            xanchor="left",
            yanchor="top",
            bgcolor="rgba(255,255,255,0.85)",
        )
    missing = series["detected"].isna().sum()
    if missing:
        fig.add_annotation(
            text=f"{missing} quarter(s) suppressed [c]",
            xref="paper",
            yref="paper",
            x=1,
            y=1.02,
            xanchor="right",
            showarrow=False,
            font=dict(color=theme.GREY),
        )
    fig.update_yaxes(title="New victims detected a quarter (people)", rangemode="tozero", tickformat=",")
    fig.update_xaxes(title=None, type="category", nticks=12)
    return fig


def control_chart(series: pd.DataFrame, *, board: bool = False, source: str = "") -> go.Figure:
    """Process-control view: counts with centre line and control limits given in ``series``.

    ``series``: ``quarter``, ``detected``, ``centre``, ``lower``, ``upper`` and optional
    ``signal`` (bool) marking quarters outside the limits.
    """
    if series.empty:
        return message_figure("No referrals for this selection", board=board)
    fig = base_figure(board=board, source=source)
    x = series["quarter"]
    for col, name, dash in (
        ("upper", "Upper control limit", "dash"),
        ("centre", "Centre line", "solid"),
        ("lower", "Lower control limit", "dash"),
    ):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=series[col],
                mode="lines",
                name=name,
                line=dict(color=theme.GREY, dash=dash, shape="hv"),
            )
        )
    signal = series.get("signal", pd.Series(False, index=series.index)).fillna(False).astype(bool)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=series["detected"].astype("Float64"),
            mode="lines+markers",
            name="Detected",
            line=dict(color=theme.BLUE),
            marker=dict(
                size=[18 if s else 9 for s in signal],
                color=[theme.ORANGE if s else theme.BLUE for s in signal],
                symbol=["diamond" if s else "circle" for s in signal],
            ),
        )
    )
    fig.update_yaxes(title="New victims detected a quarter (people)", rangemode="tozero")
    fig.update_xaxes(type="category", nticks=12)
    return fig


def describe_trend(series: pd.DataFrame, trend_text: str = "") -> str:
    shown = series.dropna(subset=["detected"])
    if shown.empty:
        return "No quarter has a count large enough to show."
    last = shown.iloc[-1]
    text = f"In {last['quarter']} agencies detected {fmt_count(last['detected'])} people."
    return f"{text} {trend_text}".strip()
