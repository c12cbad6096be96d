"""Scenarios, duration and share tables: the stated assumptions behave as declared."""

from __future__ import annotations

import pytest

from analysis.assumptions import (
    DEFAULT_DURATION,
    Scenario,
    catalogue_scenarios,
    duration,
    equal_shares,
    exploitation_type_shares,
    get_scenario,
)
from analysis.errors import DarkFigureError


def test_catalogue_figures_are_the_published_ones():
    s = catalogue_scenarios()
    assert s["gsi_2023"].central == 122_000 and s["gsi_2023"].population_base == 67_886_000
    assert s["gsi_2018"].central == 136_000
    ho = s["home_office_mse_2014"]
    assert (ho.low, ho.central, ho.high) == (10_000, 11_500, 13_000)
    assert any("midpoint" in n for n in ho.notes)


def test_unknown_and_empty_scenarios_are_clear_errors():
    with pytest.raises(DarkFigureError, match="unknown scenario"):
        get_scenario("nope")
    with pytest.raises(DarkFigureError, match="has no value"):
        Scenario("blank", central=float("nan"))
    with pytest.raises(DarkFigureError, match="low <= central <= high"):
        Scenario("bad", central=10, low=20)


def test_duration_default_and_user_values():
    assert (DEFAULT_DURATION.low, DEFAULT_DURATION.central, DEFAULT_DURATION.high) == (1, 2, 5)
    assert "assumption" in DEFAULT_DURATION.describe()
    d = duration(0.5)
    assert (d.low, d.central, d.high) == (0.5, 0.5, 5.0) and d.label == "user assumption"
    with pytest.raises(DarkFigureError):
        duration(-1)


def test_share_tables_sum_to_one():
    t = exploitation_type_shares(2023)
    assert sum(s for _, s in t.shares) == pytest.approx(1)
    assert t.to_frame()["share"].sum() == pytest.approx(1)
    assert equal_shares(["a", "b", "c", "a"]).share("b") == pytest.approx(1 / 3)
    with pytest.raises(DarkFigureError, match="no sector share"):
        equal_shares(["a"]).share("z")
    with pytest.raises(DarkFigureError, match="2022-2023 only"):
        exploitation_type_shares(2015)
