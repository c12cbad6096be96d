"""Intervals for a multiple systems estimate beyond the model-conditional Wald interval.

* Profile likelihood (Venzon and Moolgavkar, Applied Statistics 37 (1988) 87-94; for capture-
  recapture, Cormack, Biometrics 48 (1992) 567-576, the interval Rcapture reports and the 2014
  Home Office analysis used): the intercept ``a0 = log(dark figure)`` of the chosen log-linear
  model is fixed, the other parameters maximised, and the interval is every ``a0`` whose
  likelihood-ratio statistic is below the chi-square(1) quantile. It is conditional on the
  model, like the Wald interval, but follows the skew of the likelihood.
* Parametric bootstrap (SparseMSE ``BICandbootstrapsim``; Chan, Silverman and Vincent 2021):
  populations are redrawn from the fitted model, ``n* ~ Binomial(round(N), n_obs / N)`` and
  cells ``~ Multinomial(n*, mu / sum(mu))``, the selection rerun on each, and the interval is
  the type-8 quantiles of the replicates. It carries the selection uncertainty, as BCa does.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import optimize, stats

from analysis.mse.model import fit_poisson


def _loglik(x: np.ndarray, y: np.ndarray, offset: float | np.ndarray = 0.0) -> float:
    beta, _ = fit_poisson(x, y, offset=offset)
    mu = np.exp(offset + x @ beta)
    # the log(y!) terms cancel in the ratio, so they are left out
    return float(y @ np.log(np.where(y > 0, mu, 1.0)) - mu.sum())


def profile_interval(x: np.ndarray, y: np.ndarray, n_obs: float,
                     alpha: float = 0.05) -> tuple[float, float]:
    """Profile-likelihood interval of the population ``n_obs + exp(a0)`` for one model.

    ``x`` is the design on the retained cells with the intercept in column 0 (as
    :func:`analysis.mse.model.design` builds it) and ``y`` their counts. A limit whose
    likelihood ratio never reaches the quantile (a flat likelihood) is ``n_obs`` below and
    ``inf`` above.

    Examples
    --------
    >>> from analysis.mse.model import all_patterns, design
    >>> lo, hi = profile_interval(design(all_patterns(2), []), np.array([70., 30., 20.]), 120)
    >>> round(lo), round(hi)  # Petersen 225; the Wald interval is 177 to 313
    (177, 316)
    """
    beta, cov = fit_poisson(x, y)
    a0, se = float(beta[0]), math.sqrt(float(cov[0, 0]))
    rest = x[:, 1:]
    top = _loglik(x, y)
    quantile = float(stats.chi2.ppf(1 - alpha, 1))

    def excess(a: float) -> float:
        return 2 * (top - _loglik(rest, y, offset=a)) - quantile

    limits = []
    for sign in (-1.0, 1.0):
        far = None
        for width in (2.0, 4.0, 8.0, 16.0, 32.0):
            if excess(a0 + sign * width * se) > 0:
                far = a0 + sign * width * se
                break
        if far is None:
            limits.append(n_obs if sign < 0 else math.inf)
            continue
        root = optimize.brentq(excess, min(a0, far), max(a0, far), xtol=1e-10)
        limits.append(n_obs + math.exp(root))
    return limits[0], limits[1]


def parametric_interval(fitted: np.ndarray, estimate: float,
                        refit: Callable[[np.ndarray], float], n_boot: int, alpha: float,
                        rng: np.random.Generator) -> tuple[float, float, np.ndarray]:
    """Parametric bootstrap percentile interval from a fitted model.

    ``fitted`` holds the model's fitted means on every observable cell (0 on cells removed
    for empty overlaps) and ``estimate`` the population; ``refit(counts)`` reruns the
    selection on a replicate table (NaN when no model is usable: dropped). Returns
    ``(lower, upper, replicates)`` with type-8 (median-unbiased) quantiles.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> lo, hi, reps = parametric_interval(np.array([70., 30., 20.]), 225.0,
    ...     lambda c: c.sum() + c[0] * c[1] / max(c[2], 1), 300, 0.05, rng)
    >>> bool(lo < 225 < hi), len(reps)
    (True, 300)
    """
    fitted = np.asarray(fitted, dtype=float)
    total = fitted.sum()
    size = int(round(estimate))
    observed_n = rng.binomial(size, min(total / estimate, 1.0), size=n_boot)
    probs = fitted / total
    from analysis.mse.bootstrap import single_threaded

    with single_threaded():
        replicates = np.array([refit(rng.multinomial(n, probs)) for n in observed_n],
                              dtype=float)
    replicates = replicates[np.isfinite(replicates)]
    if len(replicates) == 0:
        return math.nan, math.nan, replicates
    lower, upper = np.quantile(replicates, [alpha / 2, 1 - alpha / 2], method="median_unbiased")
    return float(lower), float(upper), replicates
