"""The method-sensitivity table: every MSE method side by side, the headline, the spread, the
warnings, and the `darkfigure mse` contract (CSV and store routes)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.mse import all_patterns, choose_headline, compare_methods, read_capture_table

DATA = Path(__file__).parent / "data" / "mse"
UK = DATA / "uk_2013_5list.csv"
EXAMPLE = Path(__file__).parents[1] / "data" / "examples" / "capture_patterns_example.csv"
QUICK = ["--bootstrap", "100", "--draws", "1500", "--burn-in", "500"]


@pytest.fixture(scope="module")
def uk_methods():
    return compare_methods(read_capture_table(UK), bootstrap=100,
                           latent_class={"burn_in": 500, "draws": 1500})


@pytest.mark.slow
def test_uk_table_headlines_bic_and_states_the_spread(uk_methods):
    r = uk_methods
    assert r.headline == "bic" and "Silverman, Chan and Vincent 2024" in r.reason
    table = r.table().set_index("method")
    assert table.loc["stepwise", "estimate"] == pytest.approx(11313, abs=1)
    assert table.loc["bic", "estimate"] == pytest.approx(25311, abs=1)
    assert list(table.index) == ["stepwise", "bic", "dga", "latent-class"]
    assert set(table["interval_kind"]) == {"confidence", "credible"}
    assert "11,313" in r.spread and "25,311" in r.spread and "factor of 2.2" in r.spread


@pytest.mark.slow
def test_uk_table_warns_of_empty_and_sparse_overlaps_and_heterogeneity(uk_methods):
    notes = " ".join(uk_methods.notes)
    assert "never overlap: LA:GP" in notes
    sparse = next(n for n in uk_methods.notes if n.startswith("sparse overlaps"))
    # the pair is named but its count (1 person) is not given: overlaps are counts of
    # people, which only the protection layer may show
    assert "NG:GP" in sparse and "(1)" not in sparse
    assert "evidence of heterogeneity" in notes


def test_two_lists_warn_and_skip_the_latent_class_model():
    table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [300, 200, 100]})
    r = compare_methods(table, ["stepwise", "latent-class"], bootstrap=0)
    assert r.headline == "stepwise"
    assert any("only 2 lists" in n for n in r.notes)
    assert dict(r.failed)["latent-class"].startswith("needs 3")
    assert round(r.best.estimate) == 1200  # Petersen


def test_multi_year_window_and_merged_lists_are_noted():
    table = pd.DataFrame(all_patterns(3), columns=["a", "b", "c"])
    table["count"] = [210, 140, 140, 90, 90, 60, 60]
    table.attrs["merged_lists"] = {"c": ["c1", "c2"]}
    r = compare_methods(table, ["stepwise"], bootstrap=0, window_years=7)
    notes = " ".join(r.notes)
    assert "spans 7 years" in notes and "prefer annual windows" in notes
    assert "lists merged: c = c1 + c2" in notes
    assert "Only one method" in r.spread


def test_unknown_method_is_a_clear_error(capsys):
    from analysis.errors import DarkFigureError

    with pytest.raises(DarkFigureError, match="unknown method"):
        compare_methods(read_capture_table(UK), ["magic"])


@pytest.mark.slow
def test_cli_default_is_the_sensitivity_table_with_the_json_contract(capsys):
    assert main(["mse", str(UK), "--json", *QUICK]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"observed", "estimate", "lower", "upper", "model", "method", "methods",
            "headline", "spread", "notes"} <= set(out)
    assert out["headline"] == "bic" and out["estimate"] == pytest.approx(25311, abs=1)
    assert ["LA", "NG", "PFNCA"] in out["model"]
    assert [m["method"] for m in out["methods"]] == ["stepwise", "bic", "dga", "latent-class"]
    for m in out["methods"]:
        assert {"method", "estimate", "lower", "upper", "interval_method", "notes"} <= set(m)
    assert main(["mse", str(UK), "--method", "dga"]) == 0
    text = capsys.readouterr().out
    assert "Model averaging" in text and "posterior" in text


def test_cli_single_method_json(capsys):
    assert main(["mse", str(UK), "--json", "--method", "dga"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["headline"] == "dga" and len(out["methods"]) == 1
    assert out["interval_kind"] == "credible" and "Madigan and York" in out["method"]


def test_example_capture_pattern_file_is_the_uk_2013_table():
    example = read_capture_table(EXAMPLE)
    assert example.equals(read_capture_table(UK))


def test_store_route_compares_with_expected_during_the_same_annual_window(capsys, request):
    from analysis.expected import expected_during_window

    sample_store = request.getfixturevalue("sample_store")
    assert main(["mse", "--store", str(sample_store), "--area", "E23000021", "--json",
                 "--method", "stepwise", "--bootstrap", "0"]) == 0
    out = json.loads(capsys.readouterr().out)
    window = out["window"]
    assert window["years"] == 1.0 and window["to"] == "2025Q4"  # the latest four quarters
    expected = expected_during_window("E23000021", window_years=1.0)
    assert out["expected_during_window"]["value"] == pytest.approx(expected.value)
    assert out["expected_during_window"]["confidence_level"] is None
    assert out["expected_during_window"]["interval_kind"].startswith("range over")
    assert any("lists merged" in n for n in out["notes"])
    # the people known to a list: the same protected cell as the Hidden figure page shows
    from dashboard.hidden_views import window_observed
    from dashboard.state import ViewState

    assert out["observed"] == window_observed(sample_store, ViewState())


def test_bare_command_uses_the_configured_store(capsys, request, monkeypatch):
    sample_store = request.getfixturevalue("sample_store")
    monkeypatch.setenv("DARKFIGURE_STORE", str(sample_store))
    assert main(["mse", "--method", "stepwise", "--bootstrap", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["observed"] > 0 and out["window"]["years"] == 1.0


def _independent_table() -> pd.DataFrame:
    table = pd.DataFrame(all_patterns(3), columns=["A", "B", "C"])
    table["count"] = [210, 140, 140, 90, 90, 60, 60]  # independent lists, N = 1,000
    return table


@pytest.mark.parametrize("converged", [True, False])
def test_latent_classes_above_every_loglinear_interval_are_headlined_with_an_undercover_note(
        monkeypatch, converged):
    # The log-linear methods run for real (about 1,000, intervals well below 1,600); the
    # latent-class fit is replaced by a result well above them, as heterogeneity gives.
    import analysis.mse.latent_class as latent_class

    class AboveEveryInterval:
        def __init__(self, **options):
            pass

        def fit(self, table):
            return latent_class.LatentClassResult(
                observed=790, estimate=1600.0, lower=1300.0, upper=2200.0,
                interval_kind="credible", converged=converged)

    monkeypatch.setattr(latent_class, "LatentClassEstimator", AboveEveryInterval)
    r = compare_methods(_independent_table(), ["stepwise", "dga", "latent-class"],
                        bootstrap=0)
    assert max(r.results[k].upper for k in ("stepwise", "dga")) < 1600
    notes = " ".join(r.notes)
    if converged:
        assert r.headline == "latent-class"
        assert "above the upper limit of every log-linear" in r.reason
        assert "intervals likely undercover" in r.reason
        assert "the latent-class estimate (1,600) is above the upper limit" in notes
        assert "log-linear intervals likely undercover" in notes
        assert r.to_dict()["estimate"] == 1600.0
    else:  # unconverged chains neither move the headline nor speak for heterogeneity
        assert r.headline == "dga"
        assert "likely undercover" not in notes


def test_latent_classes_inside_a_loglinear_interval_leave_the_headline_alone():
    from types import SimpleNamespace as Fit

    fits = {"stepwise": Fit(estimate=1000, lower=950, upper=1050),
            "bic": Fit(estimate=1100, lower=900, upper=1500),
            "latent-class": Fit(estimate=1400, lower=1100, upper=2000, converged=True)}
    headline, reason = choose_headline(fits)
    assert headline == "bic" and "Silverman, Chan and Vincent 2024" in reason
    fits["bic"] = Fit(estimate=1100, lower=900, upper=1300)
    assert choose_headline(fits)[0] == "latent-class"


def test_cli_help_gives_the_latent_class_defaults(capsys):
    import re

    from analysis.mse import LatentClassEstimator

    with pytest.raises(SystemExit):
        main(["mse", "--help"])
    text = re.sub(r"\s+", " ", capsys.readouterr().out)
    defaults = LatentClassEstimator()
    assert f"kept per chain (default {defaults.draws})" in text
    assert f"discarded per chain (default {defaults.burn_in})" in text
