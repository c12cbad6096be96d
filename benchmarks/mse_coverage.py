"""Simulation study of multiple systems estimation: coverage and bias on synthetic populations.

Populations of known size (2,000; four lists, capture probabilities 0.15-0.25) with capture
heterogeneity and direct list dependence at several strengths (``analysis.mse.simulation``).
Part 1: 200 populations per scenario, stepwise selection, model-conditional and profile-
likelihood intervals. Part 2 (``--bootstrap N``): fewer populations with BCa and parametric
bootstrap intervals, which rerun the selection on each replicate.

Run: ``python benchmarks/mse_coverage.py [--populations 200] [--bootstrap 200]``.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from analysis.mse import MultipleSystemsEstimator
from analysis.mse.simulation import DEFAULT_SCENARIOS, coverage_study

COLUMNS = ["scenario", "interval_method", "coverage", "mean_estimate", "relative_bias",
           "median_relative_width", "failed"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--populations", type=int, default=200)
    parser.add_argument("--bootstrap", type=int, default=0,
                        help="also run BCa and parametric bootstrap with N replicates")
    parser.add_argument("--bootstrap-populations", type=int, default=40)
    args = parser.parse_args()
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
            estimator = MultipleSystemsEstimator(bootstrap=args.bootstrap, interval=interval,
                                                 random_state=1)
            boot = coverage_study(scenarios, n_populations=args.bootstrap_populations,
                                  estimator=estimator)
            boot = boot[boot["interval_method"].str.contains("bootstrap")]
            print(f"\n{interval}: {args.bootstrap_populations} populations per scenario, "
                  f"{args.bootstrap} replicates ({time.perf_counter() - start:.0f} s)")
            print(boot[COLUMNS].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
