"""Reference readers return the published figures unchanged (data/reference/README.md)."""

import pandas as pd

from analysis.reference import read_areas, read_populations, read_prevalence_estimates

LEICESTERSHIRE_LADS = {
    "E06000016", "E06000017", "E07000129", "E07000130", "E07000131", "E07000132",
    "E07000133", "E07000134", "E07000135",
}


def test_areas_cover_all_43_forces_and_331_districts():
    areas = read_areas()
    assert len(areas) == 331
    assert areas["pfa_code"].nunique() == 43
    leics = set(areas.loc[areas.pfa_code == "E23000021", "lad_code"])
    assert leics == LEICESTERSHIRE_LADS


def test_force_populations_equal_the_sum_of_their_districts():
    pops = read_populations()
    areas = read_areas()
    lad = pops[pops.geography_level == "local_authority"].merge(
        areas, left_on="area_code", right_on="lad_code"
    )
    by_force = lad.groupby("pfa_code")["population"].sum()
    pfa = pops[pops.geography_level == "police_force_area"].set_index("area_code")["population"]
    pd.testing.assert_series_equal(by_force.sort_index(), pfa.sort_index(), check_names=False)
    assert pfa["E23000021"] == 1_121_800


def test_uk_mid_2023_population_is_the_official_figure():
    pops = read_populations()
    uk = pops[pops.geography_level == "uk"]
    assert uk["population"].tolist() == [68_265_209]
    assert uk["year"].tolist() == [2023]


def test_gsi_2023_is_122000_at_1_8_per_1000():
    cat = read_prevalence_estimates().set_index("estimate_id")
    assert cat.loc["gsi_2023", "estimate_central"] == 122_000
    assert cat.loc["gsi_2023", "prevalence_per_1000"] == 1.8
    assert cat.loc["gsi_2023", "population_base"] == 67_886_000
    assert cat.loc["home_office_mse_2014", "estimate_low"] == 10_000
    assert cat.loc["home_office_mse_2014", "estimate_high"] == 13_000


def test_reader_returns_a_fresh_copy_each_time():
    first = read_areas()
    first.loc[:, "lad_name"] = "changed"
    assert (read_areas()["lad_name"] != "changed").all()
