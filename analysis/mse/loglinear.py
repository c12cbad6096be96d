"""Multiple systems estimation: the hidden number from overlaps between linked agency lists.

When the same person is known to several agencies, the overlaps between the lists tell how many
people are known to none. The counts of people per capture pattern are modelled as Poisson with
a log-linear model (main effects plus selected two-way interactions); the fitted mean of the
unobservable all-zero pattern is the dark figure.

The method is SparseMSE's (Chan, Silverman and Vincent, JASA 116 (2021) 1297-1306; the R
package SparseMSE), behind the Home Office estimate of 10,000-13,000 victims of modern slavery
in the UK in 2013 (Silverman, *Modern Slavery: an application of Multiple Systems Estimation*,
Home Office 2014):

* empty overlaps get the extended MLE ``-inf`` (their cells are dropped);
* each model is first checked for existence and identifiability of the MLE by the linear
  programme of Fienberg and Rinaldo (2012) as corrected by Chan et al. (2021); a failing model
  is skipped with its code, never fitted;
* interactions enter stepwise while their one-sided Poisson p-value is below ``pthresh``
  (0.02), or by forward AIC/BIC search;
* the chosen model is refitted with ``statsmodels`` GLM (Poisson, log link) for the reported
  estimate; the selection and the bootstraps use a small Newton fit checked against it;
* intervals: model-conditional (``exp`` of a Wald interval for the intercept, SparseMSE
  ``estimatepopulation.0``), profile likelihood for the chosen model, a BCa bootstrap that
  reruns the selection on every replicate (SparseMSE ``estimatepopulation``), or a parametric
  bootstrap from the fitted model.

The pieces live in :mod:`analysis.mse.model` (fit, check, selection), :mod:`analysis.mse.tables`
(capture-pattern tables), :mod:`analysis.mse.bootstrap` (BCa), :mod:`analysis.mse.intervals`
(profile likelihood, parametric bootstrap) and :mod:`analysis.mse.simulation` (coverage).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DarkFigureError
from analysis.mse.bootstrap import bca_interval, quantile_mc_error
from analysis.mse.intervals import parametric_interval, profile_interval
from analysis.mse.model import ModelCache, all_patterns, criterion_search, design, split_empty, stepwise
from analysis.mse.tables import validate_table

__all__ = ["MSEResult", "MultipleSystemsEstimator"]

CRITERIA = ("stepwise", "aic", "bic")
INTERVALS = ("conditional", "profile", "bca", "parametric")


@dataclass(frozen=True)
class MSEResult:
    """Multiple systems estimate: total population, interval, hidden number and chosen model.

    ``terms`` holds the chosen interactions as pairs of list names; ``models`` the table of
    models considered (one row each, with their check code, p-value, AIC, BIC and estimate);
    ``intervals`` every interval computed (model-conditional and profile likelihood always,
    a bootstrap when asked), the reported one being ``interval_method``.

    Examples
    --------
    >>> r = MSEResult(observed=60, estimate=120.0, lower=90.0, upper=170.0)
    >>> r.hidden
    60.0
    >>> r.to_frame()[["estimate", "value", "confidence_level"]].to_dict("records")
    [{'estimate': 'population', 'value': 120.0, 'confidence_level': 0.95}, \
{'estimate': 'hidden', 'value': 60.0, 'confidence_level': 0.95}]
    """

    observed: int
    estimate: float
    lower: float
    upper: float
    alpha: float = 0.05
    terms: tuple[tuple[str, str], ...] = ()
    lists: tuple[str, ...] = ()
    method: str = "multiple systems estimation (SparseMSE stepwise)"
    interval_method: str = "model-conditional"
    models: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    notes: tuple[str, ...] = ()
    intervals: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)
    checks: tuple[tuple[str, float], ...] = ()
    interval_kind: str = "confidence"

    @property
    def hidden(self) -> float:
        """Estimated number known to no list (estimate - observed)."""
        return self.estimate - self.observed

    @property
    def confidence_level(self) -> float:
        return round(1 - self.alpha, 10)

    @property
    def model(self) -> str:
        """The chosen model in R formula style, e.g. ``main effects + LA:NG``."""
        return " + ".join(["main effects", *(f"{a}:{b}" for a, b in self.terms)])

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows for the population and the hidden number, with method and level."""
        base = {"lower": None, "upper": None, "confidence_level": self.confidence_level,
                "alpha": self.alpha, "interval_kind": "confidence",
                "method": f"{self.method}; {self.interval_method} interval",
                "assumptions": "; ".join(self.notes), "model": self.model,
                "observed": self.observed}
        return pd.DataFrame([
            {**base, "estimate": "population", "value": self.estimate,
             "lower": self.lower, "upper": self.upper},
            {**base, "estimate": "hidden", "value": self.hidden,
             "lower": self.lower - self.observed, "upper": self.upper - self.observed},
        ], columns=["estimate", "value", "lower", "upper", "confidence_level", "alpha",
                    "interval_kind", "method", "model", "observed", "assumptions"])

    def summary(self) -> str:
        """Readable text: estimate, interval, hidden, model and notes."""
        lines = [
            f"Multiple systems estimate: {self.estimate:,.0f} "
            f"({self.confidence_level:.0%} {self.interval_method} interval "
            f"{self.lower:,.0f} to {self.upper:,.0f})",
            f"Observed {self.observed:,}; hidden {self.hidden:,.0f}",
            f"Lists: {', '.join(self.lists)}",
            f"Model: {self.model}",
            f"Method: {self.method}",
        ]
        if len(self.intervals):
            lines.append(f"{self.confidence_level:.0%} intervals:")
        for row in self.intervals.itertuples(index=False):
            lines.append(f"  {row.interval_method}: {row.lower:,.0f} to {row.upper:,.0f}")
        lines += [f"Check: {name} = {value:.4g}" for name, value in self.checks]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict (the ``darkfigure mse --json`` object)."""
        return {"observed": self.observed, "estimate": self.estimate, "lower": self.lower,
                "upper": self.upper, "hidden": self.hidden, "alpha": self.alpha,
                "model": [list(t) for t in self.terms], "lists": list(self.lists),
                "method": self.method, "interval_method": self.interval_method,
                "intervals": self.intervals.to_dict("records"), "checks": dict(self.checks),
                "notes": list(self.notes)}


class MultipleSystemsEstimator:
    """Log-linear multiple systems estimation with SparseMSE's model selection.

    Parameters
    ----------
    criterion : {"stepwise", "aic", "bic"}
        ``"stepwise"`` adds interactions while SparseMSE's entry p-value is below ``pthresh``;
        ``"aic"``/``"bic"`` add the interaction lowering the criterion most while it falls.
    pthresh : float
        Entry threshold of the stepwise method (SparseMSE default 0.02).
    wald_p : float
        With ``"aic"``/``"bic"``: stop when the entering interaction's Wald p-value exceeds
        this (the 2014 Home Office analysis used 0.05; 1 turns the test off).
    alpha : float
        Significance level: the interval has confidence ``1 - alpha``.
    bootstrap : int
        Number of bootstrap replicates (each reruns the selection); 0 for none.
    interval : {"conditional", "profile", "bca", "parametric"} or None
        The interval reported as ``lower``/``upper``. ``None`` means ``"bca"`` when
        ``bootstrap > 0``, else ``"conditional"`` (SparseMSE's defaults). The model-conditional
        and profile-likelihood intervals are always computed and listed in ``intervals``.
    random_state : int, numpy Generator or None
        Seed of the bootstrap.
    goodness_of_fit : int
        Parametric-bootstrap replicates of the chosen model's deviance test
        (:func:`analysis.mse.goodness.deviance_test`); 0 skips it.

    Examples
    --------
    >>> table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [30, 20, 10]})
    >>> r = MultipleSystemsEstimator().fit(table)
    >>> round(r.estimate), r.observed, round(r.hidden)  # 40 * 30 / 10
    (120, 60, 60)
    """

    def __init__(self, criterion: str = "stepwise", pthresh: float = 0.02, alpha: float = 0.05,
                 bootstrap: int = 0, interval: str | None = None, random_state=None,
                 wald_p: float = 0.05, goodness_of_fit: int = 1000):
        self.criterion = criterion
        self.pthresh = pthresh
        self.wald_p = wald_p
        self.alpha = alpha
        self.bootstrap = bootstrap
        self.interval = interval
        self.random_state = random_state
        self.goodness_of_fit = goodness_of_fit

    def _check_params(self) -> str:
        if self.criterion not in CRITERIA:
            raise DarkFigureError(f"criterion must be one of {', '.join(CRITERIA)}; "
                                  f"got {self.criterion!r}")
        if not 0 < self.alpha < 1:
            raise DarkFigureError(f"alpha must be between 0 and 1; got {self.alpha}")
        if not 0 <= self.pthresh <= 1:
            raise DarkFigureError(f"pthresh must be between 0 and 1; got {self.pthresh}")
        if int(self.bootstrap) < 0:
            raise DarkFigureError(f"bootstrap replicates must be 0 or more; got {self.bootstrap}")
        interval = self.interval or ("bca" if self.bootstrap else "conditional")
        if interval not in INTERVALS:
            raise DarkFigureError(f"interval must be one of {', '.join(INTERVALS)}; "
                                  f"got {interval!r}")
        if interval in ("bca", "parametric") and int(self.bootstrap) < 1:
            raise DarkFigureError(f"a {interval} interval needs bootstrap replicates "
                                  "(bootstrap > 0)")
        return interval

    def _select(self, cache: ModelCache):
        if self.criterion == "stepwise":
            return stepwise(cache, self.pthresh)
        return criterion_search(cache, self.criterion, self.wald_p)

    def fit(self, table: pd.DataFrame) -> MSEResult:
        """Select a model for the capture-pattern table and estimate the population.

        ``table`` has one 0/1 column per list and ``count`` (observed patterns only is fine).
        The result is also kept as ``result_``. Raises :class:`DarkFigureError` when the
        table cannot be modelled.
        """
        interval = self._check_params()
        clean = validate_table(table)
        lists = tuple(c for c in clean.columns if c != "count")
        patterns = all_patterns(len(lists))
        counts = clean["count"].to_numpy(dtype=float)
        checks: dict = {}  # existence checks, shared by every replicate with the same zeros
        cache = ModelCache(patterns, counts, checks)
        fit, steps = self._select(cache)
        if not fit.usable:
            reason = {1: "the maximum likelihood estimate does not exist",
                      2: "the model is not identifiable",
                      3: "the MLE does not exist and the model is not identifiable"}[fit.code]
            raise DarkFigureError(
                f"no usable model: even the main-effects model fails the existence check "
                f"({reason}); the lists may not overlap enough; merge small lists")
        n_obs = int(cache.n_obs)
        log_dark, se = _statsmodels_intercept(patterns, counts, fit.pairs)
        estimate = n_obs + math.exp(log_dark)
        notes = _notes(table, fit, lists)
        z = stats.norm.ppf(1 - self.alpha / 2)
        rows = [("model-conditional", n_obs + math.exp(log_dark - z * se),
                 n_obs + math.exp(log_dark + z * se))]
        finite, _, keep = split_empty(patterns, counts, fit.pairs)
        x_fit = design(patterns[keep], finite)
        rows.append(("profile likelihood",
                     *profile_interval(x_fit, counts[keep], n_obs, self.alpha)))
        rng = np.random.default_rng(self.random_state)
        fit_checks = []
        if self.goodness_of_fit:
            from analysis.mse.goodness import deviance_test
            from analysis.mse.model import fit_poisson

            beta, _ = fit_poisson(x_fit, counts[keep])
            dev, p_fit = deviance_test(x_fit, counts[keep], beta, int(self.goodness_of_fit),
                                       np.random.default_rng(self.random_state))
            fit_checks += [("deviance", dev), ("residual degrees of freedom",
                                           float(keep.sum() - x_fit.shape[1])),
                       ("goodness-of-fit p (parametric bootstrap)", p_fit)]
            if p_fit < 0.05:
                notes.append(f"the chosen log-linear model fits poorly (deviance {dev:.1f}, "
                             f"parametric-bootstrap p = {p_fit:.3f})")
        boot = int(self.bootstrap)
        if boot:

            def refit(sample: np.ndarray) -> float:
                if (sample > 0).sum() < 2:
                    return math.nan
                f, _ = self._select(ModelCache(patterns, sample, checks))
                return sample.sum() + f.dark if f.usable else math.nan

            if interval == "parametric":
                lower, upper, reps = parametric_interval(fit.fitted, estimate, refit, boot,
                                                         self.alpha, rng)
                name = f"parametric bootstrap ({len(reps):,} replicates)"
            else:
                lower, upper, reps, _, _ = bca_interval(counts.astype(np.int64), estimate,
                                                        refit, boot, self.alpha, rng)
                name = f"BCa bootstrap ({len(reps):,} replicates)"
            rows.append((name, lower, upper))
            fit_checks += [("Monte Carlo standard error of the lower limit",
                        quantile_mc_error(reps, lower)),
                       ("Monte Carlo standard error of the upper limit",
                        quantile_mc_error(reps, upper))]
            if len(reps) < boot:
                notes.append(f"{boot - len(reps)} bootstrap replicates had no usable model "
                             "and were dropped")
        intervals = pd.DataFrame(rows, columns=["interval_method", "lower", "upper"])
        chosen = {"conditional": 0, "profile": 1}.get(interval, len(rows) - 1)
        name, lower, upper = rows[chosen]
        models = pd.DataFrame(steps)
        models["pairs"] = [tuple(f"{lists[i]}:{lists[j]}" for i, j in p) for p in models["pairs"]]
        models["infinite_pairs"] = [tuple(f"{lists[i]}:{lists[j]}" for i, j in p)
                                    for p in models["infinite_pairs"]]
        method = {"stepwise": f"multiple systems estimation (SparseMSE stepwise, "
                              f"pthresh {self.pthresh:g})",
                  "aic": f"multiple systems estimation (forward selection by AIC, Wald p "
                         f"<= {self.wald_p:g})",
                  "bic": f"multiple systems estimation (forward selection by BIC, Wald p "
                         f"<= {self.wald_p:g})"}[self.criterion]
        self.result_ = MSEResult(
            observed=n_obs, estimate=float(estimate), lower=float(lower), upper=float(upper),
            alpha=self.alpha, terms=tuple((lists[i], lists[j]) for i, j in fit.pairs),
            lists=lists, method=method, interval_method=name, models=models,
            notes=tuple(notes), intervals=intervals, checks=tuple(fit_checks))
        return self.result_


def _statsmodels_intercept(patterns: np.ndarray, counts: np.ndarray,
                           pairs) -> tuple[float, float]:
    """Intercept and its standard error of the chosen model, fitted by statsmodels GLM."""
    import statsmodels.api as sm  # heavy import, needed only here
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    finite, _, keep = split_empty(patterns, counts, pairs)
    with warnings.catch_warnings():
        # a saturated model fits every cell exactly: statsmodels warns of "perfect
        # separation" and divides by zero residual degrees of freedom; both are expected here
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        glm = sm.GLM(counts[keep], design(patterns[keep], finite),
                     family=sm.families.Poisson()).fit()
    return float(glm.params[0]), float(glm.bse[0])


def _notes(table: pd.DataFrame, fit, lists: tuple[str, ...]) -> list[str]:
    notes = []
    unlinked = table.attrs.get("unlinked_records")
    if unlinked:
        notes.append(f"{unlinked:,} records without a person key were left out "
                     "(they cannot be linked across lists)")
    merged = table.attrs.get("merged_lists")
    if merged:
        notes.append("lists merged: " + "; ".join(f"{new} = {' + '.join(old)}"
                                                   for new, old in merged.items()))
    if fit.infinite:
        notes.append("empty overlaps fitted as -inf: " + ", ".join(
            f"{lists[i]}:{lists[j]}" for i, j in fit.infinite))
    return notes
