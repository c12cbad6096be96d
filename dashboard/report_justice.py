"""The board pack's justice section: the victim-to-charge funnel and the honesty page (cases
still open, charges at equal follow-up), as printed pages.

``justice_pages(store_path, state)`` returns finished pack pages (plotly figures at page
size, styled by :func:`dashboard.report.pack_page`) for the same view state as the rest of
the pack; the pack appends them after its board views.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import plotly.graph_objects as go

from dashboard import data
from dashboard.state import ViewState

SECTION_TITLE = "Justice: from detection to charge"


def justice_section():
    """(page title, chart spec) of each page in the section, in order."""
    from dashboard.pages import justice

    return (
        (SECTION_TITLE, justice.CHARTS[0]),
        ("Justice: cases still open, and charges at equal follow-up", justice.CHARTS[2]),
    )


def justice_pages(store_path: Path | str, state: ViewState) -> list[go.Figure]:
    """The section's pack pages for a view state (frozen to its snapshot, board scale)."""
    from dashboard.pages import justice
    from dashboard.report import pack_page

    state = replace(state, board=True)
    if state.snapshot is None:
        state = replace(state, snapshot=data.latest_snapshot(store_path))
    today = dt.date.today().strftime("%d %B %Y")
    area = data.area_name(state.area or data.home_area())
    from analysis.periods import period_label

    quarters = data.filter_options(store_path).quarters
    period = (state.period.replace(":", " to ") if state.period else
              f"{period_label(quarters)}, by year of first detection" if quarters else "no data")
    snapshot = data.snapshot_label(store_path, state.snapshot)
    source = justice.SOURCE.replace("<br>", " ")
    footer = (f"{source} Dark Figure board pack, {today}. {area}; people detected in {period}; "
              f"{snapshot}. Counts perturbed by up to 2 (cell-key method); [c]: below the "
              "disclosure threshold. Rates from the shown counts with 95% Wilson intervals; "
              "outcomes lag, so recent years are not final.")
    pages = []
    for title, spec in justice_section():
        out = spec.build(Path(store_path), state)
        pages.append(pack_page(title, out.figure, out.summary, footer))
    return pages
