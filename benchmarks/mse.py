"""Benchmark: every multiple systems estimator on the UK 2013 tables (targets from issue 12).

* stepwise selection + 1,000 BCa replicates (with the jackknife) on the six-list table:
  <= 5 CPU-seconds on the 2-core machine (SparseMSE gives 11,418); the five-list table too;
* BIC over all hierarchical models (order 3) + 1,000 BCa replicates on five lists
  (Silverman, Chan and Vincent 2024: 25,311, 95% 11,168 to 56,052);
* model averaging over decomposable graphs on five lists: <= 5 s;
* the latent-class model, four chains of the default length, on five lists: <= 30 s
  (converged: R-hat <= 1.05 and an effective sample size of N >= 400).

Prints wall and CPU seconds (CPU is the figure to compare when other jobs share the machine)
and each result. Run: ``python benchmarks/mse.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import statsmodels.api  # noqa: F401  (imported before timing: a one-off ~1 s import)

from analysis.mse import (
    BICEstimator,
    LatentClassEstimator,
    ModelAveragingEstimator,
    MultipleSystemsEstimator,
    read_capture_table,
)

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "mse"


def timed(label: str, target: str, run):
    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU (target {target})")
    print(f"  estimate {result.estimate:,.0f}, 95% {result.lower:,.0f} to {result.upper:,.0f} "
          f"({result.interval_method}); model {result.model}")
    for name, value in getattr(result, "checks", ()):
        print(f"  {name}: {value:.4g}")
    return result


def main() -> None:
    five = read_capture_table(DATA / "uk_2013_5list.csv")
    six = read_capture_table(DATA / "uk_2013_6list.csv")
    timed("UK six lists, stepwise + 1,000 BCa replicates", "<= 5 s CPU; SparseMSE 11,418",
          lambda: MultipleSystemsEstimator(bootstrap=1000, random_state=1234).fit(six))
    timed("UK five lists, stepwise + 1,000 BCa replicates", "SparseMSE 11,313",
          lambda: MultipleSystemsEstimator(bootstrap=1000, random_state=1234).fit(five))
    timed("UK five lists, BIC over all hierarchical models (order 3) + 1,000 BCa replicates",
          "published 25,311, 11,168 to 56,052",
          lambda: BICEstimator(bootstrap=1000, random_state=1234).fit(five))
    timed("UK five lists, model averaging over 822 decomposable graphs", "<= 5 s",
          lambda: ModelAveragingEstimator(random_state=1234).fit(five))
    timed("UK five lists, latent classes, 4 chains x (4,000 + 12,000) iterations", "<= 30 s",
          lambda: LatentClassEstimator(random_state=1234).fit(five))
    timed("UK six lists, BIC over all 32,768 pairwise models (no bootstrap)", "none",
          lambda: BICEstimator(bootstrap=0).fit(six))


if __name__ == "__main__":
    main()
