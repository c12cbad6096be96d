"""Sectors and exploitation types: detected against the (assumed) expected split, heatmaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures.common import base_figure, message_figure
from dashboard.theme import fmt_count

SECTOR_CAVEAT = (
    "No published split of the expected figure by sector exists, so sectors are shown as "
    "counts of new victims, not against an expected figure or as detection ratios."
)
TYPE_CAVEAT = (
    "Expected by type uses the UK NRM 2023 referral shares (an assumption), which "
    "over-represent the types agencies already see."
)


def _label(value: str) -> str:
    return str(value).replace("_", " ").capitalize()


def detected_vs_expected(
    table: pd.DataFrame, category: str, *, board: bool = False, source: str = "",
    axis_title: str = "People: new victims in the period",
    range_label: str = "range over durations of 1 to 5 years",
) -> go.Figure:
    """Horizontal bars of detected new victims per category, with the expected figure and its
    range over assumptions beside them where a documented share gives one.

    ``table``: ``category`` column, ``detected`` (NA when suppressed), and optionally
    ``expected``, ``expected_lower``, ``expected_upper`` (absent: counts only).
    """
    if table.empty:
        return message_figure("No new victims for this selection", board=board)
    has_expected = "expected" in table.columns and table["expected"].notna().any()
    order = "expected" if has_expected else "detected"
    frame = table.assign(_order=table[order].astype("Float64").fillna(-1)).sort_values("_order")
    labels = [sector_name(v) for v in frame[category]]
    height = max(380, 44 * len(frame) + 170) * (1.3 if board else 1)
    fig = base_figure(board=board, height=int(height), source=source)
    fig.add_trace(
        go.Bar(
            x=frame["detected"].astype("Float64").fillna(0),
            y=labels,
            orientation="h",
            name="Detected",
            marker=dict(color=theme.BLUE),
            text=[fmt_count(v) for v in frame["detected"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: detected %{text}<extra></extra>",
        )
    )
    if board:  # few enough bars (the page shows the largest) for 24 px value labels
        fig.update_traces(textfont=dict(size=theme.font_size(board) - 2), selector=dict(type="bar"))
        top = float(frame["detected"].astype("Float64").fillna(0).max() or 1)
        fig.update_xaxes(range=[0, top * 1.12])  # room for the value after the longest bar
    if not has_expected:
        fig.update_xaxes(title=axis_title, rangemode="tozero", tickformat=",")
        fig.update_yaxes(showgrid=False, automargin=True)
        fig.update_layout(showlegend=False)
        return fig
    fig.add_trace(
        go.Scatter(
            x=frame["expected"],
            y=labels,
            mode="markers",
            name=f"Expected ({range_label})",
            marker=dict(
                symbol="line-ns",
                size=22 if board else 16,
                color=theme.INK,
                line=dict(width=3, color=theme.INK),
            ),
            error_x=dict(
                type="data",
                symmetric=False,
                color="rgba(89, 89, 89, 0.45)",
                thickness=6 if board else 4,
                width=0,
                array=frame["expected_upper"] - frame["expected"],
                arrayminus=frame["expected"] - frame["expected_lower"],
            ),
            hovertemplate="%{y}: expected %{x:,.0f}<extra></extra>",
        )
    )
    fig.update_xaxes(title=axis_title, rangemode="tozero", tickformat=",")
    fig.update_yaxes(showgrid=False, automargin=True)
    return fig


def heatmap(
    table: pd.DataFrame,
    row: str,
    column: str,
    *,
    board: bool = False,
    value: str = "referral_count",
    source: str = "",
) -> go.Figure:
    """Counts by two categories (e.g. area x sector); suppressed cells print as [c]."""
    if table.empty:
        return message_figure("No referrals for this selection", board=board)
    wide = table.pivot_table(index=row, columns=column, values=value, aggfunc="first", dropna=False)
    suppressed = None
    flag = value + "_suppressed"
    if flag in table.columns:
        suppressed = table.pivot_table(
            index=row, columns=column, values=flag, aggfunc="first", dropna=False
        ).reindex_like(wide)
    z = wide.astype("Float64").to_numpy(dtype=float, na_value=np.nan)

    def cell(i: int, j: int) -> str:
        flag_value = None if suppressed is None else suppressed.iat[i, j]
        if flag_value is not None and not pd.isna(flag_value) and bool(flag_value):
            return "[c]"
        return "" if np.isnan(z[i, j]) else f"{z[i, j]:,.0f}"

    text = [[cell(i, j) for j in range(z.shape[1])] for i in range(z.shape[0])]
    height = max(360, 40 * len(wide) + 220) * (1.3 if board else 1)
    fig = base_figure(board=board, height=int(height), source=source)
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=[_label(c) for c in wide.columns],
            y=[str(r) for r in wide.index],
            text=text,
            texttemplate="%{text}",
            colorscale=[list(p) for p in theme.HEAT_SCALE],
            hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
            colorbar=dict(title="Referrals"),
            xgap=2,
            ygap=2,
            textfont=dict(size=theme.font_size(board) - 2),
        )
    )
    fig.update_xaxes(showgrid=False, tickangle=-35)
    fig.update_yaxes(showgrid=False, autorange="reversed")
    return fig


SECTOR_NAMES = {"unknown": "Not recorded", "other": "Other sectors", "domestic": "Domestic work"}
RECORDING = ("other", "unknown")  # recording categories, listed after the sectors


def sector_name(value: str) -> str:
    """A sector's name on screen ("unknown" reads "Not recorded")."""
    return SECTOR_NAMES.get(str(value), _label(value))


def sectors_by_year(by_year: pd.DataFrame, *, board: bool = False, source: str = "") -> go.Figure:
    """Heatmap of new victims by sector (rows, most first) and year (columns); the ``Total``
    margins are printed beside the grid without colour, so they do not wash out the cells.

    ``by_year``: ``sector``, ``period``, ``people`` (NA when ``[c]``), ``people_suppressed``,
    with ``Total`` rows and columns (:func:`analysis.sector_tables.sectors_by_year`).
    """
    if by_year.empty:
        return message_figure("No new victims for this selection", board=board)
    wide = by_year.pivot_table(index="sector", columns="period", values="people",
                               aggfunc="first", dropna=False)
    hidden = by_year.pivot_table(index="sector", columns="period", values="people_suppressed",
                                 aggfunc="first", dropna=False).reindex_like(wide)
    years = [c for c in wide.columns if c != "Total"] + ["Total"]
    totals = wide["Total"].astype("Float64").fillna(-1)
    sectors = sorted((s for s in wide.index if s != "Total"),
                     key=lambda s: (s in RECORDING, -totals[s], s))
    rows = sectors + ["Total"]
    wide, hidden = wide.loc[rows, years], hidden.loc[rows, years]
    z = wide.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    text = [["[c]" if bool(hidden.iat[i, j]) else f"{z[i, j]:,.0f}" for j in range(len(years))]
            for i in range(len(rows))]
    colour = z.copy()
    colour[-1, :] = np.nan  # margins: text only
    colour[:, -1] = np.nan
    x = [("All years" if y == "Total" else str(y)) for y in years]
    y = [("All sectors" if r == "Total" else sector_name(r)) for r in rows]
    size = theme.font_size(board) - 2
    height = max(360, 30 * len(rows) + 200) * (1.3 if board else 1)
    fig = base_figure(board=board, height=int(height), source=source)
    fig.add_trace(go.Heatmap(
        z=colour, x=x, y=y, text=[[t if not np.isnan(c) else "" for t, c in
                                    zip(tr, cr, strict=True)]
                                   for tr, cr in zip(text, colour, strict=True)],
        texttemplate="%{text}", textfont=dict(size=size),
        colorscale=[list(p) for p in theme.HEAT_SCALE], showscale=False, xgap=2, ygap=2,
        hovertemplate="%{y}, %{x}: %{text} new victims<extra></extra>", hoverongaps=False,
    ))
    # the margins and [c] cells as text (a browser's heatmap draws no text on a NaN cell);
    # set at once: plotly re-checks every annotation on each add_annotation
    notes = []
    for i in range(len(y)):
        for j in range(len(x)):
            if np.isnan(colour[i, j]):
                # positions, not names: a year's name "2019" would be read as position 2019
                margin = i == len(y) - 1 or j == len(x) - 1
                notes.append(dict(x=j, y=i, text=f"<b>{text[i][j]}</b>" if margin
                                  else text[i][j], showarrow=False,
                                  font=dict(size=size, color=theme.INK if margin
                                            else theme.GREY)))
    fig.update_layout(annotations=[*fig.layout.annotations, *notes])
    fig.update_xaxes(showgrid=False, side="top", type="category")
    fig.update_yaxes(showgrid=False, autorange="reversed", type="category")
    return fig


def describe_sectors_by_year(by_year: pd.DataFrame, area: str) -> str:
    """The heatmap's sentence: the largest sector over the years, and how many cells are [c]."""
    if by_year.empty:
        return "No new victims for this selection."
    cells = len(by_year)
    hidden = int(by_year["people_suppressed"].sum())
    years = [p for p in dict.fromkeys(by_year["period"]) if p != "Total"]
    span = f"{years[0]} to {years[-1]}" if len(years) > 1 else (years[0] if years else "")
    totals = by_year[(by_year["period"] == "Total") & ~by_year["sector"].isin(("Total",) + RECORDING)]
    totals = totals.dropna(subset=["people"])
    lead = ""
    if not totals.empty:
        top = totals.sort_values("people", ascending=False).iloc[0]
        lead = (f"{sector_name(top['sector'])} had the most new victims over {span} "
                f"({fmt_count(top['people'])}). ")
    return (f"{area}, new victims by sector and year of first record, {span}. {lead}"
            f"{hidden} of the {cells} cells ({hidden / cells:.0%}, totals included) are [c]: "
            "too few people to show.")


def describe_sectors(table: pd.DataFrame, category: str, period: str = "the period") -> str:
    """One sentence on where most new victims were first recorded (never a [c] or zero one)."""
    caveat = SECTOR_CAVEAT if category == "sector" else TYPE_CAVEAT
    if table.empty:
        return f"No new victims for this selection in {period}."
    shown = table.dropna(subset=["detected"])
    shown = shown[(shown["detected"] > 0) & ~shown[category].isin(["unknown", "other"])]
    if shown.empty:
        return f"All counts in {period} are too small to show ([c]). " + caveat
    top = shown.sort_values("detected", ascending=False).iloc[0]
    return (
        f"In {period}, the most new victims were first recorded in "
        f"{_label(top[category]).lower()} ({fmt_count(top['detected'])}). " + caveat
    )
