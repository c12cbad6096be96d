"""From detection to justice: the victim-to-charge funnel, by area and period.

Method
------
Each detected person (one ``person_key``; a record without a key is its own person) is
followed from their first record in the area (the *detection date*, which sets their
cohort) through three stages, each a yes/no per person as known on the extract date
(``as_of``, the latest date in the data unless given):

* **referred to the NRM**: any record says ``nrm_referred`` yes;
* **crime recorded**: any police record says ``crime_recorded`` yes (the stage date is that
  record's date: the Home Office Counting Rules ask for the recording decision within 24
  hours of the report);
* **charged or summonsed**: any recorded crime closed with outcome type 1 or 1A of the Home
  Office crime outcomes framework; other outcomes are grouped as the Home Office groups
  them (``analysis.schema.OUTCOME_GROUPS``); a recorded crime without an outcome is open.

Rates are shares of the stage before (NRM and recording of detected people, charge of
people with a recorded crime) with Wilson 95% intervals (:mod:`analysis.survival`). Times
from detection to each stage are Kaplan-Meier quantiles over the people who reached the
stage or may still reach it: a person whose crime is still open is censored at the extract
date, one closed with another outcome cannot be charged and is left out (a cure-fraction
reading; the charge *rate* is the stage share). Outcomes lag, so a recent cohort's charge
rate is not final: :func:`funnel` also gives the share still open and the charge rate
*within the same follow-up time* for every cohort observed that long, and the trend in each
rate (odds ratio per year from a binomial GLM; the charge trend on the equal follow-up rates).

Every count passes through :mod:`analysis.disclosure` (see :mod:`analysis.justice_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.errors import DarkFigureError
from analysis.justice_tables import protect_funnel, protect_partition
from analysis.schema import OUTCOME_GROUP_OF, OUTCOME_GROUPS
from analysis.survival import km_quantiles, wilson_interval

STAGES = ("detected", "nrm_referred", "crime_recorded", "charged")
PARENT = {"nrm_referred": "detected", "crime_recorded": "detected", "charged": "crime_recorded"}
STAGE_LABELS = {"detected": "Detected (people)", "nrm_referred": "Referred to the NRM",
                "crime_recorded": "Crime recorded", "charged": "Charged or summonsed"}
FOLLOW_UP_DAYS = 365
MIN_TREND_EVENTS = 10


def people_stages(referrals: pd.DataFrame, *, as_of: pd.Timestamp | None = None
                  ) -> pd.DataFrame:
    """One row per detected person: cohort dates and how far they got by ``as_of``.

    Examples
    --------
    >>> r = pd.DataFrame({"record_id": ["a", "b"], "person_key": ["k1", "k1"],
    ...     "agency_type": ["ngo", "police"], "area_code": ["E06000016"] * 2,
    ...     "referral_date": pd.to_datetime(["2023-01-01", "2023-01-11"]),
    ...     "nrm_referred": [True, None], "crime_recorded": [None, True],
    ...     "outcome_code": [None, "1"], "outcome_date": pd.to_datetime([None, "2023-04-11"]),
    ...     "nrm_referral_date": pd.to_datetime([None, None])})
    >>> p = people_stages(r)
    >>> row = p.iloc[0]
    >>> bool(row["charged"]), int(row["days_to_crime_recorded"]), int(row["days_to_charged"])
    (True, 10, 100)
    """
    if referrals.empty:
        raise DarkFigureError("no referrals in the chosen area and period")
    r = referrals.copy()
    for column in ("crime_recorded", "outcome_code", "outcome_date", "nrm_referral_date"):
        if column not in r:
            r[column] = None
    for column in ("referral_date", "outcome_date", "nrm_referral_date"):
        r[column] = pd.to_datetime(r[column])
    r["person"] = r["person_key"].astype(object).where(
        r["person_key"].notna(), "record:" + r["agency_type"].astype(str) + ":"
        + r["record_id"].astype(str))
    as_of = pd.Timestamp(as_of) if as_of is not None else r[
        ["referral_date", "outcome_date", "nrm_referral_date"]].max().max()
    recorded = r["crime_recorded"].astype("boolean").fillna(False).astype(bool)
    # An outcome after the extract date was not known then: the crime was still open.
    known = recorded & (r["outcome_date"].isna() | (r["outcome_date"] <= as_of))
    code = r["outcome_code"].astype(object).where(known)
    r["charge_date"] = r["outcome_date"].where(code.isin(["1", "1A"]))
    r["recorded_date"] = r["referral_date"].where(recorded)
    r["open"] = recorded & code.isna()
    r["closed_date"] = r["outcome_date"].where(recorded & code.notna())
    r["group"] = code.map(OUTCOME_GROUP_OF)
    r["referred"] = r["nrm_referred"].astype("boolean").fillna(False).astype(bool)
    ordered = r.sort_values(["person", "referral_date"], kind="stable")
    g = ordered.groupby("person", sort=True)
    people = pd.DataFrame({
        "detection_date": g["referral_date"].min(),
        "area_code": g["area_code"].first(),  # first non-missing, in date order
        "nrm_referred": g["referred"].any(),
        "nrm_date": g["nrm_referral_date"].min(),
        "crime_recorded": g["recorded_date"].count() > 0,
        "recorded_date": g["recorded_date"].min(),
        "charged": g["charge_date"].count() > 0,
        "charge_date": g["charge_date"].min(),
        "open": g["open"].any(),
        "closed_date": g["closed_date"].min(),
        "outcome_group": g["group"].first(),
    })
    people.loc[people["charged"], "outcome_group"] = "charged_summonsed"
    people.loc[people["open"] & ~people["charged"], "outcome_group"] = None
    people["status"] = np.select(
        [~people["crime_recorded"], people["charged"], people["open"]],
        ["not_recorded", "charged", "open"], "other_outcome")
    people["follow_up_days"] = (as_of - people["detection_date"]).dt.days.astype(float)
    for stage, column in (("nrm_referred", "nrm_date"), ("crime_recorded", "recorded_date"),
                          ("charged", "charge_date")):
        people[f"days_to_{stage}"] = (people[column] - people["detection_date"]).dt.days.astype(
            float).clip(lower=0)
    people.attrs["as_of"] = as_of
    return people.reset_index(names="person")


def _cohort(dates: pd.Series, by: str) -> pd.Series:
    return dates.dt.year.astype(str) if by == "year" else dates.dt.to_period("Q").astype(str)


def stage_times(people: pd.DataFrame, *, min_events: int = 1) -> pd.DataFrame:
    """Kaplan-Meier quartiles (days from detection) of each stage; NaN when not reached or
    when fewer than ``min_events`` people reached the stage.

    Examples
    --------
    >>> p = pd.DataFrame({"nrm_referred": [True, True, False], "days_to_nrm_referred": [2.0, 6, None],
    ...     "crime_recorded": [True, False, False], "days_to_crime_recorded": [0.0, None, None],
    ...     "charged": [False, False, False], "days_to_charged": [None, None, None],
    ...     "open": [True, False, False], "follow_up_days": [300.0, 200, 100]})
    >>> stage_times(p)[["stage", "events", "median_days"]].values.tolist()[:2]
    [['nrm_referred', 2, 2.0], ['crime_recorded', 1, 0.0]]
    """
    rows = []
    for stage in STAGES[1:]:
        reached = people[stage].astype(bool) & people[f"days_to_{stage}"].notna()
        # Still possible: an open crime may yet be charged; NRM referral and recording are
        # immediate or not at all in these data, so nobody is pending for them.
        pending = (people["open"].astype(bool) & ~people[stage].astype(bool)) if stage == "charged" \
            else pd.Series(False, index=people.index)
        durations = np.where(reached, people[f"days_to_{stage}"], people["follow_up_days"])
        events = reached.to_numpy()
        use = (reached | pending).to_numpy()
        q = km_quantiles(durations[use], events[use])
        enough = int(events.sum()) >= min_events
        rows.append({"stage": stage, "people": int(use.sum()), "events": int(events.sum()),
                     "censored": int(pending.sum()),
                     "q1_days": q[0.25] if enough else np.nan,
                     "median_days": q[0.5] if enough else np.nan,
                     "q3_days": q[0.75] if enough else np.nan})
    return pd.DataFrame(rows)


def rate_trends(people: pd.DataFrame, *, follow_up_days: int = FOLLOW_UP_DAYS,
                alpha: float = 0.05) -> pd.DataFrame:
    """Odds ratio per year of each stage rate (binomial GLM on the cohort year, Wald
    interval); the charge rate within ``follow_up_days`` among people observed that long.
    Not estimated (NaN) with fewer than ``MIN_TREND_EVENTS`` people reaching, or not
    reaching, the stage."""
    import statsmodels.api as sm

    rows = []
    year = people["detection_date"].dt.year + people["detection_date"].dt.day_of_year / 366
    for stage in STAGES[1:]:
        if stage == "charged":
            use = people["crime_recorded"] & (people["follow_up_days"] >= follow_up_days)
            y = people["charged"] & (people["days_to_charged"] <= follow_up_days)
        else:
            use = pd.Series(True, index=people.index)
            y = people[stage]
        x, y = year[use].to_numpy(float), y[use].to_numpy(float)
        row = {"stage": stage, "people": int(use.sum()), "odds_ratio_per_year": np.nan,
               "lower": np.nan, "upper": np.nan, "p_value": np.nan}
        # At least MIN_TREND_EVENTS on each side (about ten events per parameter: Peduzzi et
        # al. 1996, J Clin Epidemiol 49:1373): fewer and the odds ratio is noise, or infinite.
        if min(y.sum(), len(y) - y.sum()) >= MIN_TREND_EVENTS and np.ptp(x) > 0:
            try:
                fit = sm.GLM(y, sm.add_constant(x - x.mean()),
                             family=sm.families.Binomial()).fit()
                lo, hi = fit.conf_int(alpha)[1]
                row.update(odds_ratio_per_year=float(np.exp(fit.params[1])),
                           lower=float(np.exp(lo)), upper=float(np.exp(hi)),
                           p_value=float(fit.pvalues[1]))
            except (ValueError, np.linalg.LinAlgError):
                pass
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class JusticeFunnelResult:
    """The victim-to-charge funnel for one area and period (every count protected).

    ``stages``: one row per cohort (and ``all``) x stage with ``count`` (``pd.NA`` when
    suppressed), ``parent_count``, ``rate``, ``lower``, ``upper``. ``outcomes``: people by
    outcome group (all cohorts). ``open``: per cohort, recorded crimes still open.
    ``equal_follow_up``: per cohort observed at least ``follow_up_days``, the share charged
    within that time. ``times``: Kaplan-Meier quartiles (days). ``trends``: odds ratio per
    year. ``national``: public comparison figures (secondary sources marked).
    """

    area_code: str
    period: str
    as_of: pd.Timestamp
    by: str
    alpha: float
    follow_up_days: int
    stages: pd.DataFrame
    outcomes: pd.DataFrame
    open: pd.DataFrame
    equal_follow_up: pd.DataFrame
    times: pd.DataFrame
    trends: pd.DataFrame
    national: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    def overall(self, stage: str) -> pd.Series:
        """The whole period's row for one stage."""
        rows = self.stages[(self.stages["cohort"] == "all") & (self.stages["stage"] == stage)]
        return rows.iloc[0]

    def to_frame(self) -> pd.DataFrame:
        """The stage table (long form), with the area, period and extract date."""
        return self.stages.assign(area_code=self.area_code, period=self.period,
                                  as_of=self.as_of.date().isoformat())

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: suppressed counts as ``"[c]"``, missing numbers as None."""
        def records(frame: pd.DataFrame) -> list[dict]:
            out = frame.astype(object).where(frame.notna(), None)
            for column in [c for c in frame if c.endswith("_suppressed")]:
                base = column[: -len("_suppressed")]
                out.loc[frame[column].astype(bool), base] = "[c]"
            return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()
                     if not k.endswith("_suppressed")} for row in out.to_dict("records")]

        return {"area_code": self.area_code, "period": self.period,
                "as_of": self.as_of.date().isoformat(), "cohorts_by": self.by,
                "interval": f"Wilson {1 - self.alpha:.0%}", "follow_up_days": self.follow_up_days,
                "stages": records(self.stages), "outcomes": records(self.outcomes),
                "open": records(self.open), "equal_follow_up": records(self.equal_follow_up),
                "times_days": records(self.times), "trends": records(self.trends),
                "national": records(self.national), "notes": list(self.notes)}


def justice_funnel(referrals: pd.DataFrame, *, area_code: str = "", period: str = "",
           by: str = "year", as_of: str | pd.Timestamp | None = None, alpha: float = 0.05,
           follow_up_days: int = FOLLOW_UP_DAYS, threshold: int | None = None) -> JusticeFunnelResult:
    """The funnel for the records given (already filtered to an area and period).

    Parameters
    ----------
    referrals : DataFrame
        ``referrals`` rows (store or :func:`analysis.ingest.read_referrals`), with or without
        the police crime-outcome columns.
    area_code, period : str
        Labels for the result (the caller filters the rows).
    by : {"year", "quarter"}
        Cohorts: calendar year or quarter of detection.
    as_of : date, optional
        The extract date; default the latest date in the data.
    alpha : float
        Significance level of the Wilson intervals and trend intervals.
    follow_up_days : int
        Follow-up time at which cohorts are compared (charge within this time).
    threshold : int, optional
        Disclosure threshold (default the setting).

    Examples
    --------
    >>> from analysis.ingest import read_referrals
    >>> from analysis.config import SAMPLE_DIR
    >>> police = read_referrals(SAMPLE_DIR / "agencies" /
    ...                         "leicestershire_police_modern_slavery_2019_2025.csv")
    >>> result = justice_funnel(police, area_code="E23000021")
    >>> int(result.overall("detected")["count"]) > int(result.overall("crime_recorded")["count"])
    True
    """
    if by not in ("year", "quarter"):
        raise DarkFigureError(f"cohorts by '{by}': use year or quarter")
    if not 0 < alpha < 1:
        raise DarkFigureError(f"alpha must be between 0 and 1, not {alpha}")
    people = people_stages(referrals, as_of=as_of)
    as_of_ts = people.attrs["as_of"]
    people["cohort"] = _cohort(people["detection_date"], by)
    stages = protect_funnel(people, STAGES, PARENT, threshold=threshold)
    k, n = stages["count"].astype(float), stages["parent_count"].astype(float)
    stages["rate"] = k / n
    stages["lower"], stages["upper"] = wilson_interval(k, n, alpha)
    stages.loc[stages["stage"] == "detected", ["rate", "lower", "upper"]] = np.nan

    recorded = people[people["crime_recorded"]]
    outcomes = _outcome_groups(recorded, threshold)
    open_ = protect_partition(recorded, "open", key="cohort", threshold=threshold)
    open_ = _renamed(_shares(open_, True, False, alpha), "open_count", "closed_count")
    observed = people[people["crime_recorded"] & (people["follow_up_days"] >= follow_up_days)]
    within = observed.assign(charged_within=observed["charged"]
                             & (observed["days_to_charged"] <= follow_up_days))
    equal = protect_partition(within, "charged_within", key="cohort", threshold=threshold)
    equal = _renamed(_shares(equal, True, False, alpha), "charged_count", "not_charged_count")
    notes = [f"Outcomes as known on {as_of_ts.date().isoformat()}: a recent cohort's charge "
             "rate is not final (see the share still open and the rate at equal follow-up)."]
    if people["crime_recorded"].sum() == 0:
        notes.append("No crime-outcome columns in these records: only police extracts with "
                     "crime recorded / outcome columns fill the last two stages.")
    from analysis.config import suppression_threshold
    min_events = suppression_threshold() if threshold is None else int(threshold)
    label = period or f"{people['cohort'].min()}:{people['cohort'].max()}"
    from analysis.justice_reference import national_charge_figures
    return JusticeFunnelResult(area_code, label, as_of_ts, by, alpha, int(follow_up_days), stages,
                        outcomes, open_, equal, stage_times(people, min_events=min_events),
                        rate_trends(people, follow_up_days=follow_up_days, alpha=alpha),
                        national_charge_figures(), tuple(notes))


def area_justice_funnel(referrals: pd.DataFrame, area_code: str, *, start: str | None = None,
                end: str | None = None, police_only: bool = False, by: str = "year",
                follow_up_days: int = FOLLOW_UP_DAYS, alpha: float = 0.05,
                threshold: int | None = None,
                as_of: pd.Timestamp | None = None) -> JusticeFunnelResult:
    """The funnel for people detected in an area (district or police force area) between two
    quarters, from *every* stored referral: the extract date is the latest date in them all,
    so a period's outcomes are read as of the same day whatever the filter. A caller holding
    only the area's referrals passes ``as_of`` (the latest date in the whole store) instead.

    Examples
    --------
    >>> from analysis.ingest import read_referrals
    >>> from analysis.config import SAMPLE_DIR
    >>> police = read_referrals(SAMPLE_DIR / "agencies" /
    ...                         "leicestershire_police_modern_slavery_2019_2025.csv")
    >>> area_justice_funnel(police, "E06000016", start="2024Q1", end="2024Q4").period
    '2024Q1:2024Q4'
    """
    from analysis.detection import districts_of
    from analysis.periods import quarter_of, quarter_start

    if follow_up_days < 1:
        raise DarkFigureError("the follow-up time must be a positive number of days")
    if referrals.empty:
        raise DarkFigureError("no referrals stored")
    dates = [c for c in ("referral_date", "outcome_date", "nrm_referral_date") if c in referrals]
    as_of = pd.to_datetime(referrals[dates].stack()).max() if as_of is None else as_of
    keep = referrals["area_code"].isin(districts_of(area_code))
    if start:
        keep &= referrals["referral_date"] >= quarter_start(start)
    if end:
        keep &= referrals["referral_date"] < quarter_start(end) + pd.offsets.QuarterBegin(
            startingMonth=1)
    if police_only:
        keep &= referrals["agency_type"] == "police"
    chosen = referrals[keep]
    if chosen.empty:
        raise DarkFigureError(f"no referrals for {area_code}"
                              + (f" in {start or ''}:{end or ''}" if start or end else ""))
    quarters = quarter_of(chosen["referral_date"])
    label = f"{start or quarters.min()}:{end or quarters.max()}"
    return justice_funnel(chosen, area_code=area_code, period=label, by=by, as_of=as_of, alpha=alpha,
                  follow_up_days=follow_up_days, threshold=threshold)


def _outcome_groups(recorded: pd.DataFrame, threshold: int | None) -> pd.DataFrame:
    """People with a recorded crime by outcome group (whole period; ``open`` while no
    outcome), protected as a cohort x group table of which this is the ``all`` row."""
    present = set(recorded["outcome_group"].dropna())
    values = [g for g in OUTCOME_GROUPS if g in present] + ["open"]
    wide = protect_partition(recorded, "outcome_group", key="cohort", threshold=threshold,
                             fill="open", values=values)
    last = wide[wide["cohort"] == "all"].iloc[0]
    rows = [{"outcome_group": g, "outcome_codes": ", ".join(OUTCOME_GROUPS.get(g, ())),
             "count": last[f"count_{g}"], "count_suppressed": bool(last[f"count_{g}_suppressed"])}
            for g in values]
    out = pd.DataFrame(rows)
    out["count"] = out["count"].astype("Int64")
    return out


def _renamed(table: pd.DataFrame, yes: str, no: str) -> pd.DataFrame:
    """``count_true``/``count_false`` (and their suppression flags) -> readable names."""
    names = {"count_true": yes, "count_false": no}
    return table.rename(columns={**names, **{f"{k}_suppressed": f"{v}_suppressed"
                                             for k, v in names.items()}})


def _shares(table: pd.DataFrame, yes, no, alpha: float) -> pd.DataFrame:
    """Wide ``count_<yes>`` / ``count_<no>`` -> share of yes with a Wilson interval."""
    yes_col, no_col = f"count_{str(yes).lower()}", f"count_{str(no).lower()}"
    for column in (yes_col, no_col):
        if column not in table:
            table[column] = pd.array([0] * len(table), dtype="Int64")
            table[f"{column}_suppressed"] = False
    k = table[yes_col].astype(float)
    n = k + table[no_col].astype(float)
    table["share"] = k / n
    table["lower"], table["upper"] = wilson_interval(k, n, alpha)
    return table
