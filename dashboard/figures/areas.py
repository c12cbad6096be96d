"""Area views: a schematic tile map of districts coloured by detection ratio."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.figures.common import base_figure, message_figure

# Schematic (not to scale) positions of Leicestershire's districts, west to east and north
# to south, so the tile map reads like the county; other areas fall back to a grid.
LEICESTERSHIRE_TILES = {
    "E07000134": (0, 0),
    "E07000130": (1, 0),
    "E07000133": (2, 0),
    "E07000132": (0, 1),
    "E06000016": (1, 1),
    "E06000017": (3, 1),
    "E07000129": (0, 2),
    "E07000135": (1, 2),
    "E07000131": (2, 2),
}


def _wrap(name: str, width: int = 11) -> str:
    import textwrap

    return "<br>".join(textwrap.wrap(name, width)) or name


def tile_map(
    table: pd.DataFrame, value: str = "ratio", *, board: bool = False, source: str = ""
) -> go.Figure:
    """One square per district, shaded by ``value`` (sequential blues), value printed on it.

    ``table``: ``area_code``, ``area_name`` and ``value`` (NA prints as [c]).
    """
    if table.empty:
        return message_figure("No districts for this selection", board=board)
    positions = {}
    for i, code in enumerate(table["area_code"]):
        positions[code] = LEICESTERSHIRE_TILES.get(code, (i % 4, i // 4))
    xs = [positions[c][0] for c in table["area_code"]]
    ys = [positions[c][1] for c in table["area_code"]]
    values = table[value].astype("Float64")
    fig = base_figure(board=board, height=560 if board else 440, source=source)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers+text",
            marker=dict(
                symbol="square",
                size=130 if board else 104,
                color=values.fillna(0).to_numpy(dtype=float),
                colorscale=[list(p) for p in theme.HEAT_SCALE],
                showscale=True,
                colorbar=dict(title="Detection ratio"),
                line=dict(color=theme.INK, width=1),
            ),
            text=[
                f"{_wrap(n)}<br><b>{'[c]' if pd.isna(v) else f'{v:.2f}'}</b>"
                for n, v in zip(table["area_name"], values, strict=True)
            ],
            textfont=dict(size=11 if not board else 16, color=theme.INK),
            hovertemplate="%{text}<extra></extra>",
        )
    )
    span = (values.max() - values.min()) if values.notna().any() else 0
    scaled = ((values - values.min()) / span) if span else values * 0
    fig.update_traces(
        textfont_color=["#FFFFFF" if (not pd.isna(s) and s > 0.55) else theme.INK for s in scaled]
    )
    fig.update_xaxes(visible=False, range=[-0.7, max(xs) + 0.7])
    fig.update_yaxes(visible=False, range=[max(ys) + 0.7, -0.7])
    return fig
