"""Funnel plots for comparing areas: observed/expected ratios against control limits.

Method
------
Each area has an observed count ``y`` and an expected count ``E``; its ratio ``y / E`` is
plotted against ``E`` (the precision). Under the null hypothesis every area shares the
target ratio ``theta0`` and ``y ~ Poisson(theta0 * E)``. The control limits at level
``p`` are the ``p``-quantile of that Poisson on the ratio scale, interpolated so that the
limit is a smooth curve (Spiegelhalter 2005, Appendix A.1.2)::

    r_p   = smallest r with P(Y <= r) >= p
    a     = (P(Y <= r_p) - p) / (P(Y <= r_p) - P(Y <= r_p - 1))
    limit = (r_p - a) / E

A normal approximation ``theta0 +/- z_p * sqrt(theta0 / E)`` is available for comparison.
Limits are drawn at 95% (two standard errors) and 99.8% (three); an area beyond the 99.8%
limit is a signal worth a look, not a verdict. No league table is produced: areas are
compared with the target, never ranked against each other.

Over-dispersion (Spiegelhalter 2005b). With many areas, true differences in case mix and
recording make ratios spread more than Poisson allows. The z-scores
``z_i = (y_i/E_i - theta0) / sqrt(theta0 / E_i)`` are Winsorised (the 10% most extreme at
each end set to the next value inward), ``phi = mean(z_w^2)``; ``I * phi`` is compared with a
chi-square on ``I`` degrees of freedom. Two adjustments (normal approximation on the ratio
scale):

* multiplicative: ``theta0 +/- z_p * sqrt(phi * theta0 / E)`` (``phi`` floored at 1);
* additive random effect: ``theta0 +/- z_p * sqrt(theta0 / E + tau^2)`` with the
  DerSimonian-Laird style moment estimate on Winsorised z-scores
  ``tau^2 = max(0, (I*phi - (I-1)) / (sum w - sum w^2 / sum w))``, ``w_i = E_i / theta0``.

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
Statistics in Medicine 24:1185-1202.
Spiegelhalter DJ (2005b). Handling over-dispersion of performance indicators.
Quality and Safety in Health Care 14:347-351.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DarkFigureError
from analysis.results import format_number

LimitMethod = Literal["exact", "normal"]
Overdispersion = Literal["multiplicative", "additive"] | None
INNER_ALPHA = 0.05
OUTER_ALPHA = 0.002
WINSOR = 0.10


def poisson_limits(expected: np.ndarray | float, target: float = 1.0, alpha: float = 0.05, *,
                   method: LimitMethod = "exact", phi: float = 1.0,
                   tau2: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper funnel limits on the ratio scale at two-sided level ``1 - alpha``.

    ``method="exact"`` interpolates the Poisson quantile (Spiegelhalter 2005, A.1.2);
    ``"normal"`` uses ``target +/- z * sqrt(target / E)``. When ``phi > 1`` or ``tau2 > 0``
    the over-dispersed normal limits of Spiegelhalter (2005b) are returned whatever the
    method. Lower limits are floored at 0.

    Examples
    --------
    >>> lo, hi = poisson_limits([10.0, 1000.0], alpha=0.05)
    >>> [round(float(x), 3) for x in lo], [round(float(x), 3) for x in hi]
    ([0.378, 0.938], [1.616, 1.062])
    """
    e = np.asarray(expected, dtype=float)
    if np.any(~np.isfinite(e)) or np.any(e <= 0):
        raise DarkFigureError("expected counts must be positive and finite for funnel limits")
    if not 0 < alpha < 1 or target <= 0:
        raise DarkFigureError("alpha must be in (0, 1) and the target ratio positive")
    p_lo, p_hi = alpha / 2, 1 - alpha / 2
    if phi > 1 or tau2 > 0:
        z = stats.norm.ppf(p_hi)
        se = np.sqrt(max(phi, 1.0) * target / e + tau2)
        return np.maximum(target - z * se, 0.0), target + z * se
    if method == "normal":
        z = stats.norm.ppf(p_hi)
        se = np.sqrt(target / e)
        return np.maximum(target - z * se, 0.0), target + z * se
    if method != "exact":
        raise DarkFigureError(f"method must be 'exact' or 'normal', got {method!r}")
    return (np.maximum(_interpolated_quantile(p_lo, target * e) / e, 0.0),
            _interpolated_quantile(p_hi, target * e) / e)


def _interpolated_quantile(p: float, mu: np.ndarray) -> np.ndarray:
    r = stats.poisson.ppf(p, mu)
    at_r = stats.poisson.cdf(r, mu)
    below = stats.poisson.cdf(r - 1, mu)
    return r - (at_r - p) / (at_r - below)


def winsorise(z: np.ndarray, proportion: float = WINSOR) -> np.ndarray:
    """Set the ``floor(proportion * n)`` smallest and largest values to the next value inward.

    Examples
    --------
    >>> winsorise(np.arange(10.0), 0.1).tolist()
    [1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 8.0]
    """
    z = np.asarray(z, dtype=float)
    k = int(np.floor(proportion * z.size))
    if k == 0:
        return z.copy()
    ordered = np.sort(z)
    return np.clip(z, ordered[k], ordered[-k - 1])


@dataclass(frozen=True)
class Dispersion:
    """Over-dispersion of ratios around a target (Spiegelhalter 2005b)."""

    phi: float
    tau2: float
    statistic: float
    df: int
    p_value: float


def estimate_dispersion(observed: np.ndarray, expected: np.ndarray, target: float = 1.0, *,
                        proportion: float = WINSOR) -> Dispersion:
    """Winsorised over-dispersion factor ``phi`` and additive variance ``tau^2``.

    Examples
    --------
    >>> d = estimate_dispersion(np.array([5, 30, 12, 50]), np.array([10.0, 20, 15, 40]))
    >>> round(d.phi, 3), round(d.tau2, 4)
    (2.65, 0.1318)
    """
    y = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    s2 = target / e
    z = winsorise((y / e - target) / np.sqrt(s2), proportion)
    n = z.size
    phi = float(np.mean(z**2))
    w = 1 / s2
    denominator = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (n * phi - (n - 1)) / denominator) if denominator > 0 else 0.0
    statistic = n * phi
    return Dispersion(phi=phi, tau2=float(tau2), statistic=statistic, df=n,
                      p_value=float(stats.chi2.sf(statistic, n)))


@dataclass(frozen=True, eq=False)
class FunnelResult:
    """Funnel-plot data: one row per area with its ratio, limits and classification.

    ``table`` columns: ``area_code``, ``area_name``, ``observed``, ``expected``, ``ratio``,
    ``z_score``, ``lower_95``/``upper_95`` (level ``1 - alpha``), ``lower_998``/``upper_998``
    (level ``1 - alpha_outer``), ``classification`` and ``highlighted``. ``lower``/``upper``
    are the inner limits per area.
    """

    table: pd.DataFrame
    target: float
    target_kind: str
    alpha: float = INNER_ALPHA
    alpha_outer: float = OUTER_ALPHA
    method: str = "exact"
    overdispersion: str | None = None
    dispersion: Dispersion | None = None
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def lower(self) -> pd.Series:
        return self.table.set_index("area_code")["lower_95"]

    @property
    def upper(self) -> pd.Series:
        return self.table.set_index("area_code")["upper_95"]

    @property
    def confidence_level(self) -> float:
        return round(1 - self.alpha, 10)

    def _limit_kwargs(self) -> dict[str, float]:
        if self.dispersion is None or self.overdispersion is None:
            return {}
        if self.overdispersion == "multiplicative":
            return {"phi": self.dispersion.phi}
        return {"tau2": self.dispersion.tau2}

    def curve(self, n: int = 200) -> pd.DataFrame:
        """Limit curves over a grid of expected counts spanning the areas, for plotting.

        Long format: ``expected``, ``confidence_level``, ``lower``, ``upper``.
        """
        e = self.table["expected"]
        grid = np.geomspace(max(e.min() * 0.8, 1e-3), e.max() * 1.2, n)
        frames = []
        for a in (self.alpha, self.alpha_outer):
            lo, hi = poisson_limits(grid, self.target, a, method=self.method,  # type: ignore[arg-type]
                                    **self._limit_kwargs())
            frames.append(pd.DataFrame({"expected": grid, "confidence_level": round(1 - a, 10),
                                        "lower": lo, "upper": hi}))
        return pd.concat(frames, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: one per area and confidence level, with method and classification."""
        t = self.table
        rows = []
        for a, lo, hi in ((self.alpha, "lower_95", "upper_95"),
                          (self.alpha_outer, "lower_998", "upper_998")):
            part = t[["area_code", "area_name", "observed", "expected", "ratio",
                      "classification", "highlighted"]].copy()
            part.insert(5, "lower", t[lo])
            part.insert(6, "upper", t[hi])
            part["confidence_level"] = round(1 - a, 10)
            part["alpha"] = a
            part["target"] = self.target
            part["method"] = self.method_label
            rows.append(part)
        return pd.concat(rows, ignore_index=True)

    @property
    def adjustment_note(self) -> str:
        """A sentence on whether the limits allow for over-dispersion, and why."""
        d = self.dispersion
        if d is None:
            return "Too few areas to test for over-dispersion; Poisson limits."
        test = f"dispersion test p = {d.p_value:.2g}"
        if self.overdispersion == "additive":
            return (f"The areas vary more than chance alone explains ({test}), so the limits "
                    f"are widened by an additive random effect (Spiegelhalter 2005).")
        if self.overdispersion == "multiplicative":
            return f"Limits widened by a multiplicative over-dispersion factor ({test})."
        return f"No evidence of over-dispersion ({test}); Poisson limits."

    @property
    def method_label(self) -> str:
        base = ("exact Poisson limits (Spiegelhalter 2005)" if self.method == "exact"
                else "normal approximation limits")
        if self.overdispersion == "multiplicative" and self.dispersion is not None:
            return (f"multiplicative over-dispersion, phi = {self.dispersion.phi:.3g} "
                    f"(Spiegelhalter 2005b)")
        if self.overdispersion == "additive" and self.dispersion is not None:
            return (f"additive random effect, tau^2 = {self.dispersion.tau2:.3g} "
                    f"(Spiegelhalter 2005b)")
        return base

    def summary(self) -> str:
        """Readable text: target, limits used, counts per classification, highlighted areas."""
        t = self.table
        lines = [f"Funnel plot of {len(t)} areas: ratio observed/expected against expected",
                 f"target ratio {format_number(self.target)} ({self.target_kind}); "
                 f"limits {self.confidence_level:.0%} and {1 - self.alpha_outer:.1%}; "
                 f"{self.method_label}"]
        if self.dispersion is not None:
            d = self.dispersion
            lines.append(f"over-dispersion: phi = {d.phi:.3g}, tau^2 = {d.tau2:.3g}, "
                         f"test I*phi = {d.statistic:.1f} on {d.df} df, p = {d.p_value:.3g}")
        counts = t["classification"].value_counts()
        lines.append("; ".join(f"{k}: {counts.get(k, 0)}" for k in CLASSES))
        for _, row in t[t["highlighted"]].iterrows():
            lines.append(f"{row.area_name} ({row.area_code}): ratio {row.ratio:.3g} "
                         f"(observed {row.observed:,.0f}, expected {row.expected:,.1f}), "
                         f"{row.classification}")
        lines.extend(f"assumption: {a}" for a in self.assumptions)
        return "\n".join(lines)


CLASSES = ("above 99.8%", "above 95%", "within", "below 95%", "below 99.8%")


def _classify(ratio: np.ndarray, limits: dict[str, np.ndarray]) -> list[str]:
    out = []
    for i, r in enumerate(ratio):
        if r > limits["upper_998"][i]:
            out.append("above 99.8%")
        elif r > limits["upper_95"][i]:
            out.append("above 95%")
        elif r < limits["lower_998"][i]:
            out.append("below 99.8%")
        elif r < limits["lower_95"][i]:
            out.append("below 95%")
        else:
            out.append("within")
    return out


AUTO_DISPERSION_P = 0.05


def funnel(data: pd.DataFrame, *, observed: str = "detected", expected: str = "expected",
           area: str = "area_code", area_name: str | None = "area_name",
           target: float | None = None, method: LimitMethod = "exact",
           overdispersion: Overdispersion = None, alpha: float = INNER_ALPHA,
           alpha_outer: float = OUTER_ALPHA, highlight: str | list[str] | None = None,
           assumptions: tuple[str, ...] = ()) -> FunnelResult:
    """Funnel-plot data for areas: ratio observed/expected with control limits.

    Parameters
    ----------
    data : DataFrame
        One row per area (rows of the same area are summed first, e.g. over quarters).
    target : float, optional
        The benchmark ratio. ``None`` (default) uses the pooled ratio
        ``sum(observed) / sum(expected)``; ``1.0`` compares with the expected figure itself.
    method : {"exact", "normal"}
        Poisson interpolated limits or the normal approximation.
    overdispersion : {None, "multiplicative", "additive", "auto"}
        Widen the limits for over-dispersion (Spiegelhalter 2005b). ``"auto"`` applies the
        additive random-effects adjustment whenever the dispersion test rejects (p < 0.05)
        and leaves the Poisson limits otherwise; the result records which was used.
    highlight : str or list of str, optional
        Area code(s) marked ``highlighted`` (e.g. the home force).

    Examples
    --------
    >>> df = pd.DataFrame({"area_code": list("abcd"), "detected": [5, 30, 12, 50],
    ...                    "expected": [10.0, 20, 15, 40]})
    >>> res = funnel(df, target=1.0)
    >>> res.table.set_index("area_code")["classification"].to_dict()
    {'a': 'within', 'b': 'above 95%', 'c': 'within', 'd': 'within'}
    """
    missing = [c for c in (observed, expected, area) if c not in data.columns]
    if missing:
        raise DarkFigureError(f"funnel needs column(s) {missing}; got {list(data.columns)}")
    names = area_name if area_name in data.columns else None
    keys = [area] + ([names] if names else [])
    grouped = data.groupby(keys, as_index=False, sort=False)[[observed, expected]].sum()
    y = grouped[observed].to_numpy(dtype=float)
    e = grouped[expected].to_numpy(dtype=float)
    if np.any(y < 0) or np.any(~np.isfinite(y)):
        raise DarkFigureError("observed counts must be non-negative numbers")
    if np.any(e <= 0) or np.any(~np.isfinite(e)):
        bad = grouped.loc[~(e > 0), area].tolist()
        raise DarkFigureError(f"expected counts must be positive; not so for {bad}")
    if target is None:
        target_value, kind = float(y.sum() / e.sum()), "pooled: total observed / total expected"
    else:
        target_value, kind = float(target), "given"
    if target_value <= 0:
        raise DarkFigureError("the target ratio is 0 (no observed counts at all): no funnel")
    if overdispersion not in (None, "multiplicative", "additive", "auto"):
        raise DarkFigureError(
            "overdispersion must be None, 'multiplicative', 'additive' or 'auto'")
    dispersion = estimate_dispersion(y, e, target_value) if len(y) >= 2 else None
    if overdispersion == "auto":
        over = dispersion is not None and dispersion.p_value < AUTO_DISPERSION_P \
            and dispersion.tau2 > 0
        overdispersion = "additive" if over else None
    kwargs: dict[str, float] = {}
    if overdispersion == "multiplicative" and dispersion is not None:
        kwargs = {"phi": dispersion.phi}
    elif overdispersion == "additive" and dispersion is not None:
        kwargs = {"tau2": dispersion.tau2}
    limits = {}
    for a, suffix in ((alpha, "95"), (alpha_outer, "998")):
        lo, hi = poisson_limits(e, target_value, a, method=method, **kwargs)
        limits[f"lower_{suffix}"], limits[f"upper_{suffix}"] = lo, hi
    ratio = y / e
    marked = [highlight] if isinstance(highlight, str) else list(highlight or [])
    table = pd.DataFrame({
        "area_code": grouped[area].astype(str),
        "area_name": grouped[names].astype(str) if names else grouped[area].astype(str),
        "observed": y, "expected": e, "ratio": ratio,
        "z_score": (ratio - target_value) / np.sqrt(target_value / e),
        **limits, "classification": _classify(ratio, limits),
    })
    table["highlighted"] = table["area_code"].isin(marked)
    unknown = set(marked) - set(table["area_code"])
    if unknown:
        raise DarkFigureError(f"highlighted area(s) {sorted(unknown)} not in the data")
    return FunnelResult(table=table, target=target_value, target_kind=kind, alpha=alpha,
                        alpha_outer=alpha_outer, method=method, overdispersion=overdispersion,
                        dispersion=dispersion, assumptions=tuple(assumptions))


def national_funnel(force_table: pd.DataFrame, home_code: str = "E23000021", *,
                    method: LimitMethod = "exact", overdispersion: Overdispersion = None,
                    alpha: float = INNER_ALPHA) -> FunnelResult:
    """Funnel of police-made NRM referrals by force: expected = population x national rate.

    ``force_table`` has the columns of :func:`analysis.national.police_referrals_by_force`
    (``pfa_code``, ``pfa_name``, ``referrals``, ``population``). The national rate is the
    total of referrals over the total population of the forces given, so the target ratio
    is 1 and a ratio of 1.2 means 20% more referrals per resident than England and Wales.

    Examples
    --------
    >>> from analysis.national import police_referrals_by_force
    >>> res = national_funnel(police_referrals_by_force())
    >>> row = res.table.set_index("area_code").loc["E23000021"]
    >>> bool(row.highlighted), row.classification
    (True, 'within')
    """
    needed = ["pfa_code", "pfa_name", "referrals", "population"]
    missing = [c for c in needed if c not in force_table.columns]
    if missing:
        raise DarkFigureError(f"the force table lacks column(s) {missing}")
    pops = force_table["population"].astype(float)
    if pops.isna().any() or (pops <= 0).any():
        raise DarkFigureError("every force needs a positive population")
    rate = force_table["referrals"].sum() / pops.sum()
    frame = pd.DataFrame({"area_code": force_table["pfa_code"],
                          "area_name": force_table["pfa_name"],
                          "detected": force_table["referrals"].astype(float),
                          "expected": pops * rate})
    notes = (f"expected = Census 2021 population x national rate "
             f"{rate * 100_000:.2f} per 100,000 residents over the period",
             "referrals are counted by the force that made them, not where exploitation "
             "happened")
    return funnel(frame, target=1.0, method=method, overdispersion=overdispersion,
                  alpha=alpha, highlight=home_code if home_code else None, assumptions=notes)
