"""`darkfigure estimate` on the sample store and on the national public figures: the honest
headline's estimand (new victims), period rule, labels and scenario table."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.cli import main
from analysis.detection import districts_of
from analysis.periods import quarter_range
from analysis.store import Store

LEICS = "E23000021"


def _run(capsys, *argv) -> dict:
    assert main(["estimate", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def first_records(sample_store) -> pd.DataFrame:
    """Independent calculation: each keyed person's earliest record over the whole store."""
    with Store(sample_store, read_only=True) as store:
        r = store.referrals()
    keyed = r[r["person_key"].notna()].sort_values(["referral_date"], kind="stable")
    first = keyed.groupby("person_key").head(1)
    out = pd.concat([first, r[r["person_key"].isna()]])
    return out[out["area_code"].isin(districts_of(LEICS))]


def test_area_headline_counts_new_victims_at_their_first_ever_record(sample_store, capsys,
                                                                      first_records):
    out = _run(capsys, "--store", str(sample_store), "--area", LEICS,
               "--period", "2022Q1:2023Q4")
    for key in ("period", "expected", "detected", "detection_ratio", "gap", "trend", "scenarios"):
        assert key in out
    people = int(first_records["quarter"].isin(quarter_range("2022Q1", "2023Q4")).sum())
    assert out["detected"]["value"] == people
    ratio = out["detection_ratio"]
    assert ratio["lower"] <= ratio["value"] <= ratio["upper"]
    assert ratio["value"] == pytest.approx(people / out["expected"]["value"])
    assert out["period"] == "2022Q1:2023Q4" and out["quarters"] == 8
    assert out["area_name"] == "Leicestershire"


def test_detected_is_additive_quarters_to_years_to_the_whole_window(sample_store, capsys):
    def detected(period):
        return _run(capsys, "--store", str(sample_store), "--period", period)["detected"]["value"]

    years = {y: detected(f"{y}Q1:{y}Q4") for y in range(2019, 2026)}
    assert sum(detected(f"2024Q{q}:2024Q{q}") for q in range(1, 5)) == years[2024]
    assert sum(years.values()) == detected("2019Q1:2025Q4")


def test_default_period_is_the_latest_four_complete_quarters(sample_store, capsys):
    out = _run(capsys, "--store", str(sample_store))
    assert out["period"] == "2025Q1:2025Q4" and out["period_label"] == "2025"
    assert out["left_censored"] is False
    early = _run(capsys, "--store", str(sample_store), "--period", "2019Q1:2019Q4")
    assert early["left_censored"] is True
    assert any("left censoring" in n for n in early["notes"])


def test_uncertainty_is_labelled_for_what_it_is(sample_store, capsys):
    out = _run(capsys, "--store", str(sample_store))
    assert out["expected"]["confidence_level"] is None
    assert out["expected"]["interval_kind"] == "range over durations of 1 to 5 years"
    assert out["detected"]["confidence_level"] == 0.95
    ratio = out["detection_ratio"]
    assert ratio["confidence_level"] == 0.95 and ratio["interval_kind"] == "confidence"
    span = ratio["assumption_range"]
    assert span["confidence_level"] is None
    # the default ratio's range spans only the duration sensitivity (1 to 5 years): 5-fold
    assert span["upper"] / span["lower"] == pytest.approx(5.0)
    assert out["expected"]["value"] == pytest.approx(1008.01, abs=0.01)
    assert out["gap"]["lower"] >= 0 and out["gap"]["assumption_range"]["lower"] >= 0
    assert out["trend"] is None or "verdict" in out["trend"]


def test_scenarios_are_separate_rows_converted_by_what_they_count(sample_store, capsys):
    rows = {r["scenario"]: r for r in _run(capsys, "--store", str(sample_store))["scenarios"]}
    assert rows["gsi_2023"]["default"] and not rows["gsi_2023"]["contradicted"]
    assert rows["gsi_2018"]["status"] == "superseded"
    assert rows["home_office_mse_2014"]["contradicted"]  # ~3,800 new a year < 23,411 NRM 2025
    assert rows["nca_ukhtc_2013_known"]["expected"] is None and not rows[
        "nca_ukhtc_2013_known"]["offered"]
    assert all(r["confidence_level"] is None for r in rows.values())


def test_every_offered_scenario_gives_a_headline(sample_store, capsys):
    from analysis.assumptions import CATALOGUE_SCENARIOS

    for name in CATALOGUE_SCENARIOS:
        out = _run(capsys, "--store", str(sample_store), "--scenario", name)
        assert out["expected"]["value"] > 0 and out["scenario"] == name


def test_short_period_skips_nothing_and_text_names_period_and_units(sample_store, capsys):
    assert main(["estimate", "--store", str(sample_store), "--period", "2023Q1:2023Q2"]) == 0
    text = capsys.readouterr().out
    assert "new victims of modern slavery in 2023 Q1 to 2023 Q2" in text
    assert "range over durations of 1 to 5 years" in text and "Assumptions:" in text
    assert "95% confidence interval" in text and "Leicestershire" in text


def test_national_2023(capsys):
    out = _run(capsys, "--national", "--period", "2023Q1:2023Q4", "--scenario", "gsi_2023",
               "--duration", "2")
    assert out["detected"]["value"] == 4746 + 3998 + 4131 + 4142 == 17017
    assert out["expected"]["value"] == pytest.approx(122_000 / 2)
    assert out["area_code"] == "K02000001"
    text = " ".join(out["assumptions"])
    assert "count referrals, not distinct people" in text and "first-ever record" not in text


def test_bad_area_and_alpha_exit_2(sample_store, capsys):
    assert main(["estimate", "--store", str(sample_store), "--area", "S92000003"]) == 2
    assert "unknown area" in capsys.readouterr().err
    assert main(["estimate", "--store", str(sample_store), "--alpha", "1.5"]) == 2
    assert "--alpha" in capsys.readouterr().err
