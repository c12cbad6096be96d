"""Benchmark: SparseMSE stepwise selection plus 1,000 BCa bootstrap replicates on the UK 2013
five-list table (target <= 5 s on the 2-core machine). Prints the seconds and the result.

Run: ``python benchmarks/mse.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

from analysis.mse import MultipleSystemsEstimator, read_capture_table

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "mse" / "uk_2013_5list.csv"


def main() -> None:
    table = read_capture_table(DATA)
    start = time.perf_counter()
    point = MultipleSystemsEstimator().fit(table)
    selection = time.perf_counter() - start
    start = time.perf_counter()
    result = MultipleSystemsEstimator(bootstrap=1000, random_state=1234).fit(table)
    seconds = time.perf_counter() - start
    print(f"stepwise selection: {selection:.3f} s; model {point.model}; estimate "
          f"{point.estimate:,.0f} (model-conditional {point.lower:,.0f} to {point.upper:,.0f})")
    print(f"stepwise + 1,000 BCa bootstrap replicates (incl. jackknife): {seconds:.2f} s "
          f"(target <= 5 s); interval {result.lower:,.0f} to {result.upper:,.0f}")


if __name__ == "__main__":
    main()
