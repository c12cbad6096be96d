"""Funnel plots: each area's observed/expected ratio against its expected count, with limits."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures import benchmark
from dashboard.figures.common import base_figure, message_figure


def funnel_plot(
    table: pd.DataFrame,
    curve: pd.DataFrame,
    target: float,
    *,
    board: bool = False,
    x_title: str = "Expected count",
    y_title: str = "Observed / expected",
    source: str = "",
    label_all: bool = False,
) -> go.Figure:
    """Funnel plot from ``analysis.funnel`` output (its ``table`` and ``curve()`` frames).

    Points are marked by classification with shape as well as colour; highlighted areas are
    labelled. Suppressed observed counts (missing ratio) are left out and said so.
    """
    shown = table.dropna(subset=["ratio"])
    if shown.empty:
        return message_figure("No areas to compare for this selection", board=board)
    fig = base_figure(board=board, source=source)
    for level, dash, width in ((0.998, "dot", 2), (0.95, "dash", 2)):
        part = curve[(curve["confidence_level"] - level).abs() < 1e-6].sort_values("expected")
        name = f"{level:.1%} limits".replace(".0%", "%")
        for bound, show in (("upper", True), ("lower", False)):
            fig.add_trace(
                go.Scatter(
                    x=part["expected"],
                    y=part[bound],
                    mode="lines",
                    name=name,
                    showlegend=show,
                    legendgroup=name,
                    line=dict(color=theme.GREY, dash=dash, width=width),
                    hoverinfo="skip",
                )
            )
    fig.add_hline(y=target, line=dict(color=theme.INK, width=1.5))
    classes = benchmark.classify(shown)
    for cls in benchmark.ORDER:
        part = shown[(classes == cls) & ~shown["highlighted"]]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["expected"],
                y=part["ratio"],
                mode="markers",
                marker=dict(
                    color=benchmark.COLOURS[cls],
                    size=16 if board else 10,
                    symbol=benchmark.SYMBOLS[cls],
                    line=dict(color=theme.INK, width=1),
                ),
                name=benchmark.SHORT[cls],
                customdata=part[["area_name"]],
                hovertemplate="%{customdata[0]}: ratio %{y:.2f}, expected %{x:,.1f} ("
                + cls.lower() + ")<extra></extra>",
            )
        )
    home = shown[shown["highlighted"]]
    if len(home):
        fig.add_trace(
            go.Scatter(
                x=home["expected"],
                y=home["ratio"],
                mode="markers",
                marker=dict(
                    color=theme.HIGHLIGHT,
                    size=24 if board else 15,
                    line=dict(color=theme.INK, width=2),
                ),
                name="Selected area",
                customdata=home[["area_name"]],
                hovertemplate="%{customdata[0]}: ratio %{y:.2f}<extra></extra>",
            )
        )
        for _, row in home.iterrows():
            if label_all:
                break  # placed with the others, below
            fig.add_annotation(
                x=_log10(row["expected"]),
                y=row["ratio"],
                text=f"<b>{row['area_name']} {row['ratio']:.2f}</b>",
                showarrow=True,
                arrowcolor=theme.HIGHLIGHT,
                ax=40,
                ay=-60 if board else -40,
                xanchor="left",
                bgcolor="rgba(255,255,255,0.9)",
                bordercolor=theme.HIGHLIGHT,
                font=dict(color=theme.HIGHLIGHT, size=theme.font_size(board) + 2),
            )
    # Plain numbers at 1-2-5 steps: plotly's default log ticks label minor steps as "2", "3"
    # after "100", which reads as nonsense on a projected screen.
    fig.update_xaxes(title=x_title, type="log", tickformat=",~r", dtick="D2")
    fig.update_yaxes(title=y_title, rangemode="tozero")
    _clip_outliers(fig, shown, board)
    if label_all:
        _name_points(fig, shown, curve, target, board)
    hidden = len(table) - len(shown)
    if hidden:
        fig.add_annotation(
            text=f"{hidden} area(s) not shown: counts suppressed [c]",
            xref="paper",
            yref="paper",
            x=1,
            y=1,
            xanchor="right",
            showarrow=False,
            font=dict(color=theme.GREY),
        )
    return fig


def _name_points(fig: go.Figure, shown: pd.DataFrame, curve: pd.DataFrame, target: float,
                 board: bool) -> None:
    """Each point's name beside it where it fits without a collision (the selected area
    first, then areas outside the limits, then the largest); the rest on hover."""
    from dashboard.figures.funnel_labels import place_labels

    xs = pd.concat([curve["expected"], shown["expected"]]).astype(float)
    top = (fig.layout.yaxis.range[1] if fig.layout.yaxis.range else
           1.05 * float(pd.concat([curve["upper"], shown["ratio"]]).max()))
    within = shown["classification"].eq("within")
    priority = (shown.assign(_h=~shown["highlighted"].astype(bool), _w=within)
                .sort_values(["_h", "_w", "expected"], ascending=[True, True, False]).index)
    font = theme.font_size(board) - 2
    labels = place_labels(shown, x_range=(xs.min(), xs.max()), y_range=(0.0, top),
                          target=target, board=board, font_px=font + (4 if board else 2),
                          marker_px=24 if board else 15, priority=list(priority))
    for label in labels:
        home = bool(shown.at[label.index, "highlighted"])
        fig.add_annotation(
            x=_log10(shown.at[label.index, "expected"]), y=shown.at[label.index, "ratio"],
            text=f"<b>{label.text}</b>" if home else label.text,
            font=dict(size=font + (4 if home else 0),
                      color=theme.HIGHLIGHT if home else theme.INK),
            bgcolor="rgba(255,255,255,0.85)",  # a limit line passes under, not through, it
            **(dict(showarrow=True, ax=label.xshift, ay=-label.yshift, arrowwidth=1,
                    arrowhead=0, standoff=6, arrowcolor=theme.GREY) if label.leader else
               dict(showarrow=False, xshift=label.xshift, yshift=label.yshift,
                    xanchor=label.xanchor, yanchor=label.yanchor)),
        )
    unnamed = len(shown) - len(labels)
    if unnamed and not board:  # on a projected screen there is no hover
        fig.add_annotation(
            text=f"{unnamed} point(s) too close to name: hover for the district",
            xref="paper", yref="paper", x=0, y=1.0, xanchor="left", yanchor="bottom",
            showarrow=False, font=dict(color=theme.GREY, size=font))


def _log10(x: float) -> float:
    import math

    return math.log10(x)


def _clip_outliers(fig: go.Figure, shown: pd.DataFrame, board: bool) -> None:
    """A very small area can have a huge ratio (City of London has almost no residents) and
    squash every other point: cut the axis and print the off-scale values at its top."""
    ratios = shown["ratio"]
    robust = float(ratios.quantile(0.75))
    if len(ratios) < 5 or ratios.max() <= 3 * robust:
        return
    top = max(2 * robust, float(ratios[ratios <= 3 * robust].max()) * 1.15)
    fig.update_yaxes(range=[0, top])
    for _, row in shown[shown["ratio"] > top].iterrows():
        fig.add_annotation(
            x=_log10(row["expected"]),
            y=top,
            yanchor="top",
            showarrow=False,
            text=f"\u2191 {row['area_name']} {row['ratio']:.1f} (off scale)",
            xanchor="left",
            font=dict(color=theme.GREY, size=theme.font_size(board) - 2),
        )


def describe_funnel(table: pd.DataFrame, what: str = "areas",
                    target: float | None = None) -> str:
    """One sentence: where the highlighted area sits and how many areas are outside limits."""
    shown = table.dropna(subset=["ratio"])
    if shown.empty:
        return "No areas to compare for this selection."
    classes = benchmark.classify(shown)
    above, below = int((classes == benchmark.ABOVE).sum()), int((classes == benchmark.BELOW).sum())
    verdict = (f"All {len(shown)} {what} are similar to the benchmark, allowing for chance"
               if not above and not below else
               f"{above} of {len(shown)} {what} significantly above the benchmark and {below} "
               "significantly below")
    parts = [verdict + (f" (benchmark ratio {target:.2f}, the solid line)." if target else ".")]
    for _, row in shown[shown["highlighted"]].iterrows():
        where = (
            "within the 95% limits, so indistinguishable from the benchmark"
            if row["classification"] == "within"
            else f"{row['classification']} limit"
        )
        parts.append(f"{row['area_name']} has a ratio of {row['ratio']:.2f}: {where}.")
    outside = int(shown["classification"].isin(["above 99.8%", "below 99.8%"]).sum())
    parts.append(f"{outside} of {len(shown)} {what} lie outside the 99.8% limits.")
    return " ".join(parts)
