"""Empirical-Bayes shrinkage of area ratios (Poisson-gamma model).

Method
------
Area ``i`` has observed count ``y_i`` and expected count ``E_i``; its true ratio ``theta_i``
is drawn from a gamma prior with shape ``a`` and rate ``b`` (mean ``a/b``), and
``y_i | theta_i ~ Poisson(E_i * theta_i)``. The prior is estimated from all areas:

* ``"ml"``: maximum of the marginal likelihood, in which ``y_i`` is negative binomial with
  mean ``E_i a/b`` and variance ``mu_i + mu_i^2 / a`` (NB2 with ``alpha = 1/a``);
* ``"moments"``: Clayton and Kaldor (1987): prior mean ``m = sum y / sum E``, prior variance
  ``v = s^2 - m / mean(E)`` with ``s^2 = sum E_i (y_i/E_i - m)^2 / sum E_i``.

The posterior of each ratio is gamma with shape ``a + y_i`` and rate ``b + E_i``, so the
shrunken ratio is ``(y_i + a) / (E_i + b)``, a weighted average of the raw ratio and the
prior mean with weight ``b / (b + E_i)`` on the prior: small areas move most. Intervals are
equal-tailed posterior (credible) intervals. They treat ``a`` and ``b`` as known
("naive" empirical Bayes), so with few areas they are slightly too narrow.

When the areas differ no more than Poisson noise allows, the prior variance is estimated
as (near) zero and every area is pulled to the common ratio; the result says so.

References
----------
Clayton D, Kaldor J (1987). Empirical Bayes estimates of age-standardized relative risks
for use in disease mapping. Biometrics 43:671-681.
Marshall RJ (1991). Mapping disease and mortality rates using empirical Bayes estimators.
Applied Statistics 40:283-294.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from analysis.errors import DarkFigureError

PriorMethod = Literal["ml", "moments"]
# Prior shape above which the prior variance is treated as zero (complete pooling).
MAX_SHAPE = 1e6
POOLED_SHAPE = 1e4


@dataclass(frozen=True)
class GammaPrior:
    """Gamma prior on area ratios: ``shape`` a, ``rate`` b, mean a/b, variance a/b^2."""

    shape: float
    rate: float
    method: str = "given"

    @property
    def mean(self) -> float:
        return self.shape / self.rate

    @property
    def variance(self) -> float:
        return self.shape / self.rate**2

    @property
    def pooled(self) -> bool:
        """True when no between-area variation was found (prior coefficient of variation
        ``1 / sqrt(shape)`` below 1%)."""
        return self.shape >= POOLED_SHAPE


def _check(y: np.ndarray, e: np.ndarray) -> None:
    if y.size == 0:
        raise DarkFigureError("no areas to shrink")
    if np.any(~np.isfinite(y)) or np.any(y < 0):
        raise DarkFigureError("observed counts must be non-negative numbers")
    if np.any(~np.isfinite(e)) or np.any(e <= 0):
        raise DarkFigureError("expected counts must be positive for shrinkage")


def _moments(y: np.ndarray, e: np.ndarray) -> GammaPrior:
    m = y.sum() / e.sum()
    if m <= 0:
        raise DarkFigureError("no observed counts at all: the prior mean would be 0")
    s2 = np.sum(e * (y / e - m) ** 2) / e.sum()
    v = s2 - m / e.mean()
    shape = min(m**2 / v, MAX_SHAPE) if v > 0 else MAX_SHAPE
    return GammaPrior(shape=float(shape), rate=float(shape / m), method="moments")


def _negative_log_marginal(params: np.ndarray, y: np.ndarray,
                           e: np.ndarray) -> tuple[float, np.ndarray]:
    a, b = np.exp(params)
    ll = (special.gammaln(y + a) - special.gammaln(a) - special.gammaln(y + 1)
          + a * np.log(b / (b + e)) + y * np.log(e / (b + e)))
    # Gradient on the log scale (chain rule: d/dlog a = a d/da).
    d_a = np.sum(special.digamma(y + a) - special.digamma(a) + np.log(b / (b + e)))
    d_b = np.sum(a / b - (a + y) / (b + e))
    return -float(ll.sum()), -np.array([a * d_a, b * d_b])


def fit_gamma_prior(observed: np.ndarray, expected: np.ndarray,
                    method: PriorMethod = "ml") -> GammaPrior:
    """Estimate the gamma prior on ratios from all areas.

    Examples
    --------
    >>> y = np.array([2, 10, 30, 5, 60, 12]); e = np.array([4.0, 12, 20, 9, 50, 15])
    >>> prior = fit_gamma_prior(y, e, "moments")
    >>> round(prior.mean, 4), round(prior.shape, 2)
    (1.0818, 36.95)
    """
    y = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    _check(y, e)
    start = _moments(y, e)
    if method == "moments":
        return start
    if method != "ml":
        raise DarkFigureError(f"prior method must be 'ml' or 'moments', got {method!r}")
    m = start.mean
    # Optimise (log a, log b); start from the moment estimate, capped so the optimiser can
    # move, and keep log a within bounds where the likelihood is numerically stable.
    a0 = min(start.shape, 1e3)
    fit = optimize.minimize(_negative_log_marginal, np.log([a0, a0 / m]), args=(y, e),
                            method="L-BFGS-B", jac=True,
                            bounds=[(np.log(1e-4), np.log(MAX_SHAPE)), (None, None)])
    shape, rate = np.exp(fit.x)
    return GammaPrior(shape=float(shape), rate=float(rate), method="ml")


@dataclass(frozen=True, eq=False)
class ShrinkageResult:
    """Shrunken area ratios with posterior intervals.

    ``table`` columns: ``area_code``, ``area_name``, ``observed``, ``expected``,
    ``raw_ratio``, ``posterior_mean``, ``lower``, ``upper`` (equal-tailed, level
    ``1 - alpha``) and ``prior_weight`` (``b / (b + E)``, the pull towards the prior mean).
    """

    table: pd.DataFrame
    prior: GammaPrior
    alpha: float = 0.05
    method: str = "empirical Bayes Poisson-gamma"

    @property
    def lower(self) -> pd.Series:
        return self.table.set_index("area_code")["lower"]

    @property
    def upper(self) -> pd.Series:
        return self.table.set_index("area_code")["upper"]

    @property
    def confidence_level(self) -> float:
        return round(1 - self.alpha, 10)

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: one per area with the shrunken ratio, interval, method and level."""
        t = self.table
        return pd.DataFrame({
            "area_code": t["area_code"], "area_name": t["area_name"],
            "estimate": "ratio observed/expected (shrunken)", "value": t["posterior_mean"],
            "lower": t["lower"], "upper": t["upper"], "raw_ratio": t["raw_ratio"],
            "prior_weight": t["prior_weight"], "confidence_level": self.confidence_level,
            "alpha": self.alpha, "interval_kind": "posterior (credible)",
            "method": f"{self.method}, prior by {self.prior.method}",
        })

    def summary(self) -> str:
        p = self.prior
        lines = [f"Empirical-Bayes shrinkage of {len(self.table)} area ratios "
                 f"({self.confidence_level:.0%} equal-tailed posterior intervals)",
                 f"gamma prior ({p.method}): mean {p.mean:.3g}, sd {np.sqrt(p.variance):.3g} "
                 f"(shape {p.shape:.3g}, rate {p.rate:.3g})"]
        if p.pooled:
            lines.append("no variation between areas beyond chance was found: every area is "
                         "pulled to the common ratio")
        for row in self.table.itertuples():
            lines.append(f"{row.area_name}: raw {row.raw_ratio:.3g} -> {row.posterior_mean:.3g} "
                         f"({row.lower:.3g} to {row.upper:.3g}), weight on prior "
                         f"{row.prior_weight:.2f}")
        return "\n".join(lines)


def shrink_ratios(data: pd.DataFrame, *, observed: str = "detected", expected: str = "expected",
                  area: str = "area_code", area_name: str | None = "area_name",
                  method: PriorMethod = "ml", prior: GammaPrior | tuple[float, float] | None = None,
                  alpha: float = 0.05) -> ShrinkageResult:
    """Shrink area ratios observed/expected towards the overall ratio (Poisson-gamma EB).

    Rows of the same area are summed first. ``prior`` (a :class:`GammaPrior` or
    ``(shape, rate)``) skips the fit, e.g. to reuse a prior from a larger set of areas.

    Examples
    --------
    >>> df = pd.DataFrame({"area_code": ["a", "b"], "detected": [0, 40],
    ...                    "expected": [2.0, 40.0]})
    >>> res = shrink_ratios(df, prior=(4.0, 4.0))
    >>> res.table["posterior_mean"].round(3).tolist()
    [0.667, 1.0]
    """
    if not 0 < alpha < 1:
        raise DarkFigureError("alpha must be in (0, 1)")
    missing = [c for c in (observed, expected, area) if c not in data.columns]
    if missing:
        raise DarkFigureError(f"shrinkage needs column(s) {missing}; got {list(data.columns)}")
    names = area_name if area_name in data.columns else None
    keys = [area] + ([names] if names else [])
    grouped = data.groupby(keys, as_index=False, sort=False)[[observed, expected]].sum()
    y = grouped[observed].to_numpy(dtype=float)
    e = grouped[expected].to_numpy(dtype=float)
    _check(y, e)
    if prior is None:
        fitted = fit_gamma_prior(y, e, method)
    elif isinstance(prior, GammaPrior):
        fitted = prior
    else:
        fitted = GammaPrior(shape=float(prior[0]), rate=float(prior[1]))
    shape, rate = fitted.shape + y, fitted.rate + e
    table = pd.DataFrame({
        "area_code": grouped[area].astype(str),
        "area_name": grouped[names].astype(str) if names else grouped[area].astype(str),
        "observed": y, "expected": e, "raw_ratio": y / e, "posterior_mean": shape / rate,
        "lower": stats.gamma.ppf(alpha / 2, shape, scale=1 / rate),
        "upper": stats.gamma.ppf(1 - alpha / 2, shape, scale=1 / rate),
        "prior_weight": fitted.rate / rate,
    })
    return ShrinkageResult(table=table, prior=fitted, alpha=alpha)
