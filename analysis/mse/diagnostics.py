"""MCMC convergence diagnostics: rank-normalised split R-hat and effective sample size.

Vehtari, Gelman, Simpson, Carpenter and Buerkner, "Rank-normalization, folding, and
localization: an improved R-hat for assessing convergence of MCMC", Bayesian Analysis 16
(2021) 667-718: chains are split in halves, draws replaced by normal scores of their ranks,
R-hat is the larger of the bulk and the folded (tail) value, and the effective sample size
sums autocorrelations over Geyer's initial monotone sequence. Their bar for final results
is R-hat at most 1.01 and a bulk ESS of at least 100 per chain; chains with R-hat above
1.05 (the older, looser bar of Gelman et al.) are reported as not converged.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

RHAT_MAX = 1.01
RHAT_FAIL = 1.05
ESS_PER_CHAIN_MIN = 100


def _split(draws: np.ndarray) -> np.ndarray:
    draws = np.atleast_2d(np.asarray(draws, dtype=float))
    half = draws.shape[1] // 2
    return np.vstack([draws[:, :half], draws[:, draws.shape[1] - half:]])


def _normal_scores(draws: np.ndarray) -> np.ndarray:
    ranks = stats.rankdata(draws, method="average").reshape(draws.shape)
    return stats.norm.ppf((ranks - 0.375) / (draws.size + 0.25))


def _rhat(chains: np.ndarray) -> float:
    m, n = chains.shape
    within = chains.var(axis=1, ddof=1).mean()
    between = n * chains.mean(axis=1).var(ddof=1)
    if within <= 0:
        return float("nan") if between > 0 else 1.0
    return float(np.sqrt(((n - 1) / n * within + between / n) / within))


def rhat(draws: np.ndarray) -> float:
    """Rank-normalised split R-hat of draws shaped ``(chains, iterations)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(rhat(rng.normal(size=(4, 1000))), 2)
    1.0
    >>> rhat(rng.normal(size=(4, 1000)) + np.arange(4)[:, None]) > 1.5
    True
    """
    split = _split(draws)
    bulk = _rhat(_normal_scores(split))
    folded = np.abs(split - np.median(split))
    return float(max(bulk, _rhat(_normal_scores(folded))))


def ess(draws: np.ndarray) -> float:
    """Bulk effective sample size of draws shaped ``(chains, iterations)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> 3000 < ess(rng.normal(size=(4, 1000))) < 5000
    True
    >>> x = np.cumsum(rng.normal(size=(4, 1000)), axis=1)  # random walks: few effective draws
    >>> ess(x) < 100
    True
    """
    chains = _normal_scores(_split(draws))
    m, n = chains.shape
    centred = chains - chains.mean(axis=1, keepdims=True)
    size = 2 ** int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n] / n
    within = (acov[:, 0] * n / (n - 1)).mean()
    var_plus = within * (n - 1) / n + chains.mean(axis=1).var(ddof=1)
    if var_plus <= 0:
        return float(m * n)
    rho = 1 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer: sum pairs while positive, forced monotone
    pairs = rho[: n - n % 2].reshape(-1, 2).sum(axis=1)
    positive = np.flatnonzero(pairs <= 0)
    pairs = pairs[: positive[0]] if len(positive) else pairs
    pairs = np.minimum.accumulate(pairs)
    tau = -1 + 2 * pairs.sum()
    return float(m * n / max(tau, 1 / np.log10(m * n)))
