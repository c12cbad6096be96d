"""The chart panel: every chart with a title, a text summary, its data table and downloads."""

from __future__ import annotations

from dash import dcc, html

GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    # No "send to cloud" or other network features: the app must work offline.
    "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"],
}


def chart_panel(
    chart_id: str, title: str, *, caption: str = "", board: bool = True, height: int | None = None
) -> html.Section:
    """A section holding one chart and its text alternative.

    ``board`` says whether the chart is the view's board message; other charts are hidden in
    board mode (one message per view). Callbacks fill ``<chart_id>-graph``, ``-summary`` and
    ``-table``, ``-source`` (board mode: the source line, out of the plot so it wraps) and
    ``-code`` (the "Python" action: the `analysis` calls behind the chart); the buttons
    ``-csv``, ``-xlsx``, ``-png``, ``-svg`` download it (always protected: ``-image`` holds the
    protected figure for the image downloads while an analyst has exact counts on screen).
    """
    graph_kwargs = {"style": {"height": f"{height}px"}} if height else {}
    return html.Section(
        [
            html.H2(title, id=f"{chart_id}-title", className="chart-title"),
            html.P(caption, className="chart-caption analyst-only") if caption else None,
            html.P(
                "", id=f"{chart_id}-summary", className="chart-summary", **{"aria-live": "polite"}
            ),
            dcc.Loading(
                dcc.Graph(
                    id=f"{chart_id}-graph",
                    config=GRAPH_CONFIG,
                    className="chart-graph",
                    **graph_kwargs,
                ),
                type="default",
                delay_show=400,
                parent_className="chart-loading",
            ),
            # asks the server again every 2 s while a model fit for this view is running
            dcc.Interval(id=f"{chart_id}-poll", interval=2000, disabled=True),
            html.P("", id=f"{chart_id}-source", className="chart-source board-only"),
            html.Div(
                [
                    html.Span("Download:", className="me-2"),
                    html.Button(
                        "CSV",
                        id=f"{chart_id}-csv",
                        className="btn btn-outline-primary btn-sm me-1",
                        **{"aria-label": f"CSV: data behind '{title}'"},
                    ),
                    html.Button(
                        "XLSX",
                        id=f"{chart_id}-xlsx",
                        className="btn btn-outline-primary btn-sm me-1",
                        **{"aria-label": f"XLSX: data behind '{title}' (Excel)"},
                    ),
                    html.Button(
                        "PNG",
                        id=f"{chart_id}-png",
                        className="btn btn-outline-secondary btn-sm me-1",
                        **{"aria-label": f"PNG: image of '{title}'"},
                    ),
                    html.Button(
                        "SVG",
                        id=f"{chart_id}-svg",
                        className="btn btn-outline-secondary btn-sm",
                        **{"aria-label": f"SVG: image of '{title}'"},
                    ),
                    dcc.Download(id=f"{chart_id}-download"),
                    # the protected figure, sent only while exact counts are on screen
                    dcc.Store(id=f"{chart_id}-image"),
                ],
                className="chart-downloads analyst-only",
            ),
            html.Details(
                [
                    html.Summary("Data table", id=f"{chart_id}-table-toggle"),
                    html.P(id=f"{chart_id}-table", className="text-muted"),
                    html.Div(id=f"{chart_id}-table-body"),
                ],
                className="chart-table analyst-only",
            ),
            html.Details(
                [
                    html.Summary("Python"),
                    html.P(
                        "Paste into a notebook to get the numbers behind this chart for the "
                        "current filters:",
                        className="chart-code-intro",
                    ),
                    html.Pre(html.Code("", id=f"{chart_id}-code"), className="chart-code"),
                ],
                className="chart-python analyst-only",
            ),
        ],
        className="chart-panel" + (" board-view" if board else " analyst-only"),
        **{"aria-labelledby": f"{chart_id}-title"},
    )
