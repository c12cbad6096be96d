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
moves along that ridge with N and the classes summed out
(:func:`analysis.mse.latent_moves.ridge_moves`: scale a class's capture probabilities and
tilt its weight to keep its share of the people seen), then the Gibbs sweep, then a
split-merge move of the classes (:func:`analysis.mse.latent_moves.split_merge`).

Those moves do not leave a grouping of people that holds a chain: on the UK five-list table
one of four chains would sit for tens of thousands of iterations near N = 12,500 (the
general-public list a class of its own) while the others agreed on about 22,000 (seed 1234:
R-hat 1.16). Two further devices fix that. **Parallel tempering** (Geyer 1991) by data:
every chain has a companion on each rung of ``ladder`` that samples the posterior given the
table scaled down (by default to 70%, 45% and 30% of it), whose flatter posterior leaves such groupings
easily; after every sweep neighbouring rungs propose to swap states, accepted by the ratio
of their collapsed likelihoods, so each rung keeps its exact posterior and only the
full-data rung is kept. **Annealed burn-in**: over the first half of burn-in the tables grow
from a tenth of the counts to all of them, so chains started at random (dispersed starts,
for R-hat) settle where a broad posterior leads them rather than where they happened to
start (a start near N = 5,000 took a chain 6,000 iterations to leave). Companions cost
little: the sampler is vectorised over every chain and rung at once. R-hat and the effective
sample size (:mod:`analysis.mse.diagnostics`) of the kept chains say whether they agree, and
the result carries a warning when they do not. A posterior predictive check compares the Freeman-Tukey distance of the
observed table from its expectation with that of replicated tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import DarkFigureError
from analysis.mse.diagnostics import ESS_PER_CHAIN_MIN, RHAT_FAIL, RHAT_MAX, ess, rhat
from analysis.mse.latent_moves import ridge_moves, split_merge
from analysis.mse.model import all_patterns
from analysis.mse.results import PopulationResult
from analysis.mse.tables import validate_table

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
    swap_rates: tuple[float, ...] = ()


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
    ladder : tuple of float
        Parallel tempering: the share of the table each rung sees, the first 1 (the kept
        chains); ``(1.0,)`` turns tempering off.
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
                 chains: int = 4, burn_in: int = 3_000, draws: int = 10_000,
                 alpha: float = 0.05, ladder: tuple[float, ...] = (1.0, 0.7, 0.45, 0.3),
                 random_state=None):
        self.max_classes = max_classes
        self.ladder = ladder
        self.prior_alpha = prior_alpha
        self.chains = chains
        self.burn_in = burn_in
        self.draws = draws
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, table: pd.DataFrame) -> LatentClassResult:
        """Run the chains on a capture-pattern table and summarise the posterior of N."""
        ladder = tuple(float(b) for b in self.ladder)
        if not ladder or ladder[0] != 1 or not all(0 < b <= 1 for b in ladder):
            raise DarkFigureError(f"ladder must start at 1 and hold shares in (0, 1]; got "
                                  f"{self.ladder}")
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
        n_draws, kept, n_classes, swap_rates = _gibbs(
            patterns, counts, self.max_classes, self.prior_alpha, self.chains, self.burn_in,
            self.draws, 400, rng, ladder)
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
                             "draws" + (", tempered" if len(ladder) > 1 else "") + ")"),
            interval_kind="credible",
            model=(f"Dirichlet-process mixture of independent-list classes, up to "
                   f"{self.max_classes}; mean classes in use {n_classes:.1f}"),
            checks=(("R-hat", r_hat), ("effective sample size", n_eff),
                    ("posterior predictive p (Freeman-Tukey)", ppp))
            + tuple((f"tempering swaps accepted, rungs {a:g}-{b:g}", s)
                    for a, b, s in zip(ladder[:-1], ladder[1:], swap_rates, strict=True)),
            notes=tuple(notes), draws=n_draws, rhat=r_hat, ess=n_eff, converged=converged,
            swap_rates=tuple(float(s) for s in swap_rates))
        return self.result_


def _sticks(v: np.ndarray) -> np.ndarray:
    """Class weights from stick-breaking fractions (last fraction is 1)."""
    rest = np.cumprod(1 - v[..., :-1], axis=-1)
    return v * np.concatenate([np.ones(v.shape[:-1] + (1,)), rest], axis=-1)


def _gibbs(patterns: np.ndarray, counts: np.ndarray, k: int, prior: tuple[float, float],
           n_chains: int, burn_in: int, n_keep: int, n_probs: int, rng: np.random.Generator,
           ladder: tuple[float, ...] = (1.0,)):
    """Manrique-Vallier's (2016) Gibbs sampler on pattern counts, vectorised over chains,
    with parallel tempering over ``ladder``.

    Every chain has a companion at each fraction ``b`` of the ladder that samples the
    posterior given the table scaled by ``b`` (counts rounded): a flatter posterior, where
    the groupings that hold a chain at full data are easy to leave. After every sweep,
    neighbouring rungs of the same chain propose to swap states (capture probabilities,
    weights and concentration), accepted with the ratio of the collapsed likelihoods (N and
    the classes summed out; the priors are the same on every rung and cancel). Only the
    full-data rung is kept. Returns the draws of N ``(chains, n_keep)``, saved cell
    probabilities, mean classes in use and the swap acceptance rate of each pair of rungs.
    """
    a_prior, b_prior = prior
    seen = counts > 0
    x = np.vstack([patterns[seen], np.zeros(patterns.shape[1], dtype=np.int64)]).astype(float)
    xx = np.hstack([x, 1 - x])                                # (patterns, 2 lists)
    n_rungs = len(ladder)
    n_all = n_chains * n_rungs                                # rung r, chain c at r*n_chains+c
    # each rung's table: the counts scaled by its fraction
    def scaled(factor):
        table = np.vstack([np.round(b * factor * counts[seen]) for b in ladder])
        table[:, np.argmax(counts[seen])] = np.maximum(table[:, np.argmax(counts[seen])], 1)
        return table, np.repeat(table, n_chains, axis=0)      # (all chains, patterns seen)

    # the first half of burn-in anneals from a tenth of the table to all of it, so chains
    # started at random settle where a broad posterior leads rather than where they start
    anneal = burn_in // 2
    table, cnt = scaled(1.0)
    n_obs = int(counts[seen].sum())
    full = np.vstack([patterns, np.zeros(patterns.shape[1], dtype=np.int64)]).astype(float)
    full2 = np.hstack([full, 1 - full])
    # dispersed starts: random catch probabilities and weights
    lam = rng.beta(1.0, 1.0, size=(n_all, k, x.shape[1]))
    conc = rng.gamma(1.0, 1.0, size=n_all)
    v = rng.beta(1.0, conc[:, None], size=(n_all, k))
    v[:, -1] = 1.0
    pi = _sticks(v)
    n_draws = np.empty((n_chains, n_keep))
    keep_at = set(np.linspace(0, n_keep - 1, min(n_probs, n_keep)).astype(int).tolist())
    probs_kept = []
    sizes = np.zeros((n_all, x.shape[0]), dtype=np.int64)
    used = 0.0
    tiny = 1e-12
    swaps = np.zeros(max(n_rungs - 1, 1))
    tries = np.zeros(max(n_rungs - 1, 1))
    for it in range(burn_in + n_keep):
        if it <= anneal:
            table, cnt = scaled(0.1 + 0.9 * it / anneal if anneal else 1.0)
            n_obs_all = cnt.sum(axis=1).astype(np.int64)
            sizes[:, :-1] = cnt
        if n_rungs > 1:
            lam, pi, conc = _swap(lam, pi, conc, xx, table, n_chains, it % 2, swaps, tries, rng)
        # the first two classes (largest a priori under stick-breaking) and one other at random
        labels = (0, 1, int(rng.integers(2, k))) if k > 3 else tuple(range(k))
        lam, pi = ridge_moves(lam, pi, conc, xx, cnt, n_obs_all, labels, rng)
        v = _sticks_of(pi, tiny)
        logs = np.concatenate([np.log(lam), np.log1p(-lam)], axis=2).transpose(0, 2, 1)
        joint = pi[:, None, :] * np.exp(xx @ logs)             # (chains, patterns, classes)
        p0 = joint[:, -1, :].sum(axis=1)
        # people never seen: n0 ~ NegBin(n, 1 - p0) under p(N) ~ 1/N
        n0 = rng.negative_binomial(n_obs_all, np.maximum(1 - p0, 1e-300))
        sizes[:, -1] = n0
        cls = rng.multinomial(sizes, joint / joint.sum(axis=2, keepdims=True))
        # more split-merge attempts during burn-in help chains leave the grouping they
        # started in (the moves are valid either way; burn-in draws are discarded)
        for _ in range(SPLIT_MERGE_BURN_IN if it < burn_in else 1):
            cls = split_merge(cls, x, conc, rng)
        m = cls.sum(axis=1)                                   # (chains, classes)
        on = cls.transpose(0, 2, 1) @ x                       # caught by list j, in class k
        lam = np.clip(rng.beta(1.0 + on, 1.0 + m[:, :, None] - on), tiny, 1 - tiny)
        after = np.cumsum(m[:, :0:-1], axis=1)[:, ::-1]       # people in classes > k
        v[:, :-1] = np.clip(rng.beta(1.0 + m[:, :-1], conc[:, None] + after), tiny, 1 - tiny)
        conc = rng.gamma(a_prior + k - 1, 1.0 / (b_prior - np.log1p(-v[:, :-1]).sum(axis=1)))
        pi = _sticks(v)
        if it >= burn_in:
            j = it - burn_in
            n_draws[:, j] = n_obs + n0[:n_chains]
            used += float((m[:n_chains] > 0).sum(axis=1).mean())
            if j in keep_at:
                logs = np.concatenate([np.log(lam[:n_chains]), np.log1p(-lam[:n_chains])],
                                      axis=2).transpose(0, 2, 1)
                probs_kept.append(np.column_stack([n_obs + n0[:n_chains], (
                    pi[:n_chains, None, :] * np.exp(full2 @ logs)).sum(axis=2)]))
    rates = swaps / np.maximum(tries, 1) if n_rungs > 1 else np.zeros(0)
    return n_draws, np.vstack(probs_kept), used / n_keep, rates


def _swap(lam, pi, conc, xx, table, n_chains, parity, swaps, tries, rng):
    """Parallel-tempering swaps between rungs ``r`` and ``r + 1`` (``r`` of one parity) of
    every chain; ``table`` holds each rung's counts. Counts accepted swaps in place."""
    n_rungs = table.shape[0]
    logs = np.concatenate([np.log(lam), np.log1p(-lam)], axis=2).transpose(0, 2, 1)
    cells = (pi[:, None, :] * np.exp(xx @ logs)).sum(axis=2)
    log_seen, log_caught = np.log(cells[:, :-1]), np.log1p(-cells[:, -1])
    lam, pi, conc = lam.copy(), pi.copy(), conc.copy()
    for r in range(parity, n_rungs - 1, 2):
        lo, hi = np.arange(n_chains) + r * n_chains, np.arange(n_chains) + (r + 1) * n_chains

        def loglik(rung, rows):
            return log_seen[rows] @ table[rung] - table[rung].sum() * log_caught[rows]

        log_ratio = (loglik(r, hi) + loglik(r + 1, lo) - loglik(r, lo) - loglik(r + 1, hi))
        accept = np.log(rng.random(n_chains)) < log_ratio
        a, b = lo[accept], hi[accept]
        lam[a], lam[b] = lam[b], lam[a].copy()
        pi[a], pi[b] = pi[b], pi[a].copy()
        conc[a], conc[b] = conc[b], conc[a].copy()
        swaps[r] += accept.sum()
        tries[r] += n_chains
    return lam, pi, conc


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


def _sticks_of(pi: np.ndarray, tiny: float) -> np.ndarray:
    """Stick-breaking fractions of class weights (inverse of :func:`_sticks`)."""
    tail = np.cumsum(pi[:, ::-1], axis=1)[:, ::-1]
    v = np.clip(pi / np.maximum(tail, 1e-300), tiny, 1 - tiny)
    v[:, -1] = 1.0
    return v
