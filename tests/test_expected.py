"""Expected figures: scaling adds up, GSI 2023 for Leicestershire, new victims are additive,
the window quantity, and ranges over assumptions that never carry a confidence level."""

from __future__ import annotations

import pytest

from analysis.assumptions import Duration, Scenario
from analysis.expected import (
    ENGLAND_WALES_CODE,
    area_populations,
    expected_during_window,
    expected_flow,
    expected_grid,
    expected_stock,
    scale_to_areas,
)
from analysis.reference import read_areas

GSI = 122_000 / 67_886_000
LEICS = 1_121_800  # Census 2021 usual residents, Leicestershire police force area


def test_leicestershire_gsi_2023_stock_independent():
    s = expected_stock("E23000021", "gsi_2023")
    assert s.value == pytest.approx(GSI * LEICS)
    assert s.lower == s.upper == s.value  # GSI 2023 publishes no range
    assert s.confidence_level is None


def test_districts_of_a_force_sum_to_the_force():
    lads = scale_to_areas("gsi_2023", level="local_authority").set_index("area_code")
    forces = scale_to_areas("gsi_2023", level="police_force_area").set_index("area_code")
    areas = read_areas()
    for pfa in ("E23000021", "E23000001", "W15000001"):
        members = areas.loc[areas["pfa_code"] == pfa, "lad_code"]
        for col in ("stock", "stock_lower", "stock_upper"):
            assert lads.loc[members, col].sum() == pytest.approx(forces.loc[pfa, col])


def test_forces_sum_to_england_and_wales():
    forces = scale_to_areas("gsi_2023", level="police_force_area")
    ew = expected_stock(ENGLAND_WALES_CODE, "gsi_2023")
    assert len(forces) == 43
    assert forces["stock"].sum() == pytest.approx(ew.value, rel=1e-9)
    assert ew.value == pytest.approx(GSI * area_populations().set_index("area_code").loc[
        ENGLAND_WALES_CODE, "population"])


def test_uk_figure_is_the_published_estimate():
    assert expected_stock("K02000001", "gsi_2023").value == pytest.approx(122_000)


def test_default_headline_is_1008_new_victims_a_year_over_durations_1_to_5():
    r = expected_flow("E23000021")
    assert r.value == pytest.approx(GSI * LEICS / 2)          # 1,008
    assert r.lower == pytest.approx(GSI * LEICS / 5)          # 403
    assert r.upper == pytest.approx(GSI * LEICS / 1)          # 2,016
    assert r.interval_kind == "range over durations of 1 to 5 years"
    assert r.estimate.confidence_level is None
    assert r.estimate.to_frame()["confidence_level"].isna().all()


def test_range_is_only_the_duration_sensitivity_not_the_catalogue():
    # the other scenarios (GSI 2018, Home Office 2014) must not widen the default's range
    r = expected_flow("E23000021", scenario="gsi_2023")
    assert r.upper / r.lower == pytest.approx(5.0)


def test_corners_of_a_scenario_with_a_published_range():
    sc = Scenario("mine", central=50_000, low=30_000, high=80_000, population_base=60e6)
    d = Duration(2.0, 1.5, 4.0, source="test")
    r = expected_flow("E23000021", scenario=sc, duration=d)
    assert r.value == pytest.approx(50_000 / 60e6 * LEICS / 2)
    assert r.lower == pytest.approx(30_000 / 60e6 * LEICS / 4.0)   # low figure / long duration
    assert r.upper == pytest.approx(80_000 / 60e6 * LEICS / 1.5)   # high figure / short duration
    assert "published range" in r.interval_kind


def test_people_exploited_during_a_year_convert_by_duration_plus_one():
    # Home Office 2014 counts potential victims during 2013: stock + a year's entries
    sc = Scenario("during", central=11_500, quantity="during_year", population_base=60e6)
    r = expected_flow("E23000021", scenario=sc)
    assert r.value == pytest.approx(11_500 / 60e6 * LEICS / 3)


def test_new_victims_are_additive_quarters_to_years_to_windows():
    year = expected_flow("E06000016").value
    quarter = expected_flow("E06000016", period_years=0.25).value
    seven = expected_flow("E06000016", period_years=7).value
    assert 4 * quarter == pytest.approx(year)
    assert 7 * year == pytest.approx(seven)
    grid = expected_grid(["E06000016"], ["2023Q1", "2023Q2", "2023Q3", "2023Q4"])
    assert grid["expected"].sum() == pytest.approx(year)


def test_window_is_stock_at_start_plus_new_during_it():
    w = expected_during_window("E23000021", window_years=7)
    stock = GSI * LEICS
    assert w.value == pytest.approx(stock + stock / 2 * 7)        # 9,072
    assert w.lower == pytest.approx(stock + stock / 5 * 7)
    assert w.upper == pytest.approx(stock + stock / 1 * 7)
    assert w.confidence_level is None and w.as_dict()["confidence_level"] is None
    one_day = expected_stock("E23000021").value
    assert w.value > 4 * one_day  # never the one-day stock
