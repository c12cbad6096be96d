"""Agencies detecting the true victims: heterogeneous, sector-specific and partly dependent.

Each agency detects a person as the first event of a Poisson process running while the
person is exploited, with rate ``hazard(agency, sector) x frailty x modifiers x m(t)``:

* heterogeneity: a person-level log-normal frailty of mean 1 shared by all agencies, so
  lists are independent *given the person* but positively associated marginally
  (the catchability heterogeneity that multiple systems estimation must cope with);
* sector: GLAA and HMRC see labour sectors only; police mainly criminal and sexual;
  health a little of everything; councils only their own districts, children much more;
* time: ``m(t)`` grows by ``detection_trend_per_year`` and jumps by
  ``awareness_rate_ratio`` from ``awareness_date`` (piecewise constant by quarter);
* direct dependence: a police record leads to an NGO record with probability
  ``police_to_ngo``; a child known to police, health or the NGO is recorded by the council
  with probability ``child_to_council``. Other pairs have no direct dependence;
* repeats: a small share of persons is recorded twice by the same agency.

The first-event time is drawn by inverting the piecewise-linear cumulative hazard
against a unit exponential (Cox and Lewis 1966, *The Statistical Analysis of Series of
Events*, ch. 2).
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

from analysis.synth.config import AgencySpec, SynthConfig
from analysis.synth.population import DAYS_PER_YEAR, Population

SCHEMA_COLUMNS = (
    "record_id", "person_key", "agency", "agency_type", "referral_date", "area_code",
    "exploitation_type", "sector", "age_group", "sex", "nationality_group", "nrm_referred",
)

# Each agency numbers its records its own way (record_id is unique within an agency).
RECORD_ID_FORMATS = {
    "leicestershire_police": "LP/{year}/{seq:05d}",
    "leicester_city_council": "LCC-MS-{year}-{seq:04d}",
    "leicestershire_county_council": "LCCMS{year}{seq:04d}",
    "rutland_county_council": "RCC{year}-{seq:03d}",
    "uhl_nhs": "UHL{seq:07d}",
    "glaa": "GLAA-{year}-{seq:05d}",
    "hmrc_nmw": "NMW{year}{seq:06d}",
    "freedom_network": "EMFN-{seq:05d}",
    "home_office_ie": "IE{year}/{seq:06d}",
    "supply_chain_audit": "SCA-{year}-{seq:04d}",
}


def person_key(person_id: int, seed: int, hex_chars: int = 32) -> str:
    """HMAC-SHA256 of a synthetic identifier under a synthetic key, truncated to hex_chars.

    Examples
    --------
    >>> k = person_key(1, 20240101); len(k), k == person_key(1, 20240101)
    (32, True)
    """
    key = f"darkfigure-synthetic-key-{seed}".encode()
    message = f"SYNTH-{seed}-{person_id:08d}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:hex_chars]


def time_segments(config: SynthConfig) -> pd.DataFrame:
    """Quarter segments of the window (split at the awareness date) with their multiplier.

    Examples
    --------
    >>> seg = time_segments(SynthConfig())
    >>> len(seg), float(seg["multiplier"].iloc[0]), bool(seg["after_awareness"].iloc[-1])
    (28, 1.0, True)
    """
    start, end = pd.Timestamp(config.start), pd.Timestamp(config.end) + pd.Timedelta(days=1)
    awareness = pd.Timestamp(config.awareness_date)
    cuts = set(pd.date_range(start, end, freq="QS")) | {start, end}
    if start < awareness < end:
        cuts.add(awareness)
    cuts = sorted(cuts)
    seg = pd.DataFrame({"start": cuts[:-1], "end": cuts[1:]})
    seg["start_day"] = (seg["start"] - start).dt.days.astype(float)
    seg["end_day"] = (seg["end"] - start).dt.days.astype(float)
    mid_years = (seg["start_day"] + seg["end_day"]) / 2 / DAYS_PER_YEAR
    seg["after_awareness"] = seg["start"] >= awareness
    seg["multiplier"] = (config.detection_trend_per_year ** (mid_years - mid_years.iloc[0])
                         * np.where(seg["after_awareness"], config.awareness_rate_ratio, 1.0))
    seg["quarter"] = seg["start"].dt.to_period("Q").astype(str)
    return seg


def _exposure(victims: pd.DataFrame, seg: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Days exploited in each segment (persons x segments) and where that overlap begins."""
    lo = np.maximum(victims["entry_day"].to_numpy()[:, None], seg["start_day"].to_numpy()[None])
    hi = np.minimum(victims["exit_day"].to_numpy()[:, None], seg["end_day"].to_numpy()[None])
    return np.clip(hi - lo, 0, None), lo


def _person_rates(victims: pd.DataFrame, spec: AgencySpec) -> np.ndarray:
    rate = victims["sector"].map(dict(spec.hazards)).to_numpy(dtype=float)
    rate = rate * victims["frailty"].to_numpy()
    rate = rate * np.where(victims["age_group"] == "child", spec.child_ratio, 1.0)
    rate = rate * np.where(victims["nationality_group"] == "uk", spec.uk_national_ratio, 1.0)
    if spec.areas is not None:
        rate = rate * victims["area_code"].isin(spec.areas).to_numpy()
    return rate


def _first_events(rng: np.random.Generator, rate: np.ndarray, days: np.ndarray,
                  begins: np.ndarray, multiplier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert the cumulative hazard: (row index, event day) of persons with an event."""
    step = rate[:, None] * days / DAYS_PER_YEAR * multiplier[None]
    cum = np.cumsum(step, axis=1)
    target = rng.exponential(1.0, len(rate))
    hit = np.flatnonzero(target < cum[:, -1])
    k = np.argmax(cum[hit] >= target[hit, None], axis=1)
    before = np.where(k > 0, cum[hit, np.maximum(k - 1, 0)], 0.0)
    frac = (target[hit] - before) / step[hit, k]
    return hit, begins[hit, k] + frac * days[hit, k]


def simulate_detections(population: Population, seed: int | None = None) -> pd.DataFrame:
    """Every agency's records of the simulated victims, in schema columns plus the truth.

    Parameters
    ----------
    population : Population
        From :func:`simulate_population`.
    seed : int, optional
        Defaults to the population's seed (a separate stream, so the same seed works).

    Returns
    -------
    pandas.DataFrame
        One row per record: the twelve ``Referrals`` schema columns plus ``person_id``
        (the true person, never in the extracts) and ``agency_slug``. Records fall inside
        the window; ``person_key`` is missing for a per-agency share of records.

    Examples
    --------
    >>> from analysis.synth import SynthConfig, simulate_population
    >>> records = simulate_detections(simulate_population(SynthConfig(scale=0.2), seed=3))
    >>> duplicated = records.duplicated(["agency", "record_id"]).any()
    >>> records["agency_type"].nunique() >= 7, bool(duplicated)
    (True, False)
    """
    config = population.config
    seed = population.seed if seed is None else seed
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    victims = population.victims
    seg = time_segments(config)
    window = population.window_days
    days, begins = _exposure(victims, seg)
    exit_day = np.minimum(victims["exit_day"].to_numpy(), window)
    multiplier = seg["multiplier"].to_numpy()

    events = []
    for spec in config.agencies:
        hit, day = _first_events(rng, _person_rates(victims, spec), days, begins, multiplier)
        events.append(pd.DataFrame({"row": hit, "day": day, "agency_slug": spec.slug}))
    base = pd.concat(events, ignore_index=True)

    # Direct dependence: police -> NGO, and children -> their council.
    police = base[base["agency_slug"] == "leicestershire_police"]
    refer = police[rng.random(len(police)) < config.police_to_ngo]
    ngo = pd.DataFrame({"row": refer["row"], "day": refer["day"] + rng.uniform(0, 60, len(refer)),
                        "agency_slug": "freedom_network"})
    base = pd.concat([base, ngo], ignore_index=True)
    base = base.sort_values(["agency_slug", "day"]).drop_duplicates(["agency_slug", "row"])
    child = victims["age_group"].to_numpy() == "child"
    seen = base[base["agency_slug"].isin(["leicestershire_police", "uhl_nhs", "freedom_network"])
                & child[base["row"]]].sort_values("day").drop_duplicates("row")
    seen = seen[rng.random(len(seen)) < config.child_to_council]
    council = victims["area_code"].to_numpy()[seen["row"]]
    council_slug = np.array([_council_for(c, config) for c in council], dtype=object)
    to_council = pd.DataFrame({"row": seen["row"].to_numpy(),
                               "day": seen["day"].to_numpy() + rng.uniform(0, 30, len(seen)),
                               "agency_slug": council_slug})
    to_council = to_council[to_council["agency_slug"].notna()]
    base = pd.concat([base, to_council], ignore_index=True)
    base = base.sort_values(["agency_slug", "day"]).drop_duplicates(["agency_slug", "row"])

    # Rare repeat records by the same agency, later in the same spell of exploitation.
    again = base[rng.random(len(base)) < config.repeat_record_share]
    later = again["day"].to_numpy() + rng.uniform(0, 1, len(again)) * np.clip(
        exit_day[again["row"]] - again["day"].to_numpy(), 0, None)
    again = again.assign(day=later)[later - again["day"].to_numpy() >= 1]
    records = pd.concat([base, again], ignore_index=True)
    records = records[records["day"] < window]
    return _fill_records(rng, records, population)


def _council_for(area_code: str, config: SynthConfig) -> str | None:
    for spec in config.agencies:
        if spec.agency_type == "local_authority" and spec.areas and area_code in spec.areas:
            return spec.slug
    return None


def _blank(rng: np.random.Generator, values: np.ndarray, share: float | np.ndarray,
           fill: object) -> np.ndarray:
    out = values.astype(object).copy()
    out[rng.random(len(out)) < share] = fill
    return out


def _fill_records(rng: np.random.Generator, records: pd.DataFrame,
                  population: Population) -> pd.DataFrame:
    config = population.config
    specs = {a.slug: a for a in config.agencies}
    records = records.sort_values(["agency_slug", "day", "row"], kind="stable")
    records = records.reset_index(drop=True)
    person = population.victims.iloc[records["row"].to_numpy()].reset_index(drop=True)
    slug = records["agency_slug"]

    def share(attr: str) -> np.ndarray:
        return slug.map({s: getattr(a, attr) for s, a in specs.items()}).to_numpy(dtype=float)

    dates = population.start + pd.to_timedelta(np.floor(records["day"].to_numpy()), unit="D")
    first_responder = slug.map({s: a.first_responder for s, a in specs.items()}).to_numpy(bool)
    nrm_known = first_responder | (rng.random(len(records)) < 0.4)
    nrm_known &= rng.random(len(records)) >= 0.05
    nrm = pd.array(np.where(nrm_known, person["nrm_consent"], False), dtype="boolean")
    nrm[~nrm_known] = pd.NA
    keys = {pid: person_key(pid, population.seed, config.key_hex_chars)
            for pid in np.unique(person["person_id"])}
    key = person["person_id"].map(keys).to_numpy(dtype=object)
    key[rng.random(len(key)) < share("key_missing_share")] = None

    out = pd.DataFrame({
        "record_id": _record_ids(slug, dates),
        "person_key": key,
        "agency": slug.map({s: a.agency for s, a in specs.items()}),
        "agency_type": slug.map({s: a.agency_type for s, a in specs.items()}),
        "referral_date": dates,
        "area_code": _blank(rng, person["area_code"].to_numpy(), share("area_missing_share"),
                            None),
        "exploitation_type": _blank(rng, person["exploitation_type"].to_numpy(),
                                    share("type_unknown_share"), "unknown"),
        "sector": _blank(rng, person["sector"].to_numpy(), share("sector_unknown_share"),
                         "unknown"),
        "age_group": _blank(rng, person["age_group"].to_numpy(), 0.02, "unknown"),
        "sex": _blank(rng, person["sex"].to_numpy(), 0.02, "unknown"),
        "nationality_group": _blank(rng, person["nationality_group"].to_numpy(), 0.05,
                                    "unknown"),
        "nrm_referred": nrm,
        "person_id": person["person_id"].to_numpy(),
        "agency_slug": slug.to_numpy(),
    })
    return out


def _record_ids(slug: pd.Series, dates: pd.DatetimeIndex) -> list[str]:
    years = dates.year
    ids: list[str] = []
    counters: dict[tuple[str, int], int] = {}
    for s, year in zip(slug, years, strict=True):
        fmt = RECORD_ID_FORMATS.get(s, s.upper() + "-{year}-{seq:06d}")
        # Agencies whose numbering ignores the year count across years.
        counter_key = (s, year if "{year}" in fmt else 0)
        counters[counter_key] = counters.get(counter_key, 0) + 1
        ids.append(fmt.format(year=year, seq=counters[counter_key]))
    return ids


def to_referrals(records: pd.DataFrame) -> pd.DataFrame:
    """Drop the truth columns: the records as the schema's ``referrals`` table."""
    return records.loc[:, list(SCHEMA_COLUMNS)].reset_index(drop=True)
