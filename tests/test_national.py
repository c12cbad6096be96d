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


# ---- over-dispersion rule, vintages, UK and overseas -----------------------------------------

def test_force_funnel_adjusts_when_the_forces_are_over_dispersed_and_says_so(forces):
    from analysis.national import force_funnel

    result = force_funnel(forces, "E23000021")
    assert result.overdispersed and result.funnel.overdispersion == "additive"
    assert result.unadjusted.dispersion.p_value < 0.05
    assert (result.outside_998(result.unadjusted), result.outside_998()) == (19, 1)
    assert "Outside 99.8% limits: 1 of 43 adjusted, 19 unadjusted" in result.note
    assert set(result.to_frame()["overdispersion_adjusted"]) == {True}


def test_force_funnel_keeps_poisson_limits_when_the_forces_are_not_over_dispersed():
    from analysis.national import force_funnel

    # every force refers exactly at the common rate: no extra-Poisson spread at all
    pops = [1_000_000, 2_000_000, 500_000, 1_500_000, 800_000]
    table = pd.DataFrame({"pfa_code": list("ABCDE"), "pfa_name": list("ABCDE"),
                          "population": pops, "referrals": [p // 10_000 for p in pops],
                          "period": "2023 Q1"})
    result = force_funnel(table, "A")
    assert not result.overdispersed and result.funnel.overdispersion is None
    assert result.note.startswith("Poisson limits")


def test_within_one_release_a_primary_figure_beats_a_secondary_one():
    from analysis.national_series import pick_vintage

    cells = pd.DataFrame({"period": ["2023Q4"] * 3, "source_release": ["2023Q4", "2023Q4",
                                                                        "2023Q3"],
                          "secondary": [False, True, False], "load_id": [1, 2, 3],
                          "count": [4142, 4142, 4000]})
    latest = pick_vintage(cells, ["period"])
    assert (latest["load_id"].item(), bool(latest["secondary"].item())) == (1, False)
    assert pick_vintage(cells, ["period"], "first")["count"].item() == 4000


def test_newer_bulletin_quarters_carry_their_vintage_and_source():
    latest = uk_quarterly_referrals("latest").set_index("period")
    first = uk_quarterly_referrals("first").set_index("period")
    # nrm_bulletin_headlines_2018_2025.csv / totals CSV: 2024 Q1 first 4,524, revised 4,521
    assert (first.loc["2024Q1", "referrals"], first.loc["2024Q1", "release"]) == (4524, "2024Q1")
    assert (latest.loc["2024Q1", "referrals"], latest.loc["2024Q1", "release"]) == (4521, "2024Q2")
    # 2025 Q3: 6,414 first (secondary reproduction), revised to 6,407 in the Q4 2025 bulletin
    assert bool(first.loc["2025Q3", "secondary"]) and first.loc["2025Q3", "referrals"] == 6414
    assert not bool(latest.loc["2025Q3", "secondary"]) and latest.loc["2025Q3", "referrals"] == 6407


def test_location_of_exploitation_equals_the_table_2_sums():
    from analysis.national import uk_referrals_by_location

    ref = pd.read_csv(REFERENCE_DIR / "nrm_referrals_uk_quarterly_by_age_and_location_"
                                      "2009q2_2023q4.csv").query("location_of_exploitation != "
                                                                 "'Total'")
    ref = ref.assign(period=ref.year.astype(str) + ref.quarter)
    expected = ref.pivot_table(index="period", columns="location_of_exploitation",
                               values="referrals", aggfunc="sum")
    got = uk_referrals_by_location().set_index("period")
    assert len(got) == len(expected) == 59
    for location in ("UK", "Overseas", "UK and Overseas", "Not specified or unknown"):
        assert (got[location] == expected[location]).all()
    assert got.loc["2023Q4", "uk_share"] == pytest.approx(2102 / 4142)
    assert set(got["release"]) == {"2023Q4"}


def test_uk_national_share_by_force_with_wilson_intervals():
    from analysis.national import uk_national_share_by_force

    share = uk_national_share_by_force().set_index("pfa_code")
    raw = pd.read_csv(REFERENCE_DIR / "nrm_police_first_responder_by_force_quarterly_summary_"
                                      "2022q2_2023q4.csv")
    leics = raw[raw.first_responder == "Leicestershire Police"]
    n, k = leics.referrals_total.sum(), leics.nat_uk.sum()
    assert (share.loc["E23000021", "referrals"], share.loc["E23000021", "uk_nationals"]) == (n, k)
    # Wilson score interval by hand (Wilson 1927), z = 1.96
    z, p = 1.959963984540054, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    assert share.loc["E23000021", "lower"] == pytest.approx(centre - half)
    assert share.loc["E23000021", "upper"] == pytest.approx(centre + half)
    forces = raw[raw.pfa_code.notna()]
    assert share["england_and_wales_share"].iloc[0] == pytest.approx(
        forces.nat_uk.sum() / forces.referrals_total.sum())
    assert len(share) == 43


def test_uk_national_share_from_the_tables_then_the_bulletins():
    from analysis.national import uk_national_share

    share = uk_national_share().set_index("period")
    assert share.index[0] == "2022Q2" and share.index[-1] == "2025Q4"
    assert (share.loc["2023Q4", "uk_nationals"], share.loc["2023Q4", "referrals"]) == (1138, 4141)
    assert (share.loc["2024Q1", "uk_nationals"], share.loc["2024Q1", "referrals"]) == (1105, 4524)
    assert bool(share.loc["2025Q3", "secondary"]) and not bool(share.loc["2025Q4", "secondary"])
