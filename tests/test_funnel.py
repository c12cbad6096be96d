"""Funnel limits against the published formula (Spiegelhalter 2005), over-dispersion, classes."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats import mstats

from analysis.errors import DarkFigureError
from analysis.funnel import estimate_dispersion, funnel, national_funnel, poisson_limits


def _poisson_cdf(k: int, mu: float) -> float:
    # P(Y <= k) = P(chi2 with 2(k+1) df > 2 mu): the Poisson-gamma identity, so this test does
    # not share scipy.stats.poisson with the code under test.
    return 0.0 if k < 0 else float(stats.chi2.sf(2 * mu, 2 * (k + 1)))


def _published_limit(p: float, expected: float, target: float) -> float:
    """Spiegelhalter (2005) Stat Med 24:1185, Appendix A.1.2, written out step by step."""
    mu = target * expected
    r = 0
    while _poisson_cdf(r, mu) < p:
        r += 1
    a = (_poisson_cdf(r, mu) - p) / (_poisson_cdf(r, mu) - _poisson_cdf(r - 1, mu))
    return max((r - a) / expected, 0.0)


@pytest.mark.parametrize("alpha", [0.05, 0.002])
@pytest.mark.parametrize("target", [1.0, 0.35])
def test_exact_limits_match_the_published_appendix_formula(alpha, target):
    expected = np.array([0.7, 3.0, 12.5, 40.0, 119.2, 800.0])
    lower, upper = poisson_limits(expected, target, alpha)
    want_lo = [_published_limit(alpha / 2, e, target) for e in expected]
    want_hi = [_published_limit(1 - alpha / 2, e, target) for e in expected]
    np.testing.assert_allclose(lower, want_lo, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(upper, want_hi, rtol=1e-9)


def test_exact_limits_approach_the_normal_approximation_for_large_expected_counts():
    e = np.array([20_000.0, 100_000.0])
    lo, hi = poisson_limits(e, 1.0, 0.002)
    z = stats.norm.ppf(0.999)
    np.testing.assert_allclose(lo, 1 - z / np.sqrt(e), rtol=2e-4)
    np.testing.assert_allclose(hi, 1 + z / np.sqrt(e), rtol=2e-4)
    nlo, nhi = poisson_limits(e, 1.0, 0.002, method="normal")
    np.testing.assert_allclose(nlo, 1 - z / np.sqrt(e), rtol=1e-12)


def test_limits_narrow_as_expected_grows_and_the_outer_limit_is_wider():
    e = np.geomspace(1, 5000, 30)
    lo95, hi95 = poisson_limits(e, 1.0, 0.05)
    lo998, hi998 = poisson_limits(e, 1.0, 0.002)
    assert np.all(np.diff(hi95) < 0) and np.all(np.diff(hi998) < 0)
    assert np.all(hi998 > hi95) and np.all(lo998 <= lo95)


def test_about_five_percent_of_areas_fall_outside_95_limits_when_all_are_on_target():
    rng = np.random.default_rng(7)
    e = rng.uniform(5, 200, 4000)
    y = rng.poisson(e)
    res = funnel(pd.DataFrame({"area_code": np.arange(e.size).astype(str), "detected": y,
                               "expected": e}), target=1.0)
    outside = (res.table["classification"] != "within").mean()
    assert 0.035 < outside < 0.065
    beyond = res.table["classification"].isin(["above 99.8%", "below 99.8%"]).mean()
    assert beyond < 0.006


def _overdispersed_frame() -> pd.DataFrame:
    e = np.array([4.0, 8, 12, 15, 20, 25, 30, 35, 40, 50, 60, 70, 80, 90, 100, 120, 150, 180,
                  220, 300])
    ratio = np.array([2.1, 0.4, 1.5, 0.7, 1.3, 0.6, 1.4, 0.9, 1.1, 0.8, 1.25, 0.75, 1.2, 0.85,
                      1.05, 0.95, 1.3, 0.7, 1.15, 0.9])
    return pd.DataFrame({"area_code": [f"A{i:02d}" for i in range(20)],
                         "detected": np.round(e * ratio), "expected": e})


def test_dispersion_phi_equals_the_mean_square_of_winsorised_z_scores():
    df = _overdispersed_frame()
    y, e = df["detected"].to_numpy(), df["expected"].to_numpy()
    z = (y / e - 1) / np.sqrt(1 / e)
    zw = np.asarray(mstats.winsorize(z, limits=(0.1, 0.1)))  # 2 values each end, n = 20
    phi = float(np.mean(zw**2))
    w = e
    tau2 = (20 * phi - 19) / (w.sum() - (w**2).sum() / w.sum())
    d = estimate_dispersion(y, e, 1.0)
    assert d.phi == pytest.approx(phi, rel=1e-12)
    assert d.tau2 == pytest.approx(tau2, rel=1e-12)
    assert d.p_value == pytest.approx(stats.chi2.sf(20 * phi, 20))
    assert d.phi > 1  # built to be over-dispersed


def test_multiplicative_and_additive_adjustments_give_the_published_limits():
    df = _overdispersed_frame()
    z95 = stats.norm.ppf(0.975)
    mult = funnel(df, target=1.0, overdispersion="multiplicative")
    phi = mult.dispersion.phi
    t = mult.table
    np.testing.assert_allclose(t["upper_95"], 1 + z95 * np.sqrt(phi / t["expected"]))
    add = funnel(df, target=1.0, overdispersion="additive")
    tau2 = add.dispersion.tau2
    np.testing.assert_allclose(add.table["upper_95"],
                               1 + z95 * np.sqrt(1 / t["expected"] + tau2))
    plain = funnel(df, target=1.0)
    assert (plain.table["classification"] != "within").sum() > \
        (mult.table["classification"] != "within").sum()


def test_no_adjustment_when_phi_is_below_one_so_limits_stay_exact():
    e = np.array([10.0, 20, 30, 40, 50])
    df = pd.DataFrame({"area_code": list("abcde"), "detected": e, "expected": e})
    res = funnel(df, target=1.0, overdispersion="multiplicative")
    assert res.dispersion.phi < 1
    plain = funnel(df, target=1.0)
    np.testing.assert_allclose(res.table["upper_95"], plain.table["upper_95"])


def test_pooled_target_is_total_observed_over_total_expected_and_rows_are_summed():
    df = pd.DataFrame({"area_code": ["a", "a", "b"], "quarter": ["2023Q1", "2023Q2", "2023Q1"],
                       "detected": [3, 4, 10], "expected": [10.0, 10.0, 30.0]})
    res = funnel(df)
    assert res.target == pytest.approx(17 / 50)
    assert res.table.set_index("area_code").loc["a", "observed"] == 7


def test_classification_uses_both_limits():
    df = pd.DataFrame({"area_code": list("abcde"), "detected": [100, 62, 50, 38, 10],
                       "expected": [50.0] * 5})
    classes = funnel(df, target=1.0).table.set_index("area_code")["classification"]
    # exact limits at E = 50: 95% about (0.74, 1.29); 99.8% about (0.62, 1.45)
    assert classes.to_dict() == {"a": "above 99.8%", "b": "within", "c": "within",
                                 "d": "within", "e": "below 99.8%"}
    df.loc[1, "detected"] = 68
    df.loc[3, "detected"] = 35
    classes = funnel(df, target=1.0).table.set_index("area_code")["classification"]
    assert classes["b"] == "above 95%" and classes["d"] == "below 95%"


def test_zero_detected_is_handled_and_tiny_expected_gives_a_zero_lower_limit():
    df = pd.DataFrame({"area_code": ["a", "b"], "detected": [0, 5], "expected": [0.5, 5.0]})
    t = funnel(df, target=1.0).table.set_index("area_code")
    assert t.loc["a", "lower_95"] == 0.0 and t.loc["a", "classification"] == "within"


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_non_positive_expected_is_a_clear_error(bad):
    df = pd.DataFrame({"area_code": ["a", "b"], "detected": [1, 2], "expected": [bad, 3.0]})
    with pytest.raises(DarkFigureError, match="expected counts must be positive"):
        funnel(df)


def test_missing_column_and_unknown_highlight_are_clear_errors():
    df = pd.DataFrame({"area_code": ["a"], "detected": [1], "expected": [2.0]})
    with pytest.raises(DarkFigureError, match="column"):
        funnel(df.drop(columns="expected"))
    with pytest.raises(DarkFigureError, match="not in the data"):
        funnel(df, highlight="zzz")


def test_to_frame_has_one_row_per_area_and_level_with_method_and_curve_spans_areas():
    res = funnel(_overdispersed_frame(), target=1.0)
    frame = res.to_frame()
    assert len(frame) == 40
    assert set(frame["confidence_level"]) == {0.95, 0.998}
    assert {"lower", "upper", "method", "alpha", "ratio"} <= set(frame.columns)
    curve = res.curve(50)
    assert len(curve) == 100 and curve["expected"].min() < 4 < 300 < curve["expected"].max()
    assert "Funnel plot of 20 areas" in res.summary()
    assert res.lower.index.tolist()[:2] == ["A00", "A01"]


# Police-made NRM referrals 2022 Q2-2023 Q4 (real public data, data/reference/README.md).
def _force_table() -> pd.DataFrame:
    try:
        from analysis.national import police_referrals_by_force
    except ImportError:  # pragma: no cover - the national module is another engineer's
        pytest.skip("analysis.national not available")
    return police_referrals_by_force("2022Q2", "2023Q4")


def test_national_funnel_marks_leicestershire_with_expected_from_the_national_rate():
    forces = _force_table()
    res = national_funnel(forces)
    t = res.table.set_index("area_code")
    assert len(t) == 43 and t["highlighted"].sum() == 1
    rate = forces["referrals"].sum() / forces["population"].sum()
    leics = t.loc["E23000021"]
    assert leics.observed == 131  # 17+9+20+21+25+24+15, README
    assert leics.expected == pytest.approx(1_121_800 * rate)
    assert t["expected"].sum() == pytest.approx(t["observed"].sum())
    assert res.target == 1.0
    assert "Leicestershire (E23000021)" in res.summary()


def test_national_funnel_shows_real_overdispersion_between_forces():
    res = national_funnel(_force_table(), overdispersion="additive")
    assert res.dispersion.p_value < 1e-6  # forces differ far beyond Poisson noise
    plain = national_funnel(_force_table())
    assert (res.table["classification"] == "within").sum() > \
        (plain.table["classification"] == "within").sum()


def test_national_funnel_rejects_a_table_without_population():
    with pytest.raises(DarkFigureError, match="population"):
        national_funnel(_force_table().drop(columns="population"))
