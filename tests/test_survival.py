"""Wilson intervals and Kaplan-Meier quantiles against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.survival import kaplan_meier, km_quantiles, wilson_interval

Z = 1.959963984540054  # standard normal 97.5% point


def _wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize(("k", "n"), [(3, 10), (12, 220), (231, 365), (1, 4)])
def test_wilson_matches_the_formula_worked_by_hand(k, n):
    lower, upper = wilson_interval(k, n)
    assert (float(lower), float(upper)) == pytest.approx(_wilson_by_hand(k, n), abs=1e-12)


def test_wilson_for_none_of_twenty_is_zero_to_z2_over_n_plus_z2():
    lower, upper = wilson_interval(0, 20)
    assert float(lower) == 0
    assert float(upper) == pytest.approx(Z * Z / (20 + Z * Z), abs=1e-12)   # 0.1611


def test_wilson_agrees_with_statsmodels_and_is_missing_without_trials():
    from statsmodels.stats.proportion import proportion_confint

    lower, upper = wilson_interval(np.array([3, 0]), np.array([10, 0]))
    assert (lower[0], upper[0]) == pytest.approx(proportion_confint(3, 10, method="wilson"))
    assert np.isnan(lower[1]) and np.isnan(upper[1])


def test_kaplan_meier_with_censoring_worked_by_hand():
    # times 2 3 3+ 5 7+ 8 10+ (+ censored). At 2: 6/7; at 3 (6 at risk, the censored 3
    # still at risk): x 5/6; at 5 (4 at risk): x 3/4; at 8 (2 at risk): x 1/2.
    durations = [2, 3, 3, 5, 7, 8, 10]
    events = [True, True, False, True, False, True, False]
    curve = kaplan_meier(durations, events)
    s2 = 6 / 7
    s3 = s2 * 5 / 6
    s5 = s3 * 3 / 4
    s8 = s5 * 1 / 2
    assert curve["time"].tolist() == [2, 3, 5, 8]
    assert curve["at_risk"].tolist() == [7, 6, 4, 2]
    assert curve["survival"].tolist() == pytest.approx([s2, s3, s5, s8])
    q = km_quantiles(durations, events)
    assert q[0.25] == 3          # S(3) = 0.714 is the first value <= 0.75
    assert q[0.5] == 8           # S(5) = 0.536 > 0.5; S(8) = 0.268
    assert math.isnan(q[0.75])   # S never falls to 0.25: not reached


def test_median_without_censoring_is_the_ordinary_median_of_an_odd_sample():
    assert km_quantiles([9, 1, 5, 3, 7], [True] * 5)[0.5] == 5


def test_censoring_moves_the_median_later_than_dropping_the_censored_cases():
    durations = [1, 2, 3, 4, 10, 10, 10]
    events = [True, True, True, True, False, False, False]
    assert km_quantiles(durations, events)[0.5] == 4                       # S(4) = 3/7
    assert km_quantiles(durations[:4], events[:4])[0.5] == 2               # biased short


def test_kaplan_meier_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [True])
