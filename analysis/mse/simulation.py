"""Simulation study of multiple systems estimation: populations of known size, coverage and bias.

Each person in a population of known size ``N`` is caught by list ``j`` with probability
``logistic(a_j + u_i + dependence * [caught by the previous list, for lists 2, 4, ...])``:

* ``u_i ~ Normal(0, heterogeneity**2)`` is the person's catchability, shared by every list
  (heterogeneity of capture, which induces positive dependence between all lists, the case
  log-linear models handle only approximately: Fienberg, Biometrika 59 (1972) 591-603;
  Chan, Silverman and Vincent 2021, section 5);
* ``dependence`` is a log odds ratio of direct list dependence (a referral from one agency
  makes the next one more likely), which a two-way interaction models exactly.

The people caught by no list are dropped and the rest tabulated by capture pattern, then the
estimator is run and its interval compared with ``N`` (the design of the simulations in
Silverman 2020, JRSS A 183:691-736, section 7, on a smaller scale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import DarkFigureError


@dataclass(frozen=True)
class Scenario:
    """One simulation setting: capture heterogeneity (sd of the logit frailty) and direct
    list dependence (log odds ratio between consecutive pairs of lists)."""

    name: str
    heterogeneity: float = 0.0
    dependence: float = 0.0


DEFAULT_SCENARIOS = (
    Scenario("independent", 0.0, 0.0),
    Scenario("dependence 0.5", 0.0, 0.5),
    Scenario("dependence 1.0", 0.0, 1.0),
    Scenario("heterogeneity 0.25", 0.25, 0.0),
    Scenario("heterogeneity 0.5", 0.5, 0.0),
    Scenario("heterogeneity 0.5 + dependence 1.0", 0.5, 1.0),
    Scenario("heterogeneity 1.0", 1.0, 0.0),
)


def simulate_table(size: int, capture_probs: Sequence[float], *, heterogeneity: float = 0.0,
                   dependence: float = 0.0, rng: np.random.Generator | int | None = None
                   ) -> pd.DataFrame:
    """Capture-pattern table of one synthetic population of known ``size``.

    ``capture_probs`` are each list's capture probability for a typical person (frailty 0,
    not caught by the previous list). Lists are named ``L1``, ``L2``, ...; list ``2m`` depends
    on list ``2m - 1`` with log odds ratio ``dependence``.

    Examples
    --------
    >>> t = simulate_table(1000, [0.3, 0.3, 0.3], rng=1)
    >>> list(t.columns), bool(0 < t["count"].sum() < 1000)
    (['L1', 'L2', 'L3', 'count'], True)
    """
    rng = np.random.default_rng(rng)
    probs = np.asarray(capture_probs, dtype=float)
    logits = np.log(probs / (1 - probs))
    frailty = rng.normal(0.0, heterogeneity, size) if heterogeneity > 0 else np.zeros(size)
    caught = np.zeros((size, len(probs)), dtype=np.int64)
    for j, a in enumerate(logits):
        eta = a + frailty
        if j % 2 == 1:
            eta = eta + dependence * caught[:, j - 1]
        caught[:, j] = rng.random(size) < 1 / (1 + np.exp(-eta))
    caught = caught[caught.any(axis=1)]
    names = [f"L{j + 1}" for j in range(len(probs))]
    return pd.DataFrame(caught, columns=names).value_counts().rename("count").reset_index()


def coverage_study(scenarios: Sequence[Scenario] = DEFAULT_SCENARIOS, *,
                   n_populations: int = 200, size: int = 2000,
                   capture_probs: Sequence[float] = (0.15, 0.2, 0.25, 0.2),
                   estimator=None, seed: int = 20240101) -> pd.DataFrame:
    """Coverage and bias of an estimator's intervals over many synthetic populations.

    ``estimator`` is a :class:`analysis.mse.MultipleSystemsEstimator` (default: stepwise,
    no bootstrap). Returns one row per scenario and interval method (model-conditional and
    profile likelihood always; the bootstrap when the estimator has one): ``coverage`` (share
    of intervals containing ``size``), ``bias`` and ``relative_bias`` of the mean estimate,
    ``median_relative_width`` ((upper - lower) / size) and ``failed`` (populations with no
    usable model, left out of the rest).

    Examples
    --------
    >>> study = coverage_study([Scenario("independent")], n_populations=5, size=500)
    >>> study[["scenario", "interval_method", "populations"]].to_dict("records")[0]
    {'scenario': 'independent', 'interval_method': 'model-conditional', 'populations': 5}
    """
    from analysis.mse import MultipleSystemsEstimator

    estimator = estimator or MultipleSystemsEstimator(goodness_of_fit=0)
    rng = np.random.default_rng(seed)
    rows = []
    for scenario in scenarios:
        fits, failed = [], 0
        for _ in range(n_populations):
            table = simulate_table(size, capture_probs, heterogeneity=scenario.heterogeneity,
                                   dependence=scenario.dependence, rng=rng)
            try:
                r = estimator.fit(table)
            except DarkFigureError:
                failed += 1
                continue
            intervals = r.intervals.assign(
                interval_method=r.intervals["interval_method"].str.split(" (", regex=False).str[0],
                estimate=r.estimate)
            fits.append(intervals)
        if not fits:
            rows.append({"scenario": scenario.name, "populations": n_populations,
                         "failed": failed})
            continue
        frame = pd.concat(fits, ignore_index=True)
        for method, group in frame.groupby("interval_method", sort=False):
            est, lower, upper = (group[c].to_numpy(float) for c in ("estimate", "lower", "upper"))
            rows.append({
                "scenario": scenario.name, "heterogeneity": scenario.heterogeneity,
                "dependence": scenario.dependence, "interval_method": method,
                "populations": n_populations, "size": size,
                "coverage": float(np.mean((lower <= size) & (size <= upper))),
                "mean_estimate": float(est.mean()), "bias": float(est.mean() - size),
                "relative_bias": float(est.mean() / size - 1),
                "median_relative_width": float(np.median((upper - lower) / size)),
                "failed": failed, "confidence_level": 1 - estimator.alpha,
            })
    return pd.DataFrame(rows)


def method_study(estimators: dict, scenarios: Sequence[Scenario] = DEFAULT_SCENARIOS, *,
                 n_populations: int = 50, size: int = 2000,
                 capture_probs: Sequence[float] = (0.15, 0.2, 0.25, 0.2),
                 seed: int = 20240101) -> pd.DataFrame:
    """Coverage and bias of several estimators, each run on the same populations.

    ``estimators`` maps a label to an object with ``fit(table)`` returning a result with
    ``estimate``, ``lower`` and ``upper`` (every estimator of :mod:`analysis.mse`). Returns
    one row per scenario and method: ``coverage`` and its Monte Carlo standard error
    ``coverage_se`` (binomial), ``mean_estimate``, ``relative_bias`` and ``relative_bias_se``
    (standard error of the mean over populations), ``median_relative_width`` and ``failed``
    (populations where the method raised). ``attrs["estimates"]`` holds every fit (scenario,
    population, method, estimate, lower, upper, converged), for paired comparisons between methods.

    Examples
    --------
    >>> from analysis.mse import MultipleSystemsEstimator
    >>> study = method_study({"stepwise": MultipleSystemsEstimator()},
    ...                      [Scenario("independent")], n_populations=4, size=500)
    >>> study[["scenario", "method", "populations"]].to_dict("records")
    [{'scenario': 'independent', 'method': 'stepwise', 'populations': 4}]
    """
    rng = np.random.default_rng(seed)
    rows, fits = [], []
    for scenario in scenarios:
        found: dict[str, list] = {name: [] for name in estimators}
        failed = dict.fromkeys(estimators, 0)
        for population in range(n_populations):
            table = simulate_table(size, capture_probs, heterogeneity=scenario.heterogeneity,
                                   dependence=scenario.dependence, rng=rng)
            for name, estimator in estimators.items():
                try:
                    r = estimator.fit(table)
                except DarkFigureError:
                    failed[name] += 1
                    continue
                found[name].append((r.estimate, r.lower, r.upper))
                fits.append((scenario.name, population, name, r.estimate, r.lower, r.upper,
                             bool(getattr(r, "converged", True))))
        for name, values in found.items():
            row = {"scenario": scenario.name, "method": name, "populations": n_populations,
                   "failed": failed[name]}
            if values:
                est, lower, upper = np.asarray(values, dtype=float).T
                covered = float(np.mean((lower <= size) & (size <= upper)))
                row.update({
                    "coverage": covered,
                    "coverage_se": float(np.sqrt(covered * (1 - covered) / len(est))),
                    "mean_estimate": float(est.mean()),
                    "relative_bias": float(est.mean() / size - 1),
                    "relative_bias_se": float(est.std(ddof=1) / size / np.sqrt(len(est)))
                    if len(est) > 1 else float("nan"),
                    "median_relative_width": float(np.median((upper - lower) / size)),
                })
            rows.append(row)
    study = pd.DataFrame(rows)
    study.attrs["estimates"] = pd.DataFrame(
        fits, columns=["scenario", "population", "method", "estimate", "lower", "upper",
                       "converged"])
    return study
