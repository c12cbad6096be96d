"""New victims detected against expected for one area and period: the headline's question.

:func:`area_detection` counts new victims (people at their first-ever record in the store,
:func:`analysis.detection.detected_counts`) in an area and whole quarters, sets them against
the expected new victims (:func:`analysis.expected.expected_flow`), flags left censoring and
fits the detection trend over the store's history; :func:`national_detection` does the same
for published UK NRM referrals. Both return an :class:`AreaDetectionResult`, the one results
object the CLI, the pages, the pack and the notebooks read (through :mod:`analysis.headline`).
Method and references: :mod:`analysis.detection` and ``docs/methods/expected_and_gap.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from analysis.detection import (
    DetectionResult,
    detected_counts,
    detection_ratio,
    districts_of,
    trend_verdict,  # noqa: F401  (re-exported beside the result it reads)
)
from analysis.detection_glm import DetectionModelResult, fit_detection_model
from analysis.errors import DarkFigureError
from analysis.results import Estimate

MIN_TREND_QUARTERS = 4

@dataclass(frozen=True)
class AreaDetectionResult:
    """The headline for one area and period: new victims detected against expected.

    The one results object the CLI, the pages, the pack and the notebooks all read.
    ``left_censored`` is true when the period starts within one assumed mean duration of the
    start of the store's history: people exploited before records began are then detected
    "for the first time" and inflate the count.
    """

    area_code: str
    area_name: str
    quarters: tuple[str, ...]
    detection: DetectionResult | None  # None: withheld, the count is [c] once protected
    model: DetectionModelResult | None
    scenario: str
    scenario_title: str
    unlinked: int
    history_start: str | None
    left_censored: bool
    notes: tuple[str, ...] = ()
    mode: str = "exact"  # "protected" once analysis.headline.protect_headline has run
    expected: Estimate | None = None

    @property
    def period(self) -> str:
        return f"{self.quarters[0]}:{self.quarters[-1]}"

    @property
    def period_label(self) -> str:
        """The period in words, e.g. '2025' or '2024 Q3 to 2025 Q2'."""
        from analysis.periods import period_label

        return period_label(self.quarters)

    def as_dict(self) -> dict[str, object]:
        """The CLI's JSON contract: period, detected, expected, detection_ratio, gap, trend."""
        if self.detection is None:
            out = {"expected": self.expected.as_dict(),
                   "detected": {"value": "[c]", "lower": None, "upper": None,
                                "interval_kind": None, "confidence_level": None},
                   "detection_ratio": None, "gap": None, "trend": None, "assumptions": [],
                   "notes": ["detected count shown as [c] (protected): the ratio and gap, "
                             "which would reveal it, are withheld"]}
            out.update(area_code=self.area_code, area_name=self.area_name, period=self.period,
                       period_label=self.period_label, quarters=len(self.quarters),
                       scenario=self.scenario, scenario_title=self.scenario_title,
                       unlinked_records=None, history_start=self.history_start,
                       left_censored=self.left_censored, disclosure=self.mode,
                       notes=list(self.notes) + out["notes"], family=None)
            return out
        out = self.detection.as_dict()
        out.update(area_code=self.area_code, area_name=self.area_name, period=self.period,
                   period_label=self.period_label, quarters=len(self.quarters),
                   scenario=self.scenario, scenario_title=self.scenario_title,
                   unlinked_records=self.unlinked, history_start=self.history_start,
                   left_censored=self.left_censored, disclosure=self.mode,
                   notes=list(self.notes) + list(self.detection.notes),
                   family=None if self.model is None else self.model.family)
        return out

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows of every estimate, with the area and period on each."""
        frame = (self.expected.to_frame() if self.detection is None else
                 self.detection.to_frame())
        return frame.assign(area_code=self.area_code, period=self.period,
                            scenario=self.scenario, disclosure=self.mode)

    def summary(self) -> str:
        head = (f"{self.area_name} ({self.area_code}), new victims in {self.period_label} "
                f"({self.period}), scenario {self.scenario_title}")
        extra = [f"  note: {n}" for n in self.notes]
        body = (self.detection.summary() if self.detection is not None else
                "  detected: [c] (protected); ratio and gap withheld")
        return head + "\n" + body + ("\n" + "\n".join(extra) if extra else "")


def left_censoring_note(quarters: Sequence[str], history_start: str | None,
                        mean_duration: float) -> str | None:
    """Say so when a period starts within one mean duration of the store's first record.

    Examples
    --------
    >>> left_censoring_note(["2019Q3"], "2019Q1", 2.0)[:40]
    'left censoring: 2019Q3 starts within 2 y'
    >>> left_censoring_note(["2025Q1"], "2019Q1", 2.0) is None
    True
    """
    from analysis.periods import quarter_start

    if history_start is None or not quarters:
        return None
    start = quarter_start(quarters[0])
    limit = quarter_start(history_start) + pd.DateOffset(months=round(12 * mean_duration))
    if start >= limit:
        return None
    return (f"left censoring: {quarters[0]} starts within {mean_duration:g} years (the assumed "
            f"mean duration) of the first stored record ({history_start}); people exploited "
            f"before records began are detected 'for the first time' in this period, which "
            f"inflates the count of new victims")


def _trend_quarters(quarters: list[str], history_start: str | None,
                    mean_duration: float) -> list[str]:
    """The quarters the trend is fitted on: the store's history from its first quarter clear of
    left censoring to the period's end (the question is whether detection is improving), or
    the period itself when that is longer."""
    from analysis.periods import quarter_range, quarter_start

    if history_start is None:
        return quarters
    clear = (quarter_start(history_start) + pd.DateOffset(months=round(12 * mean_duration)))
    first = f"{clear.year}Q{clear.quarter}"
    if first > quarters[-1]:
        return quarters
    history = quarter_range(first, quarters[-1])
    return history if len(history) > len(quarters) else quarters


def _unlinked(referrals: pd.DataFrame, districts: Sequence[str], quarters: Sequence[str],
              where: Mapping[str, str] | None) -> int:
    """Records in the view without a person key (each counted as a person of its own)."""
    if "person_key" in referrals.columns:
        key = referrals["person_key"].isna()
    elif {"linked", "count"} <= set(referrals.columns):  # counted in the store
        key = ~referrals["linked"].astype(bool)
    else:
        return 0
    chosen = referrals["area_code"].isin(districts)
    if "quarter" in referrals.columns:
        chosen &= referrals["quarter"].astype(str).isin(list(quarters))
    for column, value in (where or {}).items():
        chosen &= referrals[column].astype(str) == str(value)
    if "person_key" in referrals.columns:
        return int((chosen & key).sum())
    return int(referrals.loc[chosen & key, "count"].sum())


def area_detection(referrals: pd.DataFrame, area_code: str, quarters: Sequence[str], *,
                   scenario=None, duration=None, alpha: float = 0.05,
                   where: Mapping[str, str] | None = None, shares=None,
                   category: str | None = None,
                   history_start: str | None = None) -> AreaDetectionResult:
    """New victims detected and expected for one area over whole quarters.

    ``referrals`` are every stored referral (all areas and dates), so that a person's
    first-ever record decides where and when they count; equivalently, already-first records
    (:func:`new_victims`) of the area's districts, with ``history_start`` (the store's first
    quarter) given, or those new victims counted in the store by district, quarter, the
    ``where`` columns and ``linked`` (:func:`analysis.victim_counts.count_cells`). The trend
    comes from :func:`fit_detection_model` over district x quarter cells; it is skipped, with
    a note, for fewer than ``MIN_TREND_QUARTERS`` quarters or no detections. It covers the
    store's history clear of left censoring up to the period's end (:func:`_trend_quarters`),
    and says so.

    ``where`` restricts to a group (e.g. ``{"exploitation_type": "labour"}``: people whose
    first-ever record is in it); a ratio for a group needs its expected share, given as
    ``shares`` and ``category`` (a documented, labelled assumption), else a clear error.
    """
    from analysis.assumptions import DEFAULT_DURATION, get_scenario
    from analysis.expected import expected_flow, expected_grid
    from analysis.periods import period_label, quarter_of

    quarters = list(quarters)
    if not quarters:
        raise DarkFigureError("no quarters in the period")
    duration = duration or DEFAULT_DURATION
    chosen = get_scenario(scenario)
    districts = districts_of(area_code)
    if where and shares is None:
        raise DarkFigureError(
            f"no expected figure for the group {dict(where)}: a ratio for a group needs a "
            f"documented share assumption; show its count and composition instead")
    counts = detected_counts(referrals, by=("area_code", "quarter"), quarters=quarters,
                             area_codes=districts, where=where)
    detected = int(counts["detected"].sum())
    expected = expected_flow(area_code, scenario=chosen, duration=duration,
                             period_years=len(quarters) / 4, shares=shares, category=category)
    if history_start is None:
        dates = referrals["referral_date"] if "referral_date" in referrals.columns else None
        history_start = (None if dates is None or dates.dropna().empty else
                         str(quarter_of(pd.Series([dates.min()])).iloc[0]))
    notes: list[str] = []
    censoring = left_censoring_note(quarters, history_start, duration.central)
    if censoring:
        notes.append(censoring)
    trend_quarters = _trend_quarters(quarters, history_start, duration.central)
    trend_counts = detected_counts(referrals, by=("area_code", "quarter"),
                                   quarters=trend_quarters, area_codes=districts, where=where)
    model = None
    if len(trend_quarters) < MIN_TREND_QUARTERS:
        notes.append(f"trend skipped: {len(trend_quarters)} quarter(s), at least "
                     f"{MIN_TREND_QUARTERS} needed")
    elif int(trend_counts["detected"].sum()) == 0:
        notes.append("trend skipped: nothing detected")
    else:
        # a group's share is a constant factor of every cell: the intercept absorbs it
        grid = expected_grid(districts, trend_quarters, scenario=chosen, duration=duration)
        model = fit_detection_model(
            trend_counts.merge(grid, on=["area_code", "quarter"]), alpha)
        notes.append(f"trend: {model.family} GLM over district x quarter, "
                     f"{period_label(trend_quarters)}; {model.dispersion_test.rule}")
    unlinked = _unlinked(referrals, districts, quarters, where)
    if unlinked:
        notes.append(f"{unlinked:,} record(s) without a person key cannot be linked and "
                     f"count once each (an upper bound on distinct people)")
    trend = None
    if model is not None and model.trend is not None:
        trend = replace(model.trend, name=f"rate ratio per year, {period_label(trend_quarters)}")
    result = detection_ratio(detected, expected, alpha, trend=trend)
    return AreaDetectionResult(
        area_code=area_code, area_name=expected.area_name, quarters=tuple(quarters),
        detection=result, model=model, scenario=chosen.name, scenario_title=chosen.title,
        unlinked=unlinked, history_start=history_start, left_censored=censoring is not None,
        notes=tuple(notes), expected=expected.estimate)


def national_detection(quarters: Sequence[str] | None = None, *, scenario=None, duration=None,
                       alpha: float = 0.05, vintage: str = "first") -> AreaDetectionResult:
    """UK NRM referrals against the expected UK new victims (real public data).

    ``quarters`` default to the last four published; ``vintage`` as in
    :func:`analysis.national.uk_quarterly_referrals`. NRM referrals count referrals, not
    distinct people, and include adults and children from all first responders.

    Examples
    --------
    >>> r = national_detection(["2023Q1", "2023Q2", "2023Q3", "2023Q4"], scenario="gsi_2023")
    >>> r.detection.detected, round(r.detection.expected.value)   # 122,000 / 2 years x 1 year
    (17017, 61000)
    """
    from analysis.assumptions import DEFAULT_DURATION, get_scenario
    from analysis.expected import UK_CODE, expected_flow
    from analysis.national import uk_quarterly_referrals

    duration = duration or DEFAULT_DURATION
    chosen = get_scenario(scenario)
    series = uk_quarterly_referrals(vintage).set_index("period")["referrals"]
    quarters = list(quarters) if quarters is not None else list(series.index[-4:])
    absent = [q for q in quarters if q not in series.index]
    if absent:
        raise DarkFigureError(f"no published UK NRM figure for {', '.join(absent)} "
                              f"(available {series.index[0]} to {series.index[-1]})")
    detected = int(series.loc[quarters].sum())
    expected = expected_flow(UK_CODE, scenario=chosen, duration=duration,
                             period_years=len(quarters) / 4)
    means = (f"detected: UK NRM referrals ({vintage} published figure per quarter); these "
             f"count referrals, not distinct people, so a person referred twice counts twice")
    model = None
    notes = []
    if len(quarters) >= MIN_TREND_QUARTERS:
        per_quarter = expected.value / len(quarters)
        counts = pd.DataFrame({"quarter": quarters, "detected": series.loc[quarters].to_numpy(),
                               "expected": per_quarter})
        model = fit_detection_model(counts, alpha)
        notes.append(f"trend: {model.family} GLM over quarters; {model.dispersion_test.rule}")
    else:
        notes.append(f"trend skipped: {len(quarters)} quarter(s), at least "
                     f"{MIN_TREND_QUARTERS} needed")
    result = detection_ratio(detected, expected, alpha,
                             trend=None if model is None else model.trend, detected_means=means)
    return AreaDetectionResult(
        area_code=UK_CODE, area_name=expected.area_name, quarters=tuple(quarters),
        detection=result, model=model, scenario=chosen.name, scenario_title=chosen.title,
        unlinked=0, history_start=None, left_censored=False, notes=tuple(notes),
        mode="published figures", expected=expected.estimate)
