"""From detection to justice: the victim-to-charge funnel, by area and period.

Method
------
Each detected person (one ``person_key``; a record without a key is its own person, as in
:mod:`analysis.disclosure.keys`) is followed from their first record in the area (the
*detection date*, which sets their cohort) through three stages, each a yes/no per person as
known on the extract date (``as_of``: the latest date in the store unless given), using all
their records in the area whatever the period asked for (the period picks cohorts):

* **referred to the NRM**: any record says ``nrm_referred`` yes;
* **crime recorded**: any police record says ``crime_recorded`` yes (the stage date is that
  record's date: the Home Office Counting Rules ask for the recording decision within 24
  hours of the report);
* **charged or summonsed**: any recorded crime closed with outcome type 1 or 1A of the Home
  Office crime outcomes framework; other outcomes are grouped as the Home Office groups
  them (``analysis.schema.OUTCOME_GROUPS``); a recorded crime without an outcome is open.

Rates are shares of the stage before (NRM and recording of detected people, charge of
people with a recorded crime) with Wilson 95% intervals (:mod:`analysis.survival`); times to
each stage and the trend in each rate are in :mod:`analysis.justice_stats`. Outcomes lag, so
a recent cohort's charge rate is not final: the result also gives the share still open and
the charge rate *within the same follow-up time* for every cohort followed that long.

Two routes give the same result: :func:`store_justice_funnel` finds the stages and counts
the people in the store (:mod:`analysis.justice_counts`, what the dashboard, the CLI and the
pack use); :func:`justice_funnel` and :func:`area_justice_funnel` do it in pandas for a frame
of referrals (notebooks, CSV files). Every count passes through the cell-key layer and every
rate is computed from the shown counts (:mod:`analysis.justice_tables`); ``mode="exact"``
(analysts only) shows the true counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.disclosure import PROTECTED, check_mode
from analysis.errors import DarkFigureError
from analysis.justice_counts import FOLLOW_UP_DAYS, JusticeCounts, counts_from_people
from analysis.justice_people import people_stages
from analysis.justice_stats import STAGES, rate_trends, stage_times, trends_from_counts
from analysis.justice_tables import (
    PARENT,
    protect_equal_follow_up,
    protect_open,
    protect_outcomes,
    protect_stages,
    protect_times,
)

__all__ = ["FOLLOW_UP_DAYS", "PARENT", "STAGES", "STAGE_LABELS", "JusticeFunnelResult",
           "area_justice_funnel", "funnel_from_counts", "justice_funnel", "people_stages",
           "rate_trends", "stage_times", "store_justice_funnel"]

STAGE_LABELS = {"detected": "Detected (people)", "nrm_referred": "Referred to the NRM",
                "crime_recorded": "Crime recorded", "charged": "Charged or summonsed"}


@dataclass(frozen=True)
class JusticeFunnelResult:
    """The victim-to-charge funnel for one area and period (every count protected).

    ``stages``: one row per cohort (and ``all``) x stage with ``count`` (``pd.NA`` when
    ``[c]``), ``parent_count``, ``rate``, ``lower``, ``upper`` (from the shown counts).
    ``outcomes``: people by outcome group (all cohorts). ``open``: per cohort, recorded
    crimes still open. ``equal_follow_up``: per cohort followed at least ``follow_up_days``,
    the share charged within that time. ``times``: Kaplan-Meier quartiles (days) with the
    protected counts they rest on. ``trends``: odds ratio per year. ``national``: public
    comparison figures (secondary sources marked). ``mode``: ``"protected"`` or
    ``"exact"`` (analysts only).
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
    mode: str = PROTECTED

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
                "national": records(self.national), "notes": list(self.notes),
                "counts": ("exact (analyst mode: not for publication)" if self.mode != PROTECTED
                           else "protected (cell-key method; [c] below the threshold)")}




def funnel_from_counts(counts: JusticeCounts, *, area_code: str = "", period: str = "",
                       alpha: float = 0.05, mode: str = PROTECTED,
                       threshold: int | None = None) -> JusticeFunnelResult:
    """The funnel's shown tables from its counts (either route): protected counts, rates
    from them, times and trends.

    Examples
    --------
    >>> r = pd.DataFrame({"record_id": [str(i) for i in range(40)], "person_key": None,
    ...     "agency_type": "police", "area_code": "E06000016",
    ...     "referral_date": pd.to_datetime(["2023-03-01"] * 40),
    ...     "nrm_referred": [True] * 30 + [False] * 10})
    >>> counts = counts_from_people(people_stages(r))
    >>> int(funnel_from_counts(counts, mode="exact").overall("nrm_referred")["count"])
    30
    """
    check_mode(mode)
    if not 0 < alpha < 1:
        raise DarkFigureError(f"alpha must be between 0 and 1, not {alpha}")
    if counts.people == 0:
        raise DarkFigureError(f"no people detected in {area_code or 'the chosen area'}"
                              + (f" in {period}" if period else ""))
    notes = [f"Outcomes as known on {counts.as_of.date().isoformat()}: a recent cohort's "
             "charge rate is not final (see the share still open and the rate at equal "
             "follow-up)."]
    if not counts.has_outcomes:
        notes.append("No crime-outcome columns in these records: only police extracts with "
                     "crime recorded / outcome columns fill the last two stages.")
    from analysis.justice_reference import national_charge_figures

    label = period or _label(counts, None, None)
    kw = {"mode": mode, "threshold": threshold}
    return JusticeFunnelResult(
        area_code, label, counts.as_of, counts.by, alpha, counts.follow_up_days,
        protect_stages(counts, alpha=alpha, **kw), protect_outcomes(counts, **kw),
        protect_open(counts, alpha=alpha, **kw),
        protect_equal_follow_up(counts, alpha=alpha, **kw), protect_times(counts, **kw),
        trends_from_counts(counts.trend, alpha=alpha), national_charge_figures(),
        tuple(notes), mode)


def _label(counts: JusticeCounts, start: str | None, end: str | None) -> str:
    """``FROM:TO`` quarters: those asked for, else the first and last quarter of detection."""
    from analysis.periods import quarter_of

    dates = quarter_of(counts.trend["detection_date"])
    return f"{start or dates.min()}:{end or dates.max()}"


def justice_funnel(referrals: pd.DataFrame, *, area_code: str = "", period: str = "",
                   by: str = "year", as_of: str | pd.Timestamp | None = None,
                   alpha: float = 0.05, follow_up_days: int = FOLLOW_UP_DAYS,
                   threshold: int | None = None, mode: str = PROTECTED) -> JusticeFunnelResult:
    """The funnel for every person in the records given (already filtered to an area).

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
    mode : {"protected", "exact"}
        ``"exact"`` for analysts under the data-sharing agreement only.

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
    counts = counts_from_people(people_stages(referrals, as_of=as_of), by=by,
                                follow_up_days=follow_up_days)
    return funnel_from_counts(counts, area_code=area_code, period=period, alpha=alpha,
                              mode=mode, threshold=threshold)


def area_justice_funnel(referrals: pd.DataFrame, area_code: str, *, start: str | None = None,
                        end: str | None = None, police_only: bool = False, by: str = "year",
                        follow_up_days: int = FOLLOW_UP_DAYS, alpha: float = 0.05,
                        threshold: int | None = None, as_of: pd.Timestamp | None = None,
                        mode: str = PROTECTED) -> JusticeFunnelResult:
    """The funnel for people first detected in an area (district or police force area)
    between two quarters, from a frame of stored referrals (the pandas route of
    :func:`store_justice_funnel`, which gives the same numbers).

    Every record of the area (police ones with ``police_only``) counts towards a person's
    stages; ``start``/``end`` pick the people by the quarter of their first record in the
    area. The extract date is the latest date in ``referrals``: a caller holding only the
    area's referrals passes ``as_of`` (the latest date in the whole store) instead.

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
    from analysis.periods import quarter_of, quarter_range

    if follow_up_days < 1:
        raise DarkFigureError("the follow-up time must be a positive number of days")
    if by not in ("year", "quarter"):
        raise DarkFigureError(f"cohorts by '{by}': use year or quarter")
    if referrals.empty:
        raise DarkFigureError("no referrals stored")
    dates = [c for c in ("referral_date", "outcome_date", "nrm_referral_date") if c in referrals]
    as_of = pd.to_datetime(referrals[dates].stack()).max() if as_of is None else as_of
    keep = referrals["area_code"].isin(districts_of(area_code))
    if police_only:
        keep &= referrals["agency_type"] == "police"
    chosen = referrals[keep]
    people = people_stages(chosen, as_of=as_of) if len(chosen) else None
    if people is not None and (start or end):
        first = quarter_of(people["detection_date"])
        low, high = start or first.min(), end or first.max()
        people = people[first.isin(quarter_range(low, high))] if low <= high else people[:0]
    if people is None or people.empty:
        raise DarkFigureError(f"no referrals for {area_code}"
                              + (f" in {start or ''}:{end or ''}" if start or end else ""))
    counts = counts_from_people(people, by=by, follow_up_days=follow_up_days)
    return funnel_from_counts(counts, area_code=area_code, period=_label(counts, start, end),
                              alpha=alpha, mode=mode, threshold=threshold)


def store_justice_funnel(con, area_code: str, *, start: str | None = None,
                         end: str | None = None, police_only: bool = False, by: str = "year",
                         follow_up_days: int = FOLLOW_UP_DAYS, alpha: float = 0.05,
                         snapshot: int | None = None, threshold: int | None = None,
                         mode: str = PROTECTED) -> JusticeFunnelResult:
    """The funnel for people first detected in an area between two quarters, counted in the
    store (:func:`analysis.justice_counts.count_justice`): what the dashboard, the
    ``darkfigure funnel`` command and the board pack show.

    Parameters
    ----------
    con : DuckDB connection to the store (``Store.connection``)
    area_code : str
        A district or police force area code.
    start, end : str, optional
        First and last quarter of first detection (default: every quarter stored).
    police_only : bool
        Count only police records (people detected by the police).
    by, follow_up_days, alpha, threshold, mode
        As :func:`justice_funnel`.
    snapshot : int, optional
        Read the store as it was after this load.

    Returns
    -------
    JusticeFunnelResult

    Examples
    --------
    >>> from analysis.store import Store
    >>> with Store(read_only=True) as store:                            # doctest: +SKIP
    ...     result = store_justice_funnel(store.connection, "E23000021", start="2023Q1")
    """
    from analysis.detection import districts_of
    from analysis.justice_counts import count_justice, extract_date
    from analysis.periods import quarter_range
    from analysis.victim_counts import Selection

    check_mode(mode)
    quarters = (tuple(quarter_range(start or "1990Q1", end or "2100Q4"))
                if start or end else None)
    where = (("agency_type", ("police",)),) if police_only else ()
    selection = Selection(area_codes=tuple(districts_of(area_code)), quarters=quarters,
                          where=where, snapshot=snapshot)
    as_of = extract_date(con, snapshot)
    if as_of is None:
        raise DarkFigureError("no referrals stored")
    counts = count_justice(con, selection, by=by, follow_up_days=follow_up_days, as_of=as_of)
    if counts.people == 0:
        raise DarkFigureError(f"no referrals for {area_code}"
                              + (f" in {start or ''}:{end or ''}" if start or end else ""))
    return funnel_from_counts(counts, area_code=area_code, period=_label(counts, start, end),
                              alpha=alpha, mode=mode, threshold=threshold)
