"""The naive data step the dashboard benchmark compares against: every referral held in
pandas, each person's first record found once, then each view filtered and counted in pandas
(what the dashboard did before its queries moved into DuckDB); the Justice page's people and
stages found by ``analysis.justice.people_stages``.

``naive_data_step(store_path)`` swaps it in for ``dashboard.queries``' store queries and
``analysis.justice_counts.count_justice``, and returns a function that swaps them back.
Used by ``benchmarks/dashboard.py --naive`` and tests/test_benchmark_paths.py (which checks
it counts what the store counts).
"""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

_NAIVE: dict = {}  # the frames of the store last read, kept as the naive path keeps them


def _naive_frame(store_path: Path):
    """Every stored referral in pandas (filter columns as categories) with a mask of each
    person's first-ever record, and every stored column for the Justice page: the state
    the naive path keeps in memory."""
    from analysis.disclosure import record_keys
    from analysis.store import Store
    from analysis.tables import first_detections

    with Store(store_path, read_only=True) as store:
        frame = store.referrals()
    _NAIVE["all_columns"] = frame
    first = np.zeros(len(frame), dtype=bool)
    first[first_detections(frame).index.to_numpy()] = True
    out = pd.DataFrame({c: pd.Categorical(frame[c]) for c in
                        ("area_code", "quarter", "sector", "exploitation_type", "age_group",
                         "sex", "nationality_group", "agency", "agency_type")})
    for c in ("record_id", "person_key", "referral_date", "load_id"):
        out[c] = frame[c].to_numpy()
    out["record_key"] = record_keys(frame)
    out["first"] = first
    return out



def naive_data_step(store_path: Path):
    """Patch ``dashboard.queries``' database queries with the naive path (pandas over every
    referral, filtered per view). Returns a function that restores the queries."""
    from analysis import justice_counts
    from analysis.disclosure.keys import cell_keys
    from dashboard import data, queries

    if _NAIVE.get("store") != store_path:
        t = time.perf_counter()
        _NAIVE["frame"] = _naive_frame(store_path)
        _NAIVE["store"] = store_path
        print(f"naive path: every referral read into pandas in {time.perf_counter() - t:.1f} s")
    frame = _NAIVE["frame"]

    def select(chosen, first_only=True):
        keep = frame["first"].to_numpy().copy() if first_only and chosen.snapshot is None \
            else np.ones(len(frame), dtype=bool)
        for column, values in (("area_code", chosen.area_codes), ("quarter", chosen.quarters),
                               *chosen.where):
            if values is not None:
                keep &= frame[column].isin(list(values)).to_numpy()
        rows = frame.loc[keep]
        if chosen.snapshot is not None:
            from analysis.tables import first_detections
            rows = first_detections(frame[frame["load_id"] <= chosen.snapshot])
        return rows

    def cells(version, chosen, by):
        rows = select(chosen)
        if "linked" in by:
            rows = rows.assign(linked=rows["person_key"].notna().to_numpy())
        rows = rows.assign(**{c: rows[c].astype(str) for c in by if c not in ("year", "linked")})
        if "year" in by:
            rows = rows.assign(year=rows["quarter"].astype(str).str[:4])
        return cell_keys(rows, list(by))

    def people(version, chosen):
        rows = select(chosen)
        return rows[[c for c in data.PEOPLE_COLUMNS if c in rows]].astype(
            {c: str for c in ("area_code", "quarter", "sector", "exploitation_type",
                              "age_group", "sex", "nationality_group", "agency_type")})

    def referrals(version, chosen):
        rows = select(chosen, first_only=False)
        return data.prepare_referrals(rows.assign(**{c: rows[c].astype(str) for c in
                                                     ("area_code", "agency_type")}))

    def capture(version, chosen):
        from analysis.mse import AGENCY_TYPE_MERGE

        rows = select(chosen, first_only=False)
        rows = rows[rows["person_key"].notna()]
        lists = rows["agency_type"].astype(str).replace(AGENCY_TYPE_MERGE)
        names = sorted(lists.unique())
        bits = np.left_shift(1, lists.map({n: i for i, n in enumerate(names)})
                             .to_numpy(np.int64))
        masks = pd.Series(bits).groupby(rows["person_key"].to_numpy()).agg(
            np.bitwise_or.reduce)
        people = rows.drop_duplicates("person_key")
        people = people.assign(mask=masks.reindex(people["person_key"]).to_numpy())
        found = cell_keys(people, ["mask"])
        out = pd.DataFrame({n: (found["mask"].to_numpy() >> i) & 1
                            for i, n in enumerate(names)})
        out["count"] = found["count"].to_numpy()
        out["cell_key"] = found["cell_key"].to_numpy()
        out.attrs["merged_lists"] = {}
        return out.sort_values("count", ascending=False, ignore_index=True)

    def count_justice(con, chosen, *, by="year", follow_up_days=365, as_of=None):
        from analysis.justice_counts import counts_from_people
        from analysis.justice_people import people_stages
        from analysis.periods import quarter_of

        rows = _NAIVE["all_columns"]
        keep = rows["area_code"].isin(list(chosen.area_codes)).to_numpy()
        for column, values in chosen.where:
            keep &= rows[column].isin(list(values)).to_numpy()
        if chosen.snapshot is not None:
            keep &= (rows["load_id"] <= chosen.snapshot).to_numpy()
        people = people_stages(rows[keep], as_of=as_of)
        if chosen.quarters is not None:
            people = people[quarter_of(people["detection_date"]).isin(chosen.quarters)]
        return counts_from_people(people, by=by, follow_up_days=follow_up_days)

    # cached per view as the DuckDB queries are, so neither path repeats a query in a view
    naive = {"_cells": lru_cache(maxsize=1024)(cells), "_people": lru_cache(maxsize=64)(people),
             "_referrals": lru_cache(maxsize=32)(referrals),
             "_capture_cells": lru_cache(maxsize=32)(capture)}
    saved = {n: getattr(queries, n) for n in naive}
    saved_justice = justice_counts.count_justice
    for name, fn in naive.items():
        setattr(queries, name, fn)
    justice_counts.count_justice = count_justice

    def restore():
        for name, fn in saved.items():
            setattr(queries, name, fn)
        justice_counts.count_justice = saved_justice
    return restore
