"""The detection gap: people detected against the expected figure, with honest intervals.

Method
------
1. **Detected count.** People, not records: each linked person counts once, in the area,
   quarter and sector of their first referral in the selection
   (:func:`analysis.tables.first_detections`); records without a ``person_key`` cannot be
   linked and count once each (so the count is an upper bound on distinct people).
2. **Exact interval on the count.** Treating the count as Poisson, the Garwood (1936) exact
   interval is ``chi2.ppf(alpha/2, 2k) / 2`` to ``chi2.ppf(1 - alpha/2, 2k + 2) / 2``
   (lower 0 when ``k = 0``); it covers the true mean at least ``1 - alpha`` of the time.
3. **Detection ratio** = detected / expected. Its interval combines the two sources of
   uncertainty conservatively: ``lower = Garwood lower / expected upper`` and
   ``upper = Garwood upper / expected lower``. The expected interval is a *scenario envelope*
   (not a sampling interval), so no probability can be attached to the combination; the
   corners simply bound every ratio consistent with both.
4. **Gap** = expected - detected, with ``lower = expected lower - Garwood upper`` and
   ``upper = expected upper - Garwood lower`` (the same corner rule).
5. **Trend.** A Poisson or negative binomial GLM with offset ``log(expected)``
   (:mod:`analysis.detection_glm`) gives area and sector rate ratios and the change in
   detection per year.

References: Garwood F (1936) Fiducial limits for the Poisson distribution, Biometrika
28:437-42; Ulm K (1990) A simple method to calculate the confidence interval of a
standardized mortality ratio, Am J Epidemiol 131:373-5. See ``docs/methods/expected_and_gap.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from scipy import stats

from analysis.detection_glm import DetectionModelResult, fit_detection_model, quarter_time
from analysis.errors import DarkFigureError
from analysis.expected import ExpectedResult
from analysis.results import Estimate, estimates_to_frame, format_number

__all__ = [
    "DetectionModelResult", "DetectionResult", "detected_counts", "detection_ratio",
    "fit_detection_model", "garwood_interval", "quarter_time",
]

GARWOOD_METHOD = "Garwood exact Poisson interval"


def garwood_interval(count: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) confidence interval for the mean of a Poisson count.

    Parameters
    ----------
    count : int
        Observed count (>= 0).
    alpha : float
        Significance level; the interval has confidence ``1 - alpha``.

    Returns
    -------
    (lower, upper) : tuple of float
        ``chi2.ppf(alpha/2, 2 count)/2`` (0 when ``count == 0``) and
        ``chi2.ppf(1 - alpha/2, 2 count + 2)/2``.

    Examples
    --------
    >>> [round(x, 3) for x in garwood_interval(0)]
    [0.0, 3.689]
    >>> [round(x, 3) for x in garwood_interval(10)]
    [4.795, 18.39]
    """
    if not 0 < alpha < 1:
        raise DarkFigureError(f"alpha must be in (0, 1), got {alpha}")
    if count is None or isinstance(count, bool) or count < 0 or int(count) != count:
        raise DarkFigureError(f"a detected count must be a whole number >= 0, got {count!r}")
    k = int(count)
    lower = 0.0 if k == 0 else float(stats.chi2.ppf(alpha / 2, 2 * k) / 2)
    upper = float(stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2)
    return lower, upper


@dataclass(frozen=True)
class DetectionResult:
    """Detected people against the expected figure: ratio and gap with their intervals.

    ``value``/``lower``/``upper`` are the detection ratio; ``gap`` is expected - detected
    as an :class:`~analysis.results.Estimate`; ``trend`` (optional) is the rate ratio per year
    from :func:`fit_detection_model`.
    """

    detected: int
    detected_lower: float
    detected_upper: float
    expected: Estimate
    value: float
    lower: float
    upper: float
    gap: Estimate
    alpha: float = 0.05
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    method: str = ""
    trend: Estimate | None = None

    @property
    def confidence_level(self) -> float:
        return round(1 - self.alpha, 10)

    @property
    def ratio(self) -> Estimate:
        """The detection ratio as an :class:`Estimate`."""
        return Estimate("detection ratio", self.value, self.lower, self.upper,
                        alpha=self.alpha, method=self.method, assumptions=self.assumptions,
                        interval_kind="confidence x scenario envelope")

    @property
    def detected_estimate(self) -> Estimate:
        return Estimate("detected people", float(self.detected), self.detected_lower,
                        self.detected_upper, alpha=self.alpha, method=GARWOOD_METHOD)

    def estimates(self) -> list[Estimate]:
        out = [self.expected, self.detected_estimate, self.ratio, self.gap]
        return out + ([self.trend] if self.trend is not None else [])

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: expected, detected, detection ratio, gap (and trend when present)."""
        return estimates_to_frame(self.estimates())

    def as_dict(self) -> dict[str, object]:
        """Plain types for JSON output."""
        return {
            "expected": self.expected.as_dict(), "detected": self.detected,
            "detected_interval": self.detected_estimate.as_dict(),
            "detection_ratio": self.ratio.as_dict(), "gap": self.gap.as_dict(),
            "trend": None if self.trend is None else self.trend.as_dict(),
            "alpha": self.alpha, "assumptions": list(self.assumptions),
        }

    def summary(self) -> str:
        """Readable headline text with the assumptions used."""
        level = f"{self.confidence_level:.0%}"
        lines = [
            "  " + self.expected.summary(),
            f"  detected people: {self.detected:,} ({level} exact interval "
            f"{format_number(self.detected_lower)} to {format_number(self.detected_upper)})",
            f"  detection ratio: {self.value:.1%} ({self.lower:.1%} to {self.upper:.1%}; "
            f"{level} count interval combined with the scenario envelope)",
            "  " + self.gap.summary(),
        ]
        if self.trend is not None:
            lines.append("  " + self.trend.summary())
        lines.append("  Assumptions:")
        lines += [f"    - {a}" for a in self.assumptions]
        return "Detection gap\n" + "\n".join(lines)


def _as_estimate(expected: ExpectedResult | Estimate) -> Estimate:
    if isinstance(expected, ExpectedResult):
        return expected.estimate
    if isinstance(expected, Estimate):
        return expected
    raise DarkFigureError(f"expected must be an ExpectedResult or an Estimate, got "
                          f"{type(expected).__name__}")


def detection_ratio(detected: int, expected: ExpectedResult | Estimate, alpha: float = 0.05,
                    *, trend: Estimate | None = None) -> DetectionResult:
    """Detection ratio and gap for one area, period and (optionally) sector.

    Parameters
    ----------
    detected : int
        Detected people (see :func:`detected_counts`).
    expected : ExpectedResult or Estimate
        The expected figure for the same area and period (:func:`analysis.expected.expected_flow`).
    alpha : float
        Significance level of the exact count interval.
    trend : Estimate, optional
        Rate ratio per year from :func:`fit_detection_model`, carried into the result.

    Returns
    -------
    DetectionResult

    Examples
    --------
    >>> e = Estimate("expected new cases", 100.0, 50.0, 200.0, interval_kind="scenario envelope")
    >>> r = detection_ratio(10, e)
    >>> round(r.value, 3), round(r.lower, 4), round(r.upper, 4)   # 10/100, 4.795/200, 18.39/50
    (0.1, 0.024, 0.3678)
    >>> round(r.gap.value), round(r.gap.lower, 1), round(r.gap.upper, 1)   # 50-18.39, 200-4.795
    (90, 31.6, 195.2)
    """
    est = _as_estimate(expected)
    for name, x in (("value", est.value), ("lower", est.lower), ("upper", est.upper)):
        if x is None or (isinstance(x, float) and math.isnan(x)):
            raise DarkFigureError(f"the expected figure has no {name}: check the scenario")
    if est.value <= 0:
        raise DarkFigureError(f"the expected figure must be positive to form a ratio, got "
                              f"{est.value}")
    d_lower, d_upper = garwood_interval(detected, alpha)
    k = int(detected)
    lower = d_lower / est.upper
    upper = d_upper / est.lower if est.lower > 0 else math.inf
    assumptions = (
        f"detected: distinct people (each linked person once; unlinked records once each), "
        f"{1 - alpha:.0%} Garwood exact Poisson interval",
        "ratio and gap intervals: corners of the count interval and the expected figure's "
        "scenario envelope (conservative; not a probability statement)",
        *est.assumptions,
    )
    gap = Estimate("gap (expected - detected)", est.value - k, est.lower - d_upper,
                   est.upper - d_lower, alpha=alpha,
                   method="expected - detected; corners of envelope and exact interval",
                   interval_kind="confidence x scenario envelope")
    return DetectionResult(
        detected=k, detected_lower=d_lower, detected_upper=d_upper, expected=est,
        value=k / est.value, lower=lower, upper=upper, gap=gap, alpha=alpha,
        assumptions=assumptions, trend=trend,
        method=f"detected / expected; {GARWOOD_METHOD} / scenario envelope corners",
    )


def detected_counts(referrals: pd.DataFrame,
                    by: Sequence[str] = ("area_code", "quarter", "sector"), *,
                    quarters: Sequence[str] | None = None,
                    area_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Detected people per combination of ``by``, over the complete grid (zeros present).

    Each linked person (``person_key``) counts once, in the cell of their first referral in
    ``referrals``; records without a key count once each. Rows outside ``quarters`` or
    ``area_codes`` are dropped; those lists also fix the grid, so empty cells appear as 0.

    Examples
    --------
    >>> r = pd.DataFrame({"area_code": ["a", "a", "b"], "quarter": ["2023Q1", "2023Q2", "2023Q1"],
    ...                   "sector": ["care"] * 3, "person_key": ["p", "p", None],
    ...                   "referral_date": pd.to_datetime(["2023-01-05", "2023-04-05",
    ...                                                    "2023-02-01"])})
    >>> detected_counts(r, quarters=["2023Q1", "2023Q2"])["detected"].tolist()
    [1, 0, 1, 0]
    """
    from analysis.tables import count_referrals, first_detections

    keys = list(by)
    frame = referrals
    if "quarter" not in frame.columns and "referral_date" in frame.columns:
        from analysis.periods import quarter_of

        frame = frame.assign(quarter=quarter_of(frame["referral_date"]))
    levels: dict[str, list[str]] = {}
    if quarters is not None:
        frame = frame[frame["quarter"].isin(list(quarters))]
        if "quarter" in keys:
            levels["quarter"] = list(quarters)
    if area_codes is not None:
        frame = frame[frame["area_code"].isin(list(area_codes))]
        if "area_code" in keys:
            levels["area_code"] = list(area_codes)
    if "person_key" in frame.columns and "referral_date" in frame.columns:
        frame = first_detections(frame)
    elif "person_key" in frame.columns:  # no dates: cannot pick the first, count once anyway
        frame = pd.concat([frame[frame["person_key"].notna()].drop_duplicates("person_key"),
                           frame[frame["person_key"].isna()]])
    return count_referrals(frame, keys, levels=levels)


MIN_TREND_QUARTERS = 4


def districts_of(area_code: str) -> list[str]:
    """The local authority districts an area is made of (a district is its own list).

    Police force areas and regions expand to their districts (``analysis.reference``).

    Examples
    --------
    >>> len(districts_of("E23000021")), districts_of("E06000016")
    (9, ['E06000016'])
    """
    from analysis.reference import read_areas

    areas = read_areas()
    for column in ("lad_code", "pfa_code", "region"):
        hit = areas.loc[areas[column] == area_code, "lad_code"]
        if not hit.empty:
            return sorted(hit.unique().tolist())
    raise DarkFigureError(f"unknown area '{area_code}': give a district (E06/E07/E08/E09/W06) "
                          f"or police force area (E23/W15) code of England and Wales")


def area_detection(referrals: pd.DataFrame, area_code: str, quarters: Sequence[str], *,
                   scenario=None, duration=None, alpha: float = 0.05,
                   ) -> tuple[DetectionResult, DetectionModelResult | None, list[str]]:
    """Detection ratio, gap and trend for one area over whole quarters.

    The trend comes from :func:`fit_detection_model` over district x quarter x sector cells
    (expected split equally over the sectors seen: the sector terms absorb the split); it is
    skipped, with a note, for fewer than ``MIN_TREND_QUARTERS`` quarters or no detections.

    Returns
    -------
    (DetectionResult, DetectionModelResult or None, notes)
    """
    from analysis.assumptions import DEFAULT_DURATION, equal_shares
    from analysis.expected import expected_flow, expected_grid

    quarters = list(quarters)
    duration = duration or DEFAULT_DURATION
    districts = districts_of(area_code)
    counts = detected_counts(referrals, quarters=quarters, area_codes=districts)
    detected = int(counts["detected"].sum())
    expected = expected_flow(area_code, scenario=scenario, duration=duration,
                             period_years=len(quarters) / 4)
    notes: list[str] = []
    model = None
    if len(quarters) < MIN_TREND_QUARTERS:
        notes.append(f"trend skipped: {len(quarters)} quarter(s), at least "
                     f"{MIN_TREND_QUARTERS} needed")
    elif detected == 0:
        notes.append("trend skipped: nothing detected in the period")
    else:
        sectors = sorted(counts["sector"].unique())
        grid = expected_grid(districts, quarters, scenario=scenario, duration=duration,
                             shares=equal_shares(sectors), categories=sectors)
        model = fit_detection_model(counts.merge(grid, on=["area_code", "quarter", "sector"]),
                                    alpha)
        notes.append(f"trend: {model.family} GLM over district x quarter x sector; "
                     f"{model.dispersion_test.rule}")
    result = detection_ratio(detected, expected, alpha,
                             trend=None if model is None else model.trend)
    return result, model, notes


def national_detection(quarters: Sequence[str] | None = None, *, scenario=None, duration=None,
                       alpha: float = 0.05, vintage: str = "first",
                       ) -> tuple[DetectionResult, DetectionModelResult | None, list[str]]:
    """UK NRM referrals against the expected UK flow (real public data).

    ``quarters`` default to the last four published; ``vintage`` as in
    :func:`analysis.national.uk_quarterly_referrals`. NRM referrals count referrals, not
    distinct people, and include adults and children from all first responders.

    Examples
    --------
    >>> r, _, _ = national_detection(["2023Q1", "2023Q2", "2023Q3", "2023Q4"],
    ...                              scenario="gsi_2023")
    >>> r.detected, round(r.expected.value)       # 122,000 / 2 years x 1 year
    (17017, 61000)
    """
    from analysis.assumptions import DEFAULT_DURATION
    from analysis.expected import UK_CODE, expected_flow
    from analysis.national import uk_quarterly_referrals

    duration = duration or DEFAULT_DURATION
    series = uk_quarterly_referrals(vintage).set_index("period")["referrals"]
    quarters = list(quarters) if quarters is not None else list(series.index[-4:])
    absent = [q for q in quarters if q not in series.index]
    if absent:
        raise DarkFigureError(f"no published UK NRM figure for {', '.join(absent)} "
                              f"(available {series.index[0]} to {series.index[-1]})")
    detected = int(series.loc[quarters].sum())
    expected = expected_flow(UK_CODE, scenario=scenario, duration=duration,
                             period_years=len(quarters) / 4)
    notes = [f"detected: UK NRM referrals ({vintage} published figure per quarter), which "
             f"count referrals, not distinct people"]
    model = None
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
                             trend=None if model is None else model.trend)
    return result, model, notes
