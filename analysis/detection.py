"""The detection gap: new victims detected against new victims expected, with honest labels.

Estimand
--------
**New victims in a period and area.** *Detected* = people whose first-ever record in the store
(any agency, any date, any area) falls in the period and area (:func:`new_victims`); records
without a ``person_key`` cannot be linked and count once each (so the count is an upper bound
on distinct people, and says so). *Expected* = national new victims a year x area share x
years (:func:`analysis.expected.expected_flow`). Both are additive over periods, so the
quarters of a year sum exactly to the year, and the ratio reads as the share of new victims
who come to any agency's notice.

Method
------
1. **Exact interval on the count.** Treating the count as Poisson, the Garwood (1936) exact
   interval is ``chi2.ppf(alpha/2, 2k) / 2`` to ``chi2.ppf(1 - alpha/2, 2k + 2) / 2``
   (lower 0 when ``k = 0``); it covers the true mean at least ``1 - alpha`` of the time.
2. **Detection ratio** = detected / expected. Two separate statements, never mixed:
   its *95% count interval* at the stated assumption (Garwood limits / expected central), a
   sampling interval; and its *range over assumptions* (detected / expected at each end of
   the duration range), which carries no confidence level.
3. **Gap** = expected - detected, with the same two statements. A bound below zero means the
   data contradict that assumption; it is reported as such, never as a negative gap.
4. **Trend.** A Poisson or negative binomial GLM with offset ``log(expected)``
   (:mod:`analysis.detection_glm`) gives the change in detection per year, with a
   plain-English verdict (:func:`trend_verdict`).

References: Garwood F (1936) Fiducial limits for the Poisson distribution, Biometrika
28:437-42; Ulm K (1990) A simple method to calculate the confidence interval of a
standardized mortality ratio, Am J Epidemiol 131:373-5. See ``docs/methods/expected_and_gap.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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


COUNT_INTERVAL = "confidence"


@dataclass(frozen=True)
class DetectionResult:
    """Detected new victims against the expected figure: ratio and gap, honestly labelled.

    ``value``/``lower``/``upper`` are the detection ratio and its 95% count interval at the
    stated assumption (a sampling interval); ``ratio_range`` is the ratio's range over the
    assumptions (no confidence level). ``gap`` and ``gap_range`` likewise. ``trend``
    (optional) is the rate ratio per year from :func:`fit_detection_model`.
    """

    detected: int
    detected_lower: float
    detected_upper: float
    expected: Estimate
    value: float
    lower: float
    upper: float
    gap: Estimate
    ratio_range: Estimate
    gap_range: Estimate
    alpha: float = 0.05
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)
    method: str = ""
    trend: Estimate | None = None

    @property
    def confidence_level(self) -> float:
        return round(1 - self.alpha, 10)

    @property
    def ratio(self) -> Estimate:
        """The detection ratio with its count interval, as an :class:`Estimate`."""
        return Estimate("detection ratio", self.value, self.lower, self.upper,
                        alpha=self.alpha, method=self.method, assumptions=self.assumptions,
                        interval_kind=COUNT_INTERVAL)

    @property
    def detected_estimate(self) -> Estimate:
        return Estimate("detected new victims", float(self.detected), self.detected_lower,
                        self.detected_upper, alpha=self.alpha, method=GARWOOD_METHOD)

    def estimates(self) -> list[Estimate]:
        out = [self.expected, self.detected_estimate, self.ratio, self.ratio_range, self.gap,
               self.gap_range]
        return out + ([self.trend] if self.trend is not None else [])

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: expected, detected, ratio (count interval, then range over
        assumptions), gap (likewise) and the trend when present."""
        return estimates_to_frame(self.estimates())

    def as_dict(self) -> dict[str, object]:
        """Plain types for JSON output: each estimate an object with its interval kind."""
        ratio = self.ratio.as_dict() | {"assumption_range": self.ratio_range.as_dict()}
        gap = self.gap.as_dict() | {"assumption_range": self.gap_range.as_dict()}
        detected = self.detected_estimate.as_dict()
        return {
            "expected": self.expected.as_dict(), "detected": detected,
            "detection_ratio": ratio, "gap": gap,
            "trend": None if self.trend is None else
            self.trend.as_dict() | {"verdict": trend_verdict(self.trend)},
            "alpha": self.alpha, "assumptions": list(self.assumptions),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """Readable headline text with the assumptions used."""
        level = f"{self.confidence_level:.0%}"
        rr = self.ratio_range
        lines = [
            "  " + self.expected.summary(),
            f"  detected new victims: {self.detected:,} ({level} exact interval "
            f"{format_number(self.detected_lower)} to {format_number(self.detected_upper)})",
            f"  detection ratio: {self.value:.1%} ({level} count interval {self.lower:.1%} to "
            f"{self.upper:.1%}; {rr.interval_kind}: {rr.lower:.1%} to {rr.upper:.1%})",
            "  " + self.gap.summary(), "  " + self.gap_range.summary(),
        ]
        if self.trend is not None:
            lines.append(f"  trend: {trend_verdict(self.trend)}")
        lines += [f"  note: {n}" for n in self.notes]
        lines.append("  Assumptions:")
        lines += [f"    - {a}" for a in self.assumptions]
        return "Detection gap\n" + "\n".join(lines)


def trend_verdict(trend: Estimate) -> str:
    """A plain-English reading of a rate ratio per year and its interval.

    Examples
    --------
    >>> trend_verdict(Estimate("rate ratio per year", 1.07, 1.02, 1.12))
    'detection rising, about 7% more a year (95% CI 2% to 12% more)'
    >>> trend_verdict(Estimate("rate ratio per year", 0.98, 0.9, 1.07))
    'no clear change in detection (95% CI 10% fewer to 7% more a year)'
    """
    level = f"{trend.confidence_level:.0%}" if trend.confidence_level else "range"

    def pct(x: float) -> str:
        change = (x - 1) * 100
        return f"{abs(change):.0f}% {'more' if change >= 0 else 'fewer'}"

    if trend.lower > 1:
        return (f"detection rising, about {pct(trend.value)} a year "
                f"({level} CI {pct(trend.lower).replace(' more', '')} to {pct(trend.upper)})")
    if trend.upper < 1:
        return (f"detection falling, about {pct(trend.value)} a year "
                f"({level} CI {pct(trend.upper).replace(' fewer', '')} to {pct(trend.lower)})")
    return (f"no clear change in detection ({level} CI {pct(trend.lower)} to "
            f"{pct(trend.upper)} a year)")


def _as_estimate(expected: ExpectedResult | Estimate) -> Estimate:
    if isinstance(expected, ExpectedResult):
        return expected.estimate
    if isinstance(expected, Estimate):
        return expected
    raise DarkFigureError(f"expected must be an ExpectedResult or an Estimate, got "
                          f"{type(expected).__name__}")


def _gap(name: str, central: float, lower: float, upper: float, kind: str, alpha: float,
         method: str, below_zero: str) -> tuple[Estimate, list[str]]:
    """A gap estimate whose bounds never go below zero; the reason is returned as a note."""
    notes = []
    if lower < 0:
        notes.append(below_zero)
    value = central if central >= 0 else float("nan")
    if central < 0:
        notes.append("more new victims detected than the expected figure: the data "
                     "contradict the assumption, so no gap is given")
    return Estimate(name, value, max(lower, 0.0), max(upper, 0.0), alpha=alpha,
                    method=method, interval_kind=kind), notes


NEW_VICTIMS_DETECTED = (
    "detected: new victims, i.e. people whose first-ever record in the store falls in the "
    "period and area (each linked person once; unlinked records once each)")


def detection_ratio(detected: int, expected: ExpectedResult | Estimate, alpha: float = 0.05,
                    *, trend: Estimate | None = None,
                    detected_means: str = NEW_VICTIMS_DETECTED) -> DetectionResult:
    """Detection ratio and gap for one area, period and (optionally) group.

    Parameters
    ----------
    detected : int
        Detected new victims (see :func:`new_victims`).
    expected : ExpectedResult or Estimate
        The expected new victims for the same area and period
        (:func:`analysis.expected.expected_flow`), its interval a range over assumptions.
    alpha : float
        Significance level of the exact count interval.
    trend : Estimate, optional
        Rate ratio per year from :func:`fit_detection_model`, carried into the result.
    detected_means : str
        What the detected count counts, stated in the assumptions.

    Examples
    --------
    >>> e = Estimate("expected new victims", 100.0, 40.0, 200.0,
    ...              interval_kind="range over durations of 1 to 5 years")
    >>> r = detection_ratio(10, e)
    >>> round(r.value, 3), round(r.lower, 4), round(r.upper, 4)   # 10/100, 4.795/100, 18.39/100
    (0.1, 0.048, 0.1839)
    >>> round(r.ratio_range.lower, 3), r.ratio_range.upper, r.ratio_range.confidence_level
    (0.05, 0.25, None)
    >>> round(r.gap.value), round(r.gap.lower, 1), round(r.gap.upper, 1)   # 100-18.39, 100-4.795
    (90, 81.6, 95.2)
    """
    est = _as_estimate(expected)
    for name, x in (("value", est.value), ("lower", est.lower), ("upper", est.upper)):
        if x is None or (isinstance(x, float) and math.isnan(x)):
            raise DarkFigureError(f"the expected figure has no {name}: check the scenario")
    if est.value <= 0 or est.lower <= 0:
        raise DarkFigureError(f"the expected figure must be positive to form a ratio, got "
                              f"{est.value} ({est.lower} to {est.upper})")
    d_lower, d_upper = garwood_interval(detected, alpha)
    k = int(detected)
    level = f"{1 - alpha:.0%}"
    kind = est.interval_kind
    assumptions = (
        f"{detected_means}; {level} Garwood exact Poisson interval",
        f"detection ratio and gap: {level} count interval at the stated assumption, and "
        f"separately the {kind} (no confidence level attaches to a range over assumptions)",
        *est.assumptions,
    )
    ratio_range = Estimate("detection ratio", k / est.value, k / est.upper, k / est.lower,
                           alpha=alpha, method="detected / expected at each end of the range",
                           interval_kind=kind)
    gap, notes = _gap("gap (expected - detected)", est.value - k, est.value - d_upper,
                      est.value - d_lower, COUNT_INTERVAL, alpha,
                      "expected (central) - detected; Garwood limits",
                      "the count interval reaches the expected figure: the data cannot rule "
                      "out that every expected new victim was detected")
    gap_range, range_notes = _gap("gap (expected - detected)", est.value - k, est.lower - k,
                                  est.upper - k, kind, alpha,
                                  "expected at each end of the range - detected",
                                  f"at the low end of the {kind}, fewer new victims are "
                                  "expected than are detected: the data contradict that "
                                  "end of the assumption")
    notes += [n for n in range_notes if n not in notes]
    return DetectionResult(
        detected=k, detected_lower=d_lower, detected_upper=d_upper, expected=est,
        value=k / est.value, lower=d_lower / est.value, upper=d_upper / est.value, gap=gap,
        ratio_range=ratio_range, gap_range=gap_range, alpha=alpha, assumptions=assumptions,
        notes=tuple(notes), trend=trend,
        method=f"detected / expected (central); {GARWOOD_METHOD}",
    )


def new_victims(referrals: pd.DataFrame) -> pd.DataFrame:
    """Each person's first-ever record: what a detected new victim is.

    Pass every stored referral (all agencies, areas and dates): a person first seen in
    another area or an earlier period is not a new victim here. Records without a
    ``person_key`` cannot be linked and are kept, once each.

    Examples
    --------
    >>> r = pd.DataFrame({"person_key": ["p", "p", None], "area_code": ["a", "b", "b"],
    ...                   "referral_date": pd.to_datetime(["2023-05-01", "2022-01-01",
    ...                                                    "2023-02-01"])})
    >>> new_victims(r)["area_code"].tolist()     # p was first seen in b in 2022
    ['b', 'b']
    """
    from analysis.tables import first_detections

    return first_detections(referrals)


def detected_counts(referrals: pd.DataFrame,
                    by: Sequence[str] = ("area_code", "quarter", "sector"), *,
                    quarters: Sequence[str] | None = None,
                    area_codes: Sequence[str] | None = None,
                    where: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Detected people per combination of ``by``, over the complete grid (zeros present).

    Each linked person (``person_key``) counts once, in the cell of their first-ever record in
    ``referrals`` (pass the whole store); records without a key count once each. ``referrals``
    may instead be the new victims already counted in the store (columns of ``by`` with a
    ``count``, from :func:`analysis.victim_counts.count_cells`): the same table. Then rows
    outside ``quarters`` or ``area_codes`` are dropped; those lists also fix the grid, so
    empty cells appear as 0. Counts are additive: quarters sum to years.

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
    if "count" in referrals.columns and "person_key" not in referrals.columns:
        from analysis.victim_counts import detected_from_cells

        return detected_from_cells(referrals, keys, quarters=quarters, area_codes=area_codes,
                                   where=where)
    frame = referrals
    if "quarter" not in frame.columns and "referral_date" in frame.columns:
        from analysis.periods import quarter_of

        frame = frame.assign(quarter=quarter_of(frame["referral_date"]))
    # First records are found before any selection: a person first seen in another area or an
    # earlier quarter is not a new victim of this cell (keeps the counts additive).
    if "person_key" in frame.columns and "referral_date" in frame.columns:
        frame = first_detections(frame)
    elif "person_key" in frame.columns:  # no dates: cannot pick the first, count once anyway
        frame = pd.concat([frame[frame["person_key"].notna()].drop_duplicates("person_key"),
                           frame[frame["person_key"].isna()]])
    for column, value in (where or {}).items():  # a group: people whose first record is in it
        frame = frame[frame[column].astype(str) == str(value)]
    levels: dict[str, list[str]] = {}
    if quarters is not None:
        frame = frame[frame["quarter"].isin(list(quarters))]
        if "quarter" in keys:
            levels["quarter"] = list(quarters)
    if area_codes is not None:
        frame = frame[frame["area_code"].isin(list(area_codes))]
        if "area_code" in keys:
            levels["area_code"] = list(area_codes)
    return count_referrals(frame, keys, levels=levels)




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
