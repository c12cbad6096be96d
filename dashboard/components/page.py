"""Page heading and the board message line shared by every page."""

from __future__ import annotations

from dash import html


def page_header(slug: str, title: str, intro: str = "") -> html.Div:
    """H1 (``<slug>-heading``) plus an intro for analysts; ``<slug>-message`` holds the view's
    one board message."""
    return html.Div(
        [
            html.H1(title, className="page-title", id=f"{slug}-heading"),
            html.P(intro, className="page-intro analyst-only") if intro else None,
            html.P("", id=f"{slug}-message", className="board-message", **{"aria-live": "polite"}),
        ],
        className="page-header",
    )


def pending(what: str) -> html.Div:
    return html.Div(html.P(f"{what} is not available yet."), className="alert alert-secondary")
