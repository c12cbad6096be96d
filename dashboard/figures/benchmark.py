"""Compared with the benchmark, as OHID's Fingertips shows it: significantly above, similar,
significantly below, in one colour-blind-safe key shared by the map, the bars and the funnel.

The class comes from the funnel plot (``analysis.funnel``, with its over-dispersion
adjustment): outside the 95% limits is "significantly" above or below. A raw ratio is never
used as a shade: two districts with ratios 0.15 and 0.31 may both be within the limits, and
a shade would say they differ. Blue and orange (Okabe and Ito) are told apart with any
colour vision; "similar" is pale grey; neither colour means good or bad (a higher detection
ratio may mean better identification, not more slavery).
"""

from __future__ import annotations

import pandas as pd

from dashboard import theme

ABOVE = "Significantly above the benchmark"
SIMILAR = "Similar to the benchmark"
BELOW = "Significantly below the benchmark"
NOT_SHOWN = "Not compared (count too small to show)"
ORDER = (ABOVE, SIMILAR, BELOW, NOT_SHOWN)
COLOURS = {ABOVE: theme.BLUE, SIMILAR: "#CFCFCF", BELOW: theme.ORANGE, NOT_SHOWN: "#FFFFFF"}
SHORT = {ABOVE: "Significantly above", SIMILAR: "Similar", BELOW: "Significantly below",
         NOT_SHOWN: "Not compared [c]"}
SYMBOLS = {ABOVE: "triangle-up", SIMILAR: "circle", BELOW: "triangle-down", NOT_SHOWN: "x"}


def benchmark_class(classification: object, ratio: object = 0.0) -> str:
    """Funnel classification ('above 95%', 'within', 'below 99.8%', ...) -> the three classes.

    >>> benchmark_class("above 99.8%"), benchmark_class("within"), benchmark_class("below 95%")
    ('Significantly above the benchmark', 'Similar to the benchmark', 'Significantly below the benchmark')
    """
    if ratio is None or pd.isna(ratio) or classification is None or pd.isna(classification):
        return NOT_SHOWN
    text = str(classification)
    if text.startswith("above"):
        return ABOVE
    if text.startswith("below"):
        return BELOW
    return SIMILAR


def classify(table: pd.DataFrame) -> pd.Series:
    """The benchmark class of every row of a funnel table (``classification``, ``ratio``)."""
    return pd.Series([benchmark_class(c, r) for c, r in
                      zip(table["classification"], table["ratio"], strict=True)],
                     index=table.index, name="benchmark")


def legend_note(target: float | None = None) -> str:
    level = f" ({target:.2f})" if target else ""
    return (f"Compared with the benchmark{level}: outside the funnel's 95% limits, allowing for "
            "over-dispersion, is 'significantly' above or below.")
