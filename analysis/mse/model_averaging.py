"""Bayesian model averaging over decomposable graphical models (Madigan and York 1997; R dga).

Madigan and York, "Bayesian methods for estimation of the size of a closed population",
Biometrika 84 (1997) 19-31; the R package dga (Johndrow, Lum and Ball). Each decomposable
graph on the lists is a log-linear model whose cliques may interact freely. The prior on the
``2**k`` cell probabilities of the complete table (the unseen cell included) is the
hyper-Dirichlet of Dawid and Lauritzen (1993) with ``delta`` prior people per cell (dga's
suggested default ``2**-k``: one prior person spread over the table), so the marginal
likelihood is in closed form: a product of Dirichlet-multinomial terms over cliques divided
by those over separators. With ``p(N) ~ 1/N`` (dga's default) and a uniform prior over
graphs, the joint posterior of graph and unseen count ``n0`` is computed exactly on a grid of
``n0``; averaging over graphs gives the posterior of N, summarised by its median and
equal-tailed interval.

The posterior predictive check draws a graph and ``n0`` from the posterior, cell
probabilities from the hyper-Dirichlet posterior (clique by clique, conditionally on the
separator), a replicate table, and compares Freeman-Tukey distances.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from analysis.errors import DarkFigureError
from analysis.mse.model import all_patterns
from analysis.mse.results import PopulationResult
from analysis.mse.tables import validate_table

MAX_LISTS = 6


@dataclass(frozen=True)
class ModelAveragingResult(PopulationResult):
    """Model-averaged estimate; ``models`` lists every graph with its posterior weight.

    ``posterior`` is the joint posterior probability of graph (rows, in the order of
    :func:`decomposable_graphs`; ``models["graph"]`` points there) and population size
    (columns, the values in ``population_grid``).
    """

    models: pd.DataFrame | None = None
    population_grid: np.ndarray | None = None
    posterior: np.ndarray | None = None


@functools.cache
def decomposable_graphs(k: int) -> tuple[tuple[tuple[tuple[int, ...], ...],
                                               tuple[tuple[int, ...], ...],
                                               tuple[tuple[int, int], ...]], ...]:
    """Every decomposable (chordal) graph on ``k`` lists: ``(cliques, separators, edges)``.

    Cliques come in a perfect order (each clique meets the earlier ones in its separator);
    empty separators (between components) are left out.

    Examples
    --------
    >>> len(decomposable_graphs(3)), len(decomposable_graphs(4)), len(decomposable_graphs(5))
    (8, 61, 822)
    """
    edges_all = list(itertools.combinations(range(k), 2))
    graphs = []
    for mask in range(2 ** len(edges_all)):
        edges = tuple(e for n, e in enumerate(edges_all) if mask >> n & 1)
        adj = [set() for _ in range(k)]
        for i, j in edges:
            adj[i].add(j)
            adj[j].add(i)
        order = _max_cardinality_order(adj)
        position = {v: n for n, v in enumerate(order)}
        candidates, chordal = [], True
        for v in order:
            earlier = {u for u in adj[v] if position[u] < position[v]}
            if any(b not in adj[a] for a, b in itertools.combinations(earlier, 2)):
                chordal = False
                break
            candidates.append(frozenset(earlier | {v}))
        if not chordal:
            continue
        cliques = [c for c in candidates if not any(c < d for d in candidates)]
        cliques = list(dict.fromkeys(cliques))
        seps, seen = [], set()
        for c in cliques:
            if seen & c:
                seps.append(tuple(sorted(seen & c)))
            seen |= c
        graphs.append((tuple(tuple(sorted(c)) for c in cliques), tuple(seps), edges))
    return tuple(graphs)


def _max_cardinality_order(adj: list[set]) -> list[int]:
    """Maximum cardinality search (Tarjan and Yannakakis 1984): a perfect elimination order
    in reverse exactly when the graph is chordal."""
    order, weight = [], {v: 0 for v in range(len(adj))}
    while weight:
        v = max(weight, key=lambda u: (weight[u], -u))
        order.append(v)
        del weight[v]
        for u in adj[v]:
            if u in weight:
                weight[u] += 1
    return order


def negative_binomial_prior(shape: float, scale: float):
    """Madigan and York's (1997) prior for N: Poisson with a gamma(``shape``, ``scale``) mean.

    The marginal is negative binomial with mean ``shape * scale``; returned as a function of
    an array of N giving the log prior up to a constant (the form of R dga's examples; their
    three-list example uses ``shape = 13.14``, ``scale = 55.17``, a prior mean of about 725).

    Examples
    --------
    >>> log_prior = negative_binomial_prior(13.14, 55.17)
    >>> n = np.arange(0, 20_000)
    >>> p = np.exp(log_prior(n))
    >>> round(float(p.sum()), 6), round(float((n * p).sum()))
    (1.0, 725)
    """
    if shape <= 0 or scale <= 0:
        raise DarkFigureError(f"the prior's shape and scale must be positive; got {shape}, "
                              f"{scale}")

    def log_prior(n: np.ndarray) -> np.ndarray:
        n = np.asarray(n, dtype=float)
        return (n * np.log(scale) - (n + shape) * np.log1p(scale) + special.gammaln(n + shape)
                - special.gammaln(n + 1) - special.gammaln(shape))

    log_prior.description = f"negative binomial, mean {shape * scale:,.0f}"
    return log_prior


class ModelAveragingEstimator:
    """Madigan and York's model averaging over decomposable graphs (the method of R dga).

    Parameters
    ----------
    delta : float or None
        Hyper-Dirichlet prior people per cell of the complete table; ``None`` means
        ``2**-k`` (dga's suggested default).
    max_missing : float
        The grid of unseen counts runs from 0 to ``max_missing`` times the observed count
        (dga's MSETools wrapper uses 30).
    grid_size : int
        Largest number of grid points (integer steps when the range is smaller).
    prior_n : callable or None
        Log prior of the population size N (an array of N in, log densities out, up to a
        constant); ``None`` means ``p(N) ~ 1/N`` (dga's default). See
        :func:`negative_binomial_prior` for Madigan and York's.
    alpha : float
        The interval is the ``alpha/2`` and ``1 - alpha/2`` posterior quantiles.
    random_state : int, numpy Generator or None
        Seed of the posterior predictive check.

    Examples
    --------
    >>> from analysis.mse.model import all_patterns
    >>> table = pd.DataFrame(all_patterns(3), columns=["A", "B", "C"])
    >>> table["count"] = [210, 140, 140, 90, 90, 60, 60]  # independent lists, N = 1,000
    >>> r = ModelAveragingEstimator(random_state=1).fit(table)
    >>> round(r.estimate, -1), r.interval_kind, r.models["edges"][0]
    (1000.0, 'credible', 'independence')
    """

    def __init__(self, delta: float | None = None, max_missing: float = 30.0,
                 grid_size: int = 6000, prior_n=None, alpha: float = 0.05,
                 random_state=None):
        self.delta = delta
        self.prior_n = prior_n
        self.max_missing = max_missing
        self.grid_size = grid_size
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, table: pd.DataFrame) -> ModelAveragingResult:
        """Average over every decomposable graph and summarise the posterior of N."""
        if not 0 < self.alpha < 1:
            raise DarkFigureError(f"alpha must be between 0 and 1; got {self.alpha}")
        clean = validate_table(table)
        lists = tuple(c for c in clean.columns if c != "count")
        k = len(lists)
        if k > MAX_LISTS:
            raise DarkFigureError(f"model averaging over decomposable graphs handles up to "
                                  f"{MAX_LISTS} lists (got {k}); merge lists")
        counts = clean["count"].to_numpy(dtype=float)
        n_obs = float(counts.sum())
        delta = 2.0 ** -k if self.delta is None else float(self.delta)
        if delta <= 0:
            raise DarkFigureError(f"delta must be positive; got {delta}")
        top = max(int(self.max_missing * n_obs), 10)
        step = max(1, int(np.ceil((top + 1) / self.grid_size)))
        n0 = np.arange(0, top + 1, step, dtype=float)
        graphs = decomposable_graphs(k)
        if self.prior_n is None:
            log_prior, prior_text = -np.log(n_obs + n0), "p(N) ~ 1/N"
        else:
            log_prior = np.asarray(self.prior_n(n_obs + n0), dtype=float)
            prior_text = f"p(N) {getattr(self.prior_n, 'description', 'given')}"
        logpost = _log_posterior(counts, k, delta, n0, graphs, log_prior)
        weights = np.exp(logpost - logpost.max())
        weights /= weights.sum()
        by_n = weights.sum(axis=0)
        by_graph = weights.sum(axis=1)
        cdf = np.cumsum(by_n)
        lower, median, upper = (n_obs + float(np.interp(q, cdf, n0))
                                for q in (self.alpha / 2, 0.5, 1 - self.alpha / 2))
        notes = []
        if by_n[-max(1, len(n0) // 100):].sum() > 1e-3:
            notes.append(f"the posterior of the unseen count reaches the top of its grid "
                         f"({top:,}): the upper limit is cut off; the data say little about N")
        rng = np.random.default_rng(self.random_state)
        ppp = _predictive_p(counts, k, delta, n0, graphs, weights, rng)
        if ppp < 0.05:
            notes.append(f"posterior predictive check fails (p = {ppp:.3f}): the averaged "
                         "graphical models do not reproduce the observed table")
        names = [", ".join(f"{lists[i]}-{lists[j]}" for i, j in g[2]) or "independence"
                 for g in graphs]
        models = pd.DataFrame({
            "graph": np.arange(len(graphs)), "edges": names, "posterior_probability": by_graph,
            "median": [n_obs + float(np.interp(0.5, np.cumsum(w) / w.sum(), n0))
                       if w.sum() > 0 else np.nan for w in weights],
        }).sort_values("posterior_probability", ascending=False, ignore_index=True)
        best = models.iloc[0]
        self.result_ = ModelAveragingResult(
            observed=int(n_obs), estimate=median, lower=lower, upper=upper, alpha=self.alpha,
            lists=lists,
            method="Bayesian model averaging over decomposable graphs (Madigan and York 1997, dga)",
            interval_method=f"posterior quantiles (exact on a grid of {len(n0):,} values)",
            interval_kind="credible",
            model=(f"average over {len(graphs)} graphs; most probable: {best['edges']} "
                   f"(posterior probability {best['posterior_probability']:.2f}); "
                   f"hyper-Dirichlet prior, delta = {delta:g} per cell; {prior_text}"),
            checks=(("posterior predictive p (Freeman-Tukey)", ppp),
                    ("posterior probability of the most probable graph",
                     float(best["posterior_probability"]))),
            notes=tuple(notes), models=models, population_grid=n_obs + n0, posterior=weights)
        return self.result_


def _margin(counts: np.ndarray, k: int, subset: tuple[int, ...]) -> np.ndarray:
    """Counts of the ``subset`` margin, index ``sum(flag_i * 2**i)``; the unseen cell (all
    zero) gets only the observed people with no flag in the subset."""
    patterns = all_patterns(k)
    index = (patterns[:, list(subset)] << np.arange(len(subset))).sum(axis=1)
    return np.bincount(index, weights=counts, minlength=2 ** len(subset))


def _log_posterior(counts: np.ndarray, k: int, delta: float, n0: np.ndarray,
                   graphs, log_prior: np.ndarray | None = None) -> np.ndarray:
    """Log joint posterior (up to a constant) of graph x unseen count on the grid;
    ``log_prior`` is the log prior of N at ``n_obs + n0`` (default ``p(N) ~ 1/N``)."""
    n_obs = counts.sum()
    total_prior = delta * 2**k
    subsets = {s for g in graphs for s in (*g[0], *g[1])}
    component = {}
    for s in subsets:
        d = delta * 2 ** (k - len(s))
        margin = _margin(counts, k, s)
        fixed = np.sum(special.gammaln(margin[1:] + d) - special.gammaln(d))
        component[s] = (special.gammaln(total_prior) - special.gammaln(total_prior + n_obs + n0)
                        + fixed + special.gammaln(margin[0] + n0 + d) - special.gammaln(d))
    # multinomial coefficient N! / n0! (the observed cells' factorials are constant) and
    # the prior of N
    if log_prior is None:
        log_prior = -np.log(n_obs + n0)
    common = special.gammaln(n_obs + n0 + 1) - special.gammaln(n0 + 1) + log_prior
    out = np.empty((len(graphs), len(n0)))
    for g, (cliques, seps, _) in enumerate(graphs):
        out[g] = sum(component[c] for c in cliques) - sum(
            (component[s] for s in seps), np.zeros_like(n0)) + common
    return out


def _predictive_p(counts, k, delta, n0, graphs, weights, rng, n_rep: int = 400) -> float:
    """Posterior predictive p-value of the Freeman-Tukey distance (observable cells)."""
    patterns = np.vstack([np.zeros(k, dtype=np.int64), all_patterns(k)])  # unseen cell first
    flat = weights.ravel() / weights.sum()
    picks = rng.choice(flat.size, size=n_rep, p=flat)
    worse = 0
    for pick in picks:
        g, j = divmod(int(pick), len(n0))
        full = np.concatenate([[n0[j]], counts])
        probs = _draw_probabilities(full, patterns, graphs[g][0], delta, k, rng)
        size = int(full.sum())
        expected = size * probs[1:]
        replicate = rng.multinomial(size, probs)[1:]
        t_obs = np.sum((np.sqrt(counts) - np.sqrt(expected)) ** 2)
        worse += np.sum((np.sqrt(replicate) - np.sqrt(expected)) ** 2) >= t_obs
    return worse / n_rep


def _draw_probabilities(full, patterns, cliques, delta, k, rng) -> np.ndarray:
    """Cell probabilities from the hyper-Dirichlet posterior of one decomposable graph."""
    log_p = np.zeros(len(patterns))
    seen: set[int] = set()
    for clique in cliques:
        sep = sorted(seen & set(clique))
        rest = [v for v in clique if v not in sep]
        d = delta * 2 ** (k - len(clique))
        c_index = (patterns[:, list(clique)] << np.arange(len(clique))).sum(axis=1)
        margin = np.bincount(c_index, weights=full, minlength=2 ** len(clique))
        draw = rng.gamma(margin + d)
        # conditional of the new lists given the separator: normalise within separator cells
        cells = all_cells(len(clique))
        sep_pos = [clique.index(v) for v in sep]
        sep_key = (cells[:, sep_pos] << np.arange(len(sep))).sum(axis=1) if sep else \
            np.zeros(len(cells), dtype=np.int64)
        totals = np.bincount(sep_key, weights=draw)
        cond = draw / totals[sep_key]
        log_p += np.log(np.maximum(cond[c_index], 1e-300))
        seen |= set(clique)
        del rest
    p = np.exp(log_p)
    return p / p.sum()


def all_cells(m: int) -> np.ndarray:
    """All ``2**m`` 0/1 patterns of ``m`` lists, index ``sum(flag_i * 2**i)``.

    Examples
    --------
    >>> all_cells(2).tolist()
    [[0, 0], [1, 0], [0, 1], [1, 1]]
    """
    codes = np.arange(2**m)
    return (codes[:, None] >> np.arange(m)) & 1
