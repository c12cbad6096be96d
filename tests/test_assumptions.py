import pytest

from analysis.assumptions import (
    DEFAULT_DURATION,
    Scenario,
    ShareTable,
    catalogue_scenarios,
    duration,
    equal_shares,
    exploitation_type_shares,
    get_scenario,
)
from analysis.errors import DarkFigureError


def test_default_scenario_is_gsi_2023_with_published_values_and_no_invented_interval():
    s = get_scenario()
    assert (s.name, s.central, s.population_base) == ("gsi_2023", 122_000, 67_886_000)
    assert s.bounds == (122_000, 122_000) and not s.has_published_range


def test_alternatives_carry_published_values():
    cat = catalogue_scenarios()
    assert cat["gsi_2018"].central == 136_000
    ho = cat["home_office_mse_2014"]
    assert ho.bounds == (10_000, 13_000) and ho.central == 11_500
    assert any("midpoint" in n for n in ho.notes)


def test_scenario_with_no_value_is_a_clear_error():
    with pytest.raises(DarkFigureError, match="no value"):
        Scenario("blank", central=None)
    # the real catalogue row with only a lower bound
    with pytest.raises(DarkFigureError, match="justice_and_care_csj_2020' has no value"):
        get_scenario("justice_and_care_csj_2020")


def test_unknown_scenario_lists_the_known_ones():
    with pytest.raises(DarkFigureError, match="gsi_2023"):
        get_scenario("gsi_1999")


def test_default_duration_is_labelled_assumption_with_sources():
    assert DEFAULT_DURATION.label == "assumption"
    assert (DEFAULT_DURATION.low, DEFAULT_DURATION.central, DEFAULT_DURATION.high) == (1, 2, 5)
    assert "ctdatacollaborative.org" in DEFAULT_DURATION.source
    with pytest.raises(DarkFigureError):
        duration(2, low=3, high=4)


def test_exploitation_shares_match_published_2023_counts():
    t = exploitation_type_shares(2023)
    # independent: 2023 all ages, Home Office tables: criminal 4725, all types 17023
    assert t.share("criminal") == pytest.approx(4725 / 17023)
    assert sum(s for _, s in t.shares) == pytest.approx(1)
    assert "referral-based" in t.label


def test_share_tables_must_sum_to_one_and_name_unknown_category():
    with pytest.raises(DarkFigureError):
        ShareTable("sector", (("a", 0.5), ("b", 0.6)), "x", "assumption")
    with pytest.raises(DarkFigureError, match="no sector share"):
        equal_shares(["care"]).share("car_wash")
