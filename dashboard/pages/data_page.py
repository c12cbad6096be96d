"""Data: store summary, load history, upload with validation, downloads."""

from __future__ import annotations

from dash import html

from dashboard.components.page import page_header

SLUG = "data"
PATH = "/data"
TITLE = "Data"
NAV_LABEL = "Data"
IN_NAV = True
BOARD_ORDER = None
CHARTS = ()


def layout(**_query) -> html.Div:
    return html.Div([page_header(SLUG, TITLE)])


def register_callbacks(app) -> None:
    return None
