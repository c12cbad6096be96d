"""Quarterly series, forecast intervals and the interrupted time series on simulated data."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.errors import DarkFigureError
from analysis.trends import forecast_counts, interrupted_time_series, quarterly_series

QUARTERS = [str(p) for p in pd.period_range("2018Q1", periods=28, freq="Q")]


def test_series_sums_areas_and_fills_missing_quarters_with_zero():
    df = pd.DataFrame({"area_code": ["a", "b", "a", "a"], "sector": ["x", "x", "y", "x"],
                       "quarter": ["2023Q1", "2023Q1", "2023Q1", "2023Q4"],
                       "detected": [2, 7, 1, 4], "expected": [1.0, 2.0, 1.0, 1.5]})
    s = quarterly_series(df, area="a")
    assert s["quarter"].tolist() == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    assert s["detected"].tolist() == [3, 0, 0, 4]
    # A quarter without rows has no known exposure: an error, not a silent 0.
    with pytest.raises(DarkFigureError, match="exposure missing"):
        quarterly_series(df, area="a", exposure="expected")
    one = quarterly_series(df, area="a", exposure="expected", end="2023Q1")
    assert one["expected"].tolist() == [2.0]
    both = quarterly_series(df, start="2022Q4")
    assert both["detected"].tolist() == [0, 10, 0, 0, 4]


def test_series_errors_are_clear():
    df = pd.DataFrame({"area_code": ["a"], "quarter": ["2023Q1"], "detected": [1]})
    with pytest.raises(DarkFigureError, match="no rows"):
        quarterly_series(df, area="zzz")
    with pytest.raises(DarkFigureError, match="not a quarter"):
        quarterly_series(df, start="2023-13")


def test_forecast_covers_the_next_four_quarters_with_back_transformed_bounds():
    rng = np.random.default_rng(1)
    y = pd.Series(rng.poisson(25, 20), index=QUARTERS[:20])
    res = forecast_counts(y)
    f = res.forecast
    assert f["quarter"].tolist() == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    assert (f["lower"] >= 0).all() and (f["lower"] < f["value"]).all()
    assert (f["value"] < f["upper"]).all()
    assert 15 < f["value"].iloc[0] < 35
    frame = res.to_frame()
    assert set(frame["kind"]) == {"observed", "forecast"}
    assert "back-transformed" in frame["method"].iloc[0]
    assert "95% prediction intervals" in res.summary()


@pytest.mark.parametrize("model,transform", [("sarimax", "sqrt"), ("ets", "log")])
def test_other_models_and_transforms_run(model, transform):
    y = pd.Series(np.arange(12) + 10, index=QUARTERS[:12])
    res = forecast_counts(y, model=model, transform=transform)
    assert len(res.forecast) == 4 and (res.upper > res.lower).all()


def test_forecast_needs_eight_quarters_and_a_complete_series():
    with pytest.raises(DarkFigureError, match="at least 8"):
        forecast_counts(pd.Series([1, 2, 3], index=QUARTERS[:3]))
    gappy = pd.Series(range(10), index=QUARTERS[:5] + QUARTERS[6:11])
    with pytest.raises(DarkFigureError, match="missing quarters"):
        forecast_counts(gappy)


@pytest.mark.slow
def test_forecast_intervals_contain_about_95_percent_of_future_values():
    rng = np.random.default_rng(2024)
    hits = total = 0
    for _ in range(100):
        y = rng.poisson(30, 28)
        res = forecast_counts(pd.Series(y[:24], index=QUARTERS[:24]))
        future = y[24:]
        hits += int(((res.lower.to_numpy() <= future) & (future <= res.upper.to_numpy())).sum())
        total += 4
    # Measured 0.92-0.93 over 3 x 300 series: parameters are treated as known (documented).
    assert 0.89 <= hits / total <= 0.98


def _step_series(rng, ratio=1.3, n=24, first_post=12, base=40.0) -> pd.Series:
    mu = base * np.where(np.arange(n) >= first_post, ratio, 1.0)
    return pd.Series(rng.poisson(mu), index=QUARTERS[:n])


def test_its_matches_a_direct_poisson_glm_and_recovers_a_step():
    rng = np.random.default_rng(3)
    y = _step_series(rng)
    res = interrupted_time_series(y, "2021Q1", family="poisson")
    t = np.arange(24.0)
    post = (t >= 12).astype(float)
    X = np.column_stack([np.ones(24), t, post, (t - 12) * post])
    glm = sm.GLM(y.to_numpy(), X, family=sm.families.Poisson()).fit()
    assert res.level_change.value == pytest.approx(np.exp(glm.params[2]), rel=1e-6)
    assert res.slope_change.value == pytest.approx(np.exp(4 * glm.params[3]), rel=1e-6)
    assert res.lower < 1.3 < res.upper
    assert res.first_post_quarter == "2021Q1"
    frame = res.to_frame()
    assert len(frame) == 3 and set(frame["confidence_level"]) == {0.95}
    assert "Poisson segmented regression" in res.summary()


def test_event_date_inside_a_quarter_starts_the_next_quarter():
    y = _step_series(np.random.default_rng(4))
    assert interrupted_time_series(y, "2020-11-15").first_post_quarter == "2021Q1"
    assert interrupted_time_series(y, "2021-01-01").first_post_quarter == "2021Q1"


def test_exposure_offset_turns_effects_into_rate_ratios():
    rng = np.random.default_rng(5)
    exposure = np.linspace(10, 20, 24)  # growing population: counts rise, rates do not
    y = rng.poisson(3.0 * exposure)
    df = pd.DataFrame({"quarter": QUARTERS[:24], "detected": y, "expected": exposure})
    with_offset = interrupted_time_series(df, "2021Q1", exposure="expected", family="poisson")
    assert with_offset.pre_trend.lower < 1 < with_offset.pre_trend.upper
    without = interrupted_time_series(df, "2021Q1", family="poisson")
    assert without.pre_trend.lower > 1


def test_auto_family_switches_to_negative_binomial_for_overdispersed_counts():
    rng = np.random.default_rng(6)
    y = pd.Series(rng.negative_binomial(3, 3 / (3 + 40.0), 24), index=QUARTERS[:24])
    res = interrupted_time_series(y, "2021Q1")
    assert res.family == "negative binomial" and res.dispersion > 2
    poisson = interrupted_time_series(y, "2021Q1", family="poisson")
    assert (res.upper - res.lower) > (poisson.upper - poisson.lower)


def test_its_needs_three_quarters_each_side():
    y = _step_series(np.random.default_rng(7))
    with pytest.raises(DarkFigureError, match="at least 3 quarters"):
        interrupted_time_series(y, "2023Q3")
    with pytest.raises(DarkFigureError, match="neither a quarter nor a date"):
        interrupted_time_series(y, "next spring")


@pytest.mark.slow
def test_its_level_change_interval_covers_the_truth_in_93_to_97_percent():
    rng = np.random.default_rng(2024)
    covered = 0
    for _ in range(200):
        res = interrupted_time_series(_step_series(rng), "2021Q1", family="poisson")
        covered += res.lower <= 1.3 <= res.upper
    # Measured 0.950 (Poisson) and 0.955 (auto family) with this seed.
    assert 0.93 <= covered / 200 <= 0.97


def test_its_on_a_segment_with_no_detections_is_a_clear_error_not_a_runtime_warning():
    import warnings

    from analysis.errors import DarkFigureError
    from analysis.trends import interrupted_time_series

    q = [str(p) for p in pd.period_range("2020Q1", periods=12, freq="Q")]
    y = pd.Series([0, 0, 0, 0, 0, 0, 1, 0, 2, 1, 0, 1], index=q)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DarkFigureError, match="no detections before"):
            interrupted_time_series(y, "2021Q3")
