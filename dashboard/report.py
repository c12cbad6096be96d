"""The board pack: one PDF page per board view, with title, message, intervals, source and date.

Each page is the view's board figure (the same builder the dashboard uses, at presentation
scale) with the view's one-sentence message, the data snapshot and the date printed on it,
rendered by kaleido 1.x through the system Chromium and joined with pypdf.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import textwrap
from dataclasses import replace
from pathlib import Path

import plotly.graph_objects as go

from dashboard import data, theme
from dashboard.state import ViewState

PAGE_WIDTH, PAGE_HEIGHT = 1600, 1000  # 16:10 at 1 px = 1/96 in; kaleido scales to PDF points


def board_views() -> list[tuple[str, object, str]]:
    """(page title, chart spec, source) of every board view, in presentation order."""
    from dashboard.pages import BOARD_PAGES

    return [(page.TITLE, page.BOARD_CHART, page.SOURCE) for page in BOARD_PAGES]


def _wrap(text: str, width: int = 120) -> str:
    return "<br>".join(textwrap.wrap(text, width)) if text else ""


def pack_page(title: str, figure: go.Figure, message: str, footer: str) -> go.Figure:
    """Restyle one board figure as a printed page: title and message on top, footer below."""
    fig = go.Figure(figure)
    # The footer carries the source, so the chart's own source line would only overlap it.
    fig.layout.annotations = [
        a for a in fig.layout.annotations if not str(a.text or "").startswith("Source")
    ]
    fig.update_layout(
        title=dict(
            text=f"<b>{title}</b><br><span style='font-size:20px'>{_wrap(message)}</span>",
            x=0.02,
            xanchor="left",
            y=0.97,
            yanchor="top",
            font=dict(size=30),
        ),
        margin=dict(t=190, b=220, l=fig.layout.margin.l or 80, r=60),
        width=PAGE_WIDTH,
        height=PAGE_HEIGHT,
        showlegend=fig.layout.showlegend,
    )
    # Annotations live in plot-area units and long axis labels widen the left margin, so
    # the footer starts at the plot's left edge and wraps short enough to fit beside them.
    fig.add_annotation(text=_wrap(footer, 110), xref="paper", yref="paper", x=0, y=0,
                       yshift=-105, xanchor="left", yanchor="top", showarrow=False,
                       font=dict(size=14, color=theme.GREY), align="left")
    return fig


def build_pages(store_path: Path, state: ViewState) -> list[go.Figure]:
    """The pack's figures (one per board view) for a view state, frozen to its snapshot.
    Always protected: the pack circulates, so ``exact`` is dropped whoever asks."""
    state = replace(state, board=True, exact=False)
    if state.snapshot is None:
        state = replace(state, snapshot=data.latest_snapshot(store_path))
    today = dt.date.today().strftime("%d %B %Y")
    snapshot = data.snapshot_label(store_path, state.snapshot)
    from analysis.assumptions import get_scenario
    from analysis.periods import period_label
    from dashboard.estimates import view_quarters

    area = data.area_name(state.area or data.home_area())
    quarters = view_quarters(store_path, state)
    period = (f"figures for {period_label(quarters)} ({quarters[0]} to {quarters[-1]})"
              if quarters else "no data in the store")
    try:
        scenario = get_scenario(state.scenario).title
    except Exception:  # noqa: BLE001 - a pasted link with an unknown scenario: say which
        scenario = state.scenario
    pages = []
    for title, spec, source in board_views():
        out = spec.build(store_path, state)
        if out.pending:  # a pack is printed once: wait for the view's model fits
            from dashboard import fit_cache

            fit_cache.wait_for_background()
            out = spec.build(store_path, state)
        source = source if source.lower().startswith("source") else f"Source: {source}"
        footer = (
            f"{source} Dark Figure board pack, {today}. {area}; {period} unless the chart "
            f"names another; scenario: {scenario}; {snapshot}. Counts below the disclosure "
            "threshold shown as [c]. '95%' marks sampling intervals only; ranges over "
            "assumptions (e.g. durations of 1 to 5 years) are named as such."
        )
        pages.append(pack_page(title, out.figure, out.summary, footer))
    from dashboard.report_justice import justice_pages  # the justice section (issue 16)

    return pages + justice_pages(store_path, state)


def figures_to_pdf(figures: list[go.Figure]) -> bytes:
    """Render each figure to a one-page PDF with kaleido (one browser session) and join them."""
    import kaleido
    from pypdf import PdfWriter

    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"page-{i:02d}.pdf" for i in range(len(figures))]
        kaleido.write_fig_from_object_sync(
            [
                {
                    "fig": fig,
                    "path": str(path),
                    "opts": {"format": "pdf", "width": PAGE_WIDTH, "height": PAGE_HEIGHT},
                }
                for fig, path in zip(figures, paths, strict=True)
            ]
        )
        writer = PdfWriter()
        for path in paths:
            writer.append(str(path))
        buffer = io.BytesIO()
        writer.write(buffer)
    return buffer.getvalue()


def build_pack(store_path: Path, state: ViewState) -> bytes:
    """The whole board pack as PDF bytes."""
    return figures_to_pdf(build_pages(Path(store_path), state))
