"""The frame around every page: header, navigation, filters, main landmark, footer.

The filters live here, not on each page, so a selection survives moving between pages. The
URL query string is the single source of truth for the view: on load it sets the filters; a
filter change rewrites the query string in place (``history.replaceState``, so the page is not
re-rendered and keyboard focus stays put) and the navigation links carry it along.

The one thing of a view that is not in the URL is the analyst's exact-count toggle
(docs/privacy.md, Audiences): a switch offered only to a user who may act as analyst, off at
every page load, kept in the page's memory while the user moves between pages, logged on and
off in the audit trail, and announced by a banner on every page while it is on. The server
decides: ``dashboard.state.from_dict`` grants exact counts only to such a user, never in
board mode, whatever the client sends.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
import flask
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update, page_container

from dashboard import context, data
from dashboard.auth import audit, may
from dashboard.components.filters import EARLIEST, FILTER_IDS, LATEST, NONE, filter_bar
from dashboard.pages import BOARD_PAGES, PAGES
from dashboard.state import ViewState, from_dict, from_query, may_see_exact, to_query

EXACT_LABEL = "Exact counts (data-sharing agreement)"
EXACT_BANNER = (
    "Exact counts are on: the counts on these pages are not protected (analyst mode under the "
    "data-sharing agreement) and are not for circulation. Do not copy them into anything "
    "shared. Downloads and the board pack stay protected."
)


def exact_offered() -> bool:
    """Whether this layout offers the exact-count switch: to a user who may act as analyst
    (anyone, when login is off). Dash also builds the layout once, outside the request of
    a page, to check callbacks against every id; that copy keeps the switch, and it is
    never drawn."""
    if flask.has_request_context() and flask.request.path.endswith("_dash-layout"):
        return may("analyst")
    return True


def _exact_switch():
    if not exact_offered():
        return None
    return dbc.Switch(
        id="exact-toggle",
        label=EXACT_LABEL,
        value=False,
        className="exact-switch analyst-only",
        persistence=False,
    )


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
            dcc.Store(id="exact-mode", data=False),  # page memory: gone on reload, never stored
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
                            _exact_switch(),
                        ],
                        className="header-controls",
                    ),
                ],
                className="site-header",
            ),
            html.Div(id="exact-banner", className="exact-banner", role="alert", hidden=True),
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

    def text(state) -> str:
        view = from_dict(state)
        if not view.board:
            return ""
        out = page.BOARD_CHART.build(context.current().store_path, view)
        return out.message or first_sentence(out.summary)

    @app.callback(Output(f"{page.SLUG}-message", "children"), Input("filter-state", "data"))
    def message(state):
        return text(state)

    @app.callback(Output(f"{page.SLUG}-message", "children", allow_duplicate=True),
                  Input(f"{page.BOARD_CHART.chart_id}-poll", "n_intervals"),
                  State("filter-state", "data"), prevent_initial_call=True)
    def message_again(_polls, state):  # with the chart, while a model fit runs
        return text(state)


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
        Input("exact-mode", "data"),
    )
    def filters_to_state(area, start, end, sector, etype, age, scenario, event, board, snapshot,
                         exact):
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
        # not in the query: a copied link never carries exact mode
        state = replace(state, exact=exact is True and may_see_exact())
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

        # the pack is for circulation: protected whatever the analyst sees on screen
        pdf = build_pack(context.current().store_path, replace(from_dict(state), exact=False))
        return dcc.send_bytes(pdf, "darkfigure-board-pack.pdf") if n_clicks else no_update


    register_exact_callbacks(app)


def register_exact_callbacks(app) -> None:
    """The exact-count switch: audit each change, drop it in board mode, show the banner."""

    @app.callback(
        Output("exact-mode", "data"),
        Input("exact-toggle", "value"),
        State("app-url", "pathname"),
        prevent_initial_call=True,
    )
    def switch_exact(value, pathname):
        page = str(pathname or "/")
        if value is not True:
            audit("exact_counts_off", page=page)
            return False
        if not may("analyst"):  # a forged request: the switch is never drawn for this user
            audit("exact_counts_refused", page=page, reason="role")
            return False
        audit("exact_counts_on", page=page)
        return True

    @app.callback(
        Output("exact-toggle", "value"),
        Input("board-toggle", "value"),
        State("exact-toggle", "value"),
    )
    def board_ends_exact(board, exact):
        # the room never sees exact counts; switching back to analyst view starts protected
        return False if board and exact else no_update

    @app.callback(
        Output("exact-banner", "children"),
        Output("exact-banner", "hidden"),
        Input("filter-state", "data"),
    )
    def exact_banner(state):
        exact = from_dict(state).exact
        return (EXACT_BANNER if exact else ""), not exact


__all__ = ["EXACT_BANNER", "EXACT_LABEL", "exact_offered", "layout", "register_callbacks",
           "ViewState"]
