"""BCa bootstrap interval for multiple systems estimation, as SparseMSE ``estimatepopulation``.

Resample the observed cases (multinomial over the observed cells), rerun the whole model
selection on each replicate, and correct the percentile interval for bias (``z0``) and
skewness (jackknife acceleration ``a``): Efron, "Better bootstrap confidence intervals",
JASA 82 (1987) 171-185; Chan, Silverman and Vincent (2021), SparseMSE.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats


def single_threaded():
    """Context limiting BLAS to one thread: the bootstrap solves thousands of tiny systems,
    for which extra threads only burn CPU time (about 4 times the CPU on 2 cores)."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    return threadpool_limits(limits=1)


def bca_interval(counts: np.ndarray, estimate: float, refit: Callable[[np.ndarray], float],
                 n_boot: int, alpha: float, rng: np.random.Generator
                 ) -> tuple[float, float, np.ndarray, float, float]:
    """BCa interval of a population estimate from a capture-pattern table.

    ``refit(counts)`` reruns the selection and returns the estimate (NaN when no model is
    usable: such replicates are dropped). Returns ``(lower, upper, replicates, z0, a)``;
    limits are type-8 (median-unbiased) quantiles of the replicates.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> lo, hi, reps, z0, a = bca_interval(np.array([30, 20, 10]), 120.0,
    ...     lambda c: c.sum() + c[0] * c[1] / c[2], 200, 0.05, rng)
    >>> lo < 120 < hi
    True
    """
    tables, jack_tables, weights = resampled_tables(counts, n_boot, rng)
    with single_threaded():
        replicates = np.array([refit(t) for t in tables], dtype=float)
        jack = np.array([refit(t) for t in jack_tables], dtype=float)
    return bca_limits(replicates, jack, weights, estimate, alpha)


def resampled_tables(counts: np.ndarray, n_boot: int, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tables a BCa bootstrap refits: ``n_boot`` multinomial resamples of the cases
    over the observed cells, and the jackknife tables (one case deleted from each observed
    pattern) with their weights (the pattern's count).

    Examples
    --------
    >>> boot, jack, w = resampled_tables(np.array([3, 0, 2]), 4, np.random.default_rng(1))
    >>> boot.sum(axis=1).tolist(), jack.tolist(), w.tolist()
    ([5, 5, 5, 5], [[2, 0, 2], [3, 0, 1]], [3, 2])
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    observed = counts > 0
    draws = rng.multinomial(n, counts[observed] / n, size=n_boot)
    tables = np.zeros((n_boot, len(counts)), dtype=np.int64)
    tables[:, observed] = draws
    cells = np.flatnonzero(observed)
    jack = np.repeat(counts[None, :], len(cells), axis=0)
    jack[np.arange(len(cells)), cells] -= 1
    return tables, jack, counts[cells]


def bca_limits(replicates: np.ndarray, jack: np.ndarray, weights: np.ndarray,
               estimate: float, alpha: float) -> tuple[float, float, np.ndarray, float, float]:
    """BCa limits from bootstrap replicates and weighted jackknife values (NaNs dropped).

    Returns ``(lower, upper, finite replicates, z0, a)``: bias correction ``z0`` from the
    share of replicates below the estimate, acceleration ``a`` from the jackknife
    (SparseMSE's weighting by the pattern counts), type-8 quantiles at the adjusted levels.

    Examples
    --------
    >>> reps = np.random.default_rng(1).normal(100, 10, size=2000)
    >>> lo, hi, _, z0, a = bca_limits(reps, np.array([99.0, 101.0]), np.array([1, 1]), 100, 0.05)
    >>> round(lo), round(hi), a
    (81, 120, 0.0)
    """
    replicates = np.asarray(replicates, dtype=float)
    replicates = replicates[np.isfinite(replicates)]
    if len(replicates) == 0:
        return math.nan, math.nan, replicates, math.nan, math.nan
    jack = np.asarray(jack, dtype=float)
    ok = np.isfinite(jack)
    weights, jack = np.asarray(weights, float)[ok], jack[ok]
    if len(jack):
        mean = np.sum(weights * jack) / weights.sum()
        d = mean - jack
        denom = 6 * np.sum(weights * d**2) ** 1.5
        accel = float(np.sum(weights * d**3) / denom) if denom > 0 else 0.0
    else:
        accel = 0.0
    share = float(np.mean(replicates < estimate))
    share = min(max(share, 0.5 / len(replicates)), 1 - 0.5 / len(replicates))
    z0 = float(stats.norm.ppf(share))
    limits = []
    for level in (alpha / 2, 1 - alpha / 2):
        z = stats.norm.ppf(level)
        adjusted = stats.norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))
        limits.append(float(np.quantile(replicates, adjusted, method="median_unbiased")))
    return limits[0], limits[1], replicates, z0, accel


def quantile_mc_error(replicates: np.ndarray, limit: float) -> float:
    """Monte Carlo standard error of a bootstrap limit read as a quantile of the replicates.

    The rank of a sample ``q``-quantile among ``B`` replicates has binomial standard deviation
    ``sqrt(B q (1 - q))``; half the distance between the quantiles one such step either side
    is the error (the order-statistic method; Efron and Tibshirani 1993, ch. 19).

    Examples
    --------
    >>> reps = np.random.default_rng(1).normal(size=1000)
    >>> 0.05 < quantile_mc_error(reps, 1.96) < 0.2
    True
    """
    replicates = np.sort(np.asarray(replicates, dtype=float))
    b = len(replicates)
    if b < 2 or not np.isfinite(limit):
        return math.nan
    q = float(np.mean(replicates <= limit))
    step = math.sqrt(b * q * (1 - q)) / b
    lo, hi = np.quantile(replicates, [max(q - step, 0.0), min(q + step, 1.0)],
                         method="median_unbiased")
    return float(hi - lo) / 2
