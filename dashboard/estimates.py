"""Per-view bundles of estimates: select the records a view asks for, call the ``analysis``
estimators, and protect every count from record-level data before it leaves this module.

No statistics are computed here; each number comes from an ``analysis`` function. Results are
cached per (store version, view state), so moving between pages or back to a view is instant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.schema import SECTORS
from dashboard import data
from dashboard.state import ALL, ViewState

# Sectors the equal-share assumption spreads the expected figure over ("other" and "unknown"
# are recording categories, not sectors with their own prevalence).
SHARE_SECTORS = tuple(s for s in SECTORS if s not in ("other", "unknown"))


def view_quarters(
    store_path: Path | str, state: ViewState, *, default_last: int | None = None
) -> list[str]:
    """Quarters of the view: the period filter, or the last ``default_last`` quarters held."""
    options = data.filter_options(store_path).quarters
    if not options:
        return []
    if not state.period and default_last:
        return options[-default_last:]
    return [
        q
        for q in options
        if (not state.start or q >= state.start) and (not state.end or q <= state.end)
    ]


def _share_args(state: ViewState) -> tuple[object | None, str | None, list[str]]:
    """The share table and category the view's filters imply, with notes for the reader."""
    from analysis import assumptions

    notes = []
    if state.age_group != ALL:
        notes.append("the expected figure covers all ages: no published split by age is used")
    if state.sector != ALL and state.sector in SHARE_SECTORS:
        if state.exploitation_type != ALL:
            notes.append("expected split by sector only (one share table at a time)")
        return assumptions.equal_shares(SHARE_SECTORS), state.sector, notes
    if state.exploitation_type not in (ALL, "unknown"):
        table = assumptions.exploitation_type_shares()
        if state.exploitation_type in dict(table.shares):
            return table, state.exploitation_type, notes
    if state.sector != ALL or state.exploitation_type != ALL:
        notes.append("no share for this category: the expected figure is for all categories")
    return None, None, notes


@lru_cache(maxsize=1)
def _populations() -> pd.DataFrame:
    from analysis.expected import area_populations

    return area_populations()


@lru_cache(maxsize=16)
def _scenario(name: str):
    from analysis.assumptions import get_scenario

    return get_scenario(name)


@lru_cache(maxsize=4096)
def expected_for(area_code: str, n_quarters: int, scenario: str, sector: str, etype: str, age: str):
    """``analysis.expected.expected_flow`` for an area over ``n_quarters`` quarters.

    Reference-level, not view-level: cached for the life of the app (the reference data do
    not change while it runs).
    """
    from analysis.expected import expected_flow

    state = ViewState(sector=sector, exploitation_type=etype, age_group=age)
    shares, category, _ = _share_args(state)
    return expected_flow(
        area_code,
        scenario=_scenario(scenario),
        period_years=n_quarters / 4,
        shares=shares,
        category=category,
        populations=_populations(),
    )


def without_board(state: ViewState) -> ViewState:
    # Board mode changes the chart, not the estimate: share the cache between the two.
    return replace(state, board=False)


@dataclass(frozen=True)
class Headline:
    """What the Overview tiles show for one view."""

    area_code: str
    area_name: str
    quarters: tuple[str, ...]
    detected: int | None  # None: suppressed
    expected: object  # ExpectedResult
    ratio: object | None  # detection result (lower/upper), when analysis.detection provides it
    notes: tuple[str, ...]


def headline(store_path: Path | str, state: ViewState) -> Headline:
    return _headline(data.store_version(store_path), without_board(state))


@lru_cache(maxsize=128)
def _headline(version, state: ViewState) -> Headline:
    from analysis.disclosure import suppress_small_counts

    store_path = version[0]
    quarters = view_quarters(store_path, state, default_last=4)
    view = replace(state, period=f"{quarters[0]}:{quarters[-1]}") if quarters else state
    area = state.area or data.home_area()
    rows = data.people(store_path, view)
    count = pd.DataFrame({"area_code": [area], "referral_count": [len(rows)]})
    shown = suppress_small_counts(count, "referral_count")["referral_count"].iloc[0]
    detected = None if pd.isna(shown) else int(shown)
    expected = expected_for(
        area,
        max(len(quarters), 1),
        state.scenario,
        state.sector,
        state.exploitation_type,
        state.age_group,
    )
    _, _, notes = _share_args(state)
    return Headline(
        area,
        data.area_name(area),
        tuple(quarters),
        detected,
        expected,
        detection_ratio(detected, expected),
        tuple(notes),
    )


def detection_ratio(detected: int | None, expected) -> object | None:
    """Detection ratio with its interval from ``analysis.detection`` (None if suppressed)."""
    if detected is None:
        return None
    try:
        from analysis import detection
    except ImportError:  # the detection module has not landed yet
        return None
    compute = getattr(detection, "detection_ratio", None)
    if compute is None:  # the module's API is not the one this page was written against
        return None
    return compute(detected, expected)


def headline_tiles(h: Headline, period: str) -> tuple[str, ...]:
    """(value, detail) text for the five Overview tiles, in order."""
    from dashboard.theme import fmt_count, fmt_interval

    e, r = h.expected, h.ratio
    detected = fmt_count(h.detected)
    ratio_value = f"{r.value:.0%}" if r is not None else "n/a"
    ratio_detail = (
        f"{r.lower:.0%} to {r.upper:.0%} ({1 - r.alpha:.0%} interval)"
        if r is not None
        else "needs the detection module"
    )
    gap = getattr(r, "gap", None)
    gap_value = fmt_count(gap.value) if gap is not None else "n/a"
    gap_detail = fmt_interval(gap.lower, gap.upper, count=True) if gap is not None else ""
    trend = getattr(r, "trend", None)
    return (
        detected,
        f"people, {period}",
        fmt_count(e.value),
        f"{fmt_interval(e.lower, e.upper, count=True)} ({e.interval_kind})",
        ratio_value,
        ratio_detail,
        gap_value,
        gap_detail,
        trend.direction if trend is not None else "n/a",
        getattr(trend, "detail", ""),
    )


@dataclass(frozen=True)
class AreaView:
    table: pd.DataFrame  # area_code, area_name, detected (protected), expected, expected_*
    raw: pd.DataFrame  # the same with unprotected counts: for the estimators only
    hidden: frozenset[str]  # districts whose count is suppressed
    highlight: str | None
    quarters: tuple[str, ...]


def area_view(store_path: Path | str, state: ViewState) -> AreaView:
    return _area_view(data.store_version(store_path), without_board(state))


@lru_cache(maxsize=128)
def _area_view(version, state: ViewState) -> AreaView:
    """Detected and expected for every district of the selected force."""
    from analysis.disclosure import suppress_small_counts

    store_path = version[0]
    quarters = view_quarters(store_path, state, default_last=4)
    force = data.home_force(state)
    districts = data.lads_in(force)
    view = replace(state, area=force, period=f"{quarters[0]}:{quarters[-1]}" if quarters else "")
    rows = data.people(store_path, view)
    counts = (
        rows.groupby("area_code", observed=False).size().reindex(districts, fill_value=0)
        if len(rows)
        else pd.Series(0, index=districts)
    )
    raw = pd.DataFrame(
        {
            "area_code": districts,
            "area_name": [data.area_name(c) for c in districts],
            "detected": counts.to_numpy(),
        }
    )
    exp = [
        expected_for(
            c,
            max(len(quarters), 1),
            state.scenario,
            state.sector,
            state.exploitation_type,
            state.age_group,
        )
        for c in districts
    ]
    raw["expected"] = [e.value for e in exp]
    raw["expected_lower"] = [e.lower for e in exp]
    raw["expected_upper"] = [e.upper for e in exp]
    protected = suppress_small_counts(raw, "detected")
    hidden = frozenset(protected.loc[protected["detected_suppressed"], "area_code"])
    highlight = state.area if state.area in districts else None
    return AreaView(protected, raw, hidden, highlight, tuple(quarters))


def area_funnel(store_path: Path | str, state: ViewState):
    """``analysis.funnel.funnel`` over the districts; suppressed districts' ratios hidden."""
    return _area_funnel(data.store_version(store_path), without_board(state))


@lru_cache(maxsize=128)
def _area_funnel(version, state: ViewState):
    from analysis.errors import DarkFigureError
    from analysis.funnel import funnel

    view = _area_view(version, state)
    if view.raw["detected"].sum() == 0:
        return None
    try:
        result = funnel(view.raw, highlight=view.highlight)
    except DarkFigureError:
        return None
    return replace(result, table=_hide(result.table, view.hidden, ["observed", "ratio", "z_score"]))


def area_shrinkage(store_path: Path | str, state: ViewState):
    """``analysis.shrinkage.shrink_ratios`` over the districts, suppressed ones hidden."""
    return _area_shrinkage(data.store_version(store_path), without_board(state))


@lru_cache(maxsize=128)
def _area_shrinkage(version, state: ViewState):
    from analysis.errors import DarkFigureError
    from analysis.shrinkage import shrink_ratios

    view = _area_view(version, state)
    if view.raw["detected"].sum() == 0:
        return None
    try:
        result = shrink_ratios(view.raw)
    except DarkFigureError:
        return None
    return replace(
        result,
        table=_hide(
            result.table, view.hidden, ["observed", "raw_ratio", "posterior_mean", "lower", "upper"]
        ),
    )


def _hide(table: pd.DataFrame, hidden: set[str], columns: list[str]) -> pd.DataFrame:
    """Blank the values that would reveal a suppressed district's count."""
    out = table.copy()
    mask = out["area_code"].isin(hidden)
    for column in columns:
        out[column] = out[column].astype("Float64").mask(mask)
    return out


def category_view(store_path: Path | str, state: ViewState, category: str) -> pd.DataFrame:
    """Detected (protected) and expected by sector or exploitation type for the view's area."""
    return _category_view(data.store_version(store_path), without_board(state), category)


@lru_cache(maxsize=128)
def _category_view(version, state: ViewState, category: str) -> pd.DataFrame:
    from analysis import assumptions
    from analysis.disclosure import suppress_small_counts
    from analysis.schema import EXPLOITATION_TYPES

    store_path = version[0]
    quarters = view_quarters(store_path, state, default_last=4)
    # The view's own filter on this dimension is lifted: the chart shows every category.
    lifted = (
        replace(state, sector=ALL)
        if category == "sector"
        else replace(state, exploitation_type=ALL)
    )
    view = replace(lifted, period=f"{quarters[0]}:{quarters[-1]}" if quarters else "")
    rows = data.people(store_path, view)
    if category == "sector":
        shares, names = assumptions.equal_shares(SHARE_SECTORS), list(SECTORS)
    else:
        shares, names = assumptions.exploitation_type_shares(), list(EXPLOITATION_TYPES)
    known = dict(shares.shares)
    counts = rows.groupby(category, observed=False).size() if len(rows) else pd.Series(dtype=int)
    area = state.area or data.home_area()
    out = []
    for name in names:
        row = {category: name, "detected": int(counts.get(name, 0))}
        if name in known:
            e = _expected_category(area, max(len(quarters), 1), state.scenario, category, name)
            row.update(expected=e.value, expected_lower=e.lower, expected_upper=e.upper)
        out.append(row)
    table = pd.DataFrame(out)
    table = table[(table["detected"] > 0) | table["expected"].notna()].reset_index(drop=True)
    return suppress_small_counts(table, "detected")


@lru_cache(maxsize=4096)
def _expected_category(area: str, n_quarters: int, scenario: str, dimension: str, name: str):
    """Expected flow for one sector or exploitation type (reference-level cache)."""
    from analysis import assumptions
    from analysis.expected import expected_flow

    shares = (
        assumptions.equal_shares(SHARE_SECTORS)
        if dimension == "sector"
        else assumptions.exploitation_type_shares()
    )
    return expected_flow(
        area,
        scenario=_scenario(scenario),
        period_years=n_quarters / 4,
        shares=shares,
        category=name,
        populations=_populations(),
    )


def area_by_category(store_path: Path | str, state: ViewState, category: str) -> pd.DataFrame:
    """Referral counts by district x category (protected), for the heatmap."""
    return _area_by_category(data.store_version(store_path), without_board(state), category)


@lru_cache(maxsize=128)
def _area_by_category(version, state: ViewState, category: str) -> pd.DataFrame:
    from analysis.disclosure import suppress_small_counts

    store_path = version[0]
    quarters = view_quarters(store_path, state, default_last=4)
    force = data.home_force(state)
    lifted = (
        replace(state, sector=ALL)
        if category == "sector"
        else replace(state, exploitation_type=ALL)
    )
    view = replace(lifted, area=force, period=f"{quarters[0]}:{quarters[-1]}" if quarters else "")
    rows = data.people(store_path, view)
    if rows.empty:
        return pd.DataFrame(columns=["area", category, "referral_count"])
    counts = rows.groupby(["area_code", category], observed=True).size()
    wide = counts.unstack(category, fill_value=0)
    wide = wide.loc[:, wide.sum() > 0]
    long = wide.stack().rename("referral_count").reset_index()
    long["area"] = long["area_code"].map(data.area_name)
    # Rows are districts and columns categories: each district's line and each category's
    # line add up to totals shown elsewhere, so both are protected groups.
    protected = suppress_small_counts(long, "referral_count", group_columns="area_code")
    return protected[["area", category, "referral_count", "referral_count_suppressed"]]
