"""Local composition against the national NRM mix: the share of UK nationals among the people
an area's agencies detected, beside the share among UK NRM referrals in the same quarters.

A composition, not a ratio: no expected figure is needed, so the comparison is honest for any
area and period. The local counts come from record-level data and pass through the cell-key
layer (:func:`analysis.disclosure.protect_table`) before anything is computed from them: UK
nationals, other nationalities, not recorded, and the people with a recorded nationality
(the share's denominator) are each a protected cell of their own, never a sum of shown
cells; a share is given only when neither of its counts is hidden. People whose nationality the agency did
not record are left out of the share and counted separately. The local interval is the 95%
Wilson score interval (Wilson 1927) for a binomial proportion; the national share is a count
of every referral, not a sample, so it has no sampling interval. National figures come from
:func:`analysis.national_series.uk_national_share` (first-responder tables to 2023 Q4, bulletin
headlines after), for the quarters of the view that have one.
"""

from __future__ import annotations

import pandas as pd

from analysis.disclosure import PROTECTED, protect_cell_table, protect_table
from analysis.national_series import period_label, uk_national_share


def uk_national_mix(people: pd.DataFrame, area_name: str, *,
                    national: pd.DataFrame | None = None, alpha: float = 0.05,
                    mode: str = PROTECTED) -> pd.DataFrame:
    """UK nationals among detected people (protected) and among UK NRM referrals.

    Parameters
    ----------
    people
        Detected people of the view, one row each, with ``quarter``, ``nationality_group``
        (the schema's groups: ``uk``, other groups, ``unknown``) and their record keys
        (``record_key``, or ``person_key``, ``agency`` and ``record_id``); or the same people
        counted in the store by ``quarter`` and ``nationality_group`` (``count`` and
        ``cell_key``, :func:`analysis.victim_counts.count_cells`): the same shown figures.
    area_name
        Shown in the row label.
    national
        :func:`analysis.national_series.uk_national_share` (read when None).
    mode : {"protected", "exact"}
        ``exact`` only for analysts under the data-sharing agreement.

    Returns
    -------
    pandas.DataFrame
        Two rows (``who``: the area's detected people, UK NRM referrals) with ``period``,
        ``uk_nationals``, ``people_counted`` (the share's denominator: people with a recorded
        nationality locally; all referrals nationally, where under 0.5% have none recorded),
        ``not_recorded``, ``uk_national_share``,
        ``lower``/``upper`` (95% Wilson, local row only), ``interval_kind`` and
        ``uk_nationals_suppressed``.

    Examples
    --------
    >>> people = pd.DataFrame({"quarter": ["2023Q1"] * 43, "agency": "police",
    ...                        "record_id": [str(i) for i in range(43)],
    ...                        "person_key": [f"p{i}" for i in range(43)],
    ...                        "nationality_group": ["uk"] * 12 + ["eu_eea"] * 25 + ["unknown"] * 6})
    >>> mix = uk_national_mix(people, "Leicestershire", mode="exact")
    >>> int(mix.iloc[0].uk_nationals), int(mix.iloc[0].people_counted), \
round(float(mix.iloc[0].uk_national_share), 3)
    (12, 37, 0.324)
    >>> shown = uk_national_mix(people, "Leicestershire").iloc[0]  # protected: within 2
    >>> abs(int(shown.uk_nationals) - 12) <= 2, abs(int(shown.people_counted) - 37) <= 2
    (True, True)
    >>> small = people.iloc[9:]  # 3 UK nationals: hidden, so no share is given
    >>> bool(uk_national_mix(small, "Leicestershire").iloc[0].uk_nationals_suppressed)
    True
    >>> int(mix.iloc[1].uk_nationals), int(mix.iloc[1].people_counted)  # NRM, 2023 Q1
    (1163, 4746)
    """
    from statsmodels.stats.proportion import proportion_confint

    quarters = sorted(set(people["quarter"].astype(str)))
    group = people["nationality_group"].astype(str).map(
        lambda g: "uk" if g == "uk" else "unknown" if g == "unknown" else "other")
    rows = people.assign(group=group.to_numpy(),
                         recorded=(group != "unknown").map({True: "yes", False: "no"}).to_numpy())
    # cells counted in the store (count, cell_key) partition the people: the same shown table
    protect = (protect_cell_table if {"count", "cell_key"} <= set(people.columns)
               else protect_table)
    groups = protect(rows, "group", levels={"group": ["uk", "other", "unknown"]},
                     mode=mode).to_frame().set_index("group")
    recorded = protect(rows, "recorded", levels={"recorded": ["yes"]},
                       mode=mode).to_frame().set_index("recorded")
    uk = groups.loc["uk", "count"]
    known = recorded.loc["yes", "count"]  # a cell of its own, never uk + other as shown
    hidden = bool(groups.loc["uk", "count_suppressed"] or recorded.loc["yes", "count_suppressed"])
    local = {"who": f"People detected in {area_name} (agency records)",
             "period": period_label(quarters), "uk_nationals": uk,
             "people_counted": pd.NA if hidden else known,
             "not_recorded": groups.loc["unknown", "count"],
             "uk_national_share": float("nan"), "lower": float("nan"), "upper": float("nan"),
             "interval_kind": "95% Wilson score interval", "uk_nationals_suppressed": hidden}
    if not hidden and 0 < known and uk <= known:  # shown counts: the share undoes nothing
        lo, hi = proportion_confint(int(uk), int(known), alpha=alpha, method="wilson")
        local.update(uk_national_share=int(uk) / int(known), lower=lo, upper=hi)
    national = uk_national_share() if national is None else national
    same = national[national["period"].isin(quarters)]
    span = period_label(list(same["period"]))
    if 0 < len(same) < len(quarters):
        span += f" ({len(same)} of the view's {len(quarters)} quarters have a published figure)"
    row = {"who": "UK NRM referrals (published)", "period": span,
           "uk_nationals": int(same["uk_nationals"].sum()),
           "people_counted": int(same["referrals"].sum()), "not_recorded": pd.NA,
           "uk_national_share": (same["uk_nationals"].sum() / same["referrals"].sum()
                                 if len(same) else float("nan")),
           "lower": float("nan"), "upper": float("nan"),
           "interval_kind": "none: every referral counted", "uk_nationals_suppressed": False}
    out = pd.DataFrame([local, row])
    for column in ("uk_nationals", "people_counted", "not_recorded"):
        out[column] = out[column].astype("Int64")
    return out
