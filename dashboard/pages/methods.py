"""Methods and caveats."""

from __future__ import annotations

from dash import html

from dashboard.components.page import page_header

SLUG = "methods"
PATH = "/methods"
TITLE = "Methods and caveats"
NAV_LABEL = "Methods"
IN_NAV = True
BOARD_ORDER = None
CHARTS = ()


def layout(**_query) -> html.Div:
    return html.Div([page_header(SLUG, TITLE)])


def register_callbacks(app) -> None:
    return None
