"""An accessible HTML table for the data behind a chart (WCAG: a text alternative to a chart)."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.theme import fmt_count, fmt_number

MAX_ROWS = 200


def _label(column: str) -> str:
    return column.replace("_", " ").capitalize()


def _cell(value: object, column: str) -> str:
    import datetime as dt

    if isinstance(value, dt.datetime):  # to the minute: microseconds are noise to a reader
        return f"{pd.Timestamp(value):%d %b %Y %H:%M}"
    if isinstance(value, str):
        return value
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return "[c]" if column.endswith(("count", "detected", "referrals")) else ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or column.endswith(("count", "detected", "referrals")):
        return fmt_count(value)
    if isinstance(value, float):  # "91" beside "138", not "91.00"
        return fmt_count(value) if float(value).is_integer() else fmt_number(value)
    return str(value)


def display_columns(table: pd.DataFrame) -> list[str]:
    """Columns worth showing: the disclosure flags are shown as [c] in the cells instead."""
    return [c for c in table.columns if not str(c).endswith("_suppressed")]


def data_table(table: pd.DataFrame | None, caption: str) -> html.Div | html.P:
    """Render a frame as a captioned table with column headers marked for screen readers."""
    if table is None or table.empty:
        return html.P("No data for this selection.", className="text-muted")
    columns = display_columns(table)
    shown = table.head(MAX_ROWS)
    head = html.Thead(html.Tr([html.Th(_label(c), scope="col") for c in columns]))
    body = html.Tbody(
        [html.Tr([html.Td(_cell(row[c], str(c))) for c in columns]) for _, row in shown.iterrows()]
    )
    note = (
        f" (first {MAX_ROWS} of {len(table):,} rows; download for all)"
        if len(table) > MAX_ROWS
        else ""
    )
    table_element = html.Table(
        [html.Caption(caption + note), head, body],
        className="table table-sm table-striped data-table",
    )
    # Wide tables scroll sideways inside their own box rather than off the page.
    return html.Div(table_element, className="table-responsive", tabIndex="0",
                    role="region", **{"aria-label": caption})
