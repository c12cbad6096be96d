"""The MSE estimators beyond stepwise: BIC over hierarchical models, model averaging over
decomposable graphs, latent classes; their diagnostics and goodness of fit.

References: Silverman, Chan and Vincent, Statistics and Computing 34 (2024) 44 (BIC with
bootstrap reselection on the UK 2013 five-list table: 25,311, 95% 11,168 to 56,052; see
tests/data/mse/README.md); the number of labelled chordal graphs on 3, 4, 5 vertices
(8, 61, 822; OEIS A058862); closed forms of the Dirichlet-multinomial and beta-binomial
(scipy.stats) for the hyper-Dirichlet marginal likelihood.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from analysis.errors import DarkFigureError
from analysis.mse import (
    BICEstimator,
    LatentClassEstimator,
    ModelAveragingEstimator,
    MultipleSystemsEstimator,
    all_patterns,
    decomposable_graphs,
    design,
    deviance_test,
    ess,
    fit_poisson,
    fit_poisson_batch,
    hierarchical_models,
    read_capture_table,
    resampled_tables,
    rhat,
    simulate_table,
    split_empty,
)
from analysis.mse.hierarchical import _Fitter, choose_by_bic
from analysis.mse.model_averaging import _log_posterior

DATA = Path(__file__).parent / "data" / "mse"


@pytest.fixture(scope="module")
def uk():
    return read_capture_table(DATA / "uk_2013_5list.csv")


def _independent_three_lists() -> pd.DataFrame:
    table = pd.DataFrame(all_patterns(3), columns=["A", "B", "C"])
    table["count"] = [210, 140, 140, 90, 90, 60, 60]  # N = 1,000, probabilities .5, .4, .3
    return table


# --- BIC over all hierarchical models -------------------------------------------------------

def test_hierarchical_model_count_equals_sum_over_graphs_of_two_to_the_triangles():
    # independent count: a hierarchical model up to order 3 is a graph plus any subset of
    # its triangles
    pairs = list(itertools.combinations(range(5), 2))
    expected = 0
    for mask in range(2 ** len(pairs)):
        edges = {p for n, p in enumerate(pairs) if mask >> n & 1}
        triangles = sum(all(q in edges for q in itertools.combinations(t, 2))
                        for t in itertools.combinations(range(5), 3))
        expected += 2 ** triangles
    assert len(hierarchical_models(5, 3)) == expected == 6212
    assert len(hierarchical_models(6, 2)) == 2 ** 15


def test_bic_reproduces_silverman_chan_vincent_2024_point_estimate(uk):
    r = BICEstimator(bootstrap=0).fit(uk)
    assert r.estimate == pytest.approx(25311, abs=1)
    assert r.terms == (("LA", "NG"), ("LA", "PFNCA"), ("NG", "PFNCA"), ("NG", "GP"),
                       ("PFNCA", "GO"), ("LA", "NG", "PFNCA"))
    assert math.isnan(r.lower)
    # the ranking lists the stepwise model too, with SparseMSE's estimate
    stepwise = r.models.loc[r.models["terms"] == "LA:NG + LA:PFNCA + NG:GO + NG:GP + PFNCA:GP "
                                                  "+ GO:GP", "estimate"]
    assert stepwise.iloc[0] == pytest.approx(11313, abs=1)


@pytest.mark.slow
def test_bic_bootstrap_interval_matches_the_published_one_within_monte_carlo_error(uk):
    # published: 11,168 to 56,052 (1,000 replicates, R's RNG); ours uses numpy's, so the
    # limits agree up to Monte Carlo error (the upper one is about 5,000 here)
    r = BICEstimator(bootstrap=1000, random_state=1234).fit(uk)
    checks = dict(r.checks)
    assert r.lower == pytest.approx(11168, rel=0.03)
    assert abs(r.upper - 56052) < 3 * checks["Monte Carlo standard error of the upper limit"]


def test_batched_bootstrap_choice_equals_model_by_model_fits(uk):
    counts = uk["count"].to_numpy()
    tables, _, _ = resampled_tables(counts, 12, np.random.default_rng(3))
    patterns = all_patterns(5)
    top = list(BICEstimator(bootstrap=0).fit(uk).models["terms"].head(15))
    names = list(uk.columns[:-1])
    models = [tuple(tuple(names.index(n) for n in term.split(":")) for term in m.split(" + "))
              if m != "main effects" else () for m in top]
    batched = choose_by_bic(patterns, tables, models, {})
    for table, value in zip(tables, batched, strict=True):
        fitter = _Fitter(patterns, table, {})
        found = [(b, e) for c, e, b, _ in (fitter.fit(m) for m in models) if c == 0]
        assert value == pytest.approx(min(found)[1], rel=1e-6)


def test_batched_poisson_fit_equals_single_fits(uk):
    x = design(all_patterns(5), [(0, 1), (1, 4)])
    y = np.vstack([uk["count"].to_numpy(float), uk["count"].to_numpy(float)[::-1] + 1])
    beta, loglik = fit_poisson_batch(x, y, np.zeros(x.shape[1]))
    for row, b, ll in zip(y, beta, loglik, strict=True):
        single, _ = fit_poisson(x, row)
        assert b == pytest.approx(single, abs=1e-7)
        mu = np.exp(x @ single)
        assert ll == pytest.approx(np.sum(row * np.log(mu) - mu - special.gammaln(row + 1)))


def test_deviance_is_statsmodels_deviance_and_the_test_rejects_a_wrong_model(uk):
    import statsmodels.api as sm

    patterns, counts = all_patterns(5), uk["count"].to_numpy(float)
    finite, _, keep = split_empty(patterns, counts, [(0, 1), (1, 4), (2, 4), (0, 2), (3, 4),
                                                   (1, 3)])  # the stepwise model
    x = design(patterns[keep], finite)
    beta, _ = fit_poisson(x, counts[keep])
    glm = sm.GLM(counts[keep], x, family=sm.families.Poisson()).fit()
    dev, p = deviance_test(x, counts[keep], beta, 300, np.random.default_rng(1))
    assert dev == pytest.approx(glm.deviance, rel=1e-6)
    main = design(patterns, [])
    _, p_main = deviance_test(main, counts, fit_poisson(main, counts)[0], 300,
                              np.random.default_rng(1))
    assert p_main < 0.01 < p  # main effects alone fit the UK table badly; stepwise's fits


def test_stepwise_result_reports_goodness_of_fit_and_monte_carlo_error(uk):
    r = MultipleSystemsEstimator(bootstrap=200, random_state=1).fit(uk)
    checks = dict(r.checks)
    assert checks["residual degrees of freedom"] == 19  # 31 cells - 12 parameters
    assert 0 < checks["goodness-of-fit p (parametric bootstrap)"] <= 1
    assert 0 < checks["Monte Carlo standard error of the upper limit"] < r.upper - r.estimate


# --- model averaging over decomposable graphs -----------------------------------------------

def test_decomposable_graph_counts_are_the_chordal_graph_numbers():
    assert [len(decomposable_graphs(k)) for k in (2, 3, 4, 5)] == [2, 8, 61, 822]


def test_saturated_graph_marginal_is_the_dirichlet_multinomial():
    table = _independent_three_lists()
    counts = table["count"].to_numpy(float)
    n0 = np.array([0.0, 50.0, 400.0])
    delta = 0.5
    saturated = [g for g in decomposable_graphs(3) if len(g[2]) == 3]
    ours = _log_posterior(counts, 3, delta, n0, saturated)[0]
    expected = []
    for m in n0:
        full = np.concatenate([[m], counts])
        n = full.sum()
        expected.append(stats.dirichlet_multinomial.logpmf(full, np.full(8, delta), int(n))
                        + special.gammaln(counts + 1).sum() - math.log(n))
    assert ours == pytest.approx(np.array(expected), rel=1e-10)


def test_independence_graph_marginal_is_a_product_of_beta_binomials():
    table = _independent_three_lists()
    counts = table["count"].to_numpy(float)
    flags = all_patterns(3)
    n0 = np.array([10.0, 210.0])
    delta = 0.25
    empty = [g for g in decomposable_graphs(3) if not g[2]]
    ours = _log_posterior(counts, 3, delta, n0, empty)[0]
    for value, m in zip(ours, n0, strict=True):
        n = counts.sum() + m
        on = counts @ flags  # people on each list
        d = delta * 4  # hyper-Dirichlet margin of one list: delta * 2**(k - 1) per cell
        marginal = sum(stats.betabinom.logpmf(k, n, d, d) - math.log(special.comb(n, k))
                       for k in on)
        multinomial = special.gammaln(n + 1) - special.gammaln(m + 1) - math.log(n)
        assert value == pytest.approx(marginal + multinomial, rel=1e-10)


def test_model_averaging_centres_on_the_truth_for_independent_lists():
    r = ModelAveragingEstimator(random_state=1).fit(_independent_three_lists())
    assert r.estimate == pytest.approx(1000, rel=0.03)
    assert r.lower < 1000 < r.upper and r.interval_kind == "credible"
    assert r.models.iloc[0]["edges"] == "independence"
    assert r.models["posterior_probability"].sum() == pytest.approx(1)


def test_model_averaging_on_uk_five_lists_states_its_prior(uk):
    r = ModelAveragingEstimator(random_state=1).fit(uk)
    assert "delta = 0.03125" in r.model and "p(N) ~ 1/N" in r.model
    assert len(r.models) == 822
    assert r.observed < r.lower < r.estimate < r.upper


def test_model_averaging_refuses_more_than_six_lists():
    table = simulate_table(3000, [0.3] * 7, rng=1)
    with pytest.raises(DarkFigureError, match="up to 6 lists"):
        ModelAveragingEstimator().fit(table)


# --- latent classes -------------------------------------------------------------------------

def _two_class_population(rng) -> tuple[pd.DataFrame, int]:
    size = 4000
    easy = rng.random(size) < 0.3
    probs = np.where(easy[:, None], 0.45, 0.08)
    caught = (rng.random((size, 5)) < probs).astype(int)
    caught = caught[caught.any(axis=1)]
    table = pd.DataFrame(caught, columns=list("ABCDE")).value_counts().rename(
        "count").reset_index()
    return table, size


@pytest.mark.slow
def test_latent_classes_recover_a_two_class_population_that_stepwise_underestimates():
    table, size = _two_class_population(np.random.default_rng(7))
    lc = LatentClassEstimator(burn_in=2000, draws=6000, random_state=1).fit(table)
    step = MultipleSystemsEstimator(goodness_of_fit=0).fit(table)
    assert lc.lower < size < lc.upper
    assert abs(lc.estimate - size) < abs(step.estimate - size)
    assert step.estimate < 0.9 * size
    assert lc.rhat < 1.05  # the chains agree


def test_latent_class_warns_when_the_chains_have_not_converged(uk):
    r = LatentClassEstimator(burn_in=0, draws=60, random_state=1).fit(uk)
    assert not r.converged
    assert any("not converged" in n for n in r.notes)
    assert r.draws.shape == (4, 60)


def test_latent_class_needs_three_lists():
    with pytest.raises(DarkFigureError, match="at least three lists"):
        LatentClassEstimator().fit(pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1],
                                                 "count": [5, 6, 7]}))


def test_effective_sample_size_of_an_autoregressive_chain():
    # AR(1) with coefficient phi: ESS = n (1 - phi) / (1 + phi)
    rng = np.random.default_rng(2)
    phi, n = 0.8, 20000
    x = np.zeros((4, n))
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + rng.normal(size=4)
    assert ess(x) == pytest.approx(4 * n * (1 - phi) / (1 + phi), rel=0.15)
    assert rhat(x) < 1.01
    assert rhat(x + np.array([[0], [0], [0], [3]])) > 1.1


@pytest.mark.parametrize("ladder", [(1.0,), (1.0, 0.5), (1.0, 0.6, 0.3)])
def test_latent_class_sampler_matches_the_exact_posterior_with_one_class(ladder):
    # With one class the model is independent lists, lambda ~ Beta(1, 1), p(N) ~ 1/N, and the
    # posterior of N is a sum: p(N | data) ~ (N - 1)! / (N - n)! prod_j B(n_j + 1, N - n_j + 1).
    # The ridge moves, the Gibbs sweep and the tempering swaps together must reproduce it
    # (the kept rung's posterior is exact whatever the ladder).
    table = pd.DataFrame(all_patterns(3), columns=list("ABC"))
    table["count"] = [30, 25, 6, 20, 5, 4, 1]
    n = int(table["count"].sum())
    on = (table[list("ABC")].to_numpy() * table["count"].to_numpy()[:, None]).sum(axis=0)
    grid = np.arange(n, 40 * n)
    log_p = (special.gammaln(grid) - special.gammaln(grid - n + 1)
             + sum(special.betaln(k + 1, grid - k + 1) for k in on))
    cdf = np.cumsum(np.exp(log_p - log_p.max()))
    levels = [0.025, 0.25, 0.5, 0.75, 0.975]
    exact = grid[np.searchsorted(cdf / cdf[-1], levels)]
    r = LatentClassEstimator(max_classes=1, burn_in=500, draws=5000, ladder=ladder,
                             random_state=3).fit(table)
    sampled = np.quantile(r.draws.ravel(), levels)
    assert r.ess > 2000
    np.testing.assert_allclose(sampled, exact, rtol=0.03)
    assert len(r.swap_rates) == len(ladder) - 1
    assert all(0 < s < 1 for s in r.swap_rates)


def test_latent_class_reports_tempering_swaps_and_refuses_a_ladder_without_the_data():
    table = pd.DataFrame(all_patterns(3), columns=list("ABC"))
    table["count"] = [30, 25, 6, 20, 5, 4, 1]
    r = LatentClassEstimator(burn_in=50, draws=200, random_state=1).fit(table)
    checks = dict(r.checks)
    assert 0 < checks["tempering swaps accepted, rungs 1-0.7"] < 1
    assert 0 < checks["tempering swaps accepted, rungs 0.45-0.3"] < 1
    assert "tempered" in r.interval_method
    with pytest.raises(DarkFigureError, match="ladder must start at 1"):
        LatentClassEstimator(ladder=(0.5, 0.25)).fit(table)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 1234])
def test_chains_that_stuck_before_now_agree_on_the_uk_five_list_table(uk, seed):
    # Seed 1234 put one of four chains of the untempered sampler near N = 12,500 (the
    # general-public list a class of its own) for a whole run of 4 x 16,000 (R-hat 1.16);
    # seed 5 started one near 5,000 and it took 6,000 iterations to leave. Tempered, with an
    # annealed burn-in, even short runs roughly agree (untempered, this length gave R-hat 1.5;
    # the default length passes on every seed tried, figures in the method note). A short
    # run can still catch one visit to the 12,500 grouping, so R-hat is held to 1.1 here.
    r = LatentClassEstimator(burn_in=1000, draws=3000, random_state=seed).fit(uk)
    assert r.rhat < 1.1
    medians = np.median(r.draws, axis=1)
    assert medians.min() > 0.85 * medians.max()
