"""Where a funnel plot's point labels go: next to their point, never on another label, point
or the benchmark line, on every screen size the chart is shown at.

Greedy placement in pixels (as in ggrepel's first pass, without the force step): the points
are mapped onto the plot area of each screen of the mode (labels keep their pixel size and
offset while the plot grows, so a spot must be free on all of them); each label in priority order
(the selected area, areas outside the limits, then from the largest area down) takes the first
free spot of eight around its point, else of twelve further out with a leader line; a label
with no free spot is left to the hover text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

# plot-area sizes (px) of the funnel on each mode's screens, measured in the screenshots:
# analyst 1440x900 (full-width panel); board 1280x720 and 1920x1080
PLOT_PX = {False: ((1250.0, 260.0),), True: ((1060.0, 220.0), (1740.0, 520.0))}
CHAR_EM = 0.56  # average glyph width of the house sans-serif, in ems
GAP = 6.0  # px between a point's marker and its label


@dataclass(frozen=True)
class Label:
    index: object  # the point's row label in the table
    text: str
    xshift: float
    yshift: float
    xanchor: str
    yanchor: str
    leader: bool = False  # placed away from its point, with a line back to it


def _box(cx: float, cy: float, w: float, h: float, xanchor: str, yanchor: str):
    left = cx - (w if xanchor == "right" else w / 2 if xanchor == "center" else 0)
    top = cy - (h if yanchor == "bottom" else h / 2 if yanchor == "middle" else 0)
    return left, top, left + w, top + h


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(points: pd.DataFrame, *, x_range: tuple[float, float],
                 y_range: tuple[float, float], target: float | None, board: bool,
                 font_px: float, marker_px: float, priority: list) -> list[Label]:
    """Labels for the points in ``priority`` order that fit without a collision on every
    screen size of the mode (``PLOT_PX``: a label keeps its pixel offset while the plot
    grows, so the benchmark line can move under it on a larger screen).

    ``points``: ``expected`` (x, log axis), ``ratio`` (y) and ``area_name``, indexed like
    ``priority``. Ranges are the axes' data ranges (x in expected counts, not logs).
    """
    lx0, lx1 = math.log10(x_range[0]), math.log10(x_range[1])
    y0, y1 = y_range
    line = font_px * 1.25
    d = marker_px / 2 + GAP
    r = marker_px / 2 + 1

    def layout(width: float, height: float):
        def px(i) -> tuple[float, float]:
            x = (math.log10(float(points.at[i, "expected"])) - lx0) / ((lx1 - lx0) or 1) * width
            y = (1 - (float(points.at[i, "ratio"]) - y0) / ((y1 - y0) or 1)) * height
            return x, y

        centres = {i: px(i) for i in points.index}
        taken = [(x - r, y - r, x + r, y + r) for x, y in centres.values()]
        if target is not None and y0 <= target <= y1:  # the benchmark line, kept readable
            ty = (1 - (target - y0) / ((y1 - y0) or 1)) * height
            taken.append((0, ty - 1.5, width, ty + 1.5))
        return width, height, centres, taken

    screens = [layout(w, h) for w, h in PLOT_PX[board]]
    out = []
    for i in priority:
        text = str(points.at[i, "area_name"])
        w = len(text) * font_px * CHAR_EM + 6
        spots = tuple(s + (False,) for s in (  # (xshift, yshift up-positive, anchors)
            (d, 0, "left", "middle"), (-d, 0, "right", "middle"),
            (0, d, "center", "bottom"), (0, -d, "center", "top"),
            (d * 0.7, d * 0.7, "left", "bottom"), (-d * 0.7, d * 0.7, "right", "bottom"),
            (d * 0.7, -d * 0.7, "left", "top"), (-d * 0.7, -d * 0.7, "right", "top"),
        ))
        far = tuple((dx, dy, "center", "middle", True)  # with a leader line back
                    for dy in (2.6 * line, -2.6 * line, 4 * line, -4 * line)
                    for dx in (0, w / 2 + d, -w / 2 - d))
        for xs, ys, xa, ya, lead in spots + far:
            boxes = []
            for width, height, centres, taken in screens:
                x, y = centres[i]
                box = _box(x + xs, y - ys, w, line, xa, ya)
                inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
                if not inside or any(_overlap(box, t) for t in taken):
                    break
                boxes.append(box)
            else:
                for (_, _, _, taken), box in zip(screens, boxes, strict=True):
                    taken.append(box)
                out.append(Label(i, text, xs, ys, xa, ya, lead))
                break
    return out
