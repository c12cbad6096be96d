"""The victim-to-charge funnel: people, stages, protection, times, follow-up and the sample."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from analysis.config import SAMPLE_DIR
from analysis.disclosure import protect_table
from analysis.errors import DarkFigureError
from analysis.justice import area_justice_funnel, justice_funnel, people_stages, stage_times
from analysis.survival import wilson_interval

AREA = "E06000016"


def _records(rows: list[dict]) -> pd.DataFrame:
    base = {"person_key": None, "agency_type": "police", "area_code": AREA,
            "nrm_referred": None, "crime_recorded": None, "outcome_code": None,
            "outcome_date": None, "nrm_referral_date": None}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    for column in ("referral_date", "outcome_date", "nrm_referral_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _cohort(year: int, detected: int, referred: int, recorded: int, charged: int,
            open_: int = 0) -> list[dict]:
    """``detected`` police records in ``year``; the first ``referred`` referred to the NRM,
    the first ``recorded`` crimes recorded, of which the first ``charged`` charged and the
    last ``open_`` still open."""
    rows = []
    for i in range(detected):
        is_recorded = i < recorded
        is_open = is_recorded and i >= recorded - open_
        code = None if not is_recorded or is_open else "1" if i < charged else "15"
        rows.append({"record_id": f"{year}-{i}", "referral_date": f"{year}-03-01",
                     "nrm_referred": i < referred,
                     "nrm_referral_date": f"{year}-03-{5 + i % 10:02d}" if i < referred else None,
                     "crime_recorded": is_recorded, "outcome_code": code,
                     "outcome_date": f"{year}-09-01" if code else None})
    return rows


@pytest.fixture()
def two_years() -> pd.DataFrame:
    return _records(_cohort(2022, 40, 30, 20, 6) + _cohort(2023, 50, 20, 25, 5, open_=10))


def test_stage_counts_and_rates_match_a_hand_count(two_years):
    result = justice_funnel(two_years, area_code=AREA, mode="exact", as_of="2024-01-31")
    table = result.stages.set_index(["cohort", "stage"])
    assert table.loc[("2022", "detected"), "count"] == 40
    assert table.loc[("2022", "nrm_referred"), "rate"] == pytest.approx(30 / 40)
    assert table.loc[("2023", "crime_recorded"), "rate"] == pytest.approx(25 / 50)
    assert table.loc[("2023", "charged"), "rate"] == pytest.approx(5 / 25)
    assert table.loc[("all", "charged"), "count"] == 11
    assert table.loc[("all", "charged"), "parent_count"] == 45
    lower, upper = wilson_interval(11, 45)
    assert table.loc[("all", "charged"), ["lower", "upper"]].tolist() == pytest.approx(
        [float(lower), float(upper)])
    assert math.isnan(table.loc[("all", "detected"), "rate"])


def test_share_still_open_and_equal_follow_up(two_years):
    result = justice_funnel(two_years, area_code=AREA, mode="exact", as_of="2024-01-31")
    open_ = result.open.set_index("cohort")
    assert open_.loc["2023", "open_count"] == 10 and open_.loc["2023", "share"] == pytest.approx(0.4)
    assert open_.loc["2022", "share"] == 0
    equal = result.equal_follow_up.set_index("cohort")
    # 2023 detected 1 March 2023, followed 336 days by 31 January 2024: not yet 365.
    assert list(equal.index) == ["2022", "all"]
    assert equal.loc["2022", "charged_count"] == 6 and equal.loc["2022", "total"] == 20


def _people_by_cohort(frame: pd.DataFrame, as_of: str) -> pd.DataFrame:
    people = people_stages(frame, as_of=as_of)
    return people.assign(cohort=people["detection_date"].dt.year.astype(str),
                         agency="x", record_id=people["person"])


STAGE_MASKS = {"detected": lambda p: p["person"].notna(),
               "nrm_referred": lambda p: p["nrm_referred"],
               "crime_recorded": lambda p: p["crime_recorded"],
               "charged": lambda p: p["charged"]}


@pytest.mark.parametrize("threshold", [5, 7, 10])
def test_shown_counts_are_protect_table_on_the_people_themselves(two_years, threshold):
    """Independent calculation: each stage's people (one row each, their record keys)
    through protect_table by cohort with the all-cohorts margin."""
    result = justice_funnel(two_years, threshold=threshold, as_of="2024-01-31")
    people = _people_by_cohort(two_years, "2024-01-31")
    stages = result.stages.set_index(["cohort", "stage"])["count"]
    for stage, mask in STAGE_MASKS.items():
        table = protect_table(people[mask(people)], "cohort", margins=True,
                              levels={"cohort": ["2022", "2023"]}, threshold=threshold).table
        for cohort, value in zip(table["cohort"], table["count"], strict=True):
            shown = stages[("all" if cohort == "Total" else cohort, stage)]
            assert (shown is pd.NA and value is pd.NA) or shown == value, (stage, cohort)
    recorded = people[people["crime_recorded"]].assign(
        group=lambda p: p["outcome_group"].fillna("open"))
    groups = protect_table(recorded, "group", threshold=threshold).table.set_index("group")
    outcomes = result.outcomes.set_index("outcome_group")["count"]
    for group, value in groups["count"].items():
        assert (outcomes[group] is pd.NA and value is pd.NA) or outcomes[group] == value


def test_every_count_is_within_two_of_the_truth_and_small_ones_are_hidden(two_years):
    shown = justice_funnel(two_years, as_of="2024-01-31").stages
    exact = justice_funnel(two_years, as_of="2024-01-31", mode="exact").stages
    for value, true in zip(shown["count"], exact["count"], strict=True):
        if true < 3:
            assert value is pd.NA
        if value is not pd.NA:
            assert abs(value - true) <= 2 and value >= 5
    assert (shown["count"].fillna(-1) != exact["count"]).any()   # perturbation has teeth


def test_rates_and_intervals_come_from_the_shown_counts(two_years):
    result = justice_funnel(two_years, threshold=8, as_of="2024-01-31")
    rows = result.stages[result.stages["stage"] != "detected"]
    checked = 0
    for _, row in rows.iterrows():
        if row["count"] is pd.NA or row["parent_count"] is pd.NA:
            assert math.isnan(row["rate"]) and math.isnan(row["lower"])
            continue
        k, n = min(int(row["count"]), int(row["parent_count"])), int(row["parent_count"])
        lower, upper = wilson_interval(k, n)
        assert row["rate"] == pytest.approx(k / n)
        assert [row["lower"], row["upper"]] == pytest.approx([float(lower), float(upper)])
        checked += 1
    assert checked >= 6
    for table, part in ((result.open, "open_count"), (result.equal_follow_up, "charged_count")):
        for _, row in table.iterrows():
            if row[part] is pd.NA or row["total"] is pd.NA:
                assert math.isnan(row["share"])
            else:
                assert row["share"] == pytest.approx(min(row[part], row["total"]) / row["total"])
    out = result.as_dict()
    hidden = [r for r in out["stages"] if r["count"] == "[c]"]
    assert hidden and all(r["rate"] is None for r in hidden)


def test_the_same_people_are_shown_the_same_in_every_table(two_years):
    result = justice_funnel(two_years, as_of="2024-01-31")
    stages = result.stages.set_index(["cohort", "stage"])["count"]
    open_ = result.open.set_index("cohort")
    for cohort in ("2022", "2023", "all"):
        assert _same(open_.loc[cohort, "total"], stages[(cohort, "crime_recorded")])
    charged = result.outcomes.set_index("outcome_group").loc["charged_summonsed", "count"]
    assert _same(charged, stages[("all", "charged")])


def _same(a, b) -> bool:
    return (a is pd.NA and b is pd.NA) or a == b


def test_a_person_with_several_records_counts_once_and_keyless_records_stay_apart():
    r = _records([
        {"record_id": "a", "person_key": "k1", "agency_type": "ngo", "referral_date": "2023-01-01",
         "nrm_referred": True, "nrm_referral_date": "2023-01-04"},
        {"record_id": "b", "person_key": "k1", "referral_date": "2023-02-01",
         "crime_recorded": True, "outcome_code": "1", "outcome_date": "2023-07-01"},
        {"record_id": "c", "referral_date": "2023-02-01", "crime_recorded": True},
        {"record_id": "d", "referral_date": "2023-02-01", "crime_recorded": False},
    ])
    people = people_stages(r, as_of="2023-12-31").set_index("person")
    assert len(people) == 3
    k1 = people.loc["k1"]
    assert k1["nrm_referred"] and k1["crime_recorded"] and k1["charged"]
    assert (k1["days_to_nrm_referred"], k1["days_to_crime_recorded"], k1["days_to_charged"]) \
        == (3, 31, 181)
    assert people.loc["record:police:c", "status"] == "open"
    assert people.loc["record:police:d", "status"] == "not_recorded"


def test_a_charge_after_the_extract_date_is_not_yet_a_charge():
    r = _records([{"record_id": "a", "referral_date": "2023-01-01", "crime_recorded": True,
                   "outcome_code": "1", "outcome_date": "2023-06-01"}])
    person = people_stages(r, as_of="2023-05-01").iloc[0]
    assert not person["charged"] and person["status"] == "open"


def test_time_to_charge_censors_open_crimes_and_leaves_out_other_outcomes():
    people = pd.DataFrame({
        "nrm_referred": [False] * 6, "days_to_nrm_referred": [None] * 6,
        "crime_recorded": [True] * 6, "days_to_crime_recorded": [0.0] * 6,
        "charged": [True, True, True, False, False, False],
        "days_to_charged": [100.0, 200, 400, None, None, None],
        "open": [False, False, False, True, True, False],
        "follow_up_days": [900.0, 900, 900, 300, 500, 900]})
    times = stage_times(people).set_index("stage").loc["charged"]
    # At risk: 3 charged + 2 open (censored at 300 and 500); the closed one is left out.
    # S(100) = 4/5, S(200) = 3/5, S(400) = 3/5 x 1/2 (300 censored earlier) = 0.3.
    assert (times["people"], times["events"], times["censored"]) == (5, 3, 2)
    assert (times["q1_days"], times["median_days"]) == (200, 400)
    assert math.isnan(times["q3_days"])


def test_outcome_groups_follow_the_home_office_grouping(two_years):
    result = justice_funnel(two_years, area_code=AREA, mode="exact", as_of="2024-01-31")
    groups = result.outcomes.set_index("outcome_group")["count"]
    assert groups["charged_summonsed"] == 11
    assert groups["evidential_difficulties_victim_supports"] == 24   # outcome 15
    assert groups["open"] == 10
    assert groups.sum() == 45


def test_trends_detect_a_falling_referral_rate(two_years):
    trend = justice_funnel(two_years, area_code=AREA, mode="exact", as_of="2024-01-31").trends
    nrm = trend.set_index("stage").loc["nrm_referred"]
    assert nrm["odds_ratio_per_year"] < 1 and nrm["upper"] < 1      # 75% then 40%


def test_bad_arguments_are_clear_errors(two_years):
    with pytest.raises(DarkFigureError, match="year or quarter"):
        justice_funnel(two_years, by="month")
    with pytest.raises(DarkFigureError, match="alpha"):
        justice_funnel(two_years, alpha=1.5)
    with pytest.raises(DarkFigureError, match="no referrals"):
        area_justice_funnel(two_years, "E06000017")


def test_records_without_outcome_columns_still_give_the_first_stages():
    r = _records(_cohort(2022, 12, 6, 0, 0)).drop(
        columns=["crime_recorded", "outcome_code", "outcome_date", "nrm_referral_date"])
    result = justice_funnel(r, mode="exact")
    assert result.overall("nrm_referred")["count"] == 6
    assert result.overall("crime_recorded")["count"] == 0
    assert any("No crime-outcome columns" in n for n in result.notes)


# -- the synthetic sample: the funnel recovers the true rates --------------------------------

@pytest.fixture(scope="module")
def police_funnel():
    from analysis.ingest import read_referrals

    police = read_referrals(SAMPLE_DIR / "agencies"
                            / "leicestershire_police_modern_slavery_2019_2025.csv")
    truth = json.loads((SAMPLE_DIR / "truth.json").read_text(encoding="utf-8"))["justice"]
    return justice_funnel(police, area_code="E23000021", as_of=truth["extract_date"],
                          mode="exact"), truth


def test_sample_recovers_the_true_recording_and_charge_rates(police_funnel):
    result, truth = police_funnel
    for stage, key in (("crime_recorded", "crime_recorded_of_police_detected"),
                       ("charged", "charged_of_recorded_by_extract")):
        row = result.overall(stage)
        expected = truth["overall"][key]
        assert row["count"] == expected["realised"]
        assert row["parent_count"] == expected["people"]
        assert row["lower"] < expected["expected_share"] < row["upper"], stage


def test_sample_recovers_each_year_recording_rate(police_funnel):
    result, truth = police_funnel
    stages = result.stages.set_index(["cohort", "stage"])
    for year, block in truth["by_year"].items():
        row = stages.loc[(year, "crime_recorded")]
        expected = block["crime_recorded_of_police_detected"]
        assert row["count"] == expected["realised"]
        assert row["lower"] < expected["expected_share"] < row["upper"], year


def test_sample_open_share_is_highest_for_the_latest_cohort(police_funnel):
    result, truth = police_funnel
    open_ = result.open.set_index("cohort")
    assert open_.loc["all", "open_count"] == truth["overall"]["open_of_recorded"]
    assert open_.loc["2025", "share"] > open_.loc["2024", "share"] > open_.loc["2021", "share"]


def test_national_figures_are_marked_secondary(police_funnel):
    result, _ = police_funnel
    national = result.national
    assert national["secondary"].all()
    assert national.loc[national["period"] == "2015 to Sep 2020", "share"].item() == pytest.approx(0.044)


def test_no_trend_is_estimated_from_a_handful_of_charges():
    from analysis.justice import rate_trends

    frame = _records(_cohort(2021, 30, 10, 20, 3) + _cohort(2022, 30, 10, 20, 0)
                     + _cohort(2023, 30, 10, 20, 0))
    people = people_stages(frame, as_of="2025-01-01")
    trend = rate_trends(people).set_index("stage")
    assert math.isnan(trend.loc["charged", "odds_ratio_per_year"])   # 3 charges only
    assert not math.isnan(trend.loc["crime_recorded", "odds_ratio_per_year"])
