"""Sectors and exploitation types: detected against the assumed expected split, heatmap."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard import data, estimates, sector_views
from dashboard.charts import ChartOutput, ChartSpec, register_chart
from dashboard.components import chart_code, code
from dashboard.components.chart import chart_panel
from dashboard.components.page import page_header
from dashboard.figures import sectors as fig

SLUG = "sectors"
PATH = "/sectors"
TITLE = "Sectors and exploitation types"
NAV_LABEL = "Sectors"
IN_NAV = True
BOARD_ORDER = 4
SOURCE = (
    "Detected: people first recorded by any forum agency (the store). Expected by type: UK NRM "
    "2023 referral shares (assumption); no expected split by sector exists."
)

HEATMAP_SOURCE = ("New victims (people at their first-ever record by any forum agency) by the "
                  "sector of that record; counts protected by the cell-key method, [c] below 5.")


BOARD_SECTORS = 7  # bars a 1280x720 projector shows with 24 px labels


def _sectors(store_path, state) -> ChartOutput:
    table = estimates.category_view(store_path, state, "sector")
    area = data.area_name(state.area or data.home_area())
    period = estimates.view_period(store_path, state)
    text = fig.describe_sectors(table, "sector", period)
    first = text.split(". ")[0].rstrip(".") + "."
    message = (first.replace(f"In {period},", f"In {area}, {period},", 1)
               if first.startswith("In ") else f"{area}: {first}")
    shown, axis = table, f"People: new victims in {period}"
    if state.board and len(table) > BOARD_SECTORS:  # the largest; the rest in analyst mode
        shown = table.assign(_n=table["detected"].astype("Float64").fillna(-1)).nlargest(
            BOARD_SECTORS, "_n").drop(columns="_n")
        axis = (f"People: new victims in {period} (the {BOARD_SECTORS} largest of "
                f"{len(table)} sectors)")
    return ChartOutput(
        fig.detected_vs_expected(shown, "sector", board=state.board, source=SOURCE,
                                 axis_title=axis),
        f"{area}. " + text, table, period, message=message,
        code=chart_code.sector_counts_code(store_path, state, state.area or data.home_area(),
                                           estimates.view_quarters(store_path, state)),
    )


def _types(store_path, state) -> ChartOutput:
    table = estimates.category_view(store_path, state, "exploitation_type")
    period = estimates.view_period(store_path, state)
    return ChartOutput(
        fig.detected_vs_expected(table, "exploitation_type", board=state.board, source=SOURCE,
                                 axis_title=f"People: new victims in {period}"),
        fig.describe_sectors(table, "exploitation_type", period),
        table, period,
        code=chart_code.view_layer_code(
            store_path, state, "dashboard/estimates.py",
            "estimates.category_view({store}, state, 'exploitation_type')"),
    )


def _heatmap(store_path, state) -> ChartOutput:
    tables = sector_views.sector_tables(store_path, state)
    area = data.area_name(tables.area_code)
    years = [p for p in dict.fromkeys(tables.by_year["period"]) if p != "Total"]
    span = f"{years[0]} to {years[-1]}" if len(years) > 1 else "".join(years)
    period = estimates.view_period(store_path, state)
    by_district = tables.by_district
    summary = fig.describe_sectors_by_year(tables.by_year, area)
    if len(by_district):
        share = tables.suppressed_share("by_district")
        summary += (f" By district and sector, {share:.0%} of the cells for {period} are [c], "
                    "so that table is in the Data table and the downloads, not drawn.")
    return ChartOutput(
        fig.sectors_by_year(tables.by_year, board=state.board, source=HEATMAP_SOURCE),
        summary, download_table(tables), span,
        code=code.sector_tables_code(store_path, state, tables.area_code, tables.period),
    )


def download_table(tables) -> pd.DataFrame:
    """Both tables in one, with names: area, sector, period, new victims ([c] flagged)."""
    frame = tables.to_frame()
    frame.insert(0, "area", frame["area_code"].map(
        lambda c: "All districts" if c == "Total" else data.area_name(c)))
    frame["sector"] = frame["sector"].map(
        lambda s: "All sectors" if s == "Total" else fig.sector_name(s))
    frame["period"] = frame["period"].replace({"Total": "All years"})
    frame["period"] = frame["period"].map(
        lambda p: p.replace(":", " to ") if ":" in str(p) else p)
    return frame.rename(columns={"people": "new_victims",
                                 "people_suppressed": "new_victims_suppressed"})


CHARTS = (
    ChartSpec("sectors-sector", "New victims by sector", _sectors),
    ChartSpec("sectors-type", "New victims against expected by exploitation type", _types),
    ChartSpec("sectors-heatmap", "New victims by sector and year", _heatmap),
)
BOARD_CHART = CHARTS[0]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            page_header(
                SLUG,
                TITLE,
                "In which sectors and types of exploitation new victims were first recorded; "
                "against an expected figure only where a documented share exists.",
            ),
            html.P(fig.SECTOR_CAVEAT, className="caveat"),
            chart_panel("sectors-sector", CHARTS[0].caption),
            chart_panel("sectors-type", CHARTS[1].caption, board=False),
            chart_panel("sectors-heatmap", CHARTS[2].caption, board=False),
        ]
    )


def register_callbacks(app) -> None:
    for spec in CHARTS:
        register_chart(app, spec)
