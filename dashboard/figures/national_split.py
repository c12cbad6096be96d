"""UK and overseas on the National page: where the exploitation happened, and UK nationals.

Published aggregate figures (``analysis.national``); no dash imports.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures.common import base_figure, message_figure

LOCATION_SOURCE = ("Source: Home Office, NRM statistics data tables, Table_2 (referrals by "
                   "quarter, age and location of exploitation). OGL v3.0.")
NATIONALITY_SOURCE = ("Source: Home Office, NRM statistics data tables, police first-responder "
                      "table (nationality columns), 2022 Q2 to 2023 Q4; UK nationals exclude "
                      "dual nationals. OGL v3.0.")
LOCATION_COLOURS = {"UK": theme.BLUE, "Overseas": theme.ORANGE,
                    "UK and Overseas": theme.GREY, "Not specified or unknown": "#BBBBBB"}
LOCATION_NAMES = {"UK": "UK only", "Overseas": "Overseas only", "UK and Overseas":
                  "UK and overseas", "Not specified or unknown": "Not recorded"}


def _quarter(period: str) -> str:
    return period.replace("Q", " Q")


def uk_by_location(locations: pd.DataFrame, *, board: bool = False,
                   since: str = "2015Q1") -> go.Figure:
    """UK NRM referrals per quarter, stacked by where the exploitation happened."""
    frame = locations[locations["period"] >= since]
    if frame.empty:
        return message_figure("No location of exploitation figures available", board=board)
    title = (f"UK NRM referrals by location of exploitation, {_quarter(frame['period'].iloc[0])}"
             f" to {_quarter(frame['period'].iloc[-1])}")
    fig = base_figure(title, board=board, source=LOCATION_SOURCE)
    for location, colour in LOCATION_COLOURS.items():
        share = frame[location] / frame["total"]
        fig.add_trace(go.Bar(
            x=frame["period"], y=frame[location], name=LOCATION_NAMES[location],
            marker=dict(color=colour), customdata=share,
            hovertemplate=f"%{{x}}: %{{y:,}} {LOCATION_NAMES[location].lower()} "
                          "(%{customdata:.0%})<extra></extra>"))
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    fig.update_yaxes(title="NRM referrals per quarter (UK)", tickformat=",")
    fig.update_xaxes(title=None, nticks=12)
    return fig


def describe_locations(locations: pd.DataFrame) -> str:
    if locations.empty:
        return ""
    last = locations.iloc[-1]
    earlier = str(int(last["period"][:4]) - 5)
    then = locations[locations["period"].str.startswith(earlier)]
    average = f" ({then['uk_share'].mean():.0%} on average in {earlier})" if len(then) else ""
    return (f"In {_quarter(last['period'])}, {last['uk_share']:.0%} of UK NRM referrals were for "
            f"exploitation in the UK only{average} and {last['overseas_share']:.0%} overseas "
            f"(only or as well), as published in release {last['release']}.")


def uk_nationals_by_force(share: pd.DataFrame, home_code: str, *,
                          board: bool = False) -> go.Figure:
    """Share of each force's police NRM referrals that are UK nationals, with 95% Wilson
    intervals and the England and Wales share."""
    frame = share[share["referrals"] > 0].sort_values("uk_national_share")
    if frame.empty:
        return message_figure("No nationality figures available", board=board)
    period = str(frame["period"].iloc[0])
    home = frame["pfa_code"] == home_code
    fig = base_figure(f"UK nationals among police NRM referrals, by force, {period}",
                      board=board, height=1000 if not board else 900, source=NATIONALITY_SOURCE)
    fig.add_trace(go.Scatter(
        x=frame["uk_national_share"], y=frame["pfa_name"], mode="markers",
        marker=dict(color=[theme.HIGHLIGHT if h else theme.BLUE for h in home],
                    size=[16 if h else 9 for h in home]),
        error_x=dict(type="data", symmetric=False, color=theme.GREY, thickness=1.5,
                     array=frame["upper"] - frame["uk_national_share"],
                     arrayminus=frame["uk_national_share"] - frame["lower"]),
        customdata=frame[["uk_nationals", "referrals"]],
        hovertemplate="%{y}: %{x:.0%} UK nationals (%{customdata[0]:,} of %{customdata[1]:,})"
                      "<extra></extra>", name="Force"))
    national = float(frame["england_and_wales_share"].iloc[0])
    fig.add_vline(x=national, line=dict(color=theme.GREY, dash="dash", width=2))
    fig.add_annotation(x=national, y=1, yref="paper", yanchor="bottom", showarrow=False,
                       text=f"England and Wales {national:.0%}", font=dict(color=theme.GREY))
    fig.update_xaxes(title="UK nationals as a share of police NRM referrals (95% interval)",
                     tickformat=".0%", range=[0, 1])
    fig.update_yaxes(showgrid=False, tickfont=dict(size=11 if not board else 16))
    fig.update_layout(showlegend=False, margin=dict(l=170 if not board else 240))
    return fig


def describe_uk_nationals(share: pd.DataFrame, home_code: str) -> str:
    if share.empty or home_code not in set(share["pfa_code"]):
        return "Nationality figures are not available for this area."
    row = share.set_index("pfa_code").loc[home_code]
    return (f"{row['pfa_name']}: {int(row['uk_nationals']):,} of {int(row['referrals']):,} "
            f"police NRM referrals in {row['period']} were UK nationals ({row['uk_national_share']:.0%},"
            f" 95% interval {row['lower']:.0%} to {row['upper']:.0%}), against "
            f"{row['england_and_wales_share']:.0%} for England and Wales. A force that refers "
            "more UK nationals is finding more domestic exploitation (county lines, criminal "
            "exploitation of children), which changes what its rate means.")


def uk_national_mix(mix: pd.DataFrame, *, board: bool = False) -> go.Figure:
    """UK nationals among the area's detected people (95% Wilson interval) and among UK NRM
    referrals in the same quarters: a composition, not a ratio."""
    if mix.empty:
        return message_figure("No detected people in this view", board=board)
    local = mix.iloc[0]
    fig = base_figure(f"UK nationals: people detected locally and UK NRM referrals, "
                      f"{local['period']}", board=board, height=330 if not board else 480,
                      source="Sources: agency records (protected counts); Home Office NRM "
                      "statistics. OGL v3.0.")
    shown = mix.dropna(subset=["uk_national_share"])
    fig.add_trace(go.Bar(
        x=shown["uk_national_share"], y=shown["who"] + "<br>" + shown["period"].str.slice(0, 60),
        orientation="h",
        marker=dict(color=[theme.HIGHLIGHT if i == 0 else theme.BLUE for i in shown.index]),
        error_x=dict(type="data", symmetric=False, color=theme.INK, thickness=1.5,
                     array=(shown["upper"] - shown["uk_national_share"]).fillna(0),
                     arrayminus=(shown["uk_national_share"] - shown["lower"]).fillna(0)),
        text=[f"{v:.0%}" for v in shown["uk_national_share"]], textposition="inside",
        hovertemplate="%{y}: %{x:.0%} UK nationals<extra></extra>"))
    if bool(local["uk_nationals_suppressed"]):
        fig.add_annotation(text="Local share not shown: a count behind it is below the "
                           "disclosure threshold [c]", xref="paper", yref="paper", x=0, y=1.05,
                           showarrow=False, xanchor="left", font=dict(color=theme.GREY))
    fig.update_xaxes(title="Share who are UK nationals (local: 95% interval)", tickformat=".0%",
                     range=[0, 1])
    fig.update_yaxes(showgrid=False, automargin=True)
    fig.update_layout(showlegend=False)
    return fig


def describe_uk_national_mix(mix: pd.DataFrame) -> str:
    if mix.empty:
        return "No detected people in this view."
    local, national = mix.iloc[0], mix.iloc[1]
    if bool(local["uk_nationals_suppressed"]) or pd.isna(local["uk_national_share"]):
        head = f"{local['who']}: the share of UK nationals is not shown (small numbers)."
    else:
        head = (f"{local['who']}, {local['period']}: {local['uk_national_share']:.0%} UK "
                f"nationals ({int(local['uk_nationals']):,} of {int(local['people_counted']):,} "
                f"with a recorded nationality; 95% interval {local['lower']:.0%} to "
                f"{local['upper']:.0%}).")
    if pd.isna(national["uk_national_share"]):
        return head + " No national figure covers these quarters."
    return (head + f" Among UK NRM referrals in {national['period']}: "
            f"{national['uk_national_share']:.0%}.")
