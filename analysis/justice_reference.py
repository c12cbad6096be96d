"""Public figures to set a local victim-to-charge funnel against (mostly SECONDARY sources).

Read from ``data/reference/police_recorded_modern_slavery_offences_secondary.csv`` (see
``data/reference/README.md``): the share of police-recorded modern slavery offences in
England and Wales that led to a charge, as reported from Home Office outcomes data, and
the offences recorded each year. Each row keeps its source and ``source_type``; every row
not marked primary is flagged ``secondary`` so pages can say so.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis import config

NATIONAL_FILE = "police_recorded_modern_slavery_offences_secondary.csv"
# Indicator -> (what it measures, how to turn the published value into a share).
_CHARGE_INDICATORS = {
    "pct_ms_offences_resulting_in_charge": "share of offences resulting in a charge",
    "pct_ms_offences_resulting_in_charge_lt": "share of offences resulting in a charge (under)",
    "ms_cases_charged_ratio": "share of closed cases resulting in a charge",
}


def read_national_offences(reference_dir: Path | None = None) -> pd.DataFrame:
    """The reference file as published, with a ``secondary`` flag per row.

    Examples
    --------
    >>> t = read_national_offences()
    >>> int(t.loc[(t["period"] == "YE Mar 2019") & (t["geography"] == "England and Wales")
    ...           & (t["indicator"] == "police_recorded_modern_slavery_offences"), "value"].iloc[0])
    5144
    """
    path = Path(reference_dir or config.REFERENCE_DIR) / NATIONAL_FILE
    table = pd.read_csv(path, dtype=str)
    table["secondary"] = ~table["source_type"].str.lower().str.startswith("primary")
    return table


def _share(indicator: str, value: str) -> float:
    if indicator == "ms_cases_charged_ratio":
        one, _, many = value.partition(" in ")
        return float(one) / float(many)
    return float(value) / 100


def national_charge_figures(reference_dir: Path | None = None) -> pd.DataFrame:
    """England and Wales charge rates for modern slavery offences, as shares, with sources.

    Examples
    --------
    >>> t = national_charge_figures()
    >>> row = t.iloc[0]
    >>> row["period"], round(float(row["share"]), 3), bool(row["secondary"])
    ('2015 to Sep 2020', 0.044, True)
    """
    return _charge_figures(str(Path(reference_dir or config.REFERENCE_DIR))).copy()


@lru_cache(maxsize=4)
def _charge_figures(reference_dir: str) -> pd.DataFrame:
    """Read once per folder (a published file; callers get a copy)."""
    table = read_national_offences(Path(reference_dir))
    rows = table[table["indicator"].isin(_CHARGE_INDICATORS)
                 & (table["geography"] == "England and Wales")].copy()
    rows["share"] = [_share(i, v) for i, v in zip(rows["indicator"], rows["value"], strict=True)]
    rows["measure"] = rows["indicator"].map(_CHARGE_INDICATORS)
    rows["upper_bound_only"] = rows["indicator"].str.endswith("_lt")
    return rows[["period", "geography", "measure", "share", "upper_bound_only", "note",
                 "source_title", "source_url", "source_type", "secondary"]].reset_index(drop=True)
