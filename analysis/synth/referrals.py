"""A fast, schema-valid referrals table of any size across all districts, for tests and
benchmarks. Unlike the sample it has no population behind it: rows are drawn independently
(districts by Census 2021 population, sectors from a national mix, exploitation type,
age, sex and nationality from the same sector profiles as the sample)."""

from __future__ import annotations

import binascii

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.synth.config import (
    AREA_SECTOR_WEIGHTS,
    CHILD_SHARE,
    CHILD_SHARE_DEFAULT,
    FEMALE_SHARE,
    NATIONALITY_MIX,
    SECTOR_EXPLOITATION,
    SECTORS,
)

_AGENCY_TYPES = ("police", "local_authority", "health", "glaa", "hmrc", "ngo", "home_office",
                 "business")
_AGENCY_TYPE_WEIGHTS = (0.35, 0.2, 0.08, 0.08, 0.05, 0.12, 0.08, 0.04)


def _codes(rng: np.random.Generator, weights: np.ndarray | list[float], size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size, p=p / p.sum()).astype(np.int32)


def _strings(codes: np.ndarray, labels: list[str], missing: np.ndarray | None = None) -> pd.Series:
    """Label codes as a pandas string column, built through Arrow (ten times faster than
    converting a million Python strings)."""
    indices = pa.array(codes.astype(np.int32), mask=missing)
    array = pa.DictionaryArray.from_arrays(indices, pa.array(labels)).cast(pa.large_string())
    return array.to_pandas(types_mapper=lambda _: pd.StringDtype("pyarrow", na_value=np.nan))


def simulate_referrals(n_rows: int, seed: int = 0, *, start: str = "2019-01-01",
                       end: str = "2025-12-31", rows_per_person: float = 1.35,
                       key_missing_share: float = 0.05) -> pd.DataFrame:
    """``n_rows`` synthetic referrals in the ``Referrals`` schema columns.

    Parameters
    ----------
    n_rows : int
        Number of rows (a million takes about a second).
    seed : int
        Random seed; same seed, same frame.
    start, end : str
        Referral dates are uniform over this inclusive range.
    rows_per_person : float
        Average records per ``person_key``, so keys repeat across agencies.
    key_missing_share : float
        Share of rows with no ``person_key``.

    Examples
    --------
    >>> from analysis.schema import Referrals
    >>> df = Referrals.validate(simulate_referrals(1_000, seed=1))
    >>> len(df), df["area_code"].nunique() > 200, bool(df["person_key"].duplicated().any())
    (1000, True, True)
    """
    from analysis.reference import read_populations

    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    pops = read_populations()
    lads = pops[pops["geography_level"] == "local_authority"].sort_values("area_code")

    n_persons = max(1, int(np.ceil(n_rows / rows_per_person)))
    pool = pa.array(np.frombuffer(binascii.hexlify(rng.bytes(16 * n_persons)), dtype="S32"))
    which = pa.array(rng.integers(0, n_persons, n_rows),
                     mask=rng.random(n_rows) < key_missing_share)
    keys = pool.take(which).cast(pa.large_string()).to_pandas(
        types_mapper=lambda _: pd.StringDtype("pyarrow", na_value=np.nan))

    suburban = AREA_SECTOR_WEIGHTS["E07000129"]
    sector = _codes(rng, [suburban[s] for s in SECTORS], n_rows)
    kinds = sorted(set(SECTOR_EXPLOITATION.values())) + ["multiple"]
    kind = np.array([kinds.index(SECTOR_EXPLOITATION[s]) for s in SECTORS])[sector]
    kind[rng.random(n_rows) < 0.08] = len(kinds) - 1
    child_p = np.array([CHILD_SHARE.get(s, CHILD_SHARE_DEFAULT) for s in SECTORS])[sector]
    female_p = np.array([FEMALE_SHARE[s] for s in SECTORS])[sector]
    groups = sorted({g for mix in NATIONALITY_MIX.values() for g in mix})
    nationality = np.empty(n_rows, dtype=np.int32)
    for i, s in enumerate(SECTORS):
        idx = np.flatnonzero(sector == i)
        mix = NATIONALITY_MIX[s]
        nationality[idx] = np.array([groups.index(g) for g in mix])[
            _codes(rng, list(mix.values()), idx.size)]

    agency_type = _codes(rng, _AGENCY_TYPE_WEIGHTS, n_rows)
    agencies = ["Synthetic " + t.replace("_", " ") + " agency" for t in _AGENCY_TYPES]
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
    dates = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days, n_rows), unit="D")
    nrm = pd.array(rng.random(n_rows) < 0.6, dtype="boolean")
    nrm[rng.random(n_rows) < 0.1] = pd.NA
    numbers = pc.cast(pa.array(np.arange(1, n_rows + 1)), pa.large_string())
    record_id = pc.binary_join_element_wise(pa.scalar("SR", pa.large_string()),
                                            pc.utf8_lpad(numbers, 9, "0"),
                                            pa.scalar("", pa.large_string()))
    return pd.DataFrame({
        "record_id": record_id.to_pandas(
            types_mapper=lambda _: pd.StringDtype("pyarrow", na_value=np.nan)),
        "person_key": keys,
        "agency": _strings(agency_type, agencies),
        "agency_type": _strings(agency_type, list(_AGENCY_TYPES)),
        "referral_date": dates,
        "area_code": _strings(_codes(rng, lads["population"].to_numpy(), n_rows),
                              lads["area_code"].tolist()),
        "exploitation_type": _strings(kind, kinds),
        "sector": _strings(sector, list(SECTORS)),
        "age_group": _strings((rng.random(n_rows) < child_p).astype(np.int32), ["adult", "child"]),
        "sex": _strings((rng.random(n_rows) < female_p).astype(np.int32), ["male", "female"]),
        "nationality_group": _strings(nationality, groups),
        "nrm_referred": nrm,
    })
