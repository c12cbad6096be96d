import pytest

from analysis.assumptions import Duration, Scenario, get_scenario
from analysis.errors import DarkFigureError
from analysis.expected import (
    area_populations,
    expected_flow,
    expected_grid,
    expected_stock,
    scale_to_areas,
)
from analysis.reference import read_populations

GSI_RATE = 122_000 / 67_886_000


def test_uk_stock_is_the_published_figure():
    assert expected_stock("K02000001", "gsi_2023", scenario_range="own").value == 122_000


def test_leicestershire_flow_by_hand():
    pop = 1_121_800
    r = expected_flow("E23000021", scenario="gsi_2023", scenario_range="own",
                      duration=Duration(2, 1, 5, "test"), period_years=0.5)
    stock = GSI_RATE * pop
    assert r.value == pytest.approx(stock / 2 * 0.5)
    assert r.lower == pytest.approx(stock / 5 * 0.5)
    assert r.upper == pytest.approx(stock / 1 * 0.5)


def test_catalogue_range_spans_lowest_and_highest_rate():
    r = expected_flow("K02000001", duration=Duration(2, 2, 2, "test"))
    uk_2023 = read_populations().set_index("area_code").loc["K02000001", "population"]
    # lowest: Home Office 2014 low 10,000 on the UK mid-2023 base (no base published)
    assert r.lower == pytest.approx(10_000 / uk_2023 * 67_886_000 / 2)
    # highest: GSI 2018 2.1 per 1,000
    assert r.upper == pytest.approx(2.1 / 1000 * 67_886_000 / 2)
    assert any("across scenarios" in a for a in r.assumptions)


def test_areas_add_up_to_the_national_figure_for_their_base():
    pops = area_populations()
    ew = float(pops.set_index("area_code").loc["K04000001", "population"])
    s = Scenario("ew", central=100_000, population_base=ew, reference="test")
    lad = scale_to_areas(s, level="local_authority", scenario_range="own")
    pfa = scale_to_areas(s, level="police_force_area", scenario_range="own")
    reg = scale_to_areas(s, level="region", scenario_range="own")
    assert lad["stock"].sum() == pytest.approx(100_000)
    assert pfa["stock"].sum() == pytest.approx(100_000)
    assert reg["stock"].sum() == pytest.approx(100_000)
    leics = ["E06000016", "E06000017", *[f"E07000{n}" for n in range(129, 136)]]
    assert lad[lad.area_code.isin(leics)]["stock"].sum() == pytest.approx(
        pfa.set_index("area_code").loc["E23000021", "stock"])


def test_area_without_population_is_a_clear_error():
    with pytest.raises(DarkFigureError, match="S23000009"):
        expected_flow("S23000009")


def test_share_split_is_named_in_assumptions():
    from analysis.assumptions import exploitation_type_shares

    t = exploitation_type_shares()
    whole = expected_flow("E23000021", scenario_range="own")
    part = expected_flow("E23000021", scenario_range="own", shares=t, category="labour")
    assert part.value == pytest.approx(whole.value * t.share("labour"))
    assert any("referral-based" in a for a in part.assumptions)


def test_grid_is_quarterly_and_complete():
    g = expected_grid(["E06000016", "E06000017"], ["2023Q1", "2023Q2", "2023Q3"],
                      scenario=get_scenario("gsi_2023"), scenario_range="own")
    assert len(g) == 6
    assert g["expected"].iloc[0] == pytest.approx(GSI_RATE * 368_600 / 2 / 4, rel=1e-3)
