"""Metropolis-Hastings moves of the latent-class sampler (:mod:`analysis.mse.latent_class`).

Two moves that plain data augmentation lacks, each leaving the posterior invariant:

* :func:`ridge_moves`: along the ridge of a rarely caught class (its capture probabilities
  and its share of the unseen pin each other down), with N and the classes summed out;
* :func:`split_merge`: split a class in two or merge two (after Jain and Neal 2004), with
  capture probabilities and weights integrated out.

:func:`log_likelihood` (N summed out under ``p(N) ~ 1/N``) is also the tempered target's
likelihood in the parallel-tempering swaps.
"""

from __future__ import annotations

import numpy as np
from scipy import special

# proposal scale of the log of the factor applied to a class's capture probabilities
RIDGE_SCALE = 0.5


def log_likelihood(lam: np.ndarray, pi: np.ndarray, xx: np.ndarray, counts: np.ndarray,
                    n_obs: int) -> np.ndarray:
    """Log likelihood per chain with N and the classes summed out (``p(N) ~ 1/N``):
    ``sum_p n_p log P_p - n log(1 - P_0)``; the last row of ``xx`` is the unseen pattern."""
    logs = np.concatenate([np.log(lam), np.log1p(-lam)], axis=2).transpose(0, 2, 1)
    cells = (pi[:, None, :] * np.exp(xx @ logs)).sum(axis=2)
    return (counts * np.log(cells[:, :-1])).sum(axis=1) - n_obs * np.log1p(-cells[:, -1])


def _log_stick_prior(pi: np.ndarray, conc: np.ndarray) -> np.ndarray:
    """Log density of the class weights under truncated stick-breaking with Beta(1, alpha)
    fractions, in the coordinates of the weights (with the Jacobian of the sticks)."""
    tail = np.cumsum(pi[:, ::-1], axis=1)[:, ::-1]                # weight of classes >= k
    log_tail = np.log(np.maximum(tail, 1e-300))
    return ((conc[:, None] - 1) * (log_tail[:, 1:] - log_tail[:, :-1])
            - log_tail[:, :-1]).sum(axis=1)


def ridge_moves(lam, pi, conc, xx, counts, n_obs, labels, rng):
    """Metropolis-Hastings moves along the ridge of a rarely caught class, with N and the
    class of every person summed out.

    The posterior is long and thin where a class is rarely caught: scaling all its capture
    probabilities by ``c`` while raising its weight so that it keeps its share of the people
    seen leaves the likelihood almost unchanged but changes N a lot, and data augmentation
    crawls along that ridge. The move proposes exactly that (``log c ~ N(0, RIDGE_SCALE)``;
    the weights are tilted, ``pi_k -> r pi_k`` renormalised, ``r = (1 - q_k) / (1 - q_k')``
    with ``q`` the chance of being on no list). It is its own inverse with ``1/c``, so the
    Hastings ratio is the Jacobian: ``c**J`` times ``r / (1 + (r - 1) pi_k)**K``.
    """
    n_chains, k_max, n_lists = lam.shape
    current = log_likelihood(lam, pi, xx, counts, n_obs) + _log_stick_prior(pi, conc)
    for k in labels:
        eps = rng.normal(0.0, RIDGE_SCALE, size=n_chains)
        lam_new = lam.copy()
        lam_new[:, k, :] *= np.exp(eps)[:, None]
        inside = (lam_new[:, k, :] < 1).all(axis=1)
        lam_new[~inside] = lam[~inside]
        r = -np.expm1(np.log1p(-lam[:, k, :]).sum(axis=1)) / -np.expm1(
            np.log1p(-lam_new[:, k, :]).sum(axis=1))
        scale = 1 + (r - 1) * pi[:, k]
        pi_new = pi / scale[:, None]
        pi_new[:, k] = r * pi[:, k] / scale
        new = log_likelihood(lam_new, pi_new, xx, counts, n_obs) + _log_stick_prior(
            pi_new, conc)
        log_ratio = new - current + n_lists * eps + np.log(r) - k_max * np.log(scale)
        accept = inside & (np.log(rng.random(n_chains)) < log_ratio)
        lam = np.where(accept[:, None, None], lam_new, lam)
        pi = np.where(accept[:, None], pi_new, pi)
        current = np.where(accept, new, current)
    return lam, pi


def _log_partition(cls: np.ndarray, x: np.ndarray, conc: np.ndarray) -> np.ndarray:
    """Log posterior (per chain, up to terms a split or merge leaves alone) of the people's
    classes, with capture probabilities and weights integrated out: multinomial
    coefficients, Beta-Bernoulli marginals per class and list, stick-breaking marginal."""
    m = cls.sum(axis=1).astype(float)
    on = cls.transpose(0, 2, 1) @ x
    after = np.cumsum(m[:, :0:-1], axis=1)[:, ::-1]
    return (-special.gammaln(cls + 1.0).sum(axis=(1, 2))
            + special.betaln(1.0 + on, 1.0 + m[:, :, None] - on).sum(axis=(1, 2))
            + special.betaln(1.0 + m[:, :-1], conc[:, None] + after).sum(axis=1))


def _log_mean_exp(values: np.ndarray) -> np.ndarray:
    """``log(mean(exp(values)))`` along the last axis, without overflow (scipy's logsumexp
    costs more than the rest of the move on arrays this small)."""
    top = values.max(axis=1)
    return top + np.log(np.exp(values - top[:, None]).mean(axis=1))


def _pick(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row, uniformly among the row's True entries (any index if none)."""
    return np.argmax(np.where(mask, rng.random(mask.shape), -1.0), axis=1)


def split_merge(cls: np.ndarray, x: np.ndarray, conc: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """One split-or-merge Metropolis-Hastings move of the classes (after Jain and Neal 2004),
    with capture probabilities and weights integrated out.

    Different ways of grouping people can each hold a chain for tens of thousands of
    iterations (on the UK five-list table: a class of its own for the general-public list at
    N near 12,500, or none at N near 23,000). A merge moves everyone of class ``b`` (the
    unseen included) into class ``a``. A split picks a list ``j`` at random and sends each
    person of class ``a`` to an empty class with chance ``w1`` if on list ``j`` and ``w0``
    if not (``w0, w1 ~ U(0, 1)``), so a class defined by one list can split off in one move.
    The Hastings ratio uses the exact proposal probabilities: a merge picks an ordered pair of
    occupied classes, a split an occupied and an empty class, and its binomial draws,
    integrated over the ``w``s and summed over the lists that could have made them, give
    ``mean_j prod_g B(1 + X_g, 1 + C_g - X_g) prod_r C(c_r, x_r)``.
    """
    n_chains, n_rows, k_max = cls.shape
    chains = np.arange(n_chains)
    occupied = cls.sum(axis=1) > 0
    n_occ = occupied.sum(axis=1)
    split = rng.random(n_chains) < 0.5
    a = _pick(occupied, rng)
    b = np.where(split, _pick(~occupied, rng),
                 _pick(occupied & (np.arange(k_max) != a[:, None]), rng))
    possible = np.where(split, n_occ < k_max, n_occ >= 2)
    col_a, col_b = cls[chains, :, a], cls[chains, :, b]          # (chains, rows)
    on_list = x[:, rng.integers(0, x.shape[1], n_chains)].T > 0  # (chains, rows)
    w = np.where(on_list, rng.random(n_chains)[:, None], rng.random(n_chains)[:, None])
    moved = np.where(split[:, None], rng.binomial(col_a, w), -col_b)
    new = cls.copy()
    new[chains, :, a] = col_a - moved
    new[chains, :, b] = col_b + moved
    # the split side of the pair of states: class a's part `keep`, the new class's `part`
    keep = np.where(split[:, None], new[chains, :, a], col_a)
    part = np.where(split[:, None], new[chains, :, b], col_b)
    whole = keep + part
    possible &= (part.sum(axis=1) > 0) & (keep.sum(axis=1) > 0)
    choose = (special.gammaln(whole + 1.0) - special.gammaln(part + 1.0)
              - special.gammaln(keep + 1.0)).sum(axis=1)
    groups = x.T[None, :, :] > 0                                 # (1, lists, rows)
    by_list = 0.0
    for g in (groups, ~groups):
        got = (part[:, None, :] * g).sum(axis=2)
        of = (whole[:, None, :] * g).sum(axis=2)
        by_list = by_list + special.betaln(1.0 + got, 1.0 + of - got)
    n_small = np.where(split, n_occ, n_occ - 1)                  # occupied before a split
    log_split = (-np.log(np.maximum(n_small, 1)) - np.log(np.maximum(k_max - n_small, 1))
                 + _log_mean_exp(by_list) + choose)
    log_merge = -np.log(n_small + 1.0) - np.log(np.maximum(n_small, 1))
    log_q = np.where(split, log_merge - log_split, log_split - log_merge)
    log_ratio = _log_partition(new, x, conc) - _log_partition(cls, x, conc) + log_q
    accept = possible & (np.log(rng.random(n_chains)) < np.where(possible, log_ratio, 0.0))
    return np.where(accept[:, None, None], new, cls)
