"""Who the new victims are: local shares (with Wilson intervals) against the national NRM mix."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures.common import base_figure, message_figure


def composition_dots(table: pd.DataFrame, *, board: bool = False, source: str = "") -> go.Figure:
    """One row per group: the local share as a dot with its 95% Wilson interval, the national
    share as a grey bar mark. ``table`` from ``analysis.composition.composition`` (protected:
    rows whose count is [c] have no share and are listed as [c])."""
    if table.empty:
        return message_figure("No new victims in this selection", board=board)
    frame = table.iloc[::-1]
    shown = frame.dropna(subset=["share"])
    fig = base_figure(board=board, height=120 + 52 * len(frame), source=source)
    fig.add_trace(go.Scatter(
        x=frame["national_share"], y=frame["group"], mode="markers", name="UK NRM referrals",
        marker=dict(symbol="line-ns", size=26, color=theme.GREY, line=dict(width=4,
                                                                          color=theme.GREY)),
        hovertemplate="%{y}: %{x:.0%} of UK NRM referrals<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=shown["share"], y=shown["group"], mode="markers", name="New victims here (95% interval)",
        marker=dict(size=14 if not board else 20, color=theme.BLUE),
        error_x=dict(type="data", symmetric=False, color=theme.BLUE, thickness=2,
                     array=shown["share_upper"] - shown["share"],
                     arrayminus=shown["share"] - shown["share_lower"]),
        customdata=shown[["count", "known", "share_lower", "share_upper"]],
        hovertemplate="%{y}: %{x:.0%} (%{customdata[2]:.0%} to %{customdata[3]:.0%}), "
                      "%{customdata[0]} of %{customdata[1]}<extra></extra>"))
    for row in frame[frame["share"].isna()].itertuples():
        fig.add_annotation(x=0, y=row.group, text="[c]", showarrow=False, xanchor="left")
    fig.update_xaxes(title="Share of new victims with the group recorded", tickformat=".0%",
                     range=[0, 1])
    fig.update_yaxes(showgrid=False, automargin=True)
    return fig


def describe_composition(table: pd.DataFrame, period: str) -> str:
    """One sentence naming the groups whose local share differs from the national mix."""
    if table.empty:
        return "No new victims in this selection."
    differ = table[table["difference"].isin(["higher", "lower"])]
    if differ.empty:
        return (f"In {period}, the mix of new victims here is similar to UK NRM referrals "
                "within the 95% intervals.")
    parts = [f"{r.group} {r.difference} ({r.share:.0%} here, {r.national_share:.0%} nationally)"
             for r in differ.itertuples()]
    return (f"In {period}, compared with UK NRM referrals: " + "; ".join(parts) +
            ". A different mix may reflect who local agencies reach, not who is exploited.")
