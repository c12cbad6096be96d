"""Readers for the public reference figures shipped in ``data/reference/``.

Provenance of every file is in ``data/reference/README.md``. These readers only
reshape; they never change a published value.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from analysis.config import REFERENCE_DIR
from analysis.schema import Areas, Populations, PrevalenceEstimates

CENSUS_LAD_FILE = "population_census2021_by_local_authority_ew.csv"
CENSUS_PFA_FILE = "population_census2021_by_police_force_area_ew.csv"
MID_YEAR_FILE = "population_mid_year_uk_and_leicestershire_pfa.csv"
PREVALENCE_FILE = "uk_modern_slavery_prevalence_estimates.csv"

CENSUS_SOURCE = "ONS Census 2021 first results (28 Jun 2022), usual residents rounded to 100"
UK_CODE = "K02000001"


def _path(name: str, reference_dir: Path | None) -> Path:
    return (reference_dir or REFERENCE_DIR) / name


@cache
def _read_csv_cached(path: Path, stamp: int = 0) -> pd.DataFrame:
    return pd.read_csv(path)


def _stamp(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _read_csv(path: Path) -> pd.DataFrame:
    # A copy, so a caller that edits its frame cannot change the next caller's; keyed on the
    # file's modification time, so an edited reference file is read again.
    return _read_csv_cached(path, _stamp(path)).copy()


def _validated_once(reader):
    """Cache a reader's validated frame per (reference folder, files' modification times):
    validating the same unchanged file on every call cost most of a dashboard callback."""
    @cache
    def cached(folder: Path, stamps: tuple[int, ...]) -> pd.DataFrame:
        return reader(folder)

    def read(reference_dir: Path | None = None) -> pd.DataFrame:
        folder = Path(reference_dir or REFERENCE_DIR)
        stamps = tuple(_stamp(p) for p in sorted(folder.glob("*.csv")))
        return cached(folder, stamps).copy()

    read.__doc__ = reader.__doc__
    read.__name__ = reader.__name__
    read.__qualname__ = reader.__qualname__
    read.__module__ = reader.__module__
    read.__wrapped__ = reader
    return read


@_validated_once
def read_areas(reference_dir: Path | None = None) -> pd.DataFrame:
    """Area hierarchy of the 331 local authority districts of England and Wales.

    Examples
    --------
    >>> areas = read_areas()
    >>> areas.loc[areas.lad_code == "E06000016", "pfa_name"].item()
    'Leicestershire'
    """
    raw = _read_csv(_path(CENSUS_LAD_FILE, reference_dir))
    region = raw["region"].where(raw["country"] != "Wales", "Wales")
    areas = pd.DataFrame({
        "lad_code": raw["lad_code"], "lad_name": raw["lad_name"],
        "pfa_code": raw["pfa_code"], "pfa_name": raw["pfa_name"],
        "region": region, "nation": raw["country"],
    })
    return Areas.validate(areas)


@_validated_once
def read_populations(reference_dir: Path | None = None) -> pd.DataFrame:
    """Census 2021 residents by local authority and police force area, plus the UK mid-2023 figure.

    Examples
    --------
    >>> pops = read_populations()
    >>> int(pops.loc[pops.area_code == "E23000021", "population"].item())
    1121800
    """
    lad = _read_csv(_path(CENSUS_LAD_FILE, reference_dir))
    pfa = _read_csv(_path(CENSUS_PFA_FILE, reference_dir))
    mid = _read_csv(_path(MID_YEAR_FILE, reference_dir))
    uk = mid[(mid["geography_code"] == UK_CODE) & mid["population"].notna()]
    frames = [
        pd.DataFrame({
            "area_code": lad["lad_code"], "area_name": lad["lad_name"],
            "geography_level": "local_authority", "year": 2021,
            "population": lad["census_2021_usual_residents_rounded_100"], "source": CENSUS_SOURCE,
        }),
        pd.DataFrame({
            "area_code": pfa["pfa_code"], "area_name": pfa["pfa_name"],
            "geography_level": "police_force_area", "year": 2021,
            "population": pfa["census_2021_usual_residents_sum_of_rounded_lads"],
            "source": CENSUS_SOURCE + "; sum of rounded district values",
        }),
        pd.DataFrame({
            "area_code": uk["geography_code"], "area_name": uk["geography"], "geography_level": "uk",
            "year": uk["reference_date"].str.extract(r"(\d{4})", expand=False).astype(int),
            "population": uk["population"].astype(int), "source": uk["source"],
        }),
    ]
    return Populations.validate(pd.concat(frames, ignore_index=True))


@_validated_once
def read_prevalence_estimates(reference_dir: Path | None = None) -> pd.DataFrame:
    """The catalogue of published national prevalence estimates for the UK.

    Examples
    --------
    >>> cat = read_prevalence_estimates()
    >>> int(cat.set_index("estimate_id").loc["gsi_2023", "estimate_central"])
    122000
    """
    return PrevalenceEstimates.validate(_read_csv(_path(PREVALENCE_FILE, reference_dir)))
