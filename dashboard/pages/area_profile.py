"""Area profile: drill-down into one local authority or force area."""

from __future__ import annotations

from dash import html

from dashboard.components.page import page_header

SLUG = "profile"
PATH = "/area/<area_code>"
TITLE = "Area profile"
NAV_LABEL = "Area profile"
IN_NAV = False
BOARD_ORDER = None
CHARTS = ()


def layout(area_code: str | None = None, **_query) -> html.Div:
    return html.Div([page_header(SLUG, TITLE)])


def register_callbacks(app) -> None:
    return None
