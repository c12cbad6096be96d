"""National context charts on published figures: the 43 forces and the UK quarterly series."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures.common import base_figure, message_figure

NRM_SOURCE = (
    "Source: Home Office, NRM statistics data tables (police first-responder table); "
    "ONS Census 2021. OGL v3.0."
)
UK_SOURCE = "Source: Home Office, NRM and Duty to Notify statistics UK (quarterly). OGL v3.0."
RATE_TITLE = "Police NRM referrals per 100,000 residents a year"


def nrm_source(period: str = "", releases: str = "") -> str:
    """The source line of a police first-responder chart, naming its period and vintages."""
    what = f", {period}" if period else ""
    vintages = f" (releases {releases})" if releases else ""
    return (f"Source: Home Office, NRM statistics data tables, police first-responder "
            f"table{what}{vintages}; ONS Census 2021. OGL v3.0.")


def _period(frame: pd.DataFrame) -> str:
    return str(frame["period"].iloc[0]) if "period" in frame and len(frame) else ""


def force_rates(forces: pd.DataFrame, home_code: str, *, board: bool = False) -> go.Figure:
    """Sorted dot chart of police-made NRM referrals per 100,000 residents a year, by force.

    ``forces`` has ``pfa_code``, ``pfa_name``, ``annual_rate_per_100k`` and, when available,
    ``lower``/``upper`` interval columns. The home force is drawn in the highlight colour.
    """
    if forces.empty:
        return message_figure("No national figures available", board=board)
    frame = forces.sort_values("annual_rate_per_100k")
    home = frame["pfa_code"] == home_code
    colours = [theme.HIGHLIGHT if h else theme.BLUE for h in home]
    sizes = [16 if h else 9 for h in home] if not board else [22 if h else 12 for h in home]
    error = None
    if {"lower", "upper"} <= set(frame.columns):
        error = dict(
            type="data",
            symmetric=False,
            color=theme.GREY,
            thickness=1.5,
            array=frame["upper"] - frame["annual_rate_per_100k"],
            arrayminus=frame["annual_rate_per_100k"] - frame["lower"],
        )
    period = _period(frame)
    title = f"{RATE_TITLE}, by force, {period}" if period else f"{RATE_TITLE}, by force"
    fig = base_figure(title, board=board, height=1000 if not board else 900,
                      source=nrm_source(period, str(frame["releases"].iloc[0])
                                        if "releases" in frame else ""))
    fig.add_trace(
        go.Scatter(
            x=frame["annual_rate_per_100k"],
            y=frame["pfa_name"],
            mode="markers",
            marker=dict(
                color=colours,
                size=sizes,
                line=dict(color=theme.INK, width=[2 if h else 0 for h in home]),
            ),
            error_x=error,
            name="Force",
            hovertemplate="%{y}: %{x:.1f} police NRM referrals per 100,000 residents a year"
            "<extra></extra>",
        )
    )
    national = float(
        frame["referrals"].sum()
        / frame["population"].sum()
        * 100_000
        * 4
        / frame["quarters"].iloc[0]
    )
    fig.add_vline(x=national, line=dict(color=theme.GREY, dash="dash", width=2))
    fig.add_annotation(
        x=national,
        y=1,
        yref="paper",
        text=f"England and Wales {national:.1f}",
        showarrow=False,
        yanchor="bottom",
        font=dict(color=theme.GREY),
    )
    if home.any():
        row = frame[home].iloc[0]
        fig.add_annotation(
            x=row["annual_rate_per_100k"],
            y=row["pfa_name"],
            text=f"<b>{row['pfa_name']} {row['annual_rate_per_100k']:.1f}</b>",
            showarrow=False,
            xanchor="left",
            xshift=14,
            font=dict(color=theme.HIGHLIGHT, size=theme.font_size(board) + 2),
        )
    _clip_outliers(fig, frame, board)
    fig.update_xaxes(title=RATE_TITLE, rangemode="tozero")
    fig.update_yaxes(showgrid=False, tickfont=dict(size=11 if not board else 16))
    fig.update_layout(showlegend=False, margin=dict(l=170 if not board else 240))
    return fig


def _clip_outliers(fig: go.Figure, frame: pd.DataFrame, board: bool) -> None:
    """Keep one extreme force (City of London: tiny resident population) from flattening the
    rest: cut the axis and print the outlier's value at the edge."""
    rates = frame["annual_rate_per_100k"].sort_values()
    if len(rates) < 3 or rates.iloc[-1] < 3 * rates.iloc[-2]:
        return
    limit = float(rates.iloc[-2]) * 1.35
    fig.update_xaxes(range=[0, limit])
    for _, row in frame[frame["annual_rate_per_100k"] > limit].iterrows():
        fig.add_annotation(
            x=limit,
            y=row["pfa_name"],
            xanchor="right",
            showarrow=False,
            text=f"{row['annual_rate_per_100k']:.0f} (off scale) →",
            font=dict(size=theme.font_size(board), color=theme.GREY),
        )


def describe_force_rates(forces: pd.DataFrame, home_code: str) -> str:
    """One sentence for screen readers and the board message."""
    if forces.empty or home_code not in set(forces["pfa_code"]):
        return "National figures are not available for this area."
    row = forces.set_index("pfa_code").loc[home_code]
    national = (
        forces["referrals"].sum() / forces["population"].sum() * 100_000 * 4 / row["quarters"]
    )
    higher = int((forces["annual_rate_per_100k"] > row["annual_rate_per_100k"]).sum())
    period = f" ({row['period']})" if "period" in row else ""
    return (
        f"{row['pfa_name']} police made {int(row['referrals']):,} NRM referrals over "
        f"{int(row['quarters'])} quarters{period}: {row['annual_rate_per_100k']:.1f} per 100,000 "
        "residents "
        f"a year, against {national:.1f} for England and Wales; {higher} of the 43 forces refer "
        "at a "
        "higher rate. A higher rate can mean more active identification, not more exploitation."
    )


def _quarter(period: str) -> str:
    return period.replace("Q", " Q")


def uk_quarterly(series: pd.DataFrame, *, board: bool = False, since: str = "2015Q1") -> go.Figure:
    """UK NRM referrals per quarter: the newest published figure for each quarter, its
    release in the hover, secondary-source figures marked."""
    frame = series[series["period"] >= since]
    if frame.empty:
        return message_figure("No UK series available", board=board)
    title = (f"UK NRM referrals per quarter, {_quarter(frame['period'].iloc[0])} to "
             f"{_quarter(frame['period'].iloc[-1])}")
    fig = base_figure(title, board=board, source=UK_SOURCE)
    release = frame["release"] if "release" in frame else frame["period"]
    fig.add_trace(
        go.Scatter(
            x=frame["period"],
            y=frame["referrals"],
            customdata=release,
            mode="lines+markers" if not board else "lines",
            line=dict(color=theme.BLUE),
            name="UK NRM referrals (newest published figure)",
            hovertemplate="%{x}: %{y:,} referrals (as published in release %{customdata})"
            "<extra></extra>",
        )
    )
    secondary = frame[frame["secondary"].astype(bool)]
    if len(secondary):
        fig.add_trace(
            go.Scatter(
                x=secondary["period"],
                y=secondary["referrals"],
                mode="markers",
                name="From a secondary source (press report or reproduction)",
                marker=dict(symbol="circle-open", size=12, color=theme.ORANGE, line=dict(width=2)),
            )
        )
    last = frame.iloc[-1]
    fig.add_annotation(
        x=last["period"],
        y=last["referrals"],
        text=f"{int(last['referrals']):,}",
        showarrow=False,
        yshift=18,
        font=dict(size=theme.font_size(board)),
    )
    fig.update_yaxes(title="NRM referrals per quarter (UK)", rangemode="tozero", tickformat=",")
    fig.update_xaxes(title=None, nticks=12)
    return fig


def describe_uk_quarterly(series: pd.DataFrame) -> str:
    if series.empty:
        return ""
    last = series.iloc[-1]
    year_ago = series[series["period"] == f"{int(last['period'][:4]) - 1}{last['period'][4:]}"]
    change = ""
    if len(year_ago):
        prev = int(year_ago["referrals"].iloc[0])
        change = f", against {prev:,} a year earlier"
    vintage = f" (as published in release {last['release']})" if "release" in last else ""
    source = " from a secondary source" if bool(last.get("secondary", False)) else ""
    return (f"The UK recorded {int(last['referrals']):,} NRM referrals in "
            f"{_quarter(last['period'])}{vintage}{source}{change}.")


def peer_rates(peers: pd.DataFrame, *, board: bool = False) -> go.Figure:
    """The force beside its most similar forces: police NRM referrals per 100,000 a year."""
    if peers.empty:
        return message_figure("No peers found", board=board)
    frame = peers.sort_values("annual_rate_per_100k")
    fig = base_figure(board=board, height=380 if not board else 560,
                      source=nrm_source(_period(frame)))
    fig.add_trace(
        go.Bar(
            x=frame["annual_rate_per_100k"],
            y=frame["area_name"],
            orientation="h",
            marker=dict(color=[theme.HIGHLIGHT if h else theme.BLUE for h in frame["highlighted"]]),
            text=[f"{v:.1f}" for v in frame["annual_rate_per_100k"]],
            textposition="outside",
            hovertemplate="%{y}: %{x:.1f} per 100,000 a year<extra></extra>",
        )
    )
    fig.update_xaxes(title=RATE_TITLE, rangemode="tozero")
    fig.update_yaxes(showgrid=False)
    fig.update_layout(showlegend=False)
    return fig
