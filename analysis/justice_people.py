"""Each detected person's stages from a frame of referrals (the pandas route of the justice
funnel; :mod:`analysis.justice_counts` finds the same in the store). Definitions in
:mod:`analysis.justice` and docs/methods/justice.md."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.disclosure.keys import RECORD_KEY, record_keys
from analysis.errors import DarkFigureError
from analysis.schema import OUTCOME_GROUP_OF


def people_stages(referrals: pd.DataFrame, *, as_of: pd.Timestamp | None = None
                  ) -> pd.DataFrame:
    """One row per detected person: cohort dates and how far they got by ``as_of`` (the
    pandas route; :mod:`analysis.justice_counts` finds the same in the store), with the
    person's ``record_key`` for the cell-key layer.

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
    # the disclosure layer's identity: a linked person, else one agency's record
    if "agency" not in r:
        r["agency"] = r["agency_type"]
    person = r["person_key"].astype(object)
    linked = person.notna() & (person.astype(str) != "")
    r["person"] = person.where(linked, "record:" + r["agency"].astype(str) + ":"
                               + r["record_id"].astype(str))
    r[RECORD_KEY] = (r[RECORD_KEY].to_numpy(dtype=np.uint64) if RECORD_KEY in r
                     else record_keys(r))
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
    ordered = r.sort_values(["person", "referral_date", "agency", "record_id"], kind="stable")
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
        RECORD_KEY: g[RECORD_KEY].first(),
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
