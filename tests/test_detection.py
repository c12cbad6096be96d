"""Detection ratio, gap, distinct-people counts and the detection GLM."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from analysis.detection import (
    detected_counts,
    detection_ratio,
    fit_detection_model,
    garwood_interval,
    trend_verdict,
)
from analysis.errors import DarkFigureError
from analysis.expected import expected_flow
from analysis.results import Estimate

RANGE = "range over durations of 1 to 5 years"
ENVELOPE = Estimate("expected new victims", 100.0, 40.0, 250.0, interval_kind=RANGE)


@pytest.mark.parametrize("k", [0, 1, 2, 5, 10, 37, 250])
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.002])
def test_garwood_matches_chi_square_quantiles(k, alpha):
    lower = 0.0 if k == 0 else chi2.ppf(alpha / 2, 2 * k) / 2
    upper = chi2.ppf(1 - alpha / 2, 2 * (k + 1)) / 2
    assert garwood_interval(k, alpha) == pytest.approx((lower, upper), rel=1e-12)


def test_garwood_textbook_values():
    # Ulm 1990 / standard tables of exact 95% Poisson limits
    assert garwood_interval(0) == pytest.approx((0.0, 3.689), abs=1e-3)
    assert garwood_interval(1) == pytest.approx((0.0253, 5.572), abs=1e-3)
    assert garwood_interval(10) == pytest.approx((4.795, 18.390), abs=1e-3)


@pytest.mark.parametrize("bad", [-1, 2.5, None])
def test_garwood_rejects_non_counts(bad):
    with pytest.raises(DarkFigureError):
        garwood_interval(bad)


def test_ratio_and_gap_against_hand_calculation():
    r = detection_ratio(20, ENVELOPE)
    lo = chi2.ppf(0.025, 40) / 2
    hi = chi2.ppf(0.975, 42) / 2
    assert (r.detected_lower, r.detected_upper) == pytest.approx((lo, hi))
    # the ratio's 95% count interval is at the central assumption only
    assert r.value == pytest.approx(0.2)
    assert (r.lower, r.upper) == pytest.approx((lo / 100, hi / 100))
    assert r.ratio.confidence_level == 0.95
    # its range over assumptions spans only the expected figure's range, with no level
    assert (r.ratio_range.lower, r.ratio_range.upper) == pytest.approx((20 / 250, 20 / 40))
    assert r.ratio_range.confidence_level is None
    assert r.gap.value == pytest.approx(80)
    assert (r.gap.lower, r.gap.upper) == pytest.approx((100 - hi, 100 - lo))
    assert (r.gap_range.lower, r.gap_range.upper) == pytest.approx((40 - 20, 250 - 20))
    assert r.alpha == 0.05
    frame = r.to_frame()
    assert frame["estimate"].tolist() == ["expected new victims", "detected new victims",
                                          "detection ratio", "detection ratio",
                                          "gap (expected - detected)",
                                          "gap (expected - detected)"]
    levels = frame.set_index("interval_kind")["confidence_level"]
    assert levels["confidence"].eq(0.95).all()
    assert levels[RANGE].isna().all()
    assert "Garwood" in r.summary() and "Assumptions" in r.summary()


def test_zero_detected_has_lower_bound_zero():
    r = detection_ratio(0, ENVELOPE)
    assert r.value == 0 and r.lower == 0 and r.detected_lower == 0
    assert r.upper == pytest.approx(chi2.ppf(0.975, 2) / 2 / 100)
    assert r.gap_range.upper == pytest.approx(250)


def test_gap_never_negative_the_contradiction_is_said_instead():
    tiny = Estimate("expected", 0.01, 0.004, 0.02, interval_kind=RANGE)
    r = detection_ratio(3, tiny)
    assert r.value == pytest.approx(300) and math.isfinite(r.upper) and r.lower > 0
    assert math.isnan(r.gap.value)
    assert min(r.gap.lower, r.gap.upper, r.gap_range.lower, r.gap_range.upper) >= 0
    assert any("contradict" in n for n in r.notes)
    # only the low end of the range contradicted: bound at zero, and said
    r = detection_ratio(60, ENVELOPE)
    assert r.gap_range.lower == 0 and r.gap.value == pytest.approx(40)
    assert any("contradict that end" in n for n in r.notes)


def test_works_with_expected_result_as_the_dashboard_calls_it():
    e = expected_flow("E23000021", scenario="gsi_2023")
    r = detection_ratio(100, e)
    assert r.value == pytest.approx(100 / e.value)
    assert r.upper == pytest.approx(garwood_interval(100)[1] / e.value)
    assert r.ratio_range.lower == pytest.approx(100 / e.upper)
    assert r.gap.lower <= r.gap.value <= r.gap.upper
    assert any("Global Slavery Index 2023" in a for a in r.assumptions)


def test_trend_verdicts_in_plain_english():
    assert trend_verdict(Estimate("t", 1.07, 1.02, 1.12)).startswith("detection rising")
    assert trend_verdict(Estimate("t", 0.9, 0.85, 0.95)).startswith("detection falling")
    assert trend_verdict(Estimate("t", 1.0, 0.9, 1.1)).startswith("no clear change")


def test_area_with_no_population_is_a_clear_error():
    with pytest.raises(DarkFigureError, match="no population figure"):
        expected_flow("S92000003")


def test_scenario_with_no_value_is_a_clear_error():
    from analysis.assumptions import Scenario

    with pytest.raises(DarkFigureError, match="has no value"):
        Scenario("blank", central=None)
    nan = Estimate("expected", float("nan"), float("nan"), float("nan"))
    with pytest.raises(DarkFigureError, match="no value"):
        detection_ratio(5, nan)
    with pytest.raises(DarkFigureError, match="positive"):
        detection_ratio(5, Estimate("expected", 0.0, 0.0, 0.0))


def test_detected_counts_people_once_with_zeros():
    r = pd.DataFrame({
        "area_code": ["a", "b", "a", "a", "a"],
        "quarter": ["2023Q2", "2023Q1", "2023Q1", "2023Q1", "2023Q2"],
        "sector": ["care", "care", "care", "car_wash", "care"],
        "person_key": ["p1", "p1", None, None, "p2"],
        "referral_date": pd.to_datetime(["2023-04-02", "2023-01-10", "2023-02-01",
                                         "2023-03-01", "2023-05-01"]),
    })
    out = detected_counts(r, quarters=["2023Q1", "2023Q2", "2023Q3"], area_codes=["a", "b", "c"])
    assert len(out) == 3 * 3 * 2  # complete grid
    assert out["detected"].sum() == 4  # p1 once (first: b 2023Q1), p2, two unlinked records
    cell = out.set_index(["area_code", "quarter", "sector"])["detected"]
    assert cell[("b", "2023Q1", "care")] == 1 and cell[("a", "2023Q2", "care")] == 1
    assert cell[("c", "2023Q3", "care")] == 0
    # p1 was first recorded in b: selecting area a alone must not count p1 as new there
    only_a = detected_counts(r, quarters=["2023Q2"], area_codes=["a"])
    assert only_a["detected"].sum() == 1  # p2 only


def _grid(seed, areas=6, quarters=12, trend=0.9, base=0.3, overdispersion=None):
    rng = np.random.default_rng(seed)
    q = [f"{2020 + i // 4}Q{i % 4 + 1}" for i in range(quarters)]
    cells = pd.MultiIndex.from_product([[f"A{i}" for i in range(areas)], q],
                                       names=["area_code", "quarter"]).to_frame(index=False)
    cells["expected"] = np.repeat(rng.uniform(20, 80, areas), quarters)
    years = np.tile(np.arange(quarters) / 4, areas)
    area_effect = np.repeat(np.exp(rng.normal(0, 0.3, areas)), quarters)
    mu = cells["expected"] * base * area_effect * trend ** years
    if overdispersion:
        mu = mu * rng.gamma(1 / overdispersion, overdispersion, len(mu))
    cells["detected"] = rng.poisson(mu)
    return cells


def test_intercept_only_poisson_equals_closed_form():
    c = _grid(1)[["quarter", "detected", "expected"]].assign(quarter="2023Q1")
    m = fit_detection_model(c, family="poisson")
    assert m.trend is None
    assert m.baseline.value == pytest.approx(c["detected"].sum() / c["expected"].sum(), rel=1e-8)


def test_recovers_known_trend_and_picks_poisson():
    m = fit_detection_model(_grid(2, areas=9, quarters=20, trend=0.85))
    assert m.family == "poisson"
    assert m.trend.lower < 0.85 < m.trend.upper
    table = m.rate_ratios()
    assert set(table["factor"]) == {"const", "area_code", "years"}
    assert table["p_value"].between(0, 1).all()


def test_overdispersed_data_choose_negative_binomial():
    m = fit_detection_model(_grid(3, areas=9, quarters=20, trend=1.1, overdispersion=0.5))
    assert m.dispersion_test.overdispersed and m.family == "negative_binomial"
    assert m.nb_alpha == pytest.approx(0.5, rel=0.5)
    assert m.trend.lower < 1.1 < m.trend.upper
    assert "negative_binomial" in m.summary()


def test_model_input_errors():
    c = _grid(4)
    with pytest.raises(DarkFigureError, match="positive expected"):
        fit_detection_model(c.assign(expected=0.0))
    with pytest.raises(DarkFigureError, match="nothing detected"):
        fit_detection_model(c.assign(detected=0))
    with pytest.raises(DarkFigureError, match="column"):
        fit_detection_model(c.drop(columns="expected"))


@pytest.mark.slow
def test_trend_interval_coverage_poisson():
    truth = 0.9
    covered = [
        (lambda m: m.trend.lower < truth < m.trend.upper)(
            fit_detection_model(_grid(1000 + s, trend=truth), family="poisson"))
        for s in range(300)
    ]
    coverage = float(np.mean(covered))
    print(f"trend 95% interval coverage over 300 data sets: {coverage:.3f}")
    assert 0.93 <= coverage <= 0.97


def test_garwood_coverage_is_at_least_nominal():
    rng = np.random.default_rng(7)
    for mean in (0.5, 3.0, 12.0, 80.0):
        draws = rng.poisson(mean, 1000)
        cover = np.mean([lo <= mean <= hi for lo, hi in map(garwood_interval, draws)])
        assert cover >= 0.95, (mean, cover)
