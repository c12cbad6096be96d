"""National context: police-made referrals per force and the UK quarterly series.

Expected values are recomputed here from the reference CSVs and the Census 2021 PFA
file, independently of analysis.national; Leicestershire's quarters (17, 9, 20, 21,
25, 24, 15) and its population (1,121,800) are from data/reference/README.md.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.config import REFERENCE_DIR
from analysis.errors import DarkFigureError
from analysis.national import (
    EXCLUDED_RESPONDERS,
    FORCE_PFA_CODES,
    POLICE_FILE,
    force_pfa_code,
    police_referrals_by_force,
    uk_quarterly_referrals,
)

PFA_FILE = REFERENCE_DIR / "population_census2021_by_police_force_area_ew.csv"


@pytest.fixture(scope="module")
def forces() -> pd.DataFrame:
    return police_referrals_by_force()


def test_all_43_forces_of_england_and_wales_are_present_once(forces):
    pfa = pd.read_csv(PFA_FILE)
    assert len(forces) == 43
    assert set(forces.pfa_code) == set(pfa.pfa_code)
    assert forces.pfa_code.is_unique


def test_every_responder_in_the_police_table_is_a_force_or_excluded_with_a_reason():
    names = set(pd.read_csv(REFERENCE_DIR / POLICE_FILE).police_first_responder)
    assert names <= set(FORCE_PFA_CODES) | set(EXCLUDED_RESPONDERS)
    assert {"British Transport Police", "Police Scotland"} <= set(EXCLUDED_RESPONDERS)
    assert all(reason for reason in EXCLUDED_RESPONDERS.values())


@pytest.mark.parametrize("name, code", [
    ("Leicestershire Police", "E23000021"), ("Metropolitan Police Service", "E23000001"),
    ("Avon and Somerset Constabulary", "E23000036"), ("Avon & Somerset Constabulary", "E23000036"),
    ("Devon & Cornwall Police", "E23000035"), ("Dyfed-Powys Police", "W15000004"),
    ("British Transport Police", None), ("Tarian ROCU", None),
])
def test_published_force_names_map_to_pfa_codes(name, code):
    assert force_pfa_code(name) == code


def test_an_unknown_responder_name_is_an_error_not_a_silent_drop():
    with pytest.raises(DarkFigureError, match="neither one of the 43 forces"):
        force_pfa_code("Atlantis Constabulary")


def test_leicestershire_total_is_the_sum_of_its_seven_published_quarters(forces):
    leics = forces.set_index("pfa_code").loc["E23000021"]
    assert leics.referrals == 17 + 9 + 20 + 21 + 25 + 24 + 15 == 131
    assert leics.force_name_published == "Leicestershire Police"
    assert leics.population == 1_121_800
    assert leics.rate_per_100k == pytest.approx(131 / 1_121_800 * 100_000)
    assert leics.annual_rate_per_100k == pytest.approx(131 / 7 * 4 / 1_121_800 * 100_000)


def test_rates_equal_an_independent_computation(forces):
    raw = pd.read_csv(REFERENCE_DIR / POLICE_FILE)
    totals = raw[(raw.exploitation_type == "All types") & (raw.age_at_exploitation == "All ages")]
    by_name = totals.groupby("police_first_responder").referrals.sum()
    pfa = pd.read_csv(PFA_FILE).set_index("pfa_code")
    pops = pfa.census_2021_usual_residents_sum_of_rounded_lads
    for name, code in FORCE_PFA_CODES.items():
        row = forces.set_index("pfa_code").loc[code]
        expected = by_name.get(name, 0)
        assert row.referrals == expected
        assert row.rate_per_100k == pytest.approx(expected / pops[code] * 1e5, rel=1e-12)
        assert row.annual_rate_per_100k == pytest.approx(expected * 4 / 7 / pops[code] * 1e5)


def test_a_force_absent_from_a_quarter_counts_zero_for_it(tmp_path):
    # Every force happens to appear in all seven published quarters, so remove
    # Leicestershire's 2023 Q4 rows from a copy: the README says absent = none.
    for source in REFERENCE_DIR.glob("*.csv"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    raw = pd.read_csv(REFERENCE_DIR / POLICE_FILE)
    gone = (raw.police_first_responder == "Leicestershire Police") & (raw.year == 2023) \
        & (raw.quarter == "Q4")
    raw[~gone].to_csv(tmp_path / POLICE_FILE, index=False)
    got = police_referrals_by_force(reference_dir=tmp_path).set_index("pfa_code")
    assert len(got) == 43
    assert got.loc["E23000021", "referrals"] == 131 - 15
    alone = police_referrals_by_force("2023Q4", "2023Q4", reference_dir=tmp_path)
    assert alone.set_index("pfa_code").loc["E23000021", "referrals"] == 0


def test_a_period_outside_the_published_tables_is_refused():
    with pytest.raises(DarkFigureError, match="cover 2022Q2 to 2023Q4"):
        police_referrals_by_force("2021Q1", "2023Q4")
    with pytest.raises(DarkFigureError, match="not a quarter"):
        police_referrals_by_force("2022-04", "2023Q4")


def test_uk_series_has_one_named_vintage_per_quarter():
    series = uk_quarterly_referrals()
    assert series.period.is_unique
    assert series.period.iloc[0] == "2009Q2" and series.period.iloc[-1] == "2025Q4"
    assert len(series) == 67
    assert series.vintage.notna().all() and series.release.str.fullmatch(r"\d{4}Q[1-4]").all()
    assert (series.release >= series.period).all()


def test_uk_series_latest_and_first_vintages_pick_the_published_figures():
    latest = uk_quarterly_referrals("latest").set_index("period")
    first = uk_quarterly_referrals("first").set_index("period")
    # 2022: every quarter's latest figure here is the Q4 2023 tables' (sum 16,921).
    assert latest.loc[["2022Q1", "2022Q2", "2022Q3", "2022Q4"], "referrals"].sum() == 16_921
    assert (latest.loc["2023Q1", "referrals"], latest.loc["2023Q1", "release"]) == (4742, "2024Q3")
    assert first.loc["2023Q1", "referrals"] == 4746
    assert first.loc["2022Q4", "referrals"] == 4416
    assert bool(latest.loc["2025Q1", "secondary"]) and not bool(latest.loc["2025Q4", "secondary"])
    annual = pd.read_csv(REFERENCE_DIR / "nrm_referrals_uk_annual_totals.csv")
    early = annual[annual.vintage.str.startswith("sum of quarters")].set_index("year")
    by_year = first.referrals.groupby(first.index.str[:4]).sum()
    for year in range(2010, 2019):
        assert by_year[str(year)] == early.loc[year, "nrm_referrals"]
