"""Bayesian non-parametric latent-class multiple systems estimation (the model of R's LCMCR).

Manrique-Vallier, "Bayesian population size estimation using Dirichlet process mixtures",
Biometrics 72 (2016) 1246-1254. People fall into latent classes; within a class the lists
catch independently (list ``j`` with probability ``lambda[k, j]``), so heterogeneity of
capture between classes, the failure of log-linear models, is the model itself. The class
weights are a Dirichlet process truncated at ``K`` classes (stick-breaking,
``V_k ~ Beta(1, alpha)``), ``alpha ~ Gamma(a, b)`` (LCMCR: ``a = b = 0.25``), every
``lambda[k, j] ~ Beta(1, 1)``, and ``p(N) ~ 1/N``.

The Gibbs sampler is Manrique-Vallier's data augmentation, written in numpy on the capture
patterns rather than on people: the class counts of the ``n_p`` people of pattern ``p`` are
one multinomial draw, so an iteration costs the same for 3,000 or 3 million people. The
number never seen is ``n0 ~ NegativeBinomial(n, 1 - p0)`` where ``p0`` is the chance of
being on no list. Data augmentation alone mixes slowly in N when a class is rarely caught
(its capture probabilities and its unseen count pin each other down: on the UK five-list
table 4 x 80,000 iterations gave an effective sample size of about 400, and chains could sit
for 10,000 iterations at different N). So every iteration first makes Metropolis-Hastings
moves along that ridge with N and the classes summed out (:func:`_ridge_moves`: scale a
class's capture probabilities and tilt its weight to keep its share of the people seen),
then the Gibbs sweep; the model and its posterior are unchanged (the moves leave the
marginal posterior of the parameters invariant and the sweep then draws N and the classes
from their conditional). Several chains start from dispersed random states and run side by
side (vectorised over chains); R-hat and the effective sample size
(:mod:`analysis.mse.diagnostics`) say whether they agree, and the result carries a warning
when they do not. A posterior predictive check compares the Freeman-Tukey distance of the
observed table from its expectation with that of replicated tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from analysis.errors import DarkFigureError
from analysis.mse.diagnostics import ESS_PER_CHAIN_MIN, RHAT_FAIL, RHAT_MAX, ess, rhat
from analysis.mse.model import all_patterns
from analysis.mse.results import PopulationResult
from analysis.mse.tables import validate_table

# proposal scale of the log of the factor applied to a class's capture probabilities
RIDGE_SCALE = 0.5
SPLIT_MERGE_BURN_IN = 4


@dataclass(frozen=True)
class LatentClassResult(PopulationResult):
    """Latent-class estimate: posterior median and equal-tailed posterior interval of N.

    ``draws`` holds the saved draws of N, one row per chain.
    """

    draws: np.ndarray | None = None
    rhat: float = float("nan")
    ess: float = float("nan")
    converged: bool = True


class LatentClassEstimator:
    """Truncated Dirichlet-process mixture of product-Bernoulli classes (LCMCR), by Gibbs.

    Parameters
    ----------
    max_classes : int
        Truncation ``K`` of the stick-breaking process (LCMCR's example uses 10).
    prior_alpha : (float, float)
        Shape and rate of the Gamma prior on the concentration (LCMCR: 0.25, 0.25).
    chains, burn_in, draws : int
        Chains run side by side; iterations discarded; iterations kept per chain (every
        one: thinning would discard information).
    alpha : float
        The interval is the ``alpha/2`` and ``1 - alpha/2`` posterior quantiles.
    random_state : int, numpy Generator or None
        Seed (the chains' starting points are drawn from it too).

    Examples
    --------
    >>> from analysis.mse.model import all_patterns
    >>> table = pd.DataFrame(all_patterns(3), columns=["A", "B", "C"])
    >>> table["count"] = [210, 140, 140, 90, 90, 60, 60]  # independent lists, N = 1,000
    >>> r = LatentClassEstimator(chains=2, burn_in=300, draws=600, random_state=1).fit(table)
    >>> bool(r.observed < r.lower < r.estimate < r.upper), r.interval_kind
    (True, 'credible')
    """

    def __init__(self, max_classes: int = 10, prior_alpha: tuple[float, float] = (0.25, 0.25),
                 chains: int = 4, burn_in: int = 4_000, draws: int = 12_000,
                 alpha: float = 0.05, random_state=None):
        self.max_classes = max_classes
        self.prior_alpha = prior_alpha
        self.chains = chains
        self.burn_in = burn_in
        self.draws = draws
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, table: pd.DataFrame) -> LatentClassResult:
        """Run the chains on a capture-pattern table and summarise the posterior of N."""
        if not 0 < self.alpha < 1:
            raise DarkFigureError(f"alpha must be between 0 and 1; got {self.alpha}")
        if min(self.max_classes, self.chains, self.draws) < 1 or self.burn_in < 0:
            raise DarkFigureError("max_classes, chains and draws must be 1 or more")
        clean = validate_table(table)
        lists = tuple(c for c in clean.columns if c != "count")
        if len(lists) < 3:
            raise DarkFigureError("the latent-class model needs at least three lists "
                                  f"(got {len(lists)}): with two it is not identifiable")
        counts = clean["count"].to_numpy(dtype=np.int64)
        patterns = all_patterns(len(lists))
        rng = np.random.default_rng(self.random_state)
        n_draws, kept, n_classes = _gibbs(
            patterns, counts, self.max_classes, self.prior_alpha, self.chains, self.burn_in,
            self.draws, 400, rng)
        n_obs = int(counts.sum())
        flat = n_draws.ravel()
        lower, median, upper = np.quantile(flat, [self.alpha / 2, 0.5, 1 - self.alpha / 2])
        r_hat = rhat(n_draws) if self.chains > 1 else float("nan")
        n_eff = ess(n_draws)
        ppp = _predictive_p(counts, kept, rng)
        notes = []
        wanted = ESS_PER_CHAIN_MIN * self.chains
        converged = (self.chains == 1 or r_hat <= RHAT_FAIL) and n_eff >= wanted
        if not converged:
            notes.append(f"the latent-class chains have not converged (R-hat {r_hat:.3f}, "
                         f"fails above {RHAT_FAIL}; effective sample size {n_eff:,.0f}, wanted "
                         f"{wanted:,}): do not rely on this estimate; run longer chains")
        elif r_hat > RHAT_MAX:
            notes.append(f"latent-class R-hat {r_hat:.3f} is above {RHAT_MAX} (Vehtari et al. "
                         "2021's bar for final results): the chains roughly agree; longer "
                         "chains would firm up the interval")
        if ppp < 0.05:
            notes.append(f"posterior predictive check fails (p = {ppp:.3f}): the latent-class "
                         "model does not reproduce the observed table")
        self.result_ = LatentClassResult(
            observed=n_obs, estimate=float(median), lower=float(lower), upper=float(upper),
            alpha=self.alpha, lists=lists,
            method="Bayesian latent-class model (Manrique-Vallier 2016, LCMCR)",
            interval_method=(f"posterior quantiles ({self.chains} chains x {self.draws:,} "
                             "draws)"),
            interval_kind="credible",
            model=(f"Dirichlet-process mixture of independent-list classes, up to "
                   f"{self.max_classes}; mean classes in use {n_classes:.1f}"),
            checks=(("R-hat", r_hat), ("effective sample size", n_eff),
                    ("posterior predictive p (Freeman-Tukey)", ppp)),
            notes=tuple(notes), draws=n_draws, rhat=r_hat, ess=n_eff, converged=converged)
        return self.result_


def _sticks(v: np.ndarray) -> np.ndarray:
    """Class weights from stick-breaking fractions (last fraction is 1)."""
    rest = np.cumprod(1 - v[..., :-1], axis=-1)
    return v * np.concatenate([np.ones(v.shape[:-1] + (1,)), rest], axis=-1)


def _gibbs(patterns: np.ndarray, counts: np.ndarray, k: int, prior: tuple[float, float],
           n_chains: int, burn_in: int, n_keep: int, n_probs: int, rng: np.random.Generator):
    """Manrique-Vallier's (2016) Gibbs sampler on pattern counts, vectorised over chains.

    Keeps N at every iteration after burn-in (thinning does not add information) and the
    cell probabilities at ``n_probs`` evenly spaced iterations, for the predictive check.
    """
    a_prior, b_prior = prior
    seen = counts > 0
    x = np.vstack([patterns[seen], np.zeros(patterns.shape[1], dtype=np.int64)]).astype(float)
    xx = np.hstack([x, 1 - x])                                # (patterns, 2 lists)
    n_obs = int(counts[seen].sum())
    n_seen = int(seen.sum())
    full = np.vstack([patterns, np.zeros(patterns.shape[1], dtype=np.int64)]).astype(float)
    full2 = np.hstack([full, 1 - full])
    # dispersed starts: random catch probabilities and weights
    lam = rng.beta(1.0, 1.0, size=(n_chains, k, x.shape[1]))
    conc = rng.gamma(1.0, 1.0, size=n_chains)
    v = rng.beta(1.0, conc[:, None], size=(n_chains, k))
    v[:, -1] = 1.0
    pi = _sticks(v)
    n_draws = np.empty((n_chains, n_keep))
    keep_at = set(np.linspace(0, n_keep - 1, min(n_probs, n_keep)).astype(int).tolist())
    probs_kept = []
    sizes = np.empty((n_chains, n_seen + 1), dtype=np.int64)
    sizes[:] = np.append(counts[seen], 0)
    used = 0.0
    tiny = 1e-12
    counts_seen = counts[seen].astype(float)
    for it in range(burn_in + n_keep):
        # the first two classes (largest a priori under stick-breaking) and one other at random
        labels = (0, 1, int(rng.integers(2, k))) if k > 3 else tuple(range(k))
        lam, pi = _ridge_moves(lam, pi, conc, xx, counts_seen, n_obs, labels, rng)
        v = _sticks_of(pi, tiny)
        logs = np.concatenate([np.log(lam), np.log1p(-lam)], axis=2).transpose(0, 2, 1)
        joint = pi[:, None, :] * np.exp(xx @ logs)             # (chains, patterns, classes)
        p0 = joint[:, -1, :].sum(axis=1)
        # people never seen: n0 ~ NegBin(n, 1 - p0) under p(N) ~ 1/N
        n0 = rng.negative_binomial(n_obs, np.maximum(1 - p0, 1e-300))
        sizes[:, -1] = n0
        cls = rng.multinomial(sizes, joint / joint.sum(axis=2, keepdims=True))
        # more split-merge attempts during burn-in help chains leave the grouping they
        # started in (the moves are valid either way; burn-in draws are discarded)
        for _ in range(SPLIT_MERGE_BURN_IN if it < burn_in else 1):
            cls = _split_merge(cls, x, conc, rng)
        m = cls.sum(axis=1)                                   # (chains, classes)
        on = cls.transpose(0, 2, 1) @ x                       # caught by list j, in class k
        lam = np.clip(rng.beta(1.0 + on, 1.0 + m[:, :, None] - on), tiny, 1 - tiny)
        after = np.cumsum(m[:, :0:-1], axis=1)[:, ::-1]       # people in classes > k
        v[:, :-1] = np.clip(rng.beta(1.0 + m[:, :-1], conc[:, None] + after), tiny, 1 - tiny)
        conc = rng.gamma(a_prior + k - 1, 1.0 / (b_prior - np.log1p(-v[:, :-1]).sum(axis=1)))
        pi = _sticks(v)
        if it >= burn_in:
            j = it - burn_in
            n_draws[:, j] = n_obs + n0
            used += float((m > 0).sum(axis=1).mean())
            if j in keep_at:
                logs = np.concatenate([np.log(lam), np.log1p(-lam)], axis=2).transpose(0, 2, 1)
                probs_kept.append(np.column_stack([n_obs + n0, (pi[:, None, :] * np.exp(
                    full2 @ logs)).sum(axis=2)]))
    return n_draws, np.vstack(probs_kept), used / n_keep


def _predictive_p(counts: np.ndarray, kept: np.ndarray, rng: np.random.Generator) -> float:
    """Posterior predictive p-value of the Freeman-Tukey distance over the observable cells.

    For saved draws (rows ``N, cell probabilities...``), a replicate table is
    ``Multinomial(N, probs)`` on every cell including the unseen one; the discrepancy
    ``sum (sqrt(y) - sqrt(E))**2`` over the observable cells is compared between the
    replicate and the data (Gelman, Meng and Stern 1996).
    """
    size = kept[:, 0].astype(np.int64)
    probs = kept[:, 1:] / kept[:, 1:].sum(axis=1, keepdims=True)
    expected = size[:, None] * probs[:, :-1]
    replicate = rng.multinomial(size, probs)[:, :-1]
    t_obs = np.sum((np.sqrt(counts) - np.sqrt(expected)) ** 2, axis=1)
    t_rep = np.sum((np.sqrt(replicate) - np.sqrt(expected)) ** 2, axis=1)
    return float(np.mean(t_rep >= t_obs))


def _log_likelihood(lam: np.ndarray, pi: np.ndarray, xx: np.ndarray, counts: np.ndarray,
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


def _ridge_moves(lam, pi, conc, xx, counts, n_obs, labels, rng):
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
    current = _log_likelihood(lam, pi, xx, counts, n_obs) + _log_stick_prior(pi, conc)
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
        new = _log_likelihood(lam_new, pi_new, xx, counts, n_obs) + _log_stick_prior(
            pi_new, conc)
        log_ratio = new - current + n_lists * eps + np.log(r) - k_max * np.log(scale)
        accept = inside & (np.log(rng.random(n_chains)) < log_ratio)
        lam = np.where(accept[:, None, None], lam_new, lam)
        pi = np.where(accept[:, None], pi_new, pi)
        current = np.where(accept, new, current)
    return lam, pi


def _sticks_of(pi: np.ndarray, tiny: float) -> np.ndarray:
    """Stick-breaking fractions of class weights (inverse of :func:`_sticks`)."""
    tail = np.cumsum(pi[:, ::-1], axis=1)[:, ::-1]
    v = np.clip(pi / np.maximum(tail, 1e-300), tiny, 1 - tiny)
    v[:, -1] = 1.0
    return v


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


def _split_merge(cls: np.ndarray, x: np.ndarray, conc: np.ndarray,
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
