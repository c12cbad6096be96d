"""Funnel point labels (dashboard.figures.funnel_labels): beside their point, never on another
label, point or the benchmark line, at the smallest screen of each mode."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.figures.funnel_labels import CHAR_EM, PLOT_PX, _box, _overlap, place_labels


def _crowd() -> pd.DataFrame:
    # nine districts as on the sample, four of them between 88 and 102 expected
    return pd.DataFrame({
        "area_name": ["Leicester", "Rutland", "Blaby", "Charnwood", "Harborough",
                      "Hinckley and Bosworth", "Melton", "North West Leicestershire",
                      "Oadby and Wigston"],
        "expected": [331.2, 36.8, 92.5, 165.2, 87.7, 102.1, 46.5, 94.1, 51.8],
        "ratio": [0.235, 0.244, 0.216, 0.182, 0.194, 0.255, 0.322, 0.138, 0.154],
    })


@pytest.mark.parametrize("board,font", [(False, 14), (True, 28)], ids=["analyst", "board"])
def test_labels_never_collide_with_each_other_points_or_the_benchmark(board, font):
    points = _crowd()
    x_range, y_range, target, marker = (29.5, 397.5), (0.0, 0.53), 0.214, (24 if board else 15)
    labels = place_labels(points, x_range=x_range, y_range=y_range, target=target, board=board,
                          font_px=font, marker_px=marker,
                          priority=list(points.sort_values("expected", ascending=False).index))
    width, height = PLOT_PX[board][0]  # the smallest screen

    def px(i):
        lx0, lx1 = math.log10(x_range[0]), math.log10(x_range[1])
        return ((math.log10(points.at[i, "expected"]) - lx0) / (lx1 - lx0) * width,
                (1 - points.at[i, "ratio"] / y_range[1]) * height)

    boxes = []
    for label in labels:
        x, y = px(label.index)
        w = len(label.text) * font * CHAR_EM + 6
        boxes.append(_box(x + label.xshift, y - label.yshift, w, font * 1.25,
                          label.xanchor, label.yanchor))
    for a in range(len(boxes)):
        assert all(not _overlap(boxes[a], boxes[b]) for b in range(a + 1, len(boxes)))
        for i in points.index:
            x, y = px(i)
            assert not _overlap(boxes[a], (x - marker / 2, y - marker / 2,
                                           x + marker / 2, y + marker / 2))
        ty = (1 - target / y_range[1]) * height
        assert not _overlap(boxes[a], (0, ty - 1, width, ty + 1))
    named = {label.text for label in labels}
    assert "Leicester" in named  # the first in priority always finds a spot
    if not board:
        assert len(named) == 9  # an analyst's full-width chart names every district
    else:
        assert len(named) >= 6  # a 1280x720 projector: the rest on the bars and map


def test_the_selected_district_is_named_first():
    points = _crowd()
    labels = place_labels(points, x_range=(29.5, 397.5), y_range=(0, 0.53), target=0.214,
                          board=True, font_px=28, marker_px=24, priority=[2, 0, 1])
    assert labels[0].text == "Blaby"
