"""The "Python" action: the few `analysis` calls that reproduce a chart's numbers.

Text only (no callbacks): a page's chart builder calls one of these with the view's filters
and puts the result in ``ChartOutput.code``; researchers paste it into a notebook. The
headline and the sector tables are here; every other chart's snippet is in
:mod:`dashboard.components.chart_code`.
"""

from __future__ import annotations

from dashboard.state import ALL, ViewState


def _store(store_path) -> str:
    return repr(str(store_path))


def headline_code(store_path, state: ViewState, area_code: str, quarters: list[str]) -> str:
    """``read_headline`` for the view's area, period and scenario (no group filter)."""
    if any(v != ALL for v in (state.sector, state.exploitation_type, state.age_group)):
        # a group takes a share assumption (or none) that the view layer picks
        from dashboard.components.chart_code import view_layer_code

        return view_layer_code(
            store_path, state, "dashboard/headline_view.py",
            "h = headline_view.headline({store}, state)\n"
            "h.ratio.to_frame() if h.ratio is not None else h.expected.estimate.to_frame()")
    period = f"{quarters[0]}:{quarters[-1]}" if quarters else None
    return "\n".join([
        "from analysis.assumptions import get_scenario",
        "from analysis.headline import read_headline",
        "",
        f"result = read_headline({_store(store_path)}, area_code={area_code!r}, "
        f"period={period!r},",
        f"                       scenario=get_scenario({state.scenario!r}))",
        "result.to_frame()",
    ])


def group_where(state: ViewState, lifted: tuple[str, ...] = ()) -> dict[str, str]:
    """The view's group filters as ``where=`` (the ones a chart lifts left out)."""
    return {column: value for column, value in (
        ("sector", state.sector), ("exploitation_type", state.exploitation_type),
        ("age_group", state.age_group)) if value != ALL and column not in lifted}


def sector_tables_code(store_path, state: ViewState, area_code: str, period: str) -> str:
    """``read_sector_tables``: sectors by year and the district x sector table."""
    where = group_where(state, lifted=("sector",))
    extra = f", where={where!r}" if where else ""
    if state.snapshot is not None:  # the view is frozen to a load
        extra += f", snapshot={state.snapshot}"
    return "\n".join([
        "from analysis.sector_tables import read_sector_tables",
        "",
        f"result = read_sector_tables({_store(store_path)}, {area_code!r}, {period!r}{extra})",
        "result.to_frame()  # by_year (the chart) and by_district (the full table)",
    ])
