"""Benchmark: every multiple systems estimator on the UK 2013 tables (targets from issue 12).

* stepwise selection + 1,000 BCa replicates (with the jackknife) on the six-list table:
  <= 5 CPU-seconds on the 2-core machine (SparseMSE gives 11,418); the five-list table too;
* BIC over all hierarchical models (order 3) + 1,000 BCa replicates on five lists
  (Silverman, Chan and Vincent 2024: 25,311, 95% 11,168 to 56,052);
* model averaging over decomposable graphs on five lists: <= 5 s;
* the latent-class model, four chains of the default length (each with three tempered
  companions), on five lists: <= 30 s (converged: R-hat <= 1.05 and an effective sample
  size of N >= 400). ``--seeds 1,2,3`` repeats it per seed and prints R-hat and ESS.

Prints wall and CPU seconds (CPU is the figure to compare when other jobs share the machine)
and each result. Run: ``python benchmarks/mse.py [--seeds 1,2,3]``.
"""

from __future__ import annotations

import argparse
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


def latent_class_seeds(seeds: list[int]) -> None:
    """The latent-class run on the five-list table once per seed: R-hat, ESS and CPU."""
    five = read_capture_table(DATA / "uk_2013_5list.csv")
    for seed in seeds:
        cpu = time.process_time()
        r = LatentClassEstimator(random_state=seed).fit(five)
        print(f"seed {seed}: {r.estimate:,.0f} ({r.lower:,.0f} to {r.upper:,.0f}); R-hat "
              f"{r.rhat:.3f}, ESS {r.ess:,.0f}, converged {r.converged}; swaps accepted "
              f"{', '.join(f'{s:.2f}' for s in r.swap_rates)}; "
              f"{time.process_time() - cpu:.1f} s CPU", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", help="only the latent-class run, once per seed (1,2,3)")
    args = parser.parse_args()
    if args.seeds:
        latent_class_seeds([int(s) for s in args.seeds.split(",")])
        return
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
    timed("UK five lists, latent classes, 4 chains x (3,000 + 10,000) iterations, tempered",
          "<= 30 s", lambda: LatentClassEstimator(random_state=1234).fit(five))
    timed("UK six lists, BIC over all 32,768 pairwise models (no bootstrap)", "none",
          lambda: BICEstimator(bootstrap=0).fit(six))


if __name__ == "__main__":
    main()
