"""Detected against expected: the headline band and the area comparison bars."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures.common import base_figure, message_figure
from dashboard.theme import fmt_count


def gap_band(
    detected: float | None,
    expected: float,
    expected_lower: float,
    expected_upper: float,
    *,
    board: bool = False,
    label: str = "",
    source: str = "",
    range_label: str = "range over assumptions",
    axis_title: str = "People: new victims in the period",
) -> go.Figure:
    """One bar: the expected figure's range over assumptions (grey band, central line) with
    the detected count on it.

    ``detected=None`` means the count is suppressed: the band is drawn and the count is [c].
    """
    fig = base_figure(board=board, height=330 if not board else 520, source=source)
    y = [label or "Selected area"]
    fig.add_trace(
        go.Bar(
            x=[expected_upper - expected_lower],
            base=[expected_lower],
            y=y,
            orientation="h",
            marker=dict(color=theme.BAND_DARK),
            width=0.5,
            name=f"Expected, {range_label}",
            hovertemplate=f"Expected {fmt_count(expected_lower)} to {fmt_count(expected_upper)}"
            f" ({range_label})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[expected],
            y=y,
            mode="markers",
            name="Expected (central)",
            marker=dict(
                symbol="line-ns",
                size=60 if board else 40,
                color=theme.INK,
                line=dict(width=4 if board else 3, color=theme.INK),
            ),
            hovertemplate=f"Expected (central) {fmt_count(expected)}<extra></extra>",
        )
    )
    size = theme.font_size(board)
    # on a projector the panel is short: the range's ends are labelled inside the band, clear
    # of the tick labels, the axis title and the detected marker's label
    label_shift = 0 if board else -50
    fig.add_annotation(
        x=expected_lower,
        y=y[0],
        text=fmt_count(expected_lower),
        yshift=label_shift,
        xanchor="left" if board else "center",
        showarrow=False,
        font=dict(size=size, color=theme.INK if board else theme.GREY),
    )
    fig.add_annotation(
        x=expected_upper,
        y=y[0],
        text=fmt_count(expected_upper),
        yshift=label_shift,
        xanchor="right" if board else "center",
        showarrow=False,
        font=dict(size=size, color=theme.INK if board else theme.GREY),
    )
    band_note = f"grey band: {range_label} (not a confidence interval)"
    if board:  # under the axis title, where it cannot collide with the tick labels
        axis_title = f"{axis_title}<br><span style='font-size:{size - 2}px'>{band_note}</span>"
    else:
        fig.add_annotation(
            x=(expected_lower + expected_upper) / 2,
            y=y[0],
            text=band_note,
            yshift=-62,
            showarrow=False,
            font=dict(size=size - 2, color=theme.GREY),
        )
    fig.add_annotation(
        x=expected,
        y=y[0],
        text=f"expected {fmt_count(expected)}",
        yshift=50,
        showarrow=False,
        font=dict(size=size, color=theme.INK),
    )
    if detected is not None:
        fig.add_trace(
            go.Scatter(
                x=[detected],
                y=y,
                mode="markers+text",
                name="Detected",
                marker=dict(
                    symbol="diamond",
                    size=30 if board else 20,
                    color=theme.BLUE,
                    line=dict(color=theme.INK, width=2),
                ),
                text=[f"<b>detected {fmt_count(detected)}</b>"],
                textposition="top center" if board else "bottom center",
                cliponaxis=False,
                textfont=dict(size=size + 2, color=theme.BLUE),
                hovertemplate=f"Detected {fmt_count(detected)}<extra></extra>",
            )
        )
    else:
        fig.add_annotation(
            x=0,
            y=y[0],
            xanchor="left",
            text="detected [c]",
            showarrow=False,
            yshift=-50,
            font=dict(size=size, color=theme.BLUE),
        )
    right = max(expected_upper, detected or 0) * 1.08
    fig.update_xaxes(range=[0, right], title=axis_title, tickformat=",")
    fig.update_yaxes(showticklabels=False, showgrid=False)
    fig.update_layout(showlegend=not board, bargap=0.4)
    return fig


def ratio_bars(table: pd.DataFrame, *, board: bool = False, source: str = "") -> go.Figure:
    """Horizontal bars of detection ratio with interval whiskers (no ranks printed).

    ``table``: ``area_name``, ``ratio``, ``ratio_lower``, ``ratio_upper`` and optional
    ``highlighted``. Rows with a missing ratio (suppressed count) are listed as [c]. With a
    ``benchmark`` column (:mod:`dashboard.figures.benchmark`) the bars are coloured by it,
    with a legend, and listed alphabetically, not sorted like a league table.
    """
    if "benchmark" in table.columns and not table.empty:
        return _benchmark_bars(table, board=board, source=source)
    if table.empty:
        return message_figure("No areas for this selection", board=board)
    frame = table.copy()
    frame["highlighted"] = frame.get("highlighted", False)
    shown = frame.dropna(subset=["ratio"]).sort_values("ratio")
    hidden = frame[frame["ratio"].isna()]
    height = max(360, 34 * (len(shown) + len(hidden)) + 160) * (1.4 if board else 1)
    fig = base_figure(board=board, height=int(height), source=source)
    colours = [theme.HIGHLIGHT if h else theme.BLUE for h in shown["highlighted"]]
    fig.add_trace(
        go.Bar(
            x=shown["ratio"],
            y=shown["area_name"],
            orientation="h",
            marker=dict(color=colours),
            error_x=dict(
                type="data",
                symmetric=False,
                color=theme.INK,
                thickness=2,
                array=shown["ratio_upper"] - shown["ratio"],
                arrayminus=shown["ratio"] - shown["ratio_lower"],
            ),
            text=[f"{r:.2f}" for r in shown["ratio"]],
            textposition="inside" if board else "none",
            insidetextanchor="start",
            textfont=dict(color="#FFFFFF"),
            customdata=shown[["ratio_lower", "ratio_upper"]],
            hovertemplate="%{y}: %{x:.2f} (%{customdata[0]:.2f} to %{customdata[1]:.2f})"
            "<extra></extra>",
            name="Detection ratio",
        )
    )
    if len(hidden):
        fig.add_trace(
            go.Bar(
                x=[0] * len(hidden),
                y=hidden["area_name"],
                orientation="h",
                text=["[c]"] * len(hidden),
                textposition="outside",
                marker=dict(color=theme.LIGHT_GREY),
                name="Suppressed",
                hoverinfo="skip",
            )
        )
    fig.update_xaxes(title="Detected / expected (detection ratio)", rangemode="tozero")
    fig.update_yaxes(showgrid=False, automargin=True)
    fig.update_layout(showlegend=False)
    return fig


def _benchmark_bars(table: pd.DataFrame, *, board: bool, source: str) -> go.Figure:
    from dashboard.figures import benchmark

    frame = table.sort_values("area_name", ascending=False)  # plotly draws bottom-up: A on top
    height = max(360, 34 * len(frame) + 200) * (1.4 if board else 1)
    fig = base_figure(board=board, height=int(height), source=source)
    for cls in benchmark.ORDER:
        part = frame[(frame["benchmark"] == cls) & frame["ratio"].notna()]
        if cls == benchmark.NOT_SHOWN:
            part = frame[frame["ratio"].isna()]
        if part.empty:
            continue
        hidden = cls == benchmark.NOT_SHOWN
        fig.add_trace(go.Bar(
            x=[0] * len(part) if hidden else part["ratio"],
            y=part["area_name"], orientation="h", name=cls,
            marker=dict(color=theme.LIGHT_GREY if hidden else benchmark.COLOURS[cls],
                        line=dict(color=theme.INK, width=[
                            3 if h else 0.5 for h in part.get("highlighted", [False] * len(part))
                        ])),
            error_x=None if hidden else dict(
                type="data", symmetric=False, color=theme.INK, thickness=2,
                array=part["ratio_upper"] - part["ratio"],
                arrayminus=part["ratio"] - part["ratio_lower"]),
            text=["[c]"] * len(part) if hidden else None,
            textposition="outside" if hidden else None,
            hovertemplate="%{y}: %{x:.2f}<extra>" + cls + "</extra>",
        ))
    fig.update_xaxes(title="Detected / expected (detection ratio)", rangemode="tozero")
    fig.update_yaxes(showgrid=False, automargin=True, categoryorder="array",
                     categoryarray=list(frame["area_name"]))
    fig.update_layout(showlegend=True, barmode="overlay")  # legend above (house template)
    return fig


def describe_gap(
    detected: float | None,
    expected: float,
    lower: float,
    upper: float,
    ratio: float | None,
    ratio_lower: float | None,
    ratio_upper: float | None,
    area: str,
) -> str:
    """The plain-English sentence: what the numbers mean and what they do not."""
    caveat = (
        "The expected figure rests on a national estimate and an assumed duration of "
        "exploitation; it is a scale, not a count of real victims."
    )
    expected_text = (
        f"{fmt_count(expected)} expected ({fmt_count(lower)} to {fmt_count(upper)})"
        " under the national scenario"
    )
    if detected is None:
        return f"{area}: the detected count is too small to show ([c]); {expected_text}. " + caveat
    if ratio is None:
        return (
            f"{area}: agencies detected {fmt_count(detected)} people, against {expected_text}. "
            + caveat
        )
    share = f"{ratio:.0%}" if ratio < 10 else f"{ratio:.1f} times"
    return (
        f"{area}: agencies detected {fmt_count(detected)} people, against {expected_text}, "
        f"a detection ratio of {share} ({ratio_lower:.0%} to {ratio_upper:.0%}). " + caveat
    )


def describe_headline(h, *, short: bool = False) -> str:
    """The plain-English sentence for a headline (``dashboard.headline_view.Headline``): the
    period, the unit, the ratio with its two honestly labelled ranges, or why none is given.
    ``short`` is the one line a board member can repeat (board mode)."""
    caveat = (
        "The expected figure rests on a national estimate and an assumed duration of "
        "exploitation; it is a scale, not a count of real victims."
    )
    e = h.expected
    where = f"{h.area_name.removesuffix(' (force area)')}, {h.period_label}"
    if h.detected is None:
        return (f"{where}: the number of new victims detected is too small to show ([c]); "
                f"{fmt_count(e.value)} are expected under the national scenario. " + caveat)
    if not h.group_has_expected:
        text = (f"{where}: agencies detected {fmt_count(h.detected)} new victims "
                f"({h.group}). No expected figure exists for this group, so no detection "
                "ratio is given")
        return text + "; the composition table compares local shares with the national mix."
    r = h.ratio
    who = f"new victims ({h.group})" if h.group else "new victims of modern slavery"
    if r is None:
        return (f"{where}: agencies detected {fmt_count(h.detected)} {who}, against "
                f"{fmt_count(e.value)} expected. " + caveat)
    rr = r.ratio_range
    if short:
        return (f"{where}: agencies detected {fmt_count(h.detected)} {who}, about {r.value:.0%} "
                f"of the {fmt_count(e.value)} expected ({rr.lower:.0%} to {rr.upper:.0%} over "
                f"assumed durations of {e.duration.low:g} to {e.duration.high:g} years).")
    return (
        f"{where}: agencies detected {fmt_count(h.detected)} {who}, about {r.value:.0%} of the "
        f"{fmt_count(e.value)} the national estimate implies (95% count interval {r.lower:.0%} "
        f"to {r.upper:.0%}; {rr.lower:.0%} to {rr.upper:.0%} over assumed durations of "
        f"{e.duration.low:g} to {e.duration.high:g} years). " + caveat
    )
