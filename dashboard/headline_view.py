"""The Overview's headline for one view: the analysis result, its protected count and the
tile texts, cached per (store version, view state).

No statistics here: the numbers come from ``analysis.headline`` (one path with the CLI, the
pack and the notebooks) and every count from ``analysis.disclosure``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from dashboard import data, fit_cache
from dashboard.estimates import (
    _scenario,
    _share_args,
    expected_for,
    group_has_expected,
    group_label,
    view_quarters,
    without_board,
)
from dashboard.shared_cache import shared_cache
from dashboard.state import ALL, ViewState


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
    notes: tuple[str, ...]

    @property
    def ratio(self):
        """The DetectionResult from the shown count, unless it is [c] or the group has no
        share."""
        if self.result is None or self.detected is None:
            return None
        return self.result.detection

    @property
    def period_code(self) -> str:
        """The period as FROM:TO quarters (downloads carry it beside the words)."""
        return f"{self.quarters[0]}:{self.quarters[-1]}" if self.quarters else ""

    @property
    def period_label(self) -> str:
        from analysis.periods import period_label

        return period_label(self.quarters) if self.quarters else "no data"


def headline(store_path: Path | str, state: ViewState) -> Headline:
    return _headline(data.store_version(store_path), without_board(state))


@fit_cache.per_view("headline")
def _headline(version, state: ViewState) -> Headline:
    from analysis.headline import headline as compute
    from analysis.headline import protect_headline
    from analysis.victim_counts import protect_total

    store_path = version[0]
    quarters = view_quarters(store_path, state)
    area = state.area or data.home_area()
    view = replace(state, period=f"{quarters[0]}:{quarters[-1]}") if quarters else state
    mode = data.disclosure_mode(state)
    # the view's people as one cell counted in the store (count and cell key), protected
    cell = data.cell_counts(store_path, view, ())
    shown = protect_total(cell, mode=mode)
    shares, category, notes = _share_args(state)
    has_share = group_has_expected(state)
    result = None
    if quarters and has_share:
        where = ({"exploitation_type": state.exploitation_type}
                 if state.exploitation_type != ALL else None)
        exact = compute(
            data.headline_cells(store_path, state.snapshot, tuple(data.lads_in(area))),
            area, quarters, scenario=_scenario(state.scenario), where=where, shares=shares,
            category=category, history_start=data.history_start(store_path))
        # the ratio and gap are recomputed from the shown count (analysis.disclosure rule)
        result = protect_headline(exact, shown, mode=mode)
        notes = [*notes, *exact.notes, *(result.detection.notes if result.detection else ())]
    elif quarters:
        notes.append("no published split of the expected figure by sector or age exists, so "
                     "this group is shown as a count and as a share of new victims, not as a "
                     "detection ratio")
    expected = expected_for(area, max(len(quarters), 1), state.scenario,
                            state.sector if has_share else ALL,
                            state.exploitation_type if has_share else ALL, ALL)
    return Headline(area, data.area_name(area), tuple(quarters), shown.value, expected, result,
                    group_label(state), has_share, tuple(dict.fromkeys(notes)))


def composition(store_path: Path | str, state: ViewState) -> tuple[pd.DataFrame,
                                                                    tuple[str, ...]]:
    """Who the view's new victims are (every sector, type and age: the composition is the
    filter's context) against the national NRM mix, protected, with the headline's quarters.

    Apart from the headline so the composition never waits for the headline's trend fit.
    """
    return _composition(data.store_version(store_path), without_board(state))


@shared_cache(maxsize=256)
def _composition(version, state: ViewState) -> tuple[pd.DataFrame, tuple[str, ...]]:
    from analysis.composition import protected_composition

    store_path = version[0]
    quarters = tuple(view_quarters(store_path, state))
    if not quarters:
        return pd.DataFrame(), quarters
    view = replace(state, period=f"{quarters[0]}:{quarters[-1]}", sector=ALL,
                   exploitation_type=ALL, age_group=ALL)
    everyone = data.cell_counts(store_path, view,
                                ("age_group", "nationality_group", "exploitation_type"))
    if not len(everyone):
        return pd.DataFrame(), quarters
    return protected_composition(everyone, mode=data.disclosure_mode(state)), quarters


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
