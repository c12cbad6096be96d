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
    store_path: Path | str, state: ViewState, *, whole_history: bool = False
) -> list[str]:
    """Quarters of the view: the period filter, else the product's default period (the latest
    four complete quarters in the store; ``analysis.periods.default_period``). A time series
    (``whole_history``) shows every stored quarter when no period is chosen."""
    options = data.filter_options(store_path).quarters
    if not options:
        return []
    if not state.period:
        return list(options) if whole_history else data.default_quarters(store_path)
    return [
        q
        for q in options
        if (not state.start or q >= state.start) and (not state.end or q <= state.end)
    ]


def group_label(state: ViewState) -> str | None:
    """The sub-group the view's filters select, in words (None for everyone)."""
    from dashboard.theme import category_label

    parts = []
    if state.age_group != ALL:
        parts.append({"child": "children", "adult": "adults"}.get(state.age_group,
                                                                 "age not recorded"))
    if state.sector != ALL:
        parts.append(f"{category_label(state.sector)} sector")
    if state.exploitation_type != ALL:
        parts.append(f"{category_label(state.exploitation_type)} exploitation")
    return ", ".join(parts) or None


def group_has_expected(state: ViewState) -> bool:
    """Whether the view's group has a documented expected share (so a ratio may be shown).

    Only exploitation types do (UK NRM referral shares, labelled as an assumption); no
    published split by sector or age exists, so those views show counts and composition.
    """
    if state.age_group != ALL or state.sector != ALL:
        return False
    if state.exploitation_type == ALL:
        return True
    shares, category, _ = _share_args(state)
    return category is not None


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
    """What the Overview shows for one view: the analysis result and the protected counts."""

    area_code: str
    area_name: str
    quarters: tuple[str, ...]
    detected: int | None  # new victims in the view, protected (None: shown as [c])
    expected: object  # ExpectedResult for everyone, or for the group when it has a share
    result: object | None  # AreaDetectionResult (None: no data, or a group without a share)
    group: str | None  # the sub-group in words, when the filters select one
    group_has_expected: bool
    composition: pd.DataFrame  # local shares against the national NRM mix (protected)
    notes: tuple[str, ...]

    @property
    def ratio(self):
        """The DetectionResult, unless the count is suppressed or the group has no share."""
        if self.result is None or self.detected is None:
            return None
        return self.result.detection

    @property
    def period_label(self) -> str:
        from analysis.periods import period_label

        return period_label(self.quarters) if self.quarters else "no data"


def headline(store_path: Path | str, state: ViewState) -> Headline:
    return _headline(data.store_version(store_path), without_board(state))


@lru_cache(maxsize=128)
def _headline(version, state: ViewState) -> Headline:
    from analysis.composition import composition
    from analysis.disclosure import suppress_small_counts
    from analysis.headline import headline as compute

    store_path = version[0]
    quarters = view_quarters(store_path, state)
    area = state.area or data.home_area()
    view = replace(state, period=f"{quarters[0]}:{quarters[-1]}") if quarters else state
    rows = data.people(store_path, view)
    count = pd.DataFrame({"area_code": [area], "referral_count": [len(rows)]})
    shown = suppress_small_counts(count, "referral_count")["referral_count"].iloc[0]
    detected = None if pd.isna(shown) else int(shown)
    shares, category, notes = _share_args(state)
    has_share = group_has_expected(state)
    result = None
    if quarters and has_share:
        where = ({"exploitation_type": state.exploitation_type}
                 if state.exploitation_type != ALL else None)
        result = compute(
            data.headline_referrals(store_path, state.snapshot, tuple(data.lads_in(area))),
            area, quarters, scenario=_scenario(state.scenario), where=where, shares=shares,
            category=category, history_start=data.history_start(store_path))
        notes = [*notes, *result.notes, *result.detection.notes]
    elif quarters:
        notes.append("no published split of the expected figure by sector or age exists, so "
                      "this group is shown as a count and as a share of new victims, not as a "
                      "detection ratio")
    expected = expected_for(area, max(len(quarters), 1), state.scenario,
                            state.sector if has_share else ALL,
                            state.exploitation_type if has_share else ALL, ALL)
    everyone = data.people(store_path, replace(view, sector=ALL, exploitation_type=ALL,
                                               age_group=ALL))
    comp = composition(everyone) if len(everyone) else pd.DataFrame()
    if not comp.empty:
        comp = suppress_small_counts(comp, "count")
        comp.loc[comp["count_suppressed"], ["share", "share_lower", "share_upper"]] = None
    return Headline(area, data.area_name(area), tuple(quarters), detected, expected, result,
                    group_label(state), has_share, comp, tuple(dict.fromkeys(notes)))


def headline_tiles(h: Headline) -> tuple[str, ...]:
    """(value, detail) text for the five Overview tiles, in order, each naming its period
    and the kind of its interval."""
    from dashboard.theme import fmt_count

    period = h.period_label
    e, r = h.expected, h.ratio
    who = f"new victims ({h.group})" if h.group else "new victims"
    detected = fmt_count(h.detected)
    detected_detail = f"{who} first recorded in {period}"
    if r is not None:
        detected_detail += (f"; 95% interval {fmt_count(r.detected_lower)} to "
                            f"{fmt_count(r.detected_upper)}")
    expected_detail = (f"{who} in {period}; {e.interval_kind}: {fmt_count(e.lower)} to "
                       f"{fmt_count(e.upper)}")
    if not h.group_has_expected:
        expected_detail = (f"all new victims in {period} (no expected figure exists for "
                           f"{h.group}); {e.interval_kind}: {fmt_count(e.lower)} to "
                           f"{fmt_count(e.upper)}")
    if r is not None:
        rr = r.ratio_range
        ratio_value = f"{r.value:.0%}"
        ratio_detail = (f"share of {who} detected; 95% count interval {r.lower:.0%} to "
                        f"{r.upper:.0%}; {rr.interval_kind}: {rr.lower:.0%} to {rr.upper:.0%}")
        gap, gr = r.gap, r.gap_range
        gap_value = fmt_count(gap.value) if gap.value == gap.value else "not given"
        gap_detail = (f"{who} not detected in {period}; 95% interval {fmt_count(gap.lower)} to "
                      f"{fmt_count(gap.upper)}; {gr.interval_kind}: {fmt_count(gr.lower)} to "
                      f"{fmt_count(gr.upper)}")
    elif h.detected is None:
        ratio_value, ratio_detail = "[c]", "withheld: it would reveal a count too small to show"
        gap_value, gap_detail = "[c]", "withheld: it would reveal a count too small to show"
    else:
        ratio_value = "not given"
        ratio_detail = f"no expected figure exists for {h.group}: see the composition below"
        gap_value, gap_detail = "not given", ratio_detail
    trend = getattr(r, "trend", None)
    if trend is not None:
        from analysis.detection import trend_verdict

        verdict = trend_verdict(trend)
        change = (trend.value - 1) * 100
        trend_value = ("No clear change" if trend.lower <= 1 <= trend.upper else
                       f"{'Up' if change > 0 else 'Down'} about {abs(change):.0f}% a year")
        trend_detail = (f"{verdict}; {trend.name}" if "," in trend.name else verdict)
    else:
        trend_value, trend_detail = "", ""
    return (detected, detected_detail, fmt_count(e.value), expected_detail, ratio_value,
            ratio_detail, gap_value, gap_detail, trend_value, trend_detail)


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
    quarters = view_quarters(store_path, state)
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
        result = funnel(view.raw, highlight=view.highlight, overdispersion="auto")
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
    quarters = view_quarters(store_path, state)
    # The view's own filter on this dimension is lifted: the chart shows every category.
    lifted = (
        replace(state, sector=ALL)
        if category == "sector"
        else replace(state, exploitation_type=ALL)
    )
    view = replace(lifted, period=f"{quarters[0]}:{quarters[-1]}" if quarters else "")
    rows = data.people(store_path, view)
    if category == "sector":
        # no published split by sector exists: counts only, never an equal-share "expected"
        known, names = {}, list(SECTORS)
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
    keep = table["detected"] > 0
    if "expected" in table.columns:
        keep |= table["expected"].notna()
    return suppress_small_counts(table[keep].reset_index(drop=True), "detected")


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
    quarters = view_quarters(store_path, state)
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
