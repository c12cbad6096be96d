"""Count tables from referrals: the full grid, zeros included, records or distinct people."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import DarkFigureError
from analysis.tables import count_referrals


@pytest.fixture
def referrals() -> pd.DataFrame:
    return pd.DataFrame({
        "area_code": ["a", "a", "a", "b", "c"],
        "quarter": ["2023Q1", "2023Q1", "2023Q2", "2023Q2", "2023Q3"],
        "sector": ["care", "care", "agriculture", "care", "care"],
        "person_key": ["p1", "p1", "p2", None, "p3"],
    })


def test_grid_includes_combinations_with_no_referrals(referrals):
    out = count_referrals(referrals, ["area_code", "sector"],
                          levels={"area_code": ["a", "b", "d"]})
    table = out.set_index(["area_code", "sector"])["detected"]
    assert len(out) == 3 * 2  # area d and sector combinations absent from the data
    assert table[("a", "care")] == 2 and table[("b", "agriculture")] == 0
    assert table[("d", "care")] == 0
    assert out["detected"].sum() == 4  # area c is outside the levels asked for


def test_counts_add_up_to_the_records_kept(referrals):
    out = count_referrals(referrals, ["area_code", "quarter", "sector"])
    assert out["detected"].sum() == len(referrals)


def test_distinct_people_counts_each_key_once_and_each_unkeyed_record(referrals):
    out = count_referrals(referrals, "area_code", distinct_people=True, name="people")
    assert out.set_index("area_code")["people"].to_dict() == {"a": 2, "b": 1, "c": 1}


def test_bad_columns_are_user_errors(referrals):
    with pytest.raises(DarkFigureError, match="lack"):
        count_referrals(referrals, "district")
    with pytest.raises(DarkFigureError, match="not counted by"):
        count_referrals(referrals, "area_code", levels={"quarter": ["2023Q1"]})
    with pytest.raises(DarkFigureError, match="person_key"):
        count_referrals(referrals.drop(columns="person_key"), "area_code",
                        distinct_people=True)
