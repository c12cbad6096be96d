"""Data: what is in the store, its load history, uploads (validated as by the CLI), downloads."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from analysis import config
from dashboard import context, data
from dashboard.auth import UPLOAD_ROLE, may, note_upload
from dashboard.charts import download_bytes, protected
from dashboard.components.page import page_header
from dashboard.components.table import data_table
from dashboard.state import from_dict
from dashboard.uploads import ingest_uploads

SLUG = "data"
PATH = "/data"
TITLE = "Data"
NAV_LABEL = "Data"
IN_NAV = True
BOARD_ORDER = None
CHARTS = ()

KINDS = [
    {"label": "Detect automatically", "value": "auto"},
    {"label": "Agency referral extracts", "value": "referrals"},
    {"label": "Home Office NRM data tables", "value": "nrm"},
]


def _summary_block(store_path) -> html.Div:
    summary = data.store_summary(store_path)
    if not summary:
        return html.P(  # the server's paths are not the users' business
            "No store yet. Upload files below, or run "
            "`darkfigure serve` once to build it from the sample."
        )
    counts = {k: v for k, v in summary.items() if isinstance(v, int | float)}
    tables = summary.get("tables", counts)
    items = [
        html.Li(f"{name.replace('_', ' ')}: {int(n):,} rows")
        for name, n in tables.items()
        if isinstance(n, int | float)
    ]
    return html.Div([html.Ul(items)])


def layout(**_query) -> html.Div:
    limit_mb = config.max_upload_bytes() // 2**20
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "Load new agency extracts or NRM data tables, see what is loaded, "
                "and download the protected tables behind the charts.",
            ),
            html.Section([html.H2("What is in the store"), html.Div(id="data-summary")]),
            html.Section(
                [
                    html.H2("Upload files", id="data-upload-heading"),
                    html.P(
                        f"CSV, XLSX or ODS files up to {limit_mb} MB, plus any JSON mapping "
                        "files that describe an agency's own column names. Every file is "
                        "checked exactly as `darkfigure ingest` checks it; if any row fails, "
                        "nothing is stored and every problem is listed."
                    ),
                    html.Div(
                        [
                            html.Label("Kind of file", htmlFor="data-kind", className="form-label"),
                            dbc.Select(
                                id="data-kind",
                                options=KINDS,
                                value="auto",
                                style={"maxWidth": "22rem"},
                            ),
                        ],
                        className="mb-2",
                    ),
                    html.Label(
                        [
                            html.Span("Files to upload", className="visually-hidden"),
                            dcc.Upload(
                                id="data-upload",
                                children=html.Div(
                                    [
                                        "Drag files here or ",
                                        html.Span("choose files", className="upload-link"),
                                    ]
                                ),
                                multiple=True,
                                max_size=config.max_upload_bytes(),
                                className="upload-zone",
                            ),
                        ],
                        className="d-block",
                    ),
                    dcc.Loading(
                        html.Div(id="data-upload-result", role="status", **{"aria-live": "polite"})
                    ),
                ],
                **{"aria-labelledby": "data-upload-heading"},
            ),
            html.Section([html.H2("Load history"), html.Div(id="data-loads")]),
            html.Section(
                [
                    html.H2("Downloads"),
                    html.P(
                        "Detected referrals by district and quarter for the current filters, with "
                        "counts below the disclosure threshold shown as [c]."
                    ),
                    html.Button(
                        "CSV", id="data-counts-csv", className="btn btn-outline-primary btn-sm me-1"
                    ),
                    html.Button(
                        "XLSX", id="data-counts-xlsx", className="btn btn-outline-primary btn-sm"
                    ),
                    dcc.Download(id="data-counts-download"),
                ]
            ),
        ]
    )


def register_callbacks(app) -> None:
    @app.callback(
        Output("data-summary", "children"),
        Output("data-loads", "children"),
        Input("filter-state", "data"),
        Input("data-upload-result", "children"),
    )
    def show_store(_state, _result):
        store_path = context.current().store_path
        return (
            _summary_block(store_path),
            data_table(data.loads_for_display(store_path), "Files loaded, newest first"),
        )

    @app.callback(
        Output("data-upload-result", "children"),
        Input("data-upload", "contents"),
        State("data-upload", "filename"),
        State("data-kind", "value"),
        prevent_initial_call=True,
    )
    def upload(contents, names, kind):
        if not contents:
            return no_update
        if not may(UPLOAD_ROLE):  # the guard refuses first; this is the second lock
            raise PreventUpdate
        outcome = ingest_uploads(context.current().store_path, names, contents, kind)
        note_upload(stored=outcome.stored, rows_new=outcome.rows_new)
        css = "alert alert-success" if outcome.ok else "alert alert-warning"
        caption = "Files loaded" if outcome.ok else "Problems found (nothing was stored)"
        return html.Div(
            [
                html.P(outcome.message, className=css, id="data-upload-message"),
                data_table(outcome.table, caption) if not outcome.table.empty else None,
            ]
        )

    @app.callback(
        Output("data-counts-download", "data"),
        Input("data-counts-csv", "n_clicks"),
        Input("data-counts-xlsx", "n_clicks"),
        State("filter-state", "data"),
        prevent_initial_call=True,
    )
    def download(_csv, _xlsx, state):
        from dash import ctx

        kind = "xlsx" if ctx.triggered_id == "data-counts-xlsx" else "csv"
        # a download leaves the dashboard: protected even while exact counts are on screen
        table = data.counts_by_area_quarter(context.current().store_path,
                                            protected(from_dict(state)))
        return dcc.send_bytes(download_bytes(table, kind), f"referrals-by-area-quarter.{kind}")
