"""Palette, fonts, number formats and the two plotly templates (analyst and board).

The palette is Okabe and Ito's colour-blind-safe set ("Color Universal Design", 2008), used
as blue / orange / grey. Detection ratios are never coloured red or green: a higher ratio may
mean better identification, not more slavery, so "good" and "bad" colours would mislead.
Board scale follows the rule of thumb that text on a projected slide should be at least
24 pt to be read from the back of a room.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import plotly.io as pio

# Okabe-Ito, with a dark grey that keeps 4.5:1 contrast on white for text.
BLUE = "#0072B2"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
SKY = "#56B4E9"
GREY = "#595959"
LIGHT_GREY = "#D9D9D9"
BAND = "rgba(89, 89, 89, 0.18)"
BAND_DARK = "rgba(89, 89, 89, 0.32)"
INK = "#1A1A1A"
PAPER = "#FFFFFF"

DETECTED = BLUE
EXPECTED = GREY
HIGHLIGHT = VERMILLION
SEQUENCE = (BLUE, ORANGE, SKY, GREY, VERMILLION, "#CC79A7", "#000000")
# Sequential blues for heatmaps: light to dark, no red/green.
HEAT_SCALE = ((0.0, "#F2F7FB"), (0.5, "#6BAED6"), (1.0, "#08306B"))

FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"Noto Sans", "Liberation Sans", sans-serif'
)

ANALYST_FONT_SIZE = 14
BOARD_FONT_SIZE = 26
ANALYST_TEMPLATE = "darkfigure"
BOARD_TEMPLATE = "darkfigure_board"

RATIO_COLOUR_NOTE = (
    "Colours never mean good or bad: a higher detection ratio may mean better identification, "
    "not more slavery."
)


def _template(font_size: int, line_width: float) -> go.layout.Template:
    axis = dict(
        showgrid=True,
        gridcolor="#E6E6E6",
        zeroline=False,
        linecolor=INK,
        ticks="outside",
        tickcolor=INK,
        title=dict(font=dict(size=font_size)),
        automargin=True,
    )
    return go.layout.Template(
        layout=dict(
            font=dict(family=FONT_FAMILY, size=font_size, color=INK),
            paper_bgcolor=PAPER,
            plot_bgcolor=PAPER,
            colorway=list(SEQUENCE),
            title=dict(font=dict(size=round(font_size * 1.25)), x=0, xanchor="left"),
            xaxis=axis,
            yaxis=axis,
            legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, font=dict(size=font_size)),
            hoverlabel=dict(font=dict(family=FONT_FAMILY, size=font_size)),
            margin=dict(l=60, r=30, t=70, b=60),
        ),
        data=dict(scatter=[go.Scatter(line=dict(width=line_width))]),
    )


def register_templates() -> None:
    """Register both templates with plotly (idempotent; called by the figure builders)."""
    if ANALYST_TEMPLATE not in pio.templates:
        pio.templates[ANALYST_TEMPLATE] = _template(ANALYST_FONT_SIZE, 2)
    if BOARD_TEMPLATE not in pio.templates:
        pio.templates[BOARD_TEMPLATE] = _template(BOARD_FONT_SIZE, 4)


def template(board: bool = False) -> str:
    register_templates()
    return BOARD_TEMPLATE if board else ANALYST_TEMPLATE


def font_size(board: bool = False) -> int:
    return BOARD_FONT_SIZE if board else ANALYST_FONT_SIZE


def fmt_count(value: object) -> str:
    """Whole numbers with thousands separators; missing (suppressed) as [c]."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "[c]"
    try:
        import pandas as pd

        if pd.isna(value):
            return "[c]"
    except (TypeError, ValueError):
        pass
    return f"{round(float(value)):,}"


def fmt_number(value: object, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    try:
        import pandas as pd

        if pd.isna(value):
            return "n/a"
    except (TypeError, ValueError):
        pass
    v = float(value)
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def fmt_interval(lower: object, upper: object, digits: int = 2, count: bool = False) -> str:
    f = fmt_count if count else (lambda v: fmt_number(v, digits))
    return f"{f(lower)} to {f(upper)}"


def category_label(value: object) -> str:
    """A stored category code in words, e.g. 'domestic_servitude' -> 'domestic servitude'."""
    return str(value).replace("_", " ")
