"""Choropleth maps from the bundled ONS boundaries (data/reference/geo, OGL v3), offline.

Areas are coloured by their benchmark class (:mod:`dashboard.figures.benchmark`), never by a
raw ratio. ``district_map`` draws a force's districts; ``force_map`` draws the 43 police force
areas of England and Wales (for the National page).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis import config
from dashboard import theme
from dashboard.figures import benchmark
from dashboard.figures.common import base_figure, message_figure

GEO_DIR = config.REFERENCE_DIR / "geo"
ATTRIBUTION = ("Boundaries: Office for National Statistics, Open Government Licence v3.0.<br>"
               "Contains OS data \u00a9 Crown copyright and database right.")


@lru_cache(maxsize=4)
def _geojson(name: str) -> dict:
    return json.loads((Path(GEO_DIR) / name).read_text(encoding="utf-8"))


def boundaries(kind: str, codes: tuple[str, ...] | None = None) -> dict:
    """The bundled boundaries ('districts' or 'forces'), optionally only ``codes``."""
    name = {"districts": "districts_ew_2023.geojson", "forces": "forces_ew_2020.geojson"}[kind]
    geo = _geojson(name)
    if codes is None:
        return geo
    wanted = set(codes)
    return {"type": "FeatureCollection",
            "features": [f for f in geo["features"] if f["id"] in wanted]}


def benchmark_map(table: pd.DataFrame, geojson: dict, *, board: bool = False,
                  source: str = "", highlight: str | None = None) -> go.Figure:
    """Areas coloured by benchmark class, one legend entry per class present.

    ``table``: ``area_code``, ``area_name``, ``ratio``, ``classification`` (a funnel table).
    The outlines are drawn as filled shapes on plain axes (longitude scaled by the cosine of
    the mean latitude, so shapes are not stretched), not as a plotly geo map: a geo map
    fetches its base map from plotly's CDN, which fails offline and in the PDF export.
    """
    shapes = {f["id"]: f["geometry"]["coordinates"] for f in geojson["features"]}
    frame = table[table["area_code"].isin(shapes)].copy()
    if frame.empty:
        return message_figure("No boundaries for these areas", board=board)
    frame["benchmark"] = benchmark.classify(frame)
    lats = [pt[1] for code in frame["area_code"] for poly in shapes[code] for pt in poly[0]]
    squash = math.cos(math.radians((min(lats) + max(lats)) / 2))
    fig = base_figure(board=board, height=620 if board else 480,
                      source=(source + "<br>" if source else "") + ATTRIBUTION)
    seen: set[str] = set()
    for cls in benchmark.ORDER:
        for _, row in frame[frame["benchmark"] == cls].iterrows():
            xs, ys = _outline(shapes[row["area_code"]], squash)
            ratio = "[c]" if pd.isna(row["ratio"]) else f"{row['ratio']:.2f}"
            chosen = row["area_code"] == highlight
            fig.add_trace(go.Scatter(
                x=xs, y=ys, mode="lines", fill="toself",
                fillcolor=benchmark.COLOURS[cls],
                line=dict(color=theme.HIGHLIGHT if chosen else theme.INK,
                          width=4 if chosen else 0.8),
                name=benchmark.SHORT[cls], legendgroup=cls, showlegend=cls not in seen,
                hoveron="fills", text=f"{row['area_name']}: ratio {ratio} ({cls.lower()})",
                hoverinfo="text",
            ))
            seen.add(cls)
    fig.update_xaxes(visible=False, scaleanchor="y", scaleratio=1)
    fig.update_yaxes(visible=False)
    fig.update_layout(legend=dict(orientation="v", y=0.5, yanchor="middle", x=1.0,
                                  xanchor="left"), margin=dict(l=10, r=10),
                      plot_bgcolor=theme.PAPER)
    return fig


def _outline(polygons: list, squash: float) -> tuple[np.ndarray, np.ndarray]:
    """Every ring of a MultiPolygon as one line, rings separated by gaps (NaN, sent as null).

    Arrays, not lists: plotly checks a list point by point (about 0.5 s for the 43 forces'
    30,000 points) but takes an array as it is."""
    xs, ys = [], []
    gap = np.array([np.nan])
    for poly in polygons:
        for ring in poly:
            points = np.asarray(ring, dtype=float)
            xs += [points[:, 0] * squash, gap]
            ys += [points[:, 1], gap]
    return np.concatenate(xs), np.concatenate(ys)


def district_map(table: pd.DataFrame, *, board: bool = False, source: str = "",
                 highlight: str | None = None) -> go.Figure:
    """A force's districts coloured by benchmark class (funnel table of districts)."""
    geo = boundaries("districts", tuple(table["area_code"]))
    fig = benchmark_map(table, geo, board=board, source=source, highlight=highlight)
    _label_areas(fig, table, geo, board)
    return fig


def force_map(table: pd.DataFrame, *, board: bool = False, source: str = "",
              highlight: str | None = None) -> go.Figure:
    """England and Wales police force areas coloured by benchmark class.

    To put it on the National page: a ChartSpec whose build calls the page's force funnel
    (``analysis.national`` result's ``table`` with ``area_code``, ``area_name``, ``ratio``,
    ``classification``) and returns ``force_map(result.table, board=state.board,
    highlight=home_force)``.
    """
    return benchmark_map(table, boundaries("forces", tuple(table["area_code"])), board=board,
                         source=source, highlight=highlight)


def _centroid(geometry: dict) -> tuple[float, float]:
    """Centre of the largest polygon's bounding box: good enough to place a label."""
    polys = geometry["coordinates"]
    ring = max((p[0] for p in polys), key=len)
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def _label_areas(fig: go.Figure, table: pd.DataFrame, geo: dict, board: bool) -> None:
    """Names on the map: inside large areas; small ones (a city inside its county) get a
    label outside with a leader line so names do not sit on each other."""
    names = dict(zip(table["area_code"], table["area_name"], strict=True))
    feats = [f for f in geo["features"] if f["id"] in names]
    if not feats or len(feats) > 20:
        return
    boxes = {f["id"]: _bbox(f["geometry"]) for f in feats}
    lats = [b[1] for box in boxes.values() for b in (box[0], box[1])]
    squash = math.cos(math.radians((min(lats) + max(lats)) / 2))
    sizes = {k: (b[1][0] - b[0][0]) * (b[1][1] - b[0][1]) for k, b in boxes.items()}
    median = sorted(sizes.values())[len(sizes) // 2]
    size = theme.font_size(board) - (2 if board else 3)
    leaders = iter(((210, -150), (150, 70), (-200, 120), (200, 140), (-200, -150), (0, 130)))
    for f in feats:
        x, y = _centroid(f["geometry"])
        label = names[f["id"]].replace(" and ", " &<br>").replace("North West ", "NW ")
        small = sizes[f["id"]] < 0.3 * median
        ax, ay = next(leaders, (0, 0)) if small else (0, 0)
        fig.add_annotation(x=x * squash, y=y, text=label, showarrow=small, ax=ax, ay=ay,
                           arrowcolor=theme.INK, arrowwidth=1, font=dict(size=size,
                                                                         color=theme.INK),
                           bgcolor="rgba(255,255,255,0.85)" if small else None)


def _bbox(geometry: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    pts = [pt for poly in geometry["coordinates"] for pt in poly[0]]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (min(xs), min(ys)), (max(xs), max(ys))
