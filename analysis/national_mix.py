"""Local composition against the national NRM mix: the share of UK nationals among the people
an area's agencies detected, beside the share among UK NRM referrals in the same quarters.

A composition, not a ratio: no expected figure is needed, so the comparison is honest for any
area and period. The local count comes from record-level data and passes through
:func:`analysis.disclosure.suppress_small_counts` before anything is computed from it; a share
is given only when neither of its counts is hidden. People whose nationality the agency did
not record are left out of the share and counted separately. The local interval is the 95%
Wilson score interval (Wilson 1927) for a binomial proportion; the national share is a count
of every referral, not a sample, so it has no sampling interval. National figures come from
:func:`analysis.national_series.uk_national_share` (first-responder tables to 2023 Q4, bulletin
headlines after), for the quarters of the view that have one.
"""

from __future__ import annotations

import pandas as pd

from analysis.disclosure import suppress_small_counts
from analysis.national_series import period_label, uk_national_share


def uk_national_mix(people: pd.DataFrame, area_name: str, *,
                    national: pd.DataFrame | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """UK nationals among detected people (protected) and among UK NRM referrals.

    Parameters
    ----------
    people
        Detected people of the view, one row each, with ``quarter`` and ``nationality_group``
        (the schema's groups: ``uk``, other groups, ``unknown``).
    area_name
        Shown in the row label.
    national
        :func:`analysis.national_series.uk_national_share` (read when None).

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
    >>> people = pd.DataFrame({"quarter": ["2023Q1"] * 43,
    ...                        "nationality_group": ["uk"] * 12 + ["eu_eea"] * 25 + ["unknown"] * 6})
    >>> mix = uk_national_mix(people, "Leicestershire")
    >>> int(mix.iloc[0].uk_nationals), int(mix.iloc[0].people_counted), \
round(float(mix.iloc[0].uk_national_share), 3)
    (12, 37, 0.324)
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
    counts = group.value_counts().reindex(["uk", "other", "unknown"], fill_value=0)
    protected = suppress_small_counts(
        pd.DataFrame({"group": counts.index, "people": counts.to_numpy()}), "people")
    cell = protected.set_index("group")
    uk, other = cell.loc["uk", "people"], cell.loc["other", "people"]
    hidden = bool(cell.loc["uk", "people_suppressed"] or cell.loc["other", "people_suppressed"])
    local = {"who": f"People detected in {area_name} (agency records)",
             "period": period_label(quarters), "uk_nationals": uk,
             "people_counted": pd.NA if hidden else uk + other,
             "not_recorded": cell.loc["unknown", "people"],
             "uk_national_share": float("nan"), "lower": float("nan"), "upper": float("nan"),
             "interval_kind": "95% Wilson score interval", "uk_nationals_suppressed": hidden}
    if not hidden and uk + other > 0:
        lo, hi = proportion_confint(int(uk), int(uk + other), alpha=alpha, method="wilson")
        local.update(uk_national_share=int(uk) / int(uk + other), lower=lo, upper=hi)
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
