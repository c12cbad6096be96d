"""BIC over all hierarchical log-linear models, with a bootstrap that reruns the choice.

The method of the R package MultipleSystemsEstimation: Silverman, Chan and Vincent,
"Bootstrapping multiple systems estimates to account for model selection", Statistics and
Computing 34 (2024) 44. Every hierarchical model with interactions up to ``max_order`` lists
(by default 3 for four or five lists, 2 for three or six and more) is checked for existence
and identifiability of its MLE (Fienberg and Rinaldo 2012, as corrected by Chan, Silverman
and Vincent 2021), fitted, and ranked by ``BIC = p log(n) - 2 loglik`` (``n`` the observed
cases; every parameter counts, including those of empty overlaps, fitted as ``-inf``). The
point estimate is the best model's. The BCa bootstrap (and its jackknife) rerun the choice
by BIC among the ``n_top`` best models on the original data (all for three lists, 20 for
four, 100 for five or more), which is what carries the model uncertainty into the interval.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from analysis.errors import DarkFigureError
from analysis.mse.bootstrap import (
    bca_limits,
    quantile_mc_error,
    resampled_tables,
    single_threaded,
)
from analysis.mse.goodness import fit_poisson_batch
from analysis.mse.model import OK, all_patterns, design_basis, existence_code, fit_poisson
from analysis.mse.results import PopulationResult
from analysis.mse.tables import validate_table

Term = tuple[int, ...]


@dataclass(frozen=True)
class BICResult(PopulationResult):
    """BIC-selected model and its bootstrap interval; ``models`` ranks every usable model."""

    terms: tuple[tuple[str, ...], ...] = ()
    models: pd.DataFrame | None = None
    replicates: np.ndarray | None = None


def hierarchical_models(k: int, max_order: int) -> list[tuple[Term, ...]]:
    """Every hierarchical model of ``k`` lists with interactions of order 2 to ``max_order``.

    A model is a tuple of interaction terms (tuples of list indexes); main effects are always
    in. Hierarchical: a term is in only if every term it contains is.

    Examples
    --------
    >>> len(hierarchical_models(3, 2)), len(hierarchical_models(3, 3))
    (8, 9)
    """
    if max_order < 2:
        return [()]
    models: list[tuple[Term, ...]] = [()]
    for order in range(2, max_order + 1):
        grown = []
        for model in models:
            present = set(model)
            # terms of this order all of whose sub-terms of the order below are present
            allowed = [t for t in itertools.combinations(range(k), order)
                       if order == 2 or all(s in present for s in
                                            itertools.combinations(t, order - 1))]
            for r in range(len(allowed) + 1):
                for extra in itertools.combinations(allowed, r):
                    grown.append(model + extra)
        models = grown
    return models


def default_max_order(k: int) -> int:
    """MultipleSystemsEstimation's default: 3 for four or five lists, else 2."""
    return 3 if k in (4, 5) else 2


def default_top(k: int) -> int:
    """Models kept for the bootstrap: all for three lists, 20 for four, 100 for more."""
    return {3: 10**9, 4: 20}.get(k, 100)


class _Fitter:
    """Fits of term models to one table; existence checks shared across tables."""

    def __init__(self, patterns, counts, shared: dict):
        self.patterns = patterns
        self.counts = np.asarray(counts, dtype=float)
        self.n_obs = float(self.counts.sum())
        self.shared = shared
        self.on = {}  # cells containing a term

    def _cells(self, term: Term) -> np.ndarray:
        if term not in self.on:
            self.on[term] = self.patterns[:, list(term)].all(axis=1)
        return self.on[term]

    def fit(self, model: tuple[Term, ...], betas: dict | None = None
            ) -> tuple[int, float, float, int]:
        """``(code, estimate, bic, n_params)`` of one model (NaNs when unusable).

        ``betas`` (model -> coefficients) warm-starts the fit from the model without its
        last term, whose coefficients it shares, and records this model's.
        """
        finite, keep = [], np.ones(len(self.counts), dtype=bool)
        for term in model:
            cells = self._cells(term)
            if self.counts[cells].sum() > 0:
                finite.append(term)
            else:
                keep &= ~cells  # empty overlap: extended MLE -inf, its cells removed
        y = self.counts[keep]
        model_key = (tuple(finite), keep.tobytes())
        if model_key not in self.shared:
            x = _design(self.patterns[keep], finite)
            self.shared[model_key] = (x, design_basis(x), {}, [None])
        x, basis, codes, start = self.shared[model_key]
        zeros = (y == 0).tobytes()
        if zeros not in codes:
            codes[zeros] = existence_code(x, y, basis=basis)
        n_params = 1 + self.patterns.shape[1] + len(model)
        if codes[zeros] != OK:
            return codes[zeros], math.nan, math.nan, n_params
        guess = start[0]
        if betas is not None and model and model[:-1] in betas:
            parent = betas[model[:-1]]
            guess = np.append(parent, 0.0) if len(parent) + 1 == x.shape[1] else \
                parent if len(parent) == x.shape[1] else guess
        beta, _ = fit_poisson(x, y, start=guess)
        if start[0] is None:
            start[0] = beta
        if betas is not None:
            betas[model] = beta
        mu = np.exp(x @ beta)
        loglik = float(np.sum(y * np.log(np.where(y > 0, mu, 1.0)) - mu
                              - special.gammaln(y + 1)))
        bic = n_params * math.log(self.n_obs) - 2 * loglik
        return OK, self.n_obs + math.exp(beta[0]), bic, n_params


def choose_by_bic(patterns: np.ndarray, tables: np.ndarray, models, shared: dict
                  ) -> np.ndarray:
    """Estimate of the BIC-best among ``models`` for each row of ``tables`` (NaN if none).

    Fits one model to every table at once (Newton's method batched over tables; tables
    sharing the empty overlaps share a design), instead of thousands of small fits.
    """
    tables = np.asarray(tables, dtype=float)
    n_tab = len(tables)
    n_obs = tables.sum(axis=1)
    best_bic = np.full(n_tab, np.inf)
    best_est = np.full(n_tab, np.nan)
    k = patterns.shape[1]
    for model in models:
        on = [patterns[:, list(t)].all(axis=1) for t in model]
        empty = np.column_stack([tables[:, cells].sum(axis=1) == 0 for cells in on]) \
            if model else np.zeros((n_tab, 0), dtype=bool)
        n_params = 1 + k + len(model)
        for signature in np.unique(empty, axis=0):
            rows = np.flatnonzero((empty == signature).all(axis=1))
            keep = np.ones(len(patterns), dtype=bool)
            for cells, is_empty in zip(on, signature, strict=True):
                if is_empty:
                    keep &= ~cells
            finite = [t for t, is_empty in zip(model, signature, strict=True) if not is_empty]
            key = (tuple(finite), keep.tobytes())
            if key not in shared:
                x = _design(patterns[keep], finite)
                shared[key] = (x, design_basis(x), {}, [None])
            x, basis, codes, start = shared[key]
            y = tables[rows][:, keep]
            usable = np.ones(len(rows), dtype=bool)
            for n, zeros in enumerate(y == 0):
                z = zeros.tobytes()
                if z not in codes:
                    codes[z] = existence_code(x, y[n], basis=basis)
                usable[n] = codes[z] == OK
            rows, y = rows[usable], y[usable]
            if not len(rows):
                continue
            if start[0] is None:
                start[0] = fit_poisson(x, y[0])[0]
            beta, loglik = fit_poisson_batch(x, y, start[0])
            bic = n_params * np.log(n_obs[rows]) - 2 * loglik
            better = bic < best_bic[rows]
            best_bic[rows[better]] = bic[better]
            best_est[rows[better]] = n_obs[rows[better]] + np.exp(beta[better, 0])
    return best_est


def _design(patterns: np.ndarray, terms) -> np.ndarray:
    cols = [np.ones((len(patterns), 1)), patterns.astype(float)]
    cols += [patterns[:, list(t)].prod(axis=1, keepdims=True).astype(float) for t in terms]
    return np.hstack(cols)


class BICEstimator:
    """Choose by BIC among all hierarchical models; BCa bootstrap rerunning the choice.

    Parameters
    ----------
    max_order : int or None
        Highest order of interaction (``None``: MultipleSystemsEstimation's default).
    n_top : int or None
        Models ranked best on the data among which each replicate chooses (``None``:
        the package default).
    bootstrap : int
        BCa replicates (0 for none: the interval is then missing).
    alpha : float
        Significance level of the interval.
    random_state : int, numpy Generator or None
        Seed of the bootstrap.

    Examples
    --------
    >>> table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [300, 200, 100]})
    >>> r = BICEstimator(bootstrap=200, random_state=1).fit(table)
    >>> round(r.estimate), r.model, bool(r.lower < 1200 < r.upper)
    (1200, 'main effects', True)
    """

    def __init__(self, max_order: int | None = None, n_top: int | None = None,
                 bootstrap: int = 1000, alpha: float = 0.05, random_state=1234):
        self.max_order = max_order
        self.n_top = n_top
        self.bootstrap = bootstrap
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, table: pd.DataFrame) -> BICResult:
        """Rank every hierarchical model by BIC and bootstrap the chosen estimate."""
        if not 0 < self.alpha < 1:
            raise DarkFigureError(f"alpha must be between 0 and 1; got {self.alpha}")
        if int(self.bootstrap) < 0:
            raise DarkFigureError(f"bootstrap replicates must be 0 or more; got {self.bootstrap}")
        clean = validate_table(table)
        lists = tuple(c for c in clean.columns if c != "count")
        k = len(lists)
        order = default_max_order(k) if self.max_order is None else int(self.max_order)
        if not 1 <= order <= k:
            raise DarkFigureError(f"max_order must be between 1 and {k}; got {order}")
        counts = clean["count"].to_numpy(dtype=float)
        patterns = all_patterns(k)
        shared: dict = {}
        fitter = _Fitter(patterns, counts, shared)
        models = hierarchical_models(k, order)
        rows, betas = [], {}
        with single_threaded():
            for model in models:
                code, estimate, bic, n_params = fitter.fit(model, betas)
                rows.append({"terms": model, "code": code, "n_params": n_params, "bic": bic,
                             "estimate": estimate})
        ranked = pd.DataFrame(rows)
        usable = ranked[ranked["code"] == OK].sort_values(["bic", "n_params"],
                                                           ignore_index=True)
        if usable.empty:
            raise DarkFigureError("no usable model: every hierarchical model fails the "
                                  "existence check; the lists may not overlap enough")
        best = usable.iloc[0]
        n_obs = int(counts.sum())
        top = list(usable["terms"].head(self.n_top or default_top(k)))
        skipped = int((ranked["code"] != OK).sum())
        notes = [f"{skipped:,} of {len(ranked):,} models failed the existence/identifiability "
                 "check and were skipped"] if skipped else []
        lower = upper = math.nan
        replicates = np.array([])
        interval = "none (no bootstrap)"
        checks = [("models ranked", float(len(usable)))]
        if self.bootstrap:
            rng = np.random.default_rng(self.random_state)
            tables, jack_tables, weights = resampled_tables(counts.astype(np.int64),
                                                            int(self.bootstrap), rng)
            with single_threaded():
                values = choose_by_bic(patterns, np.vstack([tables, jack_tables]), top,
                                       shared)
            lower, upper, replicates, _, _ = bca_limits(
                values[:len(tables)], values[len(tables):], weights, float(best["estimate"]),
                self.alpha)
            interval = (f"BCa bootstrap ({len(replicates):,} replicates, choice among the "
                        f"{len(top)} best models rerun)")
            checks += [("Monte Carlo standard error of the lower limit",
                        quantile_mc_error(replicates, lower)),
                       ("Monte Carlo standard error of the upper limit",
                        quantile_mc_error(replicates, upper))]
            if len(replicates) < self.bootstrap:
                notes.append(f"{self.bootstrap - len(replicates)} bootstrap replicates had no "
                             "usable model and were dropped")
        names = tuple(tuple(lists[i] for i in t) for t in best["terms"])
        model = " + ".join(["main effects", *(":".join(t) for t in names)])
        usable = usable.assign(terms=[" + ".join(":".join(lists[i] for i in t) for t in m)
                                      or "main effects" for m in usable["terms"]])
        self.result_ = BICResult(
            observed=n_obs, estimate=float(best["estimate"]), lower=float(lower),
            upper=float(upper), alpha=self.alpha, lists=lists,
            method=(f"BIC over all hierarchical models up to order {order} (Silverman, Chan "
                    "and Vincent 2024)"),
            interval_method=interval, model=model, checks=tuple(checks), notes=tuple(notes),
            terms=names, models=usable, replicates=replicates)
        return self.result_
