"""Police crime outcomes for the synthetic sample: recording, NRM referral dates, outcomes.

Drawn **after** every other draw and from a generator of its own
(``numpy.random.default_rng([seed, OUTCOME_STREAM])``), so adding these columns leaves every
existing value of the sample unchanged. Every parameter below is a synthetic assumption
chosen to look like published patterns, not a published figure:

* recording: HMICFRS found modern slavery under-recorded (*Stolen freedom*, 2017); here a
  police-detected person's record becomes a crime with a probability set by exploitation
  type (``RECORDING_PROBABILITY``), the field missing for ``RECORDING_MISSING_SHARE``;
* outcomes follow the Home Office crime outcomes framework (types 1 to 22). The charge or
  summons share of final outcomes rises from 5% (2019) by 0.6 points a year (national
  figures: 4.4% of offences 2015 to September 2020 and under 2% around 2022, both
  secondary sources in ``data/reference/``); the rest split as ``OTHER_OUTCOMES``;
* lags: an outcome is assigned a log-normal time after recording (median
  ``CHARGE_MEDIAN_DAYS`` for a charge, ``OTHER_MEDIAN_DAYS`` otherwise); one not yet
  assigned by the extract date (the window's end) is left blank: the investigation is open;
* NRM referral dates: a gamma lag (mean ``NRM_LAG_MEAN_DAYS``) after the police record for
  records with ``nrm_referred`` yes.

``outcome_truth`` writes what the funnel should recover into ``truth.json``: the expected
shares (the mean of each person's probability of reaching the stage by the extract date),
so a Wilson interval on the sample can be checked against them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.synth.config import SynthConfig

OUTCOME_STREAM = 16  # the issue that added these draws; any constant would do
POLICE_SLUG = "leicestershire_police"
RECORDING_PROBABILITY = {"labour": 0.55, "sexual": 0.75, "criminal": 0.60,
                         "domestic_servitude": 0.70, "multiple": 0.65, "unknown": 0.40}
RECORDING_MISSING_SHARE = 0.03
CHARGE_SHARE_2019 = 0.05
CHARGE_SHARE_STEP = 0.006  # per calendar year of recording
OTHER_OUTCOMES = {"15": 0.26, "16": 0.20, "14": 0.10, "18": 0.15, "20": 0.08, "21": 0.03,
                  "10": 0.05, "8": 0.03, "3": 0.02, "9": 0.03, "22": 0.05}
CHARGE_MEDIAN_DAYS, CHARGE_SIGMA = 420.0, 0.6
OTHER_MEDIAN_DAYS, OTHER_SIGMA = 200.0, 0.9
NRM_LAG_MEAN_DAYS, NRM_LAG_SHAPE = 12.0, 1.5
OFFENCE_SHARES = {"human_trafficking": 0.45, "slavery_servitude_forced_labour": 0.35,
                  "offence_with_intent_to_traffic": 0.03, "breach_of_order": 0.01,
                  "other_offence": 0.12, "unknown": 0.04}
OUTCOME_FIELDS = ("crime_recorded", "crime_reference", "offence_group", "outcome_code",
                  "outcome_date", "nrm_referral_date")


def charge_share(year: np.ndarray | int) -> np.ndarray:
    """Share of final outcomes that are a charge or summons, by year of recording.

    Examples
    --------
    >>> [round(float(x), 3) for x in charge_share(np.array([2019, 2025]))]
    [0.05, 0.086]
    """
    return CHARGE_SHARE_2019 + CHARGE_SHARE_STEP * (np.asarray(year) - 2019)


def _lognormal_cdf(days: np.ndarray, median: float, sigma: float) -> np.ndarray:
    days = np.maximum(np.asarray(days, dtype=float), 1e-9)
    z = (np.log(days) - math.log(median)) / (sigma * math.sqrt(2))
    return 0.5 * (1 + np.vectorize(math.erf)(z))


def add_police_outcomes(records: pd.DataFrame, config: SynthConfig, seed: int) -> pd.DataFrame:
    """``records`` with the outcome columns drawn for police records (missing elsewhere) and
    the probabilities behind them (``p_recorded``, ``p_charge``) for the truth.

    Examples
    --------
    >>> from analysis.synth import SynthConfig, simulate_population, simulate_detections
    >>> pop = simulate_population(SynthConfig(scale=0.1), seed=2)
    >>> out = add_police_outcomes(simulate_detections(pop), pop.config, seed=2)
    >>> set(out.loc[out["agency_slug"] != POLICE_SLUG, "outcome_code"].dropna())
    set()
    """
    rng = np.random.default_rng([seed, OUTCOME_STREAM])
    out = records.copy()
    as_of = pd.Timestamp(config.end)
    police = np.flatnonzero(out["agency_slug"].to_numpy() == POLICE_SLUG)
    n = len(police)
    rows = out.iloc[police]
    dates = pd.DatetimeIndex(rows["referral_date"])
    years = dates.year.to_numpy()
    p_rec = rows["exploitation_type"].map(RECORDING_PROBABILITY).fillna(0.5).to_numpy(float)
    recorded = rng.random(n) < p_rec
    missing = rng.random(n) < RECORDING_MISSING_SHARE
    p_charge = charge_share(years)
    charged = rng.random(n) < p_charge
    others = list(OTHER_OUTCOMES)
    weights = np.array(list(OTHER_OUTCOMES.values()))
    other = rng.choice(others, size=n, p=weights / weights.sum())
    code = np.where(charged, "1", other)
    lag = np.where(charged, rng.lognormal(math.log(CHARGE_MEDIAN_DAYS), CHARGE_SIGMA, n),
                   rng.lognormal(math.log(OTHER_MEDIAN_DAYS), OTHER_SIGMA, n))
    outcome_date = dates + pd.to_timedelta(np.ceil(lag), unit="D")
    offence = rng.choice(list(OFFENCE_SHARES), size=n, p=list(OFFENCE_SHARES.values()))
    nrm_lag = rng.gamma(NRM_LAG_SHAPE, NRM_LAG_MEAN_DAYS / NRM_LAG_SHAPE, n)
    nrm_date = dates + pd.to_timedelta(np.floor(nrm_lag), unit="D")

    open_ = outcome_date > as_of
    has_outcome = recorded & ~open_
    referred = rows["nrm_referred"].fillna(False).to_numpy(bool)
    crime_ref = [f"LE/{y}/{i + 1:06d}" if r else None
                 for i, (y, r) in enumerate(zip(years, recorded, strict=True))]

    out["crime_recorded"] = pd.array([pd.NA] * len(out), dtype="boolean")
    out.loc[out.index[police], "crime_recorded"] = pd.array(
        np.where(missing, None, recorded), dtype="boolean")
    for column in ("crime_reference", "offence_group", "outcome_code"):
        out[column] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out.loc[out.index[police], "crime_reference"] = np.array(crime_ref, dtype=object)
    out.loc[out.index[police], "offence_group"] = np.where(recorded, offence, None)
    out.loc[out.index[police], "outcome_code"] = np.where(has_outcome, code, None)
    for column in ("outcome_date", "nrm_referral_date"):
        out[column] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out.loc[out.index[police], "outcome_date"] = outcome_date.where(has_outcome)
    out.loc[out.index[police], "nrm_referral_date"] = nrm_date.where(
        referred & (nrm_date <= as_of))
    # Truth columns: each record's chance of reaching the stage by the extract date.
    out["p_recorded"] = np.nan
    out.loc[out.index[police], "p_recorded"] = p_rec * (1 - RECORDING_MISSING_SHARE)
    out["p_charge_by_extract"] = np.nan
    follow_up = (as_of - dates).days.to_numpy(float)
    out.loc[out.index[police], "p_charge_by_extract"] = p_charge * _lognormal_cdf(
        follow_up, CHARGE_MEDIAN_DAYS, CHARGE_SIGMA)
    return out


def outcome_truth(records: pd.DataFrame, config: SynthConfig) -> dict[str, object]:
    """The ``justice`` block of ``truth.json`` for records from :func:`add_police_outcomes`.

    Expected shares are per person detected by the police (person_key, or the record when
    it has none), as the funnel counts them, by year of the person's first police record.
    """
    police = records[records["agency_slug"] == POLICE_SLUG].copy()
    police["person"] = police["person_key"].fillna("record:" + police["record_id"])
    police["year"] = police["referral_date"].dt.year
    first = police.groupby("person")["referral_date"].transform("min")
    police["cohort"] = first.dt.year
    grouped = police.groupby("person")
    person = pd.DataFrame({
        "cohort": grouped["cohort"].first(),
        "p_recorded": 1 - grouped["p_recorded"].apply(lambda p: float(np.prod(1 - p))),
        "recorded": grouped["crime_recorded"].apply(lambda s: bool(s.fillna(False).any())),
    })
    crimes = police[police["crime_recorded"].fillna(False).astype(bool)]
    per_crime = crimes.groupby("person").agg(
        cohort=("cohort", "first"),
        p_charge=("p_charge_by_extract", lambda p: 1 - float(np.prod(1 - p))),
        charged=("outcome_code", lambda s: bool((s == "1").any())),
        # Open: a crime still without an outcome and none charged (as the funnel counts).
        open=("outcome_code", lambda s: bool(s.isna().any() and not (s == "1").any())))

    def block(frame: pd.DataFrame, p: str, hit: str) -> dict[str, object]:
        return {"people": int(len(frame)), "expected_share": round(float(frame[p].mean()), 6)
                if len(frame) else None, "realised": int(frame[hit].sum())}

    by_year = {}
    for year in sorted(person["cohort"].unique()):
        by_year[str(year)] = {
            "crime_recorded_of_police_detected": block(person[person["cohort"] == year],
                                                       "p_recorded", "recorded"),
            "charged_of_recorded_by_extract": block(per_crime[per_crime["cohort"] == year],
                                                    "p_charge", "charged"),
            "open_of_recorded": int(per_crime.loc[per_crime["cohort"] == year, "open"].sum()),
        }
    return {
        "definition": "police crime outcomes (synthetic; analysis/synth/outcomes.py). Shares "
                      "are per person detected by the police (person_key, else the record), "
                      "by year of the person's first police record; expected_share is the "
                      "mean of each person's probability of reaching the stage by the "
                      "extract date, the number a funnel restricted to police records "
                      "should recover within its interval",
        "extract_date": config.end,
        "stream": f"numpy default_rng([seed, {OUTCOME_STREAM}])",
        "parameters": {
            "recording_probability_by_exploitation_type": RECORDING_PROBABILITY,
            "recording_missing_share": RECORDING_MISSING_SHARE,
            "charge_share_of_final_outcomes": {
                "2019": CHARGE_SHARE_2019, "step_per_year": CHARGE_SHARE_STEP},
            "other_outcome_shares": OTHER_OUTCOMES,
            "charge_lag_days_lognormal": {"median": CHARGE_MEDIAN_DAYS, "sigma": CHARGE_SIGMA},
            "other_outcome_lag_days_lognormal": {"median": OTHER_MEDIAN_DAYS,
                                                 "sigma": OTHER_SIGMA},
            "nrm_referral_lag_days_gamma": {"mean": NRM_LAG_MEAN_DAYS, "shape": NRM_LAG_SHAPE},
            "offence_group_shares": OFFENCE_SHARES,
        },
        "overall": {
            "crime_recorded_of_police_detected": block(person, "p_recorded", "recorded"),
            "charged_of_recorded_by_extract": block(per_crime, "p_charge", "charged"),
            "open_of_recorded": int(per_crime["open"].sum()),
        },
        "by_year": by_year,
    }
