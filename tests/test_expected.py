"""Expected figures: scaling adds up, GSI 2023 for Leicestershire, stock to flow, corners."""

from __future__ import annotations

import pytest

from analysis.assumptions import Duration, Scenario
from analysis.expected import (
    ENGLAND_WALES_CODE,
    area_populations,
    expected_flow,
    expected_grid,
    expected_stock,
    scale_to_areas,
    stock_to_flow,
)
from analysis.reference import read_areas
from analysis.results import Estimate

GSI = 122_000 / 67_886_000


def test_leicestershire_gsi_2023_stock_independent():
    s = expected_stock("E23000021", "gsi_2023", scenario_range="own")
    assert s.value == pytest.approx(122_000 / 67_886_000 * 1_121_800)
    assert s.lower == s.upper == s.value  # GSI 2023 publishes no range


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
    ew = expected_stock(ENGLAND_WALES_CODE, "gsi_2023", scenario_range="own")
    assert len(forces) == 43
    assert forces["stock"].sum() == pytest.approx(ew.value, rel=1e-9)
    assert ew.value == pytest.approx(GSI * area_populations().set_index("area_code").loc[
        ENGLAND_WALES_CODE, "population"])


def test_uk_figure_is_the_published_estimate():
    assert expected_stock("K02000001", "gsi_2023", scenario_range="own").value == \
        pytest.approx(122_000)


def test_stock_to_flow_duration_two_years_halves_the_stock():
    d = Duration(2.0, 2.0, 2.0, source="test")
    flow = stock_to_flow(Estimate("stock", 1000.0, 800.0, 1500.0), d)
    assert (flow.value, flow.lower, flow.upper) == (500.0, 400.0, 750.0)
    quarter = stock_to_flow(Estimate("stock", 1000.0, 1000.0, 1000.0), d, period_years=0.25)
    assert quarter.value == pytest.approx(125.0)


def test_interval_corners_as_documented():
    sc = Scenario("mine", central=50_000, low=30_000, high=80_000, population_base=60e6)
    d = Duration(2.0, 1.5, 4.0, source="test")
    r = expected_flow("E23000021", scenario=sc, duration=d, scenario_range="own")
    pop = 1_121_800
    assert r.value == pytest.approx(50_000 / 60e6 * pop / 2)
    assert r.lower == pytest.approx(30_000 / 60e6 * pop / 4.0)   # low stock / long duration
    assert r.upper == pytest.approx(80_000 / 60e6 * pop / 1.5)   # high stock / short duration


def test_catalogue_range_widens_the_envelope():
    own = expected_flow("E23000021", scenario="gsi_2023", scenario_range="own")
    wide = expected_flow("E23000021", scenario="gsi_2023")
    assert wide.lower < own.lower and wide.upper > own.upper
    assert wide.value == pytest.approx(own.value)


def test_grid_quarters_add_to_the_year():
    year = expected_flow("E06000016", scenario="gsi_2023", scenario_range="own")
    grid = expected_grid(["E06000016"], ["2023Q1", "2023Q2", "2023Q3", "2023Q4"],
                         scenario="gsi_2023", scenario_range="own")
    assert grid["expected"].sum() == pytest.approx(year.value)
