"""Multiple systems estimation: reference results, closed forms, the LP check, errors, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.cli import main
from analysis.errors import DarkFigureError, InputError
from analysis.mse import MultipleSystemsEstimator, capture_patterns, read_capture_table
from analysis.mse_model import ModelCache, all_patterns, design, existence_code, fit_poisson, split_empty

DATA = Path(__file__).parent / "data" / "mse"
UK = DATA / "uk_2013_5list.csv"


@pytest.fixture(scope="module")
def uk():
    return read_capture_table(UK)


@pytest.fixture(scope="module")
def uk_result(uk):
    return MultipleSystemsEstimator().fit(uk)


def test_uk_stepwise_matches_sparsemse_model_and_estimate(uk_result):
    # SparseMSE stepwise on UKdat_5: 11,313 with these six interactions (shared/mse/README.md)
    assert set(uk_result.terms) == {("LA", "NG"), ("NG", "GP"), ("PFNCA", "GP"), ("LA", "PFNCA"),
                                    ("GO", "GP"), ("NG", "GO")}
    assert uk_result.estimate == pytest.approx(11313, rel=0.005)
    assert uk_result.observed == 2744
    assert uk_result.hidden == pytest.approx(uk_result.estimate - 2744)
    # the published Home Office range was 10,000-13,000; our interval straddles the estimate
    assert uk_result.lower < 11313 < uk_result.upper
    assert 9000 < uk_result.lower < 10500 and 12000 < uk_result.upper < 14000


def test_uk_stepwise_enters_pairs_in_sparsemse_order(uk_result):
    added = list(uk_result.models["pairs"])
    entered = [next(iter(set(b) - set(a))) for a, b in zip(added, added[1:], strict=False)]
    assert entered == ["LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"]


def test_two_independent_lists_give_the_petersen_closed_form():
    table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [70, 30, 20]})
    result = MultipleSystemsEstimator().fit(table)
    n1, n2, m = 90, 50, 20
    assert result.estimate == pytest.approx(n1 * n2 / m, rel=1e-9)
    assert result.terms == ()
    # model-conditional interval: n + exp(log(n10 n01 / n11) +- z se), se^2 = 1/n10+1/n01+1/n11
    se = np.sqrt(1 / 70 + 1 / 30 + 1 / 20)
    assert result.upper == pytest.approx(120 + 70 * 30 / 20 * np.exp(1.959964 * se), rel=1e-5)


def test_own_newton_fit_matches_statsmodels_glm(uk):
    patterns = uk[["LA", "NG", "PFNCA", "GO", "GP"]].to_numpy()
    y = uk["count"].to_numpy(float)
    pairs = [(0, 1), (1, 4), (2, 4), (0, 2)]
    finite, infinite, keep = split_empty(patterns, y, pairs)
    assert infinite == []
    x = design(patterns[keep], finite)
    beta, cov = fit_poisson(x, y[keep])
    glm = sm.GLM(y[keep], x, family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(beta, glm.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), glm.bse, rtol=1e-6)


def test_empty_overlap_is_fitted_as_minus_infinity(uk):
    # LA and GP never overlap in the UK table: with LA:GP in the model its cells are dropped
    cache = ModelCache(all_patterns(5), uk["count"].to_numpy(float))
    fit = cache.fit(((0, 4),))
    assert fit.infinite == ((0, 4),)
    both = (all_patterns(5)[:, 0] == 1) & (all_patterns(5)[:, 4] == 1)
    assert np.all(fit.fitted[both] == 0)


@pytest.mark.parametrize("pairs, code", [
    ([(0, 1), (0, 2), (1, 2)], 2),  # [12,13,23]: not identifiable
    ([(0, 1)], 1),                  # [12,3]: MLE does not exist
    ([(0, 2), (1, 2)], 0),          # [13,23]
    ([], 0),                        # main effects
])
def test_existence_check_reference_codes(pairs, code):
    table = read_capture_table(DATA / "artificial_3list.csv")
    cache = ModelCache(all_patterns(3), table["count"].to_numpy(float))
    assert cache.check(pairs) == code


def test_existence_code_on_a_saturated_design_with_a_zero():
    x = design(all_patterns(2), [])
    assert existence_code(x, np.array([5.0, 4.0, 2.0])) == 0
    assert existence_code(x, np.array([5.0, 4.0, 0.0])) == 1


@pytest.mark.parametrize("criterion", ["aic", "bic"])
def test_criterion_selection_gives_a_plausible_uk_estimate(uk, criterion):
    result = MultipleSystemsEstimator(criterion=criterion).fit(uk)
    assert 10000 < result.estimate < 13500
    assert result.lower < result.estimate < result.upper
    assert criterion.upper() in result.method


def test_bca_bootstrap_interval_is_reproducible_and_contains_estimate(uk):
    est = MultipleSystemsEstimator(bootstrap=60, random_state=7)
    a, b = est.fit(uk), est.fit(uk)
    assert (a.lower, a.upper) == (b.lower, b.upper)
    assert a.lower < a.estimate < a.upper
    assert a.interval_method.startswith("BCa bootstrap")


def test_capture_patterns_links_people_and_reports_unlinked():
    referrals = pd.DataFrame({
        "person_key": ["p1", "p1", "p2", "p3", "p3", None, ""],
        "agency_type": ["police", "ngo", "police", "ngo", "ngo", "police", "ngo"],
    })
    table = capture_patterns(referrals)
    assert list(table.columns) == ["ngo", "police", "count"]
    assert table.set_index(["ngo", "police"])["count"].to_dict() == {
        (1, 0): 1, (0, 1): 1, (1, 1): 1}
    assert table.attrs["unlinked_records"] == 2
    result = MultipleSystemsEstimator().fit(table)
    assert result.estimate == pytest.approx(3 + 1 * 1 / 1)
    assert any("2 records without a person key" in n for n in result.notes)


def test_capture_patterns_includes_zero_cells():
    referrals = pd.DataFrame({"person_key": ["a", "b", "c"], "agency": ["X", "Y", "Z"]})
    table = capture_patterns(referrals, list_column="agency")
    assert len(table) == 7 and table["count"].sum() == 3


def _write(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, error, words", [
    ("A,B,count\n1,0,5\n0,1,0\n1,1,0\n", DarkFigureError, "no records"),
    ("A,count\n1,5\n", DarkFigureError, "two lists"),
    ("A,B,count\n1,1,5\n0,1,0\n", DarkFigureError, "one capture pattern"),
    ("A,B,count\n1,2,5\n0,1,3\n", InputError, "0 or 1"),
    ("A,B,count\n1,0,-5\n0,1,3\n", InputError, "negative"),
    ("A,B,count\n1,0,5\n1,0,3\n", InputError, "duplicate"),
    ("A,B,n\n1,0,5\n0,1,3\n", InputError, "count"),
    ("A,B,count\n1,0,5.5\n0,1,3\n", InputError, "whole"),
    ("A,B,count\n0,0,5\n0,1,3\n1,0,2\n", InputError, "no list"),
])
def test_bad_tables_raise_clear_errors(tmp_path, text, error, words):
    with pytest.raises(error, match=words):
        MultipleSystemsEstimator().fit(read_capture_table(_write(tmp_path, text)))


def test_lists_without_overlap_cannot_be_modelled():
    table = pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [5, 3]})
    with pytest.raises(DarkFigureError, match="existence"):
        MultipleSystemsEstimator().fit(table)


def test_result_frame_and_summary(uk_result):
    frame = uk_result.to_frame()
    assert list(frame["estimate"]) == ["population", "hidden"]
    assert frame.loc[1, "value"] == pytest.approx(uk_result.hidden)
    assert (frame["confidence_level"] == 0.95).all()
    text = uk_result.summary()
    assert "11,313" in text and "LA:NG" in text


def test_cli_json_on_csv(capsys):
    assert main(["mse", str(UK), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"observed", "estimate", "lower", "upper", "hidden", "model", "method"} <= set(out)
    assert out["estimate"] == pytest.approx(11313, rel=0.005)
    assert ["LA", "NG"] in out["model"]


def test_cli_reports_bad_table_and_exits_2(tmp_path, capsys):
    assert main(["mse", str(_write(tmp_path, "A,B,count\n1,0,-1\n0,1,3\n"))]) == 2


def test_cli_on_sample_store(sample_store, capsys):
    assert main(["mse", "--store", str(sample_store), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["estimate"] >= out["observed"] > 0
    assert main(["mse", "--store", str(sample_store), "--lists", "agency",
                 "--period", "2023Q1:2023Q4"]) == 0
    assert "Multiple systems estimate" in capsys.readouterr().out


@pytest.mark.slow
def test_model_conditional_interval_covers_known_size_of_independent_lists():
    rng = np.random.default_rng(20240101)
    size, probs = 2000, np.array([0.15, 0.2, 0.25])
    covered, estimates = 0, []
    for _ in range(40):
        seen = rng.random((size, 3)) < probs
        seen = seen[seen.any(axis=1)].astype(int)
        table = pd.DataFrame(seen, columns=["A", "B", "C"]).value_counts().rename(
            "count").reset_index()
        result = MultipleSystemsEstimator().fit(table)
        covered += result.lower <= size <= result.upper
        estimates.append(result.estimate)
    assert 0.85 <= covered / 40 <= 1.0
    assert abs(np.mean(estimates) / size - 1) < 0.05
