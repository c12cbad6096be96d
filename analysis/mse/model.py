"""Log-linear models for multiple systems estimation: design, fit, existence check, selection.

The model and the selection rules follow the R package SparseMSE (Chan, Silverman and Vincent,
"A linear programming approach to the existence and identifiability of the maximum likelihood
estimate in multiple systems estimation", JASA 116 (2021) 1297-1306) and the 2014 Home Office
analysis (Silverman, *Modern Slavery: an application of Multiple Systems Estimation*).

Cells are the ``2**k - 1`` observable capture patterns, each a tuple of 0/1 flags. A model is a
tuple of list-index pairs ``(i, j)`` with ``i < j`` added to the main effects. The counts are
Poisson with ``log mu = a0 + sum a_i + sum b_ij``; the dark figure is ``exp(a0)``.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from analysis.mse.existence import NO_MLE, NOT_IDENTIFIABLE, OK, design_basis, existence_code

Pair = tuple[int, int]
__all__ = ["NO_MLE", "NOT_IDENTIFIABLE", "OK", "ModelCache", "ModelFit", "all_pairs",
           "all_patterns", "criterion_search", "design", "design_basis", "existence_code",
           "fit_poisson", "overlap_counts", "split_empty", "stepwise"]


def all_patterns(k: int) -> np.ndarray:
    """The ``2**k - 1`` observable capture patterns as rows of a 0/1 matrix.

    Rows are in the order of the binary number ``sum(flag_i * 2**i)``, so the first list varies
    fastest.

    Examples
    --------
    >>> all_patterns(2).tolist()
    [[1, 0], [0, 1], [1, 1]]
    """
    codes = np.arange(1, 2**k)
    return ((codes[:, None] >> np.arange(k)) & 1).astype(np.int64)


@functools.cache
def _pair_masks(patterns_key: bytes, shape: tuple[int, int]) -> np.ndarray:
    patterns = np.frombuffer(patterns_key, dtype=np.int64).reshape(shape)
    return np.array([(patterns[:, i] == 1) & (patterns[:, j] == 1)
                     for i, j in all_pairs(shape[1])], dtype=float)


@functools.cache
def _pair_index(k: int) -> dict[Pair, int]:
    return {pair: n for n, pair in enumerate(all_pairs(k))}


def all_pairs(k: int) -> list[Pair]:
    """Pairs ``(i, j)``, ``i < j``, in SparseMSE's order (1,2), (1,3), ..., (k-1,k).

    Examples
    --------
    >>> all_pairs(3)
    [(0, 1), (0, 2), (1, 2)]
    """
    return list(itertools.combinations(range(k), 2))


def design(patterns: np.ndarray, pairs) -> np.ndarray:
    """Design matrix: intercept, one column per list, one product column per pair.

    Examples
    --------
    >>> design(all_patterns(2), [(0, 1)]).astype(int).tolist()
    [[1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]]
    """
    n, _ = patterns.shape
    cols = [np.ones((n, 1), dtype=float), patterns.astype(float)]
    cols += [(patterns[:, i] * patterns[:, j]).astype(float)[:, None] for i, j in pairs]
    return np.hstack(cols)


def overlap_counts(patterns: np.ndarray, counts: np.ndarray) -> dict[Pair, float]:
    """``N*_ij``: observed cases on both lists i and j (whatever other lists they are on).

    Examples
    --------
    >>> overlap_counts(all_patterns(2), np.array([5, 4, 2]))
    {(0, 1): 2.0}
    """
    k = patterns.shape[1]
    return {(i, j): float(counts[(patterns[:, i] == 1) & (patterns[:, j] == 1)].sum())
            for i, j in all_pairs(k)}


def split_empty(patterns: np.ndarray, counts: np.ndarray, pairs,
                overlaps: dict | None = None) -> tuple[list, list, np.ndarray]:
    """Split the pairs into fitted ones and empty overlaps (extended MLE ``-inf``).

    Returns ``(finite pairs, infinite pairs, mask of retained cells)``: every cell containing
    both lists of an empty pair is removed, because its fitted mean is 0.
    """
    if overlaps is None:
        overlaps = overlap_counts(patterns, counts)
    finite = [p for p in pairs if overlaps[p] > 0]
    infinite = [p for p in pairs if overlaps[p] == 0]
    keep = np.ones(len(patterns), dtype=bool)
    for i, j in infinite:
        keep &= ~((patterns[:, i] == 1) & (patterns[:, j] == 1))
    return finite, infinite, keep


def fit_poisson(x: np.ndarray, y: np.ndarray, max_iter: int = 100,
                tol: float = 1e-8, offset: float | np.ndarray = 0.0,
                start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Poisson log-linear maximum likelihood by Newton's method (IRLS).

    Starts, like R's ``glm`` and statsmodels, from ``mu = y + 0.5`` (one weighted least
    squares step), then takes Newton steps (``offset`` is added to the linear predictor; the
    profile likelihood uses it to fix the intercept), halved while the log-likelihood falls, until the
    largest step is below ``tol``. Returns the coefficients and their covariance (inverse
    Fisher information, dispersion 1). ``start`` (coefficients, e.g. the same model's fit
    to the original table when fitting a bootstrap replicate) replaces the first step and
    saves most Newton iterations; the maximum is the same. Written out rather than calling
    statsmodels because
    the bootstrap fits thousands of these tiny models; a test checks it against
    ``statsmodels.GLM``.

    Examples
    --------
    >>> beta, cov = fit_poisson(design(all_patterns(2), []), np.array([30.0, 20.0, 10.0]))
    >>> round(float(np.exp(beta[0])), 6)  # n10 * n01 / n11
    60.0
    """
    xt = x.T
    if start is None:
        mu = y + 0.5
        beta = np.linalg.solve((xt * mu) @ x, xt @ (mu * (np.log(mu) - offset) + y - mu))
    else:
        beta = np.asarray(start, dtype=float)
    eta = offset + x @ beta
    mu = np.exp(np.minimum(eta, 700))
    ll = float(y @ eta - mu.sum())
    for _ in range(max_iter):
        step = np.linalg.solve((xt * mu) @ x, xt @ (y - mu))
        scale = 1.0
        while True:
            trial = beta + scale * step
            eta = offset + x @ trial
            mu_t = np.exp(np.minimum(eta, 700))
            ll_t = float(y @ eta - mu_t.sum())
            # halve the step while the log-likelihood falls: guards a far start
            if ll_t >= ll - 1e-12 * abs(ll) or scale < 1e-10:
                break
            scale /= 2
        beta, mu, ll = trial, mu_t, ll_t
        if np.max(np.abs(scale * step)) < tol:
            break
    cov = np.linalg.inv((xt * mu) @ x)
    return beta, cov


@dataclass(frozen=True)
class ModelFit:
    """One fitted log-linear model: pairs, -inf pairs, fit statistics and the estimate."""

    pairs: tuple[Pair, ...]
    infinite: tuple[Pair, ...]
    code: int
    dark: float = math.nan          # exp(a0): fitted mean of the unobservable cell
    log_dark: float = math.nan
    se_log_dark: float = math.nan
    loglik: float = math.nan
    n_params: int = 0
    fitted: np.ndarray | None = None  # fitted means on all cells (0 on removed cells)
    wald_p: dict | None = None  # two-sided Wald p-value per pair (0 for a -inf pair)

    @property
    def usable(self) -> bool:
        return self.code == OK


class ModelCache:
    """Fits and checks of one table, cached; checks also across tables by zero pattern.

    The existence of the MLE depends only on which cells are zero (Fienberg and Rinaldo 2012),
    so a bootstrap replicate with the same zeros reuses the check.
    """

    def __init__(self, patterns: np.ndarray, counts: np.ndarray, checks: dict | None = None):
        self.patterns = patterns
        self.counts = np.asarray(counts, dtype=float)
        self.k = patterns.shape[1]
        self.n_obs = float(self.counts.sum())
        self.overlaps = overlap_counts(patterns, self.counts)
        # shared across the replicates of one table: check codes by zero pattern, design
        # bases by model and retained cells, and starting coefficients (first fit wins)
        self.checks = {} if checks is None else checks
        self.bases = self.checks.setdefault("__bases__", {})
        self.starts = self.checks.setdefault("__starts__", {})
        self.fits: dict[tuple, ModelFit] = {}

    def _design(self, finite, keep: np.ndarray) -> tuple[np.ndarray, tuple]:
        key = (tuple(finite), keep.tobytes())
        x = design(self.patterns[keep], finite)
        return x, key

    def check(self, pairs) -> int:
        """Existence/identifiability code of the model with these pairs (0 = usable)."""
        pairs = tuple(sorted(pairs))
        finite, _, keep = split_empty(self.patterns, self.counts, pairs, self.overlaps)
        zeros = self.counts[keep] == 0
        key = (pairs, keep.tobytes(), zeros.tobytes())
        if key not in self.checks:
            x, model_key = self._design(finite, keep)
            if model_key not in self.bases:
                self.bases[model_key] = design_basis(x)
            self.checks[key] = existence_code(x, self.counts[keep],
                                              basis=self.bases[model_key])
        return self.checks[key]

    def fit(self, pairs) -> ModelFit:
        """Fit the model (after the check; an unusable model comes back unfitted)."""
        pairs = tuple(sorted(pairs))
        if pairs in self.fits:
            return self.fits[pairs]
        finite, infinite, keep = split_empty(self.patterns, self.counts, pairs, self.overlaps)
        code = self.check(pairs)
        if code != OK:
            result = ModelFit(pairs, tuple(infinite), code)
        else:
            x, model_key = self._design(finite, keep)
            y = self.counts[keep]
            beta, cov = fit_poisson(x, y, start=self.starts.get(model_key))
            self.starts.setdefault(model_key, beta)
            mu = np.exp(x @ beta)
            loglik = float(np.sum(y * np.log(np.where(y > 0, mu, 1.0)) - mu
                                  - special.gammaln(y + 1)))
            fitted = np.zeros(len(self.counts))
            fitted[keep] = mu
            first = 1 + self.k  # pair columns follow the intercept and main effects
            z = beta[first:] / np.sqrt(np.diag(cov)[first:])
            wald = dict(zip(finite, (2 * special.ndtr(-np.abs(z))).tolist(), strict=True))
            wald.update({pair: 0.0 for pair in infinite})
            result = ModelFit(pairs, tuple(infinite), code, float(np.exp(beta[0])),
                              float(beta[0]), float(math.sqrt(cov[0, 0])), loglik,
                              1 + self.k + len(pairs), fitted, wald)
        self.fits[pairs] = result
        return result

    def aic(self, fit: ModelFit) -> float:
        """AIC counting every parameter, the ``-inf`` ones included."""
        return 2 * fit.n_params - 2 * fit.loglik

    def bic(self, fit: ModelFit) -> float:
        """BIC with ``n`` = observed cases (Rcapture convention)."""
        return fit.n_params * math.log(self.n_obs) - 2 * fit.loglik

    def entry_pvalues(self, fit: ModelFit) -> dict[Pair, float]:
        """SparseMSE's one-sided Poisson p-value for each pair not yet in the model:
        ``min(P(X <= N*_ij), P(X >= N*_ij))`` with ``X ~ Poisson(fitted mean on i and j)``."""
        pairs = [p for p in all_pairs(self.k) if p not in fit.pairs]
        if not pairs:
            return {}
        index = _pair_index(self.k)
        masks = _pair_masks(self.patterns.tobytes(), self.patterns.shape)[
            [index[p] for p in pairs]]
        lam = masks @ fit.fitted
        n = np.array([self.overlaps[p] for p in pairs])
        lower = special.pdtr(n, lam)
        upper = np.where(n > 0, special.pdtrc(np.maximum(n - 1, 0), lam), 1.0)
        p = np.minimum(lower, upper)
        p = np.where(lam > 0, p, np.where(n == 0, 1.0, 0.0))
        return {pair: float(v) for pair, v in zip(pairs, p, strict=True)}


def stepwise(cache: ModelCache, pthresh: float = 0.02) -> tuple[ModelFit, list[dict]]:
    """SparseMSE stepwise selection: add the most significant pair while ``p < pthresh``.

    Returns the chosen fit and one row per model visited (for the table of models).

    Examples
    --------
    >>> cache = ModelCache(all_patterns(2), np.array([30, 20, 10]))
    >>> fit, steps = stepwise(cache)
    >>> fit.pairs, round(cache.n_obs + fit.dark)
    ((), 120)
    """
    current = cache.fit(())
    if not current.usable:
        return current, [_row(cache, current, "main effects", math.nan)]
    steps = [_row(cache, current, "main effects", math.nan)]
    while True:
        pvals = cache.entry_pvalues(current)
        chosen = None
        # smallest p first, ties to the lowest pair index; a pair failing the check has p = 1
        for pair in sorted(pvals, key=lambda q: (pvals[q], _pair_index(cache.k)[q])):
            if pvals[pair] >= pthresh:
                break
            if cache.check(current.pairs + (pair,)) == OK:
                chosen = pair
                break
        if chosen is None:
            return current, steps
        current = cache.fit(current.pairs + (chosen,))
        steps.append(_row(cache, current, f"add {chosen}", pvals[chosen]))


def criterion_search(cache: ModelCache, criterion: str,
                     wald_p: float = 1.0) -> tuple[ModelFit, list[dict]]:
    """Forward selection by AIC or BIC: add the pair that lowers the criterion most; stop when
    none lowers it, or when the entering pair's Wald p-value exceeds ``wald_p``.

    With ``criterion="aic"`` and ``wald_p=0.05`` this is the 2014 Home Office procedure
    (modslavmse ``MSEfit``); BIC is the option. A pair entering as ``-inf`` (empty overlap) has
    no Wald test and counts as significant.

    Examples
    --------
    >>> fit, _ = criterion_search(ModelCache(all_patterns(2), np.array([30, 20, 10])), "bic")
    >>> fit.pairs
    ()
    """
    score = cache.aic if criterion == "aic" else cache.bic
    current = cache.fit(())
    steps = [_row(cache, current, "main effects", math.nan)]
    if not current.usable:
        return current, steps
    best = score(current)
    while True:
        candidates = []
        for pair in all_pairs(cache.k):
            if pair in current.pairs:
                continue
            fit = cache.fit(current.pairs + (pair,))
            if fit.usable:
                candidates.append((score(fit), _pair_index(cache.k)[pair], pair, fit))
            steps.append(_row(cache, fit, f"try {pair}",
                              fit.wald_p[pair] if fit.usable else math.nan))
        if not candidates:
            return current, steps
        value, _, pair, fit = min(candidates, key=lambda c: (c[0], c[1]))
        if value >= best or fit.wald_p[pair] > wald_p:
            return current, steps
        best, current = value, fit
        steps.append(_row(cache, fit, f"add {pair}", fit.wald_p[pair]))


def _row(cache: ModelCache, fit: ModelFit, step: str, p: float) -> dict:
    return {
        "step": step, "pairs": fit.pairs, "infinite_pairs": fit.infinite, "code": fit.code,
        "p_value": p, "n_params": fit.n_params if fit.usable else math.nan,
        "loglik": fit.loglik,
        "aic": cache.aic(fit) if fit.usable else math.nan,
        "bic": cache.bic(fit) if fit.usable else math.nan,
        "estimate": cache.n_obs + fit.dark if fit.usable else math.nan,
    }
