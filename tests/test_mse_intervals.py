"""Profile-likelihood and parametric bootstrap intervals for multiple systems estimation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.mse.intervals import parametric_interval, profile_interval
from analysis.mse.model import ModelCache, all_patterns, design, split_empty
from analysis.mse.tables import read_capture_table

UK = Path(__file__).parent / "data" / "mse" / "uk_2013_5list.csv"
UK_PAIRS = ((0, 1), (0, 2), (1, 3), (1, 4), (2, 4), (3, 4))


@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_profile_limits_have_the_chi_square_likelihood_ratio_in_statsmodels(alpha):
    # at each limit, fixing the intercept by an offset in statsmodels GLM must cost exactly
    # the chi-square(1) quantile of log-likelihood (times two)
    table = read_capture_table(UK)
    patterns, y = all_patterns(5), table["count"].to_numpy(float)
    finite, _, keep = split_empty(patterns, y, UK_PAIRS)
    x, yk = design(patterns[keep], finite), y[keep]
    lower, upper = profile_interval(x, yk, 2744, alpha)
    full = sm.GLM(yk, x, family=sm.families.Poisson()).fit()
    for limit in (lower, upper):
        fixed = sm.GLM(yk, x[:, 1:], family=sm.families.Poisson(),
                       offset=np.full(len(yk), math.log(limit - 2744))).fit()
        assert 2 * (full.llf - fixed.llf) == pytest.approx(stats.chi2.ppf(1 - alpha, 1),
                                                           rel=1e-6)
    assert lower < 2744 + math.exp(full.params[0]) < upper


def test_profile_interval_on_two_lists_is_skewed_right_of_wald():
    x = design(all_patterns(2), [])
    lower, upper = profile_interval(x, np.array([70.0, 30.0, 20.0]), 120)
    # Wald on the log scale: 120 + 105 exp(+-1.96 * 0.3124) = 177.0 to 313.0
    assert lower == pytest.approx(177.2, abs=0.5)
    assert upper == pytest.approx(315.9, abs=0.5)


def test_parametric_draws_come_from_the_fitted_model():
    # with the fit of a known model and a refit that is the identity on the total observed,
    # the replicates are Binomial(N, n/N): their mean is n
    fitted = np.array([70.0, 30.0, 20.0])
    lower, upper, reps = parametric_interval(fitted, 225.0, lambda c: float(c.sum()), 2000,
                                             0.05, np.random.default_rng(2))
    assert reps.mean() == pytest.approx(120, abs=0.5)
    sd = math.sqrt(225 * (120 / 225) * (105 / 225))
    assert upper - lower == pytest.approx(2 * 1.96 * sd, rel=0.15)


def test_parametric_interval_is_reproducible_on_the_uk_model():
    table = read_capture_table(UK)
    cache = ModelCache(all_patterns(5), table["count"].to_numpy(float))
    fit = cache.fit(UK_PAIRS)
    estimate = cache.n_obs + fit.dark

    def refit(c: np.ndarray) -> float:
        f = ModelCache(all_patterns(5), c).fit(UK_PAIRS)
        return c.sum() + f.dark if f.usable else math.nan

    a = parametric_interval(fit.fitted, estimate, refit, 40, 0.05, np.random.default_rng(9))
    b = parametric_interval(fit.fitted, estimate, refit, 40, 0.05, np.random.default_rng(9))
    assert a[:2] == b[:2] and a[0] < estimate < a[1]
