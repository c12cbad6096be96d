"""The "Python" action: the few `analysis` calls that reproduce a chart's numbers.

Text only (no callbacks): a page's chart builder calls one of these with the view's filters
and puts the result in ``ChartOutput.code``; researchers paste it into a notebook. Only charts
whose data come from one `analysis` call get code; the others say why (``charts.NO_CODE``).
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


def national_funnel_code(home_force: str) -> str:
    """The 43-force funnel (published figures) with the over-dispersion adjustment."""
    return "\n".join([
        "from analysis.funnel import national_funnel",
        "from analysis.national import police_referrals_by_force",
        "",
        f"result = national_funnel(police_referrals_by_force('2022Q2', '2023Q4'), "
        f"{home_force!r}, overdispersion='auto')",
        "result.to_frame()",
    ])


def uk_series_code() -> str:
    return "\n".join([
        "from analysis.national import uk_quarterly_referrals",
        "",
        "uk_quarterly_referrals('latest')",
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
    return "\n".join([
        "from analysis.sector_tables import read_sector_tables",
        "",
        f"result = read_sector_tables({_store(store_path)}, {area_code!r}, {period!r}{extra})",
        "result.to_frame()  # by_year (the chart) and by_district (the full table)",
    ])
