"""Benchmark: SparseMSE stepwise selection plus 1,000 BCa bootstrap replicates on the UK 2013
five-list table (target <= 5 s on the 2-core machine). Prints wall and CPU seconds (the CPU
figure is the one to compare when other jobs share the machine) and the result.

Run: ``python benchmarks/mse.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import statsmodels.api  # noqa: F401  (imported before timing: a one-off ~1 s import)

from analysis.mse import MultipleSystemsEstimator, read_capture_table

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "mse" / "uk_2013_5list.csv"


def main() -> None:
    table = read_capture_table(DATA)
    start, cpu = time.perf_counter(), time.process_time()
    point = MultipleSystemsEstimator().fit(table)
    print(f"stepwise selection: {time.perf_counter() - start:.3f} s; model {point.model}; "
          f"estimate {point.estimate:,.0f}")
    print(point.intervals.round(0).to_string(index=False))
    start, cpu = time.perf_counter(), time.process_time()
    result = MultipleSystemsEstimator(bootstrap=1000, random_state=1234).fit(table)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"stepwise + 1,000 BCa bootstrap replicates (incl. jackknife): {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU (target <= 5 s); interval {result.lower:,.0f} to "
          f"{result.upper:,.0f} (published range 10,000 to 13,000)")


if __name__ == "__main__":
    main()
