"""Choropleth maps from the bundled ONS boundaries (data/reference/geo, OGL v3), offline.

Areas are coloured by their benchmark class (:mod:`dashboard.figures.benchmark`), never by a
raw ratio. ``district_map`` draws a force's districts; ``force_map`` draws the 43 police force
areas of England and Wales (for the National page).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from analysis import config
from dashboard import theme
from dashboard.figures import benchmark
from dashboard.figures.common import base_figure, message_figure

GEO_DIR = config.REFERENCE_DIR / "geo"
ATTRIBUTION = ("Boundaries: Office for National Statistics, Open Government Licence v3.0. "
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
    """
    known = {f["id"] for f in geojson["features"]}
    frame = table[table["area_code"].isin(known)].copy()
    if frame.empty:
        return message_figure("No boundaries for these areas", board=board)
    frame["benchmark"] = benchmark.classify(frame)
    fig = base_figure(board=board, height=620 if board else 480,
                      source=(source + " " if source else "") + ATTRIBUTION)
    for cls in benchmark.ORDER:
        part = frame[frame["benchmark"] == cls]
        if part.empty:
            continue
        ratio = ["[c]" if pd.isna(r) else f"{r:.2f}" for r in part["ratio"]]
        fig.add_trace(go.Choropleth(
            geojson=geojson, locations=part["area_code"], featureidkey="id",
            z=[1] * len(part), colorscale=[[0, benchmark.COLOURS[cls]],
                                           [1, benchmark.COLOURS[cls]]],
            showscale=False, name=cls, showlegend=True,
            marker=dict(line=dict(color=theme.INK, width=[
                3 if c == highlight else 0.8 for c in part["area_code"]])),
            customdata=list(zip(part["area_name"], ratio, strict=True)),
            hovertemplate="%{customdata[0]}: ratio %{customdata[1]}<extra>" + cls + "</extra>",
        ))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    fig.update_layout(legend=dict(orientation="v", y=0.5, yanchor="middle", x=1.0,
                                  xanchor="left"), margin=dict(l=10, r=10))
    return fig


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
    names = dict(zip(table["area_code"], table["area_name"], strict=True))
    feats = [f for f in geo["features"] if f["id"] in names]
    if not feats or len(feats) > 20:
        return
    centres = [_centroid(f["geometry"]) for f in feats]
    fig.add_trace(go.Scattergeo(
        lon=[c[0] for c in centres], lat=[c[1] for c in centres], mode="text",
        text=[names[f["id"]].replace(" and ", " &<br>").replace("North West ", "NW ")
              for f in feats],
        textfont=dict(size=theme.font_size(board) - (2 if board else 3), color=theme.INK),
        hoverinfo="skip", showlegend=False,
    ))
