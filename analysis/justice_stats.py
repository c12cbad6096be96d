"""Times to each justice stage and trends in the stage rates, from people or from counts.

Methods
-------
* **Times**: Kaplan-Meier quartiles of the days from first detection to each stage
  (:mod:`analysis.survival`; Kaplan and Meier 1958) over the people who reached the stage or
  may still reach it: a person whose crime is still open is censored at the extract date; one
  closed with another outcome cannot be charged and is left out (a cure-fraction reading; the
  charge *rate* is the stage share). :func:`km_quantiles_from_counts` gives the same curve
  from (days, event, count) rows as :func:`analysis.survival.km_quantiles` from one row per
  person.
* **Trends**: odds ratio per year of each stage rate from a binomial GLM on the date of
  detection (Wald interval); the charge trend on the charge within the follow-up time among
  people observed that long. Fitted to people grouped by detection date (successes out of
  trials), which gives the same estimates as the GLM on one row per person.

:func:`stage_times` and :func:`rate_trends` take one row per person
(:func:`analysis.justice.people_stages`); :func:`times_from_counts` and
:func:`trends_from_counts` take :class:`analysis.justice_counts.JusticeCounts` tables (the
store route); the tests check that both give the same figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.survival import km_quantiles

STAGES = ("detected", "nrm_referred", "crime_recorded", "charged")
MIN_TREND_EVENTS = 10
FOLLOW_UP_DAYS = 365
QUARTILES = (0.25, 0.5, 0.75)


def stage_times(people: pd.DataFrame, *, min_events: int = 1) -> pd.DataFrame:
    """Kaplan-Meier quartiles (days from detection) of each stage; NaN when not reached or
    when fewer than ``min_events`` people reached the stage. True counts (not for display:
    :func:`analysis.justice_tables.protect_times` gives the shown table).

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
                     **{name: q[p] if enough else np.nan for name, p in
                        zip(("q1_days", "median_days", "q3_days"), QUARTILES, strict=True)}})
    return pd.DataFrame(rows)


def km_quantiles_from_counts(days, events, counts,
                             probs=QUARTILES) -> dict[float, float]:
    """Kaplan-Meier quantiles from (time, event, number of people) rows.

    Events come before censorings at tied times, as in :func:`analysis.survival.kaplan_meier`.

    Examples
    --------
    >>> km_quantiles_from_counts([5, 8, 12, 20, 30], [True, True, False, True, False],
    ...                          [1, 1, 1, 1, 1])
    {0.25: 8.0, 0.5: 20.0, 0.75: nan}
    """
    t = np.asarray(days, dtype=float)
    e = np.asarray(events, dtype=bool)
    n = np.asarray(counts, dtype=float)
    keep = n > 0
    t, e, n = t[keep], e[keep], n[keep]
    times, where = np.unique(t, return_inverse=True)
    leaving = np.bincount(where, weights=n, minlength=len(times))
    deaths = np.bincount(where, weights=np.where(e, n, 0.0), minlength=len(times))
    at_risk = n.sum() - np.concatenate([[0.0], np.cumsum(leaving)[:-1]])
    hit = deaths > 0
    survival = np.cumprod(1 - deaths[hit] / at_risk[hit])
    out = {}
    for p in probs:
        reached = times[hit][survival <= 1 - p + 1e-12]
        out[p] = float(reached[0]) if len(reached) else float("nan")
    return out


def times_from_counts(times: pd.DataFrame) -> pd.DataFrame:
    """Kaplan-Meier quartiles per stage from the ``times`` table of
    :class:`analysis.justice_counts.JusticeCounts` (``stage``, ``days``, ``event``,
    ``count``): the same as :func:`stage_times` on the people, without ``min_events``."""
    rows = []
    for stage in STAGES[1:]:
        t = times[times["stage"] == stage]
        q = km_quantiles_from_counts(t["days"], t["event"], t["count"])
        rows.append({"stage": stage, "q1_days": q[0.25], "median_days": q[0.5],
                     "q3_days": q[0.75]})
    return pd.DataFrame(rows)


def _fit_trend(x: np.ndarray, successes: np.ndarray, trials: np.ndarray,
               alpha: float) -> dict[str, float]:
    """Odds ratio per year from a binomial GLM of successes / trials on x (centred)."""
    import statsmodels.api as sm

    out = {"odds_ratio_per_year": np.nan, "lower": np.nan, "upper": np.nan, "p_value": np.nan}
    keep = trials > 0
    x, k, n = x[keep], successes[keep].astype(float), trials[keep].astype(float)
    total, events = n.sum(), k.sum()
    # At least MIN_TREND_EVENTS on each side (about ten events per parameter: Peduzzi et
    # al. 1996, J Clin Epidemiol 49:1373): fewer and the odds ratio is noise, or infinite.
    if min(events, total - events) < MIN_TREND_EVENTS or len(x) == 0 or np.ptp(x) <= 0:
        return out
    centre = np.average(x, weights=n)
    try:
        # grouped by date, two dates leave no residual degrees of freedom: the binomial
        # scale is fixed at 1, so the scale estimate's 0/0 is harmless
        with np.errstate(divide="ignore", invalid="ignore"):
            fit = sm.GLM(np.column_stack([k, n - k]), sm.add_constant(x - centre),
                         family=sm.families.Binomial()).fit()
        lo, hi = fit.conf_int(alpha)[1]
        out.update(odds_ratio_per_year=float(np.exp(fit.params[1])), lower=float(np.exp(lo)),
                   upper=float(np.exp(hi)), p_value=float(fit.pvalues[1]))
    except (ValueError, np.linalg.LinAlgError):
        pass
    return out


def _year(dates: pd.Series) -> np.ndarray:
    dates = pd.to_datetime(dates)
    return (dates.dt.year + dates.dt.day_of_year / 366).to_numpy(float)


def trends_from_counts(trend: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Odds ratio per year of each stage rate from people grouped by detection date (the
    ``trend`` table of :class:`analysis.justice_counts.JusticeCounts`)."""
    x = _year(trend["detection_date"])
    rows = []
    for stage, trials, successes in (("nrm_referred", "people", "nrm_referred"),
                                     ("crime_recorded", "people", "crime_recorded"),
                                     ("charged", "observed", "charged_within")):
        n, k = trend[trials].to_numpy(float), trend[successes].to_numpy(float)
        rows.append({"stage": stage, "people": int(n.sum()), **_fit_trend(x, k, n, alpha)})
    return pd.DataFrame(rows)


def rate_trends(people: pd.DataFrame, *, follow_up_days: int = FOLLOW_UP_DAYS,
                alpha: float = 0.05) -> pd.DataFrame:
    """Odds ratio per year of each stage rate (binomial GLM on the date of detection, Wald
    interval) from one row per person; the charge rate within ``follow_up_days`` among
    people observed that long. Not estimated (NaN) with fewer than ``MIN_TREND_EVENTS``
    people reaching, or not reaching, the stage."""
    x = _year(people["detection_date"])
    rows = []
    for stage in STAGES[1:]:
        if stage == "charged":
            use = people["crime_recorded"] & (people["follow_up_days"] >= follow_up_days)
            y = people["charged"] & (people["days_to_charged"] <= follow_up_days)
        else:
            use = pd.Series(True, index=people.index)
            y = people[stage]
        use = use.to_numpy(bool)
        yy = y.to_numpy(float)[use]
        rows.append({"stage": stage, "people": int(use.sum()),
                     **_fit_trend(x[use], yy, np.ones_like(yy), alpha)})
    return pd.DataFrame(rows)
