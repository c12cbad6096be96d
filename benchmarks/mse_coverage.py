"""Simulation study of multiple systems estimation: coverage and bias on synthetic populations.

Populations of known size (2,000; four lists, capture probabilities 0.15-0.25) with capture
heterogeneity and direct list dependence at several strengths (``analysis.mse.simulation``).
Part 1: 200 populations per scenario, stepwise selection, model-conditional and profile-
likelihood intervals. Part 2 (``--bootstrap N``): fewer populations with BCa and parametric
bootstrap intervals, which rerun the selection on each replicate.

Part 3 (``--methods N``): every estimator (stepwise with BCa, BIC over hierarchical models
with BCa reselection, model averaging over decomposable graphs, latent classes) on the same
N populations per scenario of five lists (capture probabilities 0.15-0.25), the figures in
docs/methods/multiple_systems_estimation.md.

Run: ``python benchmarks/mse_coverage.py [--populations 200] [--bootstrap 200] [--methods 20]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from analysis.mse import (
    BICEstimator,
    LatentClassEstimator,
    ModelAveragingEstimator,
    MultipleSystemsEstimator,
)
from analysis.mse.simulation import DEFAULT_SCENARIOS, Scenario, coverage_study, method_study

COLUMNS = ["scenario", "interval_method", "coverage", "mean_estimate", "relative_bias",
           "median_relative_width", "failed"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--populations", type=int, default=200)
    parser.add_argument("--bootstrap", type=int, default=0,
                        help="also run BCa and parametric bootstrap with N replicates")
    parser.add_argument("--bootstrap-populations", type=int, default=40)
    parser.add_argument("--methods", type=int, default=0, metavar="N",
                        help="also compare every method on N populations per scenario")
    parser.add_argument("--priors", type=int, default=0, metavar="N",
                        help="model averaging under each prior choice on N populations per "
                             "heterogeneity scenario")
    parser.add_argument("--heterogeneity-only", action="store_true",
                        help="--methods on the heterogeneity scenarios only")
    parser.add_argument("--skip-stepwise", action="store_true",
                        help="skip parts 1 and 2 (the stepwise-only studies)")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    if args.methods:
        scenarios = [s for s in METHOD_SCENARIOS if s.heterogeneity > 0 or
                     not args.heterogeneity_only]
        compare_every_method(args.methods, scenarios=scenarios)
    if args.priors:
        compare_priors(args.priors)
    if args.skip_stepwise:
        return
    pd.set_option("display.width", 200)
    start = time.perf_counter()
    study = coverage_study(n_populations=args.populations)
    print(f"{args.populations} populations per scenario, size 2,000, 95% intervals "
          f"({time.perf_counter() - start:.0f} s)")
    print(study[COLUMNS].round(3).to_string(index=False))
    if args.bootstrap:
        scenarios = DEFAULT_SCENARIOS[:4]
        for interval in ("bca", "parametric"):
            start = time.perf_counter()
            estimator = MultipleSystemsEstimator(bootstrap=args.bootstrap, interval=interval, goodness_of_fit=0,
                                                 random_state=1)
            boot = coverage_study(scenarios, n_populations=args.bootstrap_populations,
                                  estimator=estimator)
            boot = boot[boot["interval_method"].str.contains("bootstrap")]
            print(f"\n{interval}: {args.bootstrap_populations} populations per scenario, "
                  f"{args.bootstrap} replicates ({time.perf_counter() - start:.0f} s)")
            print(boot[COLUMNS].round(3).to_string(index=False))


METHOD_SCENARIOS = (
    Scenario("independent", 0.0, 0.0),
    Scenario("dependence 1.0", 0.0, 1.0),
    Scenario("heterogeneity 0.5", 0.5, 0.0),
    Scenario("heterogeneity 1.0", 1.0, 0.0),
    Scenario("heterogeneity 0.5 + dependence 1.0", 0.5, 1.0),
)


def compare_every_method(n: int, replicates: int = 200, scenarios=METHOD_SCENARIOS,
                         seed: int = 20240101) -> pd.DataFrame:
    """Every estimator on the same ``n`` five-list populations per scenario, with Monte
    Carlo standard errors and each method's bias paired against stepwise's on the same
    populations (the paired difference has a much smaller error than either bias)."""
    estimators = {
        "stepwise (BCa)": MultipleSystemsEstimator(bootstrap=replicates, random_state=1,
                                                   goodness_of_fit=0),
        "BIC, hierarchical (BCa)": BICEstimator(bootstrap=replicates, random_state=1),
        "model averaging": ModelAveragingEstimator(random_state=1),
        # the Hidden page's chain length
        "latent classes": LatentClassEstimator(burn_in=2000, draws=6000, random_state=1),
    }
    start = time.perf_counter()
    study = method_study(estimators, scenarios, n_populations=n,
                         capture_probs=(0.15, 0.2, 0.25, 0.2, 0.15), seed=seed)
    print(f"every method: {n} populations per scenario, size 2,000, five lists, 95% intervals "
          f"({replicates} bootstrap replicates; {time.perf_counter() - start:.0f} s)")
    print(study.round(3).to_string(index=False))
    fits = study.attrs["estimates"]
    wide = fits.pivot_table(index=["scenario", "population"], columns="method",
                            values="estimate")
    print("\nrelative bias minus stepwise's on the same populations (mean, Monte Carlo s.e.):")
    for scenario, group in wide.groupby(level="scenario", sort=False):
        diffs = (group.drop(columns="stepwise (BCa)").sub(group["stepwise (BCa)"], axis=0)
                 / 2000).dropna(how="all")
        cells = [f"{m} {d.mean():+.1%} ({d.std(ddof=1) / np.sqrt(d.count()):.1%})"
                 for m, d in diffs.items()]
        print(f"  {scenario}: " + "; ".join(cells))
    latent = fits[fits["method"] == "latent classes"]
    print("latent-class fits converged: "
          + ", ".join(f"{s} {g['converged'].mean():.0%}"
                      for s, g in latent.groupby("scenario", sort=False)))
    return study


def compare_priors(n: int) -> pd.DataFrame:
    """Model averaging under the prior choices of Madigan and York (1997) and R dga, on the
    same five-list populations: does the hyper-Dirichlet ``delta`` or the prior for N change
    how it copes with heterogeneity? (No choice is tuned to the truth: these are the
    published defaults.)"""
    flat = lambda n: np.zeros(np.shape(n))  # noqa: E731
    flat.description = "flat"
    estimators = {
        "delta 2^-5, p(N) ~ 1/N (dga default)": ModelAveragingEstimator(random_state=1),
        "delta 0.5, p(N) ~ 1/N (M&Y five-list)": ModelAveragingEstimator(delta=0.5,
                                                                         random_state=1),
        "delta 1, p(N) ~ 1/N (M&Y three-list)": ModelAveragingEstimator(delta=1.0,
                                                                        random_state=1),
        "delta 2^-5, p(N) flat": ModelAveragingEstimator(prior_n=flat, random_state=1),
    }
    scenarios = [s for s in METHOD_SCENARIOS if s.heterogeneity > 0] + [METHOD_SCENARIOS[0]]
    start = time.perf_counter()
    study = method_study(estimators, scenarios, n_populations=n,
                         capture_probs=(0.15, 0.2, 0.25, 0.2, 0.15))
    print(f"model averaging by prior: {n} populations per scenario, size 2,000, five lists "
          f"({time.perf_counter() - start:.0f} s)")
    print(study.round(3).to_string(index=False))
    return study


if __name__ == "__main__":
    main()
