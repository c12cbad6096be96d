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


def view_period(store_path: Path | str, state: ViewState) -> str:
    """The view's period in words (e.g. '2025'), for titles, axes and sentences."""
    from analysis.periods import period_label

    return period_label(view_quarters(store_path, state))


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
class AreaView:
    table: pd.DataFrame  # area_code, area_name, detected (protected), expected, expected_*
    raw: pd.DataFrame  # districts whose shown count is not [c], with it: for the estimators
    hidden: frozenset[str]  # districts whose count is suppressed
    highlight: str | None
    quarters: tuple[str, ...]


def area_view(store_path: Path | str, state: ViewState) -> AreaView:
    return _area_view(data.store_version(store_path), without_board(state))


@lru_cache(maxsize=128)
def _area_view(version, state: ViewState) -> AreaView:
    """Detected (protected) and expected for every district of the selected force.

    ``raw`` is what the estimators get: the districts whose shown count is not [c], with
    their shown counts, so a funnel point or a shrunken ratio (derived figures) cannot give
    a true count back (``analysis.disclosure`` rule).
    """
    store_path = version[0]
    quarters = view_quarters(store_path, state)
    force = data.home_force(state)
    districts = data.lads_in(force)
    view = replace(state, area=force, period=f"{quarters[0]}:{quarters[-1]}" if quarters else "")
    shown = data.counts(store_path, view, "area_code", levels={"area_code": districts}
                        ).to_frame()
    raw = pd.DataFrame(
        {
            "area_code": districts,
            "area_name": [data.area_name(c) for c in districts],
            "detected": shown["count"].to_numpy(),
            "detected_suppressed": shown["count_suppressed"].to_numpy(),
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
    protected = raw
    hidden = frozenset(protected.loc[protected["detected_suppressed"], "area_code"])
    estimable = protected[~protected["detected_suppressed"]].drop(columns="detected_suppressed")
    estimable = estimable.astype({"detected": "int64"}).reset_index(drop=True)
    highlight = state.area if state.area in set(estimable["area_code"]) else None
    return AreaView(protected, estimable, hidden, highlight, tuple(quarters))


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
    if category == "sector":
        # no published split by sector exists: counts only, never an equal-share "expected"
        known, names = {}, list(SECTORS)
    else:
        shares, names = assumptions.exploitation_type_shares(), list(EXPLOITATION_TYPES)
        known = dict(shares.shares)
    shown = data.counts(store_path, view, category, levels={category: names}
                        ).to_frame().set_index(category)
    present = set(data.true_counts(store_path, view, category)[category])
    area = state.area or data.home_area()
    out = []
    for name in names:
        row = {category: name, "detected": shown.loc[name, "count"],
               "detected_suppressed": bool(shown.loc[name, "count_suppressed"])}
        if name in known:
            e = _expected_category(area, max(len(quarters), 1), state.scenario, category, name)
            row.update(expected=e.value, expected_lower=e.lower, expected_upper=e.upper)
        out.append(row)
    table = pd.DataFrame(out)
    table["detected"] = table["detected"].astype("Int64")
    # categories with nobody and no expected figure are left out (a [c] may still be empty)
    keep = ~table["detected_suppressed"] | table[category].isin(present)
    if "expected" in table.columns:
        keep |= table["expected"].notna()
    return table[keep].reset_index(drop=True)


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
    store_path = version[0]
    quarters = view_quarters(store_path, state)
    force = data.home_force(state)
    lifted = (
        replace(state, sector=ALL)
        if category == "sector"
        else replace(state, exploitation_type=ALL)
    )
    view = replace(lifted, area=force, period=f"{quarters[0]}:{quarters[-1]}" if quarters else "")
    present = sorted(set(data.true_counts(store_path, view, category)[category]))
    if not present:
        return pd.DataFrame(columns=["area", category, "referral_count",
                                     "referral_count_suppressed"])
    districts = data.lads_in(force)
    # every cell and margin is its own protected cell (cell-key method): totals shown here
    # and on other pages are counted from the records, so no subtraction pins a hidden cell
    shown = data.counts(store_path, view, ("area_code", category),
                        levels={"area_code": districts, category: present},
                        margins=True).to_frame()
    shown["area"] = shown["area_code"].map(lambda c: "Total" if c == "Total" else
                                           data.area_name(c))
    shown = shown.rename(columns={"count": "referral_count",
                                  "count_suppressed": "referral_count_suppressed"})
    return shown[["area", category, "referral_count", "referral_count_suppressed"]]
