"""Goodness of fit of log-linear models: deviance and its parametric-bootstrap p-value.

The deviance of a Poisson log-linear model against the saturated one,
``2 sum(y log(y / mu) - (y - mu))``, is compared with its distribution over tables drawn
from the fitted model and refitted with the same model (a parametric bootstrap: the
chi-square reference is poor for the sparse tables multiple systems estimation meets;
Chan, Silverman and Vincent 2021 section 5; Davison and Hinkley 1997 section 4.2). The
batched Newton fit here also serves the BIC bootstrap (:mod:`analysis.mse.hierarchical`).
"""

from __future__ import annotations

import numpy as np
from scipy import special


def deviance(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Poisson deviance of fitted means ``mu`` for counts ``y`` (rows are tables).

    Examples
    --------
    >>> float(deviance(np.array([5.0, 0.0]), np.array([5.0, 1.0])))
    2.0
    """
    y, mu = np.asarray(y, float), np.asarray(mu, float)
    term = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0) - (y - mu)
    return 2 * term.sum(axis=-1)


def deviance_test(x: np.ndarray, y: np.ndarray, beta: np.ndarray, n_boot: int,
                  rng: np.random.Generator) -> tuple[float, float]:
    """Deviance of a fitted model and its parametric-bootstrap p-value.

    ``x`` is the design on the retained cells, ``y`` their counts and ``beta`` the fitted
    coefficients. Tables are drawn as independent Poisson counts from the fitted means and
    refitted; the p-value is ``(1 + #{D* >= D}) / (1 + n_boot)``.

    Examples
    --------
    >>> from analysis.mse.model import all_patterns, design, fit_poisson
    >>> x = design(all_patterns(3), [])
    >>> y = np.array([210., 140., 140., 90., 90., 60., 60.])  # independent lists
    >>> beta, _ = fit_poisson(x, y)
    >>> d, p = deviance_test(x, y, beta, 200, np.random.default_rng(1))
    >>> abs(round(d, 6)), p > 0.5
    (0.0, True)
    """
    mu = np.exp(x @ beta)
    observed = float(deviance(y, mu))
    draws = rng.poisson(mu, size=(n_boot, len(mu))).astype(float)
    from analysis.mse.bootstrap import single_threaded

    with single_threaded():
        fitted, _ = fit_poisson_batch(x, draws, beta)
    simulated = deviance(draws, np.exp(fitted @ x.T))
    return observed, float((1 + np.sum(simulated >= observed - 1e-9)) / (1 + n_boot))


def fit_poisson_batch(x: np.ndarray, y: np.ndarray, start: np.ndarray, max_iter: int = 100,
               tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Poisson maximum likelihood for many count vectors (rows of ``y``) on one design.

    Newton's method with step halving from ``start``, as :func:`analysis.mse.model.fit_poisson`
    but every row at once. Returns the coefficients (one row per table) and the
    log-likelihoods including the ``log(y!)`` terms.

    Examples
    --------
    >>> from analysis.mse.model import all_patterns, design
    >>> beta, ll = fit_poisson_batch(design(all_patterns(2), []),
    ...                              np.array([[30.0, 20.0, 10.0], [40.0, 30.0, 20.0]]),
    ...                              np.zeros(3))
    >>> np.round(np.exp(beta[:, 0]), 6).tolist()  # n10 * n01 / n11
    [60.0, 60.0]
    """
    const = special.gammaln(y + 1).sum(axis=1)

    def loglik(beta, counts):
        eta = np.minimum(beta @ x.T, 700)
        return (counts * eta - np.exp(eta)).sum(axis=1), np.exp(eta)

    beta = np.repeat(np.asarray(start, float)[None, :], len(y), axis=0)
    ll, mu = loglik(beta, y)
    active = np.ones(len(y), dtype=bool)
    for _ in range(max_iter):
        if not active.any():
            break
        a = np.flatnonzero(active)
        hess = np.einsum("bc,cp,cq->bpq", mu[a], x, x)
        # a tiny ridge keeps tables whose MLE does not exist (a parametric replicate with
        # zeros) solvable: their fitted means still converge to the extended MLE
        hess += 1e-10 * (1 + hess.diagonal(axis1=1, axis2=2).max(axis=1))[:, None, None] * \
            np.eye(x.shape[1])
        step = np.linalg.solve(hess, ((y[a] - mu[a]) @ x)[:, :, None])[:, :, 0]
        scale = np.ones(len(a))
        for _ in range(40):
            trial = beta[a] + scale[:, None] * step
            ll_t, mu_t = loglik(trial, y[a])
            worse = ll_t < ll[a] - 1e-12 * np.abs(ll[a])
            if not worse.any():
                break
            scale[worse] /= 2
        beta[a], ll[a], mu[a] = trial, ll_t, mu_t
        active[a] = np.max(np.abs(scale[:, None] * step), axis=1) >= tol
    # log-likelihood with the log(y!) terms, zero cells contributing -mu
    return beta, ll - const
