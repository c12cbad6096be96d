"""Multiple systems estimation: the UK 2013 reference result, closed forms, intervals, errors, CLI.

Reference: B. Silverman, *Modern Slavery: an application of Multiple Systems Estimation*, Home
Office 2014 (10,000-13,000 victims) and SparseMSE's stepwise result on its table ``UKdat_5``
(11,313; interactions LA:NG, NG:GP, PFNCA:GP, LA:PFNCA, GO:GP, NG:GO), see tests/data/mse/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DarkFigureError, InputError
from analysis.mse import MultipleSystemsEstimator, read_capture_table

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


@pytest.mark.parametrize("criterion", ["aic", "bic"])
def test_criterion_selection_gives_a_plausible_uk_estimate(uk, criterion):
    result = MultipleSystemsEstimator(criterion=criterion).fit(uk)
    assert 10000 < result.estimate < 13500
    assert result.lower < result.estimate < result.upper
    assert criterion.upper() in result.method


@pytest.fixture(scope="module")
def uk_bca(uk):
    return MultipleSystemsEstimator(bootstrap=200, random_state=1234).fit(uk)


def test_uk_bca_interval_contains_estimate_and_overlaps_published_range(uk_bca, uk_result):
    print(f"\nUK 2013 BCa (200 replicates): {uk_bca.lower:,.0f} to {uk_bca.upper:,.0f}; "
          "published 10,000 to 13,000")
    assert uk_bca.interval_method == "BCa bootstrap (200 replicates)"
    assert uk_bca.estimate == uk_result.estimate
    assert uk_bca.lower < uk_bca.estimate < uk_bca.upper
    assert uk_bca.lower < 13000 and uk_bca.upper > 10000
    # selection uncertainty makes it wider than the model-conditional interval
    assert uk_bca.upper - uk_bca.lower > uk_result.upper - uk_result.lower


def test_bca_bootstrap_is_reproducible_with_a_seed(uk):
    est = MultipleSystemsEstimator(bootstrap=30, random_state=7)
    a, b = est.fit(uk), est.fit(uk)
    assert (a.lower, a.upper) == (b.lower, b.upper)


def test_uk_profile_likelihood_interval_is_listed_and_close_to_wald(uk_result):
    rows = uk_result.intervals.set_index("interval_method")
    assert list(rows.index) == ["model-conditional", "profile likelihood"]
    lo, hi = rows.loc["profile likelihood", ["lower", "upper"]]
    assert lo < uk_result.estimate < hi
    # with 2,744 observed the likelihood is close to quadratic: within 2% of the Wald limits
    assert lo == pytest.approx(uk_result.lower, rel=0.02)
    assert hi == pytest.approx(uk_result.upper, rel=0.02)
    profiled = MultipleSystemsEstimator(interval="profile").fit(read_capture_table(UK))
    assert (profiled.lower, profiled.upper) == (lo, hi)


def test_parametric_bootstrap_interval_on_two_lists():
    table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [70, 30, 20]})
    result = MultipleSystemsEstimator(bootstrap=300, interval="parametric",
                                      random_state=3).fit(table)
    assert result.interval_method.startswith("parametric bootstrap")
    assert result.lower < 225 < result.upper
    # same population scale as the model-conditional interval (177 to 313)
    assert 150 < result.lower < 200 and 270 < result.upper < 400


@pytest.mark.parametrize("kwargs, words", [
    ({"criterion": "cv"}, "criterion"), ({"alpha": 1.5}, "alpha"),
    ({"bootstrap": -1}, "bootstrap"), ({"interval": "bca"}, "replicates"),
    ({"interval": "wald"}, "interval"), ({"pthresh": 2}, "pthresh"),
])
def test_bad_estimator_settings_raise_clear_errors(kwargs, words):
    table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [70, 30, 20]})
    with pytest.raises(DarkFigureError, match=words):
        MultipleSystemsEstimator(**kwargs).fit(table)


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


def test_uk_six_lists_stepwise_matches_sparsemse():
    # SparseMSE stepwise on UKdat (police forces and NCA apart): 11,418 with seven
    # interactions (shared/mse/README.md); the Home Office's Rcapture fit gives 11,409
    result = MultipleSystemsEstimator(goodness_of_fit=0).fit(
        read_capture_table(DATA / "uk_2013_6list.csv"))
    assert set(result.terms) == {("PF", "NCA"), ("LA", "NG"), ("NG", "GP"), ("LA", "PF"),
                                 ("PF", "GP"), ("GO", "GP"), ("NG", "GO")}
    assert result.estimate == pytest.approx(11418, rel=0.0005)


def test_result_frame_and_summary(uk_result):
    frame = uk_result.to_frame()
    assert list(frame["estimate"]) == ["population", "hidden"]
    assert frame.loc[1, "value"] == pytest.approx(uk_result.hidden)
    assert (frame["confidence_level"] == 0.95).all()
    text = uk_result.summary()
    assert "11,313" in text and "LA:NG" in text


def test_cli_json_on_csv(capsys):
    assert main(["mse", str(UK), "--json", "--method", "stepwise", "--bootstrap", "0"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"observed", "estimate", "lower", "upper", "hidden", "model", "method"} <= set(out)
    assert out["estimate"] == pytest.approx(11313, rel=0.005)
    assert ["LA", "NG"] in out["model"]


def test_cli_bootstrap_options_reach_the_estimator(capsys):
    assert main(["mse", str(UK), "--json", "--criterion", "bic", "--bootstrap", "20",
                 "--seed", "5", "--alpha", "0.1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["alpha"] == 0.1 and "BIC" in out["method"]
    assert out["interval_method"] == "BCa bootstrap (20 replicates)"
    assert out["hidden"] == pytest.approx(out["estimate"] - out["observed"])


def test_cli_reports_bad_table_and_exits_2(tmp_path, capsys):
    assert main(["mse", str(_write(tmp_path, "A,B,count\n1,0,-1\n0,1,3\n"))]) == 2


def test_cli_on_sample_store(capsys, request):
    pytest.importorskip("analysis.store", reason="analysis.store (store engineer) not built yet")
    sample_store = request.getfixturevalue("sample_store")
    truth = json.loads((Path(__file__).parents[1] / "data" / "sample" / "truth.json").read_text())
    target = next(t for t in truth["mse_targets"]["targets"]
                  if t["area_code"] == "E23000021" and t["period"] == "2019Q1:2025Q4")
    assert main(["mse", "--store", str(sample_store), "--area", "E23000021",
                 "--period", "2019Q1:2025Q4", "--json", "--bootstrap", "100",
                 "--draws", "2000", "--burn-in", "1000"]) == 0
    out = json.loads(capsys.readouterr().out)
    # the force area expands to its nine districts; observed = distinct keyed people (synth)
    assert out["observed"] == target["observed_distinct_person_keys"]
    # heterogeneous catchability in the sample biases MSE down (see the synth's definition);
    # the estimate still lies between the observed and the true number
    assert out["observed"] < out["estimate"] < target["true_distinct_victims"]
    assert main(["mse", "--store", str(sample_store), "--lists", "agency",
                 "--period", "2023Q1:2023Q4", "--method", "stepwise", "--bootstrap", "0"]) == 0
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
