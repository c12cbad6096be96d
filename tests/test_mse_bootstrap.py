"""BCa bootstrap for multiple systems estimation: the acceleration, bias correction and type-8
quantiles against their textbook definitions (Efron 1987; Hyndman and Fan 1996)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.mse.bootstrap import bca_interval


def petersen_total(counts: np.ndarray) -> float:
    return counts.sum() + counts[0] * counts[1] / max(counts[2], 1)


def test_weighted_pattern_jackknife_equals_leave_one_case_out():
    counts = np.array([30, 20, 10])
    _, _, _, _, accel = bca_interval(counts, petersen_total(counts), petersen_total, 50, 0.05,
                                     np.random.default_rng(0))
    # plain jackknife over the 60 cases, each left out once
    cases = np.repeat(np.arange(3), counts)
    values = []
    for i in range(len(cases)):
        left = np.bincount(np.delete(cases, i), minlength=3)
        values.append(petersen_total(left))
    d = np.mean(values) - np.array(values)
    expected = np.sum(d**3) / (6 * np.sum(d**2) ** 1.5)
    assert accel == pytest.approx(expected, rel=1e-12)


def test_limits_are_type8_quantiles_at_the_bca_levels():
    counts = np.array([70, 30, 20])
    estimate = petersen_total(counts)
    lower, upper, reps, z0, accel = bca_interval(counts, estimate, petersen_total, 400, 0.1,
                                                 np.random.default_rng(4))
    assert z0 == pytest.approx(stats.norm.ppf(np.mean(reps < estimate)))
    for limit, level in ((lower, 0.05), (upper, 0.95)):
        z = stats.norm.ppf(level)
        adjusted = stats.norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))
        # Hyndman-Fan type 8: position m = p (n + 1/3) + 1/3 in the sorted sample
        ordered, n = np.sort(reps), len(reps)
        m = adjusted * (n + 1 / 3) + 1 / 3
        j = int(np.floor(m))
        expected = ordered[j - 1] + (m - j) * (ordered[j] - ordered[j - 1])
        assert limit == pytest.approx(expected, rel=1e-12)


def test_replicates_without_a_model_are_dropped():
    counts = np.array([30, 20, 10])
    calls = iter(range(10**6))

    def sometimes(c: np.ndarray) -> float:
        return np.nan if next(calls) % 5 == 0 else petersen_total(c)

    lower, upper, reps, _, _ = bca_interval(counts, 120.0, sometimes, 100, 0.05,
                                            np.random.default_rng(1))
    assert len(reps) == 80 and np.isfinite([lower, upper]).all()
