"""Composition of the detected new victims against the national NRM mix.

A detection *ratio* for a sub-group (children, a sector) needs an expected figure for that
group, which only a documented share assumption gives. Where none exists the honest
comparison is of *composition*: what share of the area's new victims are children, UK
nationals or of each exploitation type, against the same shares among all UK NRM referrals
(Home Office NRM statistics, first-responder tables 2022 Q2 to 2023 Q4). Each local share has
a Wilson score interval (Wilson 1927, J Am Stat Assoc 22:209-12); the national shares come
from about 17,000 referrals a year and are taken as known.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import pandas as pd
from scipy import stats

from analysis.config import REFERENCE_DIR
from analysis.errors import DarkFigureError

NATIONAL_MIX_FILE = (
    "nrm_referrals_uk_quarterly_by_responder_exploitation_age_nationality_2022q2_2023q4.csv")
NRM_TABLES_URL = "https://www.gov.uk/government/collections/national-referral-mechanism-statistics"

# The groups compared: (label, column, the local value(s), national column, national value(s)).
# Unknowns are left out of both sides' denominators, as the NRM tables report them apart.
GROUPS = (
    ("children", "age_group", ("child",), "age_at_exploitation", ("Child (17 or under)",)),
    ("UK nationals", "nationality_group", ("uk",), "nationality_group", ("UK", "UK dual national")),
    ("labour exploitation", "exploitation_type", ("labour",), "exploitation_type", ("Labour",)),
    ("sexual exploitation", "exploitation_type", ("sexual",), "exploitation_type", ("Sexual",)),
    ("criminal exploitation", "exploitation_type", ("criminal",), "exploitation_type",
     ("Criminal",)),
    ("domestic servitude", "exploitation_type", ("domestic_servitude",), "exploitation_type",
     ("Domestic",)),
)
UNKNOWN_LOCAL = {"unknown"}
UNKNOWN_NATIONAL = {"Not specified or unknown", "Unknown"}


def wilson_interval(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k / n``.

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(34, 215)]
    [0.1154, 0.2129]
    >>> wilson_interval(0, 0)
    (nan, nan)
    """
    if n == 0:
        return (math.nan, math.nan)
    if not 0 <= k <= n:
        raise DarkFigureError(f"a proportion needs 0 <= k <= n, got {k} of {n}")
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def national_mix(year: int | None = None, reference_dir: Path | None = None) -> pd.DataFrame:
    """Shares among UK NRM referrals (all first responders), unknowns left out.

    ``year`` 2022 (Q2-Q4) or 2023; default the latest. Columns: ``group``, ``national_count``,
    ``national_total``, ``national_share``, ``national_source``.

    Examples
    --------
    >>> m = national_mix(2023).set_index("group")
    >>> [round(float(m.loc[g, "national_share"]), 3) for g in ("children", "UK nationals")]
    [0.463, 0.282]
    """
    return _national_mix(None if year is None else int(year),
                         Path(reference_dir or REFERENCE_DIR)).copy()


@lru_cache(maxsize=8)
def _national_mix(year: int | None, reference_dir: Path) -> pd.DataFrame:
    # published reference figures: read once per process (every composition view asks)
    raw = pd.read_csv(reference_dir / NATIONAL_MIX_FILE)
    year = int(raw["year"].max()) if year is None else int(year)
    rows = raw[raw["year"] == year]
    if rows.empty:
        raise DarkFigureError(f"no NRM composition table for {year} (2022-2023 only)")
    quarters = sorted(rows["quarter"].unique())
    out = []
    for label, _, _, column, values in GROUPS:
        known = rows[~rows[column].isin(UNKNOWN_NATIONAL)]
        count = int(known.loc[known[column].isin(values), "referrals"].sum())
        total = int(known["referrals"].sum())
        out.append({"group": label, "national_count": count, "national_total": total,
                    "national_share": count / total if total else math.nan,
                    "national_source": f"Home Office NRM statistics, {quarters[0]} to "
                                       f"{quarters[-1]}, all first responders ({NRM_TABLES_URL})"})
    return pd.DataFrame(out)


def composition(new_victims: pd.DataFrame, *, alpha: float = 0.05, year: int | None = None,
                reference_dir: Path | None = None) -> pd.DataFrame:
    """Local shares of new victims by group, with Wilson intervals, beside the national mix.

    ``new_victims`` are the detected new victims of one area and period (one row each, e.g.
    the first-ever records selected by :func:`analysis.detection.detected_counts`' rule).
    Columns: ``group``, ``count``, ``known``, ``share``, ``share_lower``, ``share_upper``,
    ``national_share``, ``difference`` ("higher", "lower" or "similar": the national share
    outside or inside the local interval), ``confidence_level``.

    Examples
    --------
    >>> people = pd.DataFrame({"age_group": ["child"] * 30 + ["adult"] * 70,
    ...                        "nationality_group": ["uk"] * 50 + ["africa"] * 50,
    ...                        "exploitation_type": ["labour"] * 100})
    >>> c = composition(people, year=2023).set_index("group")
    >>> int(c.loc["children", "count"]), int(c.loc["children", "known"]), c.loc["children", "difference"]
    (30, 100, 'lower')
    """
    return _composition(new_victims, len, alpha, year, reference_dir)


def _composition(new_victims: pd.DataFrame, count_people, alpha: float, year: int | None,
                 reference_dir: Path | None) -> pd.DataFrame:
    """Shares by group with ``count_people(rows) -> int | None`` (None: shown as [c])."""
    national = national_mix(year, reference_dir).set_index("group")
    rows = []
    for label, column, values, _, _ in GROUPS:
        if column not in new_victims.columns:
            continue
        col = new_victims[column].astype(str)
        count = count_people(new_victims[col.isin(values)])
        known = count_people(new_victims[~col.isin(UNKNOWN_LOCAL)])
        usable = count is not None and known is not None and 0 < known and count <= known
        share = count / known if usable else math.nan
        lower, upper = wilson_interval(count, known, alpha) if usable else (math.nan, math.nan)
        nat = float(national.loc[label, "national_share"])
        verdict = ("[c]" if count is None or known is None else
                   "not enough records" if not usable else "higher" if lower > nat else
                   "lower" if upper < nat else "similar")
        rows.append({"group": label, "count": count, "known": known, "share": share,
                     "share_lower": lower, "share_upper": upper, "national_share": nat,
                     "difference": verdict, "confidence_level": 1 - alpha,
                     "count_suppressed": count is None,
                     "national_source": national.loc[label, "national_source"]})
    out = pd.DataFrame(rows)
    if not out.empty:
        out["count"] = out["count"].astype("Int64")
        out["known"] = out["known"].astype("Int64")
    return out


def protected_composition(new_victims: pd.DataFrame, *, alpha: float = 0.05,
                          year: int | None = None, mode: str = "protected",
                          reference_dir: Path | None = None) -> pd.DataFrame:
    """:func:`composition` with every count through the protection layer.

    ``new_victims`` are people rows, or cells counted in the store by ``age_group``,
    ``nationality_group`` and ``exploitation_type`` with ``count`` and ``cell_key``
    (:func:`analysis.victim_counts.count_cells`): the same shown figures either way.

    Each group's count and its denominator (people with the group recorded) are protected
    cells of their own (:func:`analysis.disclosure.protect_count`); the share and its Wilson
    interval are computed from the shown counts and withheld when either is ``[c]`` (the
    derived-figures rule). Columns as :func:`composition` plus ``count_suppressed``.
    """
    from analysis.disclosure import protect_cells, protect_count
    from analysis.disclosure.keys import KEY_MODULUS

    if {"count", "cell_key"} <= set(new_victims.columns):
        # cells counted in the store that partition the people (one row per person in one
        # cell): a group's count and cell key are the sums of its cells', as protect_count
        # would find from the people themselves
        def count_people(cells: pd.DataFrame):
            key = sum(int(k) for k in cells["cell_key"]) % KEY_MODULUS
            value = protect_cells([int(cells["count"].sum())], [key], mode=mode)[0]
            return None if value is pd.NA else int(value)

        return _composition(new_victims, count_people, alpha, year, reference_dir)
    return _composition(new_victims, lambda rows: protect_count(rows, mode=mode).value, alpha,
                        year, reference_dir)
