"""The justice funnel's shown tables: every count through the cell-key layer, every rate from
shown counts.

Protection (docs/privacy.md, "Justice")
---------------------------------------
Each count the funnel shows is a cell of people: a cohort's people at a stage, its open or
closed crimes, its people charged within the follow-up time, an outcome group, the people a
stage time is measured on. Its count and cell key are sums over the partition cells of
:class:`analysis.justice_counts.JusticeCounts` (each person in exactly one), so
:func:`analysis.disclosure.protect_cells` shows it exactly as
:func:`analysis.disclosure.protect_table` would from the people themselves. The all-cohorts
row (``all``) is a margin: its key is the sum of its cohorts' keys, perturbed as a cell of
its own, never the sum of shown cells. The same people always give the same shown count, so
a cohort's cells read the same in every period window that holds the cohort, and the charged
count on the funnel equals the charged outcome group and the charged cell of the open table.

Derived figures (rule of :mod:`analysis.disclosure.derived`)
------------------------------------------------------------
Every rate (a stage of its parent stage, the share still open, the share charged within the
follow-up time) and its Wilson interval is computed from the **shown** counts, and is
withheld (missing) when the count or its denominator is ``[c]``. A part is perturbed apart
from its whole, so a shown part can exceed its shown whole by a few people; the rate then
takes the part as the whole (100%). Kaplan-Meier quartiles and trend odds ratios are
estimates, not counts: they are fitted to the true times and dates (as the headline's trend
model is) and shown only when the number of people reaching the stage is itself shown. In
exact mode (``mode="exact"``, analysts only) the same code uses the exact counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.disclosure import EXACT, PROTECTED, SUFFIX, check_mode, protect_cells
from analysis.disclosure.keys import KEY_MODULUS
from analysis.disclosure.ptable import perturbation_table
from analysis.justice_counts import JusticeCounts
from analysis.justice_stats import STAGES, times_from_counts
from analysis.schema import OUTCOME_GROUPS
from analysis.survival import wilson_interval

ALL = "all"
STATUS = ("not_recorded", "open", "charged", "other_outcome")
PARENT = {"nrm_referred": "detected", "crime_recorded": "detected", "charged": "crime_recorded"}
#: Which partition cells (cohort, nrm_referred, status, outcome_group, charged_within) each
#: shown count is made of.
SELECT = {
    "detected": lambda nrm, status, group, within: True,
    "nrm_referred": lambda nrm, status, group, within: bool(nrm),
    "crime_recorded": lambda nrm, status, group, within: status != "not_recorded",
    "charged": lambda nrm, status, group, within: status == "charged",
    "open": lambda nrm, status, group, within: status == "open",
    "closed": lambda nrm, status, group, within: status in ("charged", "other_outcome"),
    "charged_within": lambda nrm, status, group, within: status == "charged" and bool(within),
    "not_charged_within": lambda nrm, status, group, within: (
        status != "not_recorded" and not (status == "charged" and within)),
}


def shown_by_cohort(cells: pd.DataFrame, requests: dict[str, tuple], *, mode: str = PROTECTED,
                    threshold: int | None = None) -> dict[str, pd.Series]:
    """Shown counts of several unions of partition cells, per cohort and over them all.

    ``requests`` maps a name to (predicate on a cell's nrm_referred, status, outcome_group
    and charged_within; the cohorts to count). Each (name, cohort) cell's count and key are
    the sums of its partition cells', the ``all`` margin's the sums over the cohorts given,
    and every cell goes through :func:`analysis.disclosure.protect_cells` at once: the
    numbers :func:`analysis.disclosure.protect_table` gives from the people themselves.
    Returns name -> nullable Int64 Series indexed by cohort, then ``all``.

    Examples
    --------
    >>> cells = pd.DataFrame({"cohort": ["2023", "2023", "2024"], "nrm_referred": [True, False,
    ...     True], "status": "not_recorded", "outcome_group": None, "charged_within": False,
    ...     "count": [3, 9, 30], "cell_key": np.array([1, 2, 3], dtype=np.uint64)})
    >>> out = shown_by_cohort(cells, {"nrm": (SELECT["nrm_referred"], ["2023", "2024"])},
    ...                       mode="exact")
    >>> out["nrm"].tolist()
    [3, 30, 33]
    """
    rows = list(zip(cells["cohort"], cells["nrm_referred"], cells["status"],
                    cells["outcome_group"], cells["charged_within"],
                    cells["count"].tolist(), cells["cell_key"].tolist(), strict=True))
    names, sums = [], []
    for name, (select, cohorts) in requests.items():
        wanted = {c: i for i, c in enumerate(cohorts)}
        acc = [[0, 0] for _ in range(len(cohorts) + 1)]
        for cohort, nrm, status, group, within, count, key in rows:
            i = wanted.get(cohort)
            if i is None or not select(nrm, status, group, within):
                continue
            for j in (i, len(cohorts)):
                acc[j][0] += int(count)
                acc[j][1] = (acc[j][1] + int(key)) % KEY_MODULUS
        names.append((name, [*cohorts, ALL]))
        sums += acc
    shown = protect_cells([c for c, _ in sums], np.array([k for _, k in sums], dtype=np.uint64),
                          mode=mode, threshold=threshold)
    out, start = {}, 0
    for name, index in names:
        out[name] = pd.Series(shown[start:start + len(index)], index=index, name="count")
        start += len(index)
    return out


def shown_rate(count, parent, alpha: float = 0.05) -> tuple[float, float, float]:
    """(rate, lower, upper) of shown ``count`` of shown ``parent`` (Wilson interval); all
    NaN when either is ``[c]`` (missing) or the parent is 0. A part shown above its whole
    is taken as the whole.

    Examples
    --------
    >>> [round(v, 3) for v in shown_rate(12, 48)]
    [0.25, 0.149, 0.388]
    >>> shown_rate(pd.NA, 48)
    (nan, nan, nan)
    """
    if count is None or parent is None or pd.isna(count) or pd.isna(parent) or parent <= 0:
        return np.nan, np.nan, np.nan
    k, n = min(float(count), float(parent)), float(parent)
    lower, upper = wilson_interval(k, n, alpha)
    return k / n, float(lower), float(upper)


def protect_stages(counts: JusticeCounts, *, mode: str = PROTECTED, threshold: int | None = None,
                   alpha: float = 0.05) -> pd.DataFrame:
    """Cohort (and ``all``) x stage: ``count`` (Int64, missing when ``[c]``),
    ``count_suppressed``, ``parent_count``, and ``rate``/``lower``/``upper`` from them."""
    check_mode(mode)
    shown = shown_by_cohort(counts.cells, {s: (SELECT[s], counts.cohorts) for s in STAGES},
                            mode=mode, threshold=threshold)
    rows = []
    for cohort in [*counts.cohorts, ALL]:
        for stage in STAGES:
            count = shown[stage][cohort]
            parent = shown[PARENT[stage]][cohort] if stage in PARENT else pd.NA
            rate = shown_rate(count, parent, alpha) if stage in PARENT else (np.nan,) * 3
            rows.append({"cohort": cohort, "stage": stage, "count": count,
                         "parent_count": parent, "rate": rate[0], "lower": rate[1],
                         "upper": rate[2]})
    out = pd.DataFrame(rows, columns=["cohort", "stage", "count", "parent_count", "rate",
                                      "lower", "upper"])
    for column in ("count", "parent_count"):
        out[column] = out[column].astype("Int64")
    out.insert(3, "count" + SUFFIX, out["count"].isna().to_numpy())
    return out


def _share_table(counts: JusticeCounts, cohorts: list[str] | tuple[str, ...],
                 parts: dict[str, str], yes: str, *, mode: str, threshold: int | None,
                 alpha: float) -> pd.DataFrame:
    """Per cohort (and ``all``): the shown counts of ``parts`` (column -> ``SELECT`` name) and
    of ``total`` (people with a recorded crime), and the share ``yes`` / ``total`` from them."""
    shown = shown_by_cohort(counts.cells, {**{name: (SELECT[part], cohorts)
                                              for name, part in parts.items()},
                                           "total": (SELECT["crime_recorded"], cohorts)},
                            mode=mode, threshold=threshold)
    total = shown.pop("total")
    out = pd.DataFrame({"cohort": total.index})
    for name, series in {**shown, "total": total}.items():
        out[name] = pd.array(series.reindex(total.index).array, dtype="Int64")
        out[name + SUFFIX] = out[name].isna().to_numpy()
    rates = [shown_rate(k, n, alpha) for k, n in zip(out[yes], out["total"], strict=True)]
    out["share"], out["lower"], out["upper"] = (np.array([r[i] for r in rates], dtype=float)
                                                for i in range(3))
    return out


def protect_open(counts: JusticeCounts, *, mode: str = PROTECTED, threshold: int | None = None,
                 alpha: float = 0.05) -> pd.DataFrame:
    """Per cohort (and ``all``): people whose recorded crime is still open (``open_count``)
    or closed (``closed_count``), of ``total`` with a recorded crime (the funnel's crime
    recorded cell), and the share still open from the shown counts."""
    return _share_table(counts, counts.cohorts, {"open_count": "open", "closed_count": "closed"},
                        "open_count", mode=mode, threshold=threshold, alpha=alpha)


def cohort_end(cohort: str, by: str) -> pd.Timestamp:
    """The last day of a cohort ("2023" or "2023Q2").

    Examples
    --------
    >>> cohort_end("2023Q2", "quarter").date().isoformat()
    '2023-06-30'
    """
    if by == "year":
        return pd.Timestamp(f"{cohort}-12-31")
    return pd.Period(cohort, freq="Q").end_time.normalize()


def followed_cohorts(counts: JusticeCounts) -> list[str]:
    """Cohorts whose every person was followed ``follow_up_days`` by the extract date."""
    limit = counts.as_of - pd.Timedelta(days=counts.follow_up_days)
    return [c for c in counts.cohorts if cohort_end(c, counts.by) <= limit]


def protect_equal_follow_up(counts: JusticeCounts, *, mode: str = PROTECTED,
                            threshold: int | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """For each cohort followed at least ``follow_up_days`` (and ``all`` of them): people with
    a recorded crime charged within that time (``charged_count``) or not
    (``not_charged_count``), of ``total``, and the share from the shown counts."""
    return _share_table(counts, followed_cohorts(counts),
                        {"charged_count": "charged_within",
                         "not_charged_count": "not_charged_within"},
                        "charged_count", mode=mode, threshold=threshold, alpha=alpha)


def protect_outcomes(counts: JusticeCounts, *, mode: str = PROTECTED,
                     threshold: int | None = None) -> pd.DataFrame:
    """People with a recorded crime by Home Office outcome group (all cohorts; ``open``
    while no outcome), every group listed (an empty one is ``[c]`` like a small one)."""
    values = [*OUTCOME_GROUPS, "open"]

    def group_is(value):
        # a recorded crime with no outcome group yet is open
        return lambda nrm, status, group, within: status != "not_recorded" and (
            (group if group is not None and group == group else "open") == value)

    shown = shown_by_cohort(counts.cells, {g: (group_is(g), counts.cohorts) for g in values},
                            mode=mode, threshold=threshold)
    count = pd.array([shown[g][ALL] for g in values], dtype="Int64")
    return pd.DataFrame({"outcome_group": pd.Series(values, dtype=object),
                         "outcome_codes": [", ".join(OUTCOME_GROUPS.get(g, ())) for g in values],
                         "count": count, "count" + SUFFIX: pd.isna(count)})


def _cell(rows: pd.DataFrame) -> tuple[int, int]:
    return int(rows["count"].sum()), int(sum(int(k) for k in rows["cell_key"]) % KEY_MODULUS)


def protect_times(counts: JusticeCounts, *, mode: str = PROTECTED,
                  threshold: int | None = None) -> pd.DataFrame:
    """Kaplan-Meier quartiles of the days to each stage with the people they are measured
    on (``people`` = ``events`` reached + ``censored`` still open), each count protected;
    quartiles withheld unless the events count is shown (exact mode: at least the
    threshold)."""
    check_mode(mode)
    table = perturbation_table(threshold)
    quartiles = times_from_counts(counts.times).set_index("stage")
    rows = []
    for stage in STAGES[1:]:
        t = counts.times[counts.times["stage"] == stage]
        cells = {"people": _cell(t), "events": _cell(t[t["event"].astype(bool)]),
                 "censored": _cell(t[~t["event"].astype(bool)])}
        shown = protect_cells([v[0] for v in cells.values()],
                              np.array([v[1] for v in cells.values()], dtype=np.uint64),
                              mode=mode, table=table)
        row = {"stage": stage}
        for name, value in zip(cells, shown, strict=True):
            row[name], row[name + SUFFIX] = value, value is pd.NA
        enough = (cells["events"][0] >= table.threshold if mode == EXACT
                  else row["events"] is not pd.NA)
        for column in ("q1_days", "median_days", "q3_days"):
            row[column] = quartiles.loc[stage, column] if enough else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    for name in ("people", "events", "censored"):
        out[name] = out[name].astype("Int64")
    return out
