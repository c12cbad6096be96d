"""The frame around every page: header, navigation, filters, main landmark, footer.

The filters live here, not on each page, so a selection survives moving between pages. The
URL query string is the single source of truth for the view: on load it sets the filters; a
filter change rewrites the query string in place (``history.replaceState``, so the page is not
re-rendered and keyboard focus stays put) and the navigation links carry it along.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update, page_container

from dashboard import context, data
from dashboard.components.filters import EARLIEST, FILTER_IDS, LATEST, NONE, filter_bar
from dashboard.pages import BOARD_PAGES, PAGES
from dashboard.state import ViewState, from_dict, from_query, to_query


def _nav() -> html.Nav:
    links = [
        html.Li(
            dcc.Link(page.NAV_LABEL, href=page.PATH, id=f"nav-{page.SLUG}", className="nav-link"),
            # Data, Methods: analysts' pages, not in the board's sequence of views
            className="nav-item" + ("" if page.BOARD_ORDER is not None else " analyst-only"),
        )
        for page in PAGES
        if page.IN_NAV
    ]
    return html.Nav(
        html.Ul(links, className="nav"), className="site-nav analyst-nav", **{"aria-label": "Pages"}
    )


def layout() -> html.Div:
    """The app shell (a function, so the filter choices follow the store's contents)."""
    ctx = context.current()
    options = data.filter_options(ctx.store_path)
    return html.Div(
        [
            dcc.Location(id="app-url", refresh=False),
            dcc.Store(id="filter-state"),
            dcc.Store(id="filter-query"),
            dcc.Store(id="filter-snapshot"),
            html.Div(id="app-dummy", hidden=True),
            html.A("Skip to main content", href="#main", className="skip-link"),
            html.Header(
                [
                    html.Div(
                        [
                            html.P("Dark Figure", className="brand"),
                            html.P(
                                "Modern slavery: what is detected, what may be hidden",
                                className="tagline",
                            ),
                        ],
                        className="brand-block",
                    ),
                    html.Div(
                        [
                            html.P("", id="snapshot-label", className="snapshot-label"),
                            dbc.Switch(
                                id="board-toggle",
                                label="Board mode",
                                value=ctx.board,
                                className="board-switch",
                            ),
                            html.Button(
                                "Board pack (PDF)",
                                id="pack-button",
                                className="btn btn-primary btn-sm",
                            ),
                            dcc.Loading(dcc.Download(id="pack-download"), type="circle"),
                        ],
                        className="header-controls",
                    ),
                ],
                className="site-header",
            ),
            _nav(),
            filter_bar(options, data.home_area()),
            html.Main(page_container, id="main", tabIndex="-1"),
            html.Footer(
                [
                    html.P(
                        "Synthetic sample data unless your organisation has loaded its own. "
                        "Counts below the disclosure threshold are shown as [c]. "
                        "In board mode use the arrow keys (or Page Up / Page Down) to move "
                        "between views.",
                    ),
                ],
                className="site-footer",
            ),
        ],
        className="app-root",
    )


FILTER_KEYS = (
    "area",
    "start",
    "end",
    "sector",
    "exploitation_type",
    "age_group",
    "scenario",
    "event",
)


def _quarter(value: str | None) -> str:
    return "" if value in (None, EARLIEST, LATEST, NONE) else value


def _filter_inputs() -> list[Input]:
    return [Input(FILTER_IDS[k], "value") for k in FILTER_KEYS]


def readable_snapshot(label: str) -> str:
    """'Snapshot 16 (data loaded 28 Nov 2026)' -> 'Data as loaded on 28 Nov 2026': a board
    member needs the date the figures were frozen, not the store's internal load number."""
    import re

    hit = re.search(r"data loaded ([^)]+)", label)
    return f"Data as loaded on {hit.group(1)}" if hit else label


def first_sentence(text: str) -> str:
    """The first sentence of a chart summary: the board message when a page sets none."""
    import re

    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", text.strip(), maxsplit=1)
    return parts[0] if parts else ""


def _register_board_message(app, page) -> None:
    """Fill ``<slug>-message`` in board mode from the board chart (its ``message``, else the
    first sentence of its summary), for pages that do not write their own message."""

    @app.callback(Output(f"{page.SLUG}-message", "children"), Input("filter-state", "data"))
    def message(state):
        view = from_dict(state)
        if not view.board:
            return ""
        out = page.BOARD_CHART.build(context.current().store_path, view)
        return out.message or first_sentence(out.summary)


def register_callbacks(app) -> None:
    for page in BOARD_PAGES:
        if not getattr(page, "OWN_MESSAGE", False):
            _register_board_message(app, page)

    @app.callback(
        *[Output(FILTER_IDS[k], "value") for k in FILTER_KEYS],
        Output("board-toggle", "value"),
        Output("filter-snapshot", "data"),
        Input("app-url", "search"),
        Input("app-url", "pathname"),
    )
    def url_to_filters(search, pathname):
        state = from_query(search or "")
        if not state.area and (pathname or "").startswith("/area/"):
            state = from_query(
                {**dict(parse_qsl((search or "").lstrip("?"))), "area": pathname.rsplit("/", 1)[-1]}
            )
        board = state.board or ("board=" not in (search or "") and context.current().board)
        return (
            state.area or data.home_area(),
            state.start or EARLIEST,
            state.end or LATEST,
            state.sector,
            state.exploitation_type,
            state.age_group,
            state.scenario,
            state.event or NONE,
            board,
            state.snapshot,
        )

    @app.callback(
        Output("filter-state", "data"),
        Output("filter-query", "data"),
        Output("snapshot-label", "children"),
        *[Output(f"nav-{p.SLUG}", "href") for p in PAGES if p.IN_NAV],
        *_filter_inputs(),
        Input("board-toggle", "value"),
        Input("filter-snapshot", "data"),
    )
    def filters_to_state(area, start, end, sector, etype, age, scenario, event, board, snapshot):
        store_path = context.current().store_path
        if board and snapshot is None:
            snapshot = data.latest_snapshot(store_path)
        state = from_query(
            {
                "area": "" if area == data.home_area() else area or "",
                "period": f"{_quarter(start)}:{_quarter(end)}",
                "sector": sector,
                "type": etype,
                "age": age,
                "scenario": scenario,
                "event": _quarter(event),
                "board": "1" if board else "",
                "snapshot": "" if snapshot is None or not board else str(snapshot),
            }
        )
        query = to_query(state)
        label = readable_snapshot(data.snapshot_label(store_path, state.snapshot)) if board else ""
        return (state.to_dict(), query, label, *[p.PATH + query for p in PAGES if p.IN_NAV])

    app.clientside_callback(
        ClientsideFunction(namespace="darkfigure", function_name="syncUrl"),
        Output("app-dummy", "children"),
        Input("filter-query", "data"),
        State("filter-state", "data"),
    )

    @app.callback(
        Output("pack-download", "data"),
        Input("pack-button", "n_clicks"),
        State("filter-state", "data"),
        prevent_initial_call=True,
    )
    def download_pack(n_clicks, state):
        from dashboard.report import build_pack

        pdf = build_pack(context.current().store_path, from_dict(state))
        return dcc.send_bytes(pdf, "darkfigure-board-pack.pdf") if n_clicks else no_update


__all__ = ["layout", "register_callbacks", "ViewState"]
