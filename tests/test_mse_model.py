"""Log-linear models for multiple systems estimation: own Newton fit against statsmodels, the
empty-overlap handling, the existence/identifiability LP check and the stepwise entry rule."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

from analysis.mse.model import (
    ModelCache,
    all_pairs,
    all_patterns,
    design,
    existence_code,
    fit_poisson,
    split_empty,
    stepwise,
)
from analysis.mse.tables import read_capture_table

DATA = Path(__file__).parent / "data" / "mse"


@pytest.fixture(scope="module")
def uk():
    return read_capture_table(DATA / "uk_2013_5list.csv")


@pytest.mark.parametrize("pairs", [[], [(0, 1), (1, 4), (2, 4), (0, 2)],
                                   [(0, 1), (0, 2), (1, 2), (1, 3), (1, 4), (2, 4), (3, 4)]])
def test_own_newton_fit_matches_statsmodels_glm(uk, pairs):
    patterns = uk[["LA", "NG", "PFNCA", "GO", "GP"]].to_numpy()
    y = uk["count"].to_numpy(float)
    finite, _, keep = split_empty(patterns, y, pairs)
    x = design(patterns[keep], finite)
    beta, cov = fit_poisson(x, y[keep])
    glm = sm.GLM(y[keep], x, family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(beta, glm.params, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), glm.bse, rtol=1e-6)


def test_fit_with_offset_matches_statsmodels_offset():
    x = design(all_patterns(3), [(0, 1)])
    y = np.array([40.0, 30, 20, 6, 9, 7, 2])
    beta, _ = fit_poisson(x[:, 1:], y, offset=4.0)
    glm = sm.GLM(y, x[:, 1:], family=sm.families.Poisson(), offset=np.full(7, 4.0)).fit()
    np.testing.assert_allclose(beta, glm.params, rtol=1e-7)


def test_empty_overlap_is_fitted_as_minus_infinity(uk):
    # LA and GP never overlap in the UK table: with LA:GP in the model its cells are dropped
    cache = ModelCache(all_patterns(5), uk["count"].to_numpy(float))
    fit = cache.fit(((0, 4),))
    assert fit.infinite == ((0, 4),)
    both = (all_patterns(5)[:, 0] == 1) & (all_patterns(5)[:, 4] == 1)
    assert np.all(fit.fitted[both] == 0)
    assert fit.n_params == 1 + 5 + 1  # the -inf parameter still counts in AIC/BIC


@pytest.mark.parametrize("pairs, code", [
    ([(0, 1), (0, 2), (1, 2)], 2),  # [12,13,23]: not identifiable
    ([(0, 1)], 1),                  # [12,3]: MLE does not exist
    ([(0, 2), (1, 2)], 0),          # [13,23]
    ([], 0),                        # main effects
])
def test_existence_check_reference_codes(pairs, code):
    # expected codes from shared/mse/ALGORITHM.md (SparseMSE checkident on this table)
    table = read_capture_table(DATA / "artificial_3list.csv")
    cache = ModelCache(all_patterns(3), table["count"].to_numpy(float))
    assert cache.check(pairs) == code


def test_existence_code_on_two_lists_with_and_without_overlap():
    x = design(all_patterns(2), [])
    assert existence_code(x, np.array([5.0, 4.0, 2.0])) == 0
    assert existence_code(x, np.array([5.0, 4.0, 0.0])) == 1


def test_null_space_shortcut_agrees_with_the_linear_programme():
    # the shortcut only ever says "exists"; on random sparse tables and every 3- and 4-list
    # model with up to three pairs it must give the LP's code
    rng = np.random.default_rng(5)
    compared = failing = 0
    for k in (3, 4):
        patterns = all_patterns(k)
        models = [m for r in range(4) for m in itertools.combinations(all_pairs(k), r)]
        for _ in range(12):
            y = rng.poisson(rng.uniform(0.2, 6, len(patterns))).astype(float)
            for pairs in models:
                finite, _, keep = split_empty(patterns, y, pairs)
                x, yk = design(patterns[keep], finite), y[keep]
                fast, slow = existence_code(x, yk), existence_code(x, yk, shortcut=False)
                assert fast == slow, (k, pairs, y.tolist())
                compared += 1
                failing += slow & 1
    assert compared > 500 and failing > 20  # both outcomes were exercised


def test_stepwise_on_two_independent_lists_stops_at_main_effects():
    fit, steps = stepwise(ModelCache(all_patterns(2), np.array([30.0, 20.0, 10.0])))
    assert fit.pairs == () and len(steps) == 1


def test_stepwise_pthresh_one_adds_every_pair_the_check_allows(uk):
    cache = ModelCache(all_patterns(5), uk["count"].to_numpy(float))
    none, _ = stepwise(cache, 0.0)
    assert none.pairs == ()
    full, _ = stepwise(cache, 1.0)
    assert len(full.pairs) > 6 and full.usable


def test_aic_search_stops_at_an_entering_pair_that_fails_the_wald_test(uk):
    from analysis.mse.model import criterion_search

    counts = uk["count"].to_numpy(float)
    free, steps = criterion_search(ModelCache(all_patterns(5), counts), "aic", wald_p=1.0)
    added = [(row["pairs"], row["p_value"]) for row in steps if row["step"].startswith("add")]
    assert [pairs for pairs, _ in added][-1] == free.pairs
    # the largest Wald p among the entered pairs: a threshold just below it cuts the path there
    worst = max(range(len(added)), key=lambda i: added[i][1])
    assert added[worst][1] > 0
    cut, _ = criterion_search(ModelCache(all_patterns(5), counts), "aic",
                              wald_p=added[worst][1] * 0.999)
    assert cut.pairs == (added[worst - 1][0] if worst else ())
