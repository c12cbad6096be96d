"""Benchmark: the victim-to-charge funnel (`analysis.justice.justice_funnel`) on schema-valid
synthetic referrals of growing size, with police crime-outcome columns drawn for them.
Prints wall and CPU seconds per size.

Run: ``python benchmarks/justice.py [--rows 10000 100000 1000000]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import statsmodels.api  # noqa: F401  (imported before timing: a one-off ~1 s import)

from analysis.justice import justice_funnel
from analysis.synth import simulate_referrals


def with_outcomes(referrals: pd.DataFrame, seed: int = 16) -> pd.DataFrame:
    """Recorded crimes and outcomes for the police rows (60% recorded, 6% charged, lags)."""
    rng = np.random.default_rng(seed)
    out = referrals.copy()
    police = (out["agency_type"] == "police").to_numpy()
    recorded = police & (rng.random(len(out)) < 0.6)
    lag = pd.to_timedelta(rng.lognormal(np.log(200), 0.9, len(out)).round(), unit="D")
    outcome_date = out["referral_date"] + lag
    closed = recorded & (outcome_date <= pd.Timestamp("2025-12-31")).to_numpy()
    code = np.where(rng.random(len(out)) < 0.06, "1", "15")
    out["crime_recorded"] = pd.array(np.where(police, recorded, None), dtype="boolean")
    out["outcome_code"] = np.where(closed, code, None)
    out["outcome_date"] = outcome_date.where(closed)
    out["nrm_referral_date"] = pd.NaT
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args(argv)
    for n in args.rows:
        referrals = with_outcomes(simulate_referrals(n, seed=1))
        start, cpu = time.perf_counter(), time.process_time()
        result = justice_funnel(referrals)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        detected = result.overall("detected")["count"]
        print(f"{n:>9,} referrals ({detected:,} people): {wall:.2f} s wall, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
