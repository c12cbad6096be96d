"""The known truth behind a synthetic sample, as a JSON-ready dict (``truth.json``).

What an estimate can be checked against: the expected and realised stock, the true flow of
new victims by area, quarter and sector, the distinct victims exploited in any area and
period (the target of a multiple systems estimate), what the agencies detected, and the
detection parameters including the awareness event.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.synth.config import LLR_AREAS, SECTORS, SYNTH_VERSION
from analysis.synth.population import Population

PFA_CODE = "E23000021"
CENSUS_DAY = "2021-03-21"


def quarters(config_start: str, config_end: str) -> list[str]:
    """Quarters ``YYYYQn`` covering the window.

    Examples
    --------
    >>> quarters("2019-01-01", "2019-12-31")
    ['2019Q1', '2019Q2', '2019Q3', '2019Q4']
    """
    return [str(p) for p in pd.period_range(config_start, config_end, freq="Q")]


def _day(population: Population, date: str | pd.Timestamp) -> float:
    return float((pd.Timestamp(date) - population.start).days)


def _exploited_between(victims: pd.DataFrame, lo: float, hi: float) -> pd.Series:
    """Persons exploited at some time in [lo, hi) (days since window start)."""
    return (victims["entry_day"] < hi) & (victims["exit_day"] > lo)


def _periods(population: Population) -> list[tuple[str, float, float]]:
    cfg = population.config
    start, end = pd.Timestamp(cfg.start), pd.Timestamp(cfg.end) + pd.Timedelta(days=1)
    qs = quarters(cfg.start, cfg.end)
    periods = [(f"{qs[0]}:{qs[-1]}", 0.0, _day(population, end))]
    for year in range(start.year, end.year + (end.day_of_year > 1)):
        y0, y1 = max(pd.Timestamp(year=year, month=1, day=1), start), min(
            pd.Timestamp(year=year + 1, month=1, day=1), end)
        if y0 < y1:
            periods.append((f"{year}Q1:{year}Q4", _day(population, y0), _day(population, y1)))
    return periods


def _nested_counts(frame: pd.DataFrame, keys: list[str]) -> dict:
    counts = frame.groupby(keys, observed=True).size()
    out: dict = {}
    for index, n in counts.items():
        index = index if isinstance(index, tuple) else (index,)
        node = out
        for k in index[:-1]:
            node = node.setdefault(str(k), {})
        node[str(index[-1])] = int(n)
    return out


def build_truth(population: Population, records: pd.DataFrame,
                files: dict[str, str] | None = None) -> dict[str, object]:
    """Assemble the truth dict for ``population`` and its agency ``records``.

    Examples
    --------
    >>> from analysis.synth import SynthConfig, simulate_population, simulate_detections
    >>> pop = simulate_population(SynthConfig(scale=0.1), seed=2)
    >>> truth = build_truth(pop, simulate_detections(pop))
    >>> truth["distinct_victims"]["total"] == len(pop.victims)
    True
    """
    cfg, victims = population.config, population.victims
    names = dict(LLR_AREAS)
    window = population.window_days
    qs = quarters(cfg.start, cfg.end)
    q_start = [_day(population, pd.Period(q, freq="Q").start_time) for q in qs]

    in_window = victims[victims["entry_day"] >= 0].copy()
    in_window["quarter"] = pd.PeriodIndex(
        population.start + pd.to_timedelta(np.floor(in_window["entry_day"]), unit="D"),
        freq="Q").astype(str)

    by_area = []
    for row in population.areas.itertuples():
        v = victims[victims["area_code"] == row.area_code]
        census = _day(population, CENSUS_DAY)
        at_quarters = [int(((v["entry_day"] <= d) & (v["exit_day"] > d)).sum()) for d in q_start]
        by_area.append({
            "area_code": row.area_code, "area_name": names.get(row.area_code, row.area_name),
            "population_census_2021": int(row.population),
            "rate_multiplier": round(float(row.rate_multiplier), 6),
            "expected_stock": round(float(row.expected_stock), 3),
            "expected_annual_flow": round(float(row.expected_annual_flow), 3),
            "realised_stock_census_day": int(((v["entry_day"] <= census)
                                              & (v["exit_day"] > census)).sum()),
            "realised_stock_mean_of_quarter_starts": round(float(np.mean(at_quarters)), 2),
        })
    stock_q = {
        code: {q: int(((v["entry_day"] <= d) & (v["exit_day"] > d)).sum())
               for q, d in zip(qs, q_start, strict=True)}
        for code, v in victims.groupby("area_code", sort=True)
    }

    targets = []
    kept = records[records["person_key"].notna()]
    rec_day = (records["referral_date"] - population.start).dt.days
    kept_day = rec_day[records["person_key"].notna()]
    for label, lo, hi in _periods(population):
        for code in [PFA_CODE, *cfg.areas]:
            area_codes = list(cfg.areas) if code == PFA_CODE else [code]
            vmask = victims["area_code"].isin(area_codes) & _exploited_between(victims, lo, hi)
            rmask = kept["area_code"].isin(area_codes) & (kept_day >= lo) & (kept_day < hi)
            targets.append({
                "area_code": code, "period": label,
                "true_distinct_victims": int(vmask.sum()),
                "observed_distinct_person_keys": int(kept.loc[rmask, "person_key"].nunique()),
                "observed_distinct_victims_in_keyed_records": int(
                    kept.loc[rmask, "person_id"].nunique()),
            })

    records_year = records.assign(year=records["referral_date"].dt.year.astype(str))
    first = records.sort_values("referral_date").drop_duplicates("person_id")
    agencies = []
    n_window = len(victims)
    person_years = float(np.clip(np.minimum(victims["exit_day"], window)
                                 - np.maximum(victims["entry_day"], 0), 0, None).sum()) / 365.25
    for spec in cfg.agencies:
        mine = records[records["agency_slug"] == spec.slug]
        covered = victims if spec.areas is None else victims[victims["area_code"].isin(spec.areas)]
        agencies.append({
            "slug": spec.slug, "agency": spec.agency, "agency_type": spec.agency_type,
            "file": (files or {}).get(spec.slug),
            "areas": list(spec.areas) if spec.areas else list(cfg.areas),
            "annual_hazard_by_sector": {s: h for s, h in spec.hazards},
            "child_ratio": spec.child_ratio, "uk_national_ratio": spec.uk_national_ratio,
            "first_responder": spec.first_responder,
            "key_missing_share": spec.key_missing_share,
            "records": int(len(mine)),
            "records_without_person_key": int(mine["person_key"].isna().sum()),
            "distinct_victims": int(mine["person_id"].nunique()),
            "detection_probability_mean": round(mine["person_id"].nunique() / n_window, 6),
            "detection_probability_mean_in_covered_areas": round(
                mine["person_id"].nunique() / max(len(covered), 1), 6),
            "distinct_victims_per_person_year": round(mine["person_id"].nunique()
                                                      / person_years, 6),
        })

    return {
        "synthetic": True,
        "generator": f"analysis.synth version {SYNTH_VERSION}",
        "seed": population.seed,
        "regenerate": f"darkfigure synth --out data/sample --seed {population.seed}"
                      + ("" if cfg.scale == 1 else f" --scale {cfg.scale}"),
        "parameters": _jsonable(cfg.parameters()),
        "window": {"start": cfg.start, "end": cfg.end, "quarters": qs},
        "awareness_event": {
            "date": cfg.awareness_date, "rate_ratio": cfg.awareness_rate_ratio,
            "detection_trend_per_year": cfg.detection_trend_per_year,
            "meaning": "every agency's detection hazard is multiplied by rate_ratio from the "
                       "date, on top of a steady trend of detection_trend_per_year",
        },
        "stock": {
            "definition": "people in exploitation on a given day; expected = 122,000 / "
                          "67,886,000 x Census 2021 residents x scale, with Leicester's "
                          "urban premium renormalised within the force area",
            "expected_total": round(float(population.areas["expected_stock"].sum()), 3),
            "by_area": by_area,
            "realised_by_area_quarter_start": stock_q,
        },
        "flow": {
            "definition": "true new victims (entries into exploitation) per quarter",
            "expected_annual_total": round(float(population.areas["expected_annual_flow"]
                                                 .sum()), 3),
            "total": int(len(in_window)),
            "by_area_quarter": _nested_counts(in_window, ["area_code", "quarter"]),
            "by_sector": {s: int((in_window["sector"] == s).sum()) for s in SECTORS},
            "by_area_quarter_sector": _nested_counts(
                in_window, ["area_code", "quarter", "sector"]),
        },
        "distinct_victims": {
            "definition": "people exploited at some time in the window (stock at the start "
                          "plus the flow during it)",
            "total": n_window,
            "already_exploited_at_start": int(victims["initial_stock"].sum()),
            "by_area": _nested_counts(victims, ["area_code"]),
            "by_sector": _nested_counts(victims, ["sector"]),
        },
        "detected": {
            "records": int(len(records)),
            "records_without_person_key": int(records["person_key"].isna().sum()),
            "distinct_victims": int(records["person_id"].nunique()),
            "distinct_victims_with_a_keyed_record": int(kept["person_id"].nunique()),
            "distinct_person_keys": int(kept["person_key"].nunique()),
            "share_of_distinct_victims": round(records["person_id"].nunique() / n_window, 6),
            "records_by_area_year": _nested_counts(
                records_year.dropna(subset=["area_code"]), ["area_code", "year"]),
            "first_detections_by_year": _nested_counts(
                first.assign(year=first["referral_date"].dt.year.astype(str)), ["year"]),
            "victims_by_number_of_agencies": {
                str(k): int(v) for k, v in
                records.groupby("person_id")["agency_slug"].nunique().value_counts()
                .sort_index().items()},
        },
        "agencies": agencies,
        "mse_targets": {
            "definition": "true_distinct_victims: people exploited at some time in the period "
                          "in the area(s), the number a multiple systems estimate on the "
                          "linked, keyed records of that area and period should recover. "
                          "Records without a person_key cannot be linked: leave them out of "
                          "the capture table (missing keys lower catchability, they do not "
                          "change the target). Expect estimates below the target: catchability "
                          "varies by person (shared log-normal frailty), by sector (GLAA and "
                          "HMRC see labour sectors only), by district (councils) and by how "
                          "long each person was exploited within the period, and police and "
                          "NGO lists are directly dependent. That is the point of the test: "
                          "a method or stratification that copes with heterogeneity gets "
                          "closer. With frailty_sigma=0, no direct dependence, "
                          "uniform_agencies() and no turnover the lists are independent and "
                          "an independence model recovers the target.",
            "targets": targets,
        },
    }


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value
