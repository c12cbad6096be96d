"""Headline number tiles."""

from __future__ import annotations

from dash import html


def tile(tile_id: str, label: str) -> html.Div:
    """An empty headline tile; a callback fills ``<tile_id>-value`` and ``<tile_id>-detail``."""
    return html.Div(
        [
            html.H3(label, className="tile-label"),
            html.P("…", id=f"{tile_id}-value", className="tile-value"),
            html.P("", id=f"{tile_id}-detail", className="tile-detail"),
        ],
        className="tile",
        id=tile_id,
        role="group",
        **{"aria-label": label},
    )
