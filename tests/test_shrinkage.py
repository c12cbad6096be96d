"""Poisson-gamma empirical-Bayes shrinkage against closed forms and statsmodels' NB2 fit."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.errors import DarkFigureError
from analysis.shrinkage import GammaPrior, fit_gamma_prior, shrink_ratios


def _frame(y, e) -> pd.DataFrame:
    return pd.DataFrame({"area_code": [f"A{i:03d}" for i in range(len(y))], "detected": y,
                         "expected": e})


def test_with_a_known_prior_the_posterior_is_the_closed_form_gamma():
    y = np.array([0, 3, 12, 40])
    e = np.array([1.5, 4.0, 10.0, 50.0])
    a, b = 3.0, 2.5
    t = shrink_ratios(_frame(y, e), prior=(a, b)).table
    np.testing.assert_allclose(t["posterior_mean"], (y + a) / (e + b), rtol=1e-12)
    # Gamma(k, rate r) quantile = chi2 quantile on 2k df / (2r): independent of scipy.gamma.
    np.testing.assert_allclose(t["lower"], stats.chi2.ppf(0.025, 2 * (y + a)) / (2 * (e + b)))
    np.testing.assert_allclose(t["upper"], stats.chi2.ppf(0.975, 2 * (y + a)) / (2 * (e + b)))
    np.testing.assert_allclose(t["prior_weight"], b / (b + e))


def test_small_areas_are_pulled_further_towards_the_prior_mean():
    # Same raw ratio 2, prior mean 1: the small area moves much more.
    t = shrink_ratios(_frame([4, 400], [2.0, 200.0]), prior=GammaPrior(5.0, 5.0)).table
    pull = (t["raw_ratio"] - t["posterior_mean"]) / (t["raw_ratio"] - 1.0)
    assert pull.iloc[0] > 0.5 > 0.05 > pull.iloc[1]
    assert (t["upper"] - t["lower"]).iloc[0] > (t["upper"] - t["lower"]).iloc[1]


def test_ml_prior_equals_statsmodels_negative_binomial_with_exposure():
    rng = np.random.default_rng(3)
    e = rng.uniform(2, 80, 300)
    theta = rng.gamma(4.0, 1 / 5.0, e.size)  # shape 4, rate 5: mean 0.8
    y = rng.poisson(e * theta)
    prior = fit_gamma_prior(y, e, "ml")
    # NB2: mean E exp(b0), var mu + alpha mu^2 <=> gamma prior shape 1/alpha, mean exp(b0).
    nb = sm.NegativeBinomial(y, np.ones((e.size, 1)), exposure=e).fit(disp=0)
    shape = 1 / nb.params[-1]
    assert prior.shape == pytest.approx(shape, rel=2e-3)
    assert prior.mean == pytest.approx(np.exp(nb.params[0]), rel=1e-3)
    assert 2.5 < prior.shape < 7 and 0.7 < prior.mean < 0.9  # near the truth (4, 0.8)


def test_moment_prior_follows_clayton_and_kaldor():
    y = np.array([2, 10, 30, 5, 60, 12])
    e = np.array([4.0, 12, 20, 9, 50, 15])
    m = y.sum() / e.sum()
    s2 = np.sum(e * (y / e - m) ** 2) / e.sum()
    v = s2 - m / e.mean()
    prior = fit_gamma_prior(y, e, "moments")
    assert prior.mean == pytest.approx(m)
    assert prior.variance == pytest.approx(v)


def test_areas_no_more_different_than_chance_are_pooled_completely():
    e = np.array([10.0, 20, 30, 40])
    prior = fit_gamma_prior(e, e, "moments")  # every ratio exactly 1: no spread at all
    assert prior.pooled and fit_gamma_prior(e, e, "ml").pooled
    res = shrink_ratios(_frame(e, e), method="moments")
    np.testing.assert_allclose(res.table["posterior_mean"], 1.0, rtol=1e-5)
    assert "pulled to the common ratio" in res.summary()


def test_eb_estimates_have_smaller_mean_squared_error_than_raw_ratios():
    rng = np.random.default_rng(11)
    gains = []
    for _ in range(20):
        e = rng.uniform(1, 40, 60)
        theta = rng.gamma(6.0, 1 / 6.0, e.size)
        y = rng.poisson(e * theta)
        t = shrink_ratios(_frame(y, e)).table
        mse_raw = np.mean((t["raw_ratio"] - theta) ** 2)
        mse_eb = np.mean((t["posterior_mean"] - theta) ** 2)
        gains.append(mse_eb / mse_raw)
    assert np.mean(gains) < 0.75 and np.max(gains) < 1.0  # measured: mean 0.62


def test_posterior_intervals_cover_about_95_percent_of_true_ratios():
    rng = np.random.default_rng(5)
    e = rng.uniform(2, 60, 4000)
    theta = rng.gamma(5.0, 1 / 4.0, e.size)
    y = rng.poisson(e * theta)
    t = shrink_ratios(_frame(y, e)).table
    covered = ((t["lower"] <= theta) & (theta <= t["upper"])).mean()
    assert 0.93 <= covered <= 0.97


def test_zero_detected_shrinks_to_a_positive_ratio():
    t = shrink_ratios(_frame([0, 20, 35], [5.0, 20.0, 30.0]), prior=(10.0, 10.0)).table
    assert t["posterior_mean"].iloc[0] == pytest.approx(10 / 15)
    assert t["lower"].iloc[0] > 0


def test_bad_inputs_are_clear_errors():
    with pytest.raises(DarkFigureError, match="positive"):
        shrink_ratios(_frame([1, 2], [0.0, 3.0]))
    with pytest.raises(DarkFigureError, match="no observed counts"):
        shrink_ratios(_frame([0, 0], [1.0, 3.0]))
    with pytest.raises(DarkFigureError, match="column"):
        shrink_ratios(_frame([1, 2], [1.0, 3.0]).drop(columns="detected"))


def test_to_frame_is_tidy_with_method_level_and_interval_kind():
    res = shrink_ratios(_frame([2, 10, 30], [4.0, 12.0, 20.0]), alpha=0.1)
    f = res.to_frame()
    assert len(f) == 3 and set(f["confidence_level"]) == {0.9}
    assert (f["lower"] <= f["value"]).all() and (f["value"] <= f["upper"]).all()
    assert f["method"].iloc[0].startswith("empirical Bayes")
    assert "90% equal-tailed posterior" in res.summary()
