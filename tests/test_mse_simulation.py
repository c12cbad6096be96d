"""Simulation study: synthetic populations of known size, coverage and bias of the intervals.

The bigger study (200 populations per scenario, and the bootstraps) is
``python benchmarks/mse_coverage.py``; this is the small version run with the suite.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.mse.simulation import Scenario, coverage_study, simulate_table


def test_simulated_table_has_known_capture_rates():
    table = simulate_table(20000, [0.2, 0.3], rng=1)
    on_a = table.loc[table["L1"] == 1, "count"].sum()
    on_b = table.loc[table["L2"] == 1, "count"].sum()
    assert on_a / 20000 == pytest.approx(0.2, abs=0.01)
    assert on_b / 20000 == pytest.approx(0.3, abs=0.01)


def test_direct_dependence_raises_the_overlap_by_its_odds_ratio():
    table = simulate_table(50000, [0.3, 0.3], dependence=1.0, rng=2)
    n = table.set_index(["L1", "L2"])["count"]
    # odds of list 2 among list-1 people / among the rest; the rest's unseen cell is known
    unseen = 50000 - table["count"].sum()
    odds_ratio = (n[(1, 1)] / n[(1, 0)]) / (n[(0, 1)] / unseen)
    assert np.log(odds_ratio) == pytest.approx(1.0, abs=0.1)


@pytest.mark.slow
def test_model_conditional_intervals_cover_when_the_model_holds():
    study = coverage_study(
        [Scenario("independent"), Scenario("dependence 1.0", dependence=1.0),
         Scenario("heterogeneity 1.0", heterogeneity=1.0)],
        n_populations=40, size=2000, seed=11)
    print("\n" + study[["scenario", "interval_method", "coverage", "relative_bias"]]
          .round(3).to_string(index=False))
    rows = study.set_index(["scenario", "interval_method"])
    for scenario in ("independent", "dependence 1.0"):
        for method in ("model-conditional", "profile likelihood"):
            assert rows.loc[(scenario, method), "coverage"] >= 0.85
            assert abs(rows.loc[(scenario, method), "relative_bias"]) < 0.03
    # shared catchability is positive dependence among all lists, which pairwise log-linear
    # models cannot fully absorb: the known downward bias (Fienberg 1972) must show
    assert rows.loc[("heterogeneity 1.0", "model-conditional"), "relative_bias"] < -0.1
    assert (study["failed"] == 0).all()


def test_method_study_reports_monte_carlo_errors_and_every_fit():
    from analysis.mse import MultipleSystemsEstimator
    from analysis.mse.simulation import method_study

    study = method_study({"stepwise": MultipleSystemsEstimator(goodness_of_fit=0)},
                         [Scenario("heterogeneity 1.0", 1.0)], n_populations=6, size=800)
    fits = study.attrs["estimates"]
    assert len(fits) == 6 and set(fits["population"]) == set(range(6))
    row = study.iloc[0]
    relative = fits["estimate"].to_numpy() / 800 - 1
    assert row["relative_bias"] == pytest.approx(relative.mean())
    assert row["relative_bias_se"] == pytest.approx(relative.std(ddof=1) / 6 ** 0.5)
    p = row["coverage"]
    assert row["coverage_se"] == pytest.approx((p * (1 - p) / 6) ** 0.5)
