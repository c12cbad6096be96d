"""National context on real public data: police-made NRM referrals by force, UK quarterly totals.

Sources (provenance in ``data/reference/README.md``): the Home Office NRM quarterly
data tables, police first-responder table, 2022 Q2 to 2023 Q4 (the force that *made*
the referral, not where the exploitation happened), and the Census 2021 usual
residents by police force area (sums of rounded district figures). Rates per 100,000
residents are given over the whole period and annualised (x 4 / number of quarters).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.config import REFERENCE_DIR
from analysis.errors import DarkFigureError
from analysis.reference import read_populations

POLICE_FILE = "nrm_police_first_responder_referrals_by_force_quarterly_2022q2_2023q4.csv"
AGE_LOCATION_FILE = "nrm_referrals_uk_quarterly_by_age_and_location_2009q2_2023q4.csv"
TOTALS_FILE = "nrm_referrals_uk_quarterly_totals_2019_2025.csv"
TABLE_2_VINTAGE = "as published in Q4 2023 data tables (Table_2)"

# The 43 territorial forces of England and Wales, as named in the police first-responder
# table, and the GSS code of their police force area (Census 2021 PFA file).
FORCE_PFA_CODES: dict[str, str] = {
    "Avon and Somerset Constabulary": "E23000036",
    "Bedfordshire Police": "E23000026",
    "Cambridgeshire Constabulary": "E23000023",
    "Cheshire Constabulary": "E23000006",
    "City of London Police": "E23000034",
    "Cleveland Police": "E23000013",
    "Cumbria Constabulary": "E23000002",
    "Derbyshire Constabulary": "E23000018",
    "Devon & Cornwall Police": "E23000035",
    "Dorset Police": "E23000039",
    "Durham Constabulary": "E23000008",
    "Dyfed-Powys Police": "W15000004",
    "Essex Police": "E23000028",
    "Gloucestershire Constabulary": "E23000037",
    "Greater Manchester Police": "E23000005",
    "Gwent Police": "W15000002",
    "Hampshire Constabulary": "E23000030",
    "Hertfordshire Constabulary": "E23000027",
    "Humberside Police": "E23000012",
    "Kent Police": "E23000032",
    "Lancashire Constabulary": "E23000003",
    "Leicestershire Police": "E23000021",
    "Lincolnshire Police": "E23000020",
    "Merseyside Police": "E23000004",
    "Metropolitan Police Service": "E23000001",
    "Norfolk Constabulary": "E23000024",
    "North Wales Police": "W15000001",
    "North Yorkshire Police": "E23000009",
    "Northamptonshire Police": "E23000022",
    "Northumbria Police": "E23000007",
    "Nottinghamshire Police": "E23000019",
    "South Wales Police": "W15000003",
    "South Yorkshire Police": "E23000011",
    "Staffordshire Police": "E23000015",
    "Suffolk Constabulary": "E23000025",
    "Surrey Police": "E23000031",
    "Sussex Police": "E23000033",
    "Thames Valley Police": "E23000029",
    "Warwickshire Police": "E23000017",
    "West Mercia Police": "E23000016",
    "West Midlands Police": "E23000014",
    "West Yorkshire Police": "E23000010",
    "Wiltshire Police": "E23000038",
}

_NO_POPULATION = "no resident population of its own"
# Responders in the police table kept out of the 43, and why.
EXCLUDED_RESPONDERS: dict[str, str] = {
    "ALL (first responder type total)": "the table's total over all police responders",
    "British Transport Police": f"national railway force: {_NO_POPULATION}",
    "Police Scotland": "outside England and Wales: no PFA population in the reference data",
    "Police Service of Northern Ireland":
        "outside England and Wales: no PFA population in the reference data",
    "Eastern Region Special Operations Unit": f"regional organised crime unit: {_NO_POPULATION}",
    "North West Regional Organised Crime Unit": f"regional organised crime unit: {_NO_POPULATION}",
    "South West Regional Organised Crime Unit": f"regional organised crime unit: {_NO_POPULATION}",
    "Tarian ROCU": f"regional organised crime unit (southern Wales): {_NO_POPULATION}",
    "West Midlands Regional Organised Crime Unit":
        f"regional organised crime unit: {_NO_POPULATION}",
    "National Crime Agency": f"national agency: {_NO_POPULATION}",
}


def _normalise(name: str) -> str:
    return " ".join(name.lower().replace("&", "and").split())


_FORCES = {_normalise(k): k for k in FORCE_PFA_CODES}
_EXCLUDED = {_normalise(k) for k in EXCLUDED_RESPONDERS}


def force_pfa_code(force_name: str) -> str | None:
    """GSS police force area code of a force name as published; None for excluded responders.

    '&' and 'and', case and spacing do not matter. An unknown name raises, so a new
    responder in a future table is classified on purpose, not dropped silently.

    Examples
    --------
    >>> force_pfa_code("Leicestershire Police"), force_pfa_code("Devon and Cornwall Police")
    ('E23000021', 'E23000035')
    >>> force_pfa_code("British Transport Police") is None
    True
    """
    key = _normalise(force_name)
    if key in _FORCES:
        return FORCE_PFA_CODES[_FORCES[key]]
    if key in _EXCLUDED:
        return None
    raise DarkFigureError(
        f"police responder {force_name!r} is neither one of the 43 forces nor a known "
        "excluded responder; add it to analysis.national.FORCE_PFA_CODES or EXCLUDED_RESPONDERS")


def _quarters(start: str, end: str) -> list[str]:
    for q in (start, end):
        if not re.fullmatch(r"\d{4}Q[1-4]", q):
            raise DarkFigureError(f"{q!r} is not a quarter like '2023Q4'")
    periods = pd.period_range(pd.Period(start, "Q"), pd.Period(end, "Q"), freq="Q")
    return [str(p) for p in periods]


def police_referrals_by_force(start: str = "2022Q2", end: str = "2023Q4", *,
                              reference_dir: Path | None = None) -> pd.DataFrame:
    """Police-made NRM referrals per force of England and Wales, with rates per 100,000.

    Sums the 'All types' / 'All ages' row of each force in the police first-responder
    table over the quarters from ``start`` to ``end`` (inclusive). A force absent from a
    quarter's table made no referral that quarter (absent = none) and counts 0.

    Returns
    -------
    pandas.DataFrame
        One row per force (43): ``pfa_code``, ``pfa_name``, ``force_name_published``,
        ``referrals``, ``quarters`` (number in the period), ``population`` (Census 2021),
        ``rate_per_100k`` (over the whole period) and ``annual_rate_per_100k``
        (``rate_per_100k * 4 / quarters``).

    Examples
    --------
    >>> forces = police_referrals_by_force()
    >>> leics = forces.set_index("pfa_code").loc["E23000021"]
    >>> int(leics.referrals), int(leics.quarters), round(float(leics.annual_rate_per_100k), 2)
    (131, 7, 6.67)
    """
    quarters = _quarters(start, end)
    raw = pd.read_csv((reference_dir or REFERENCE_DIR) / POLICE_FILE)
    raw["period"] = raw["year"].astype(str) + raw["quarter"]
    covered = sorted(raw["period"].unique())
    if quarters[0] < covered[0] or quarters[-1] > covered[-1] or not quarters:
        raise DarkFigureError(f"the police first-responder figures cover {covered[0]} to "
                              f"{covered[-1]} only; asked for {start} to {end}")
    for name in raw["police_first_responder"].unique():
        force_pfa_code(name)  # raises on an unclassified responder
    totals = raw[(raw["exploitation_type"] == "All types")
                 & (raw["age_at_exploitation"] == "All ages")
                 & raw["period"].isin(quarters)]
    by_force = totals.groupby("police_first_responder")["referrals"].sum()
    pops = read_populations(reference_dir).query("geography_level == 'police_force_area'")
    pops = pops.set_index("area_code")
    rows = []
    for name, code in FORCE_PFA_CODES.items():
        published = next((n for n in by_force.index if _normalise(n) == _normalise(name)), name)
        rows.append({"pfa_code": code, "pfa_name": pops.loc[code, "area_name"],
                     "force_name_published": published,
                     "referrals": int(by_force.get(published, 0)), "quarters": len(quarters),
                     "population": int(pops.loc[code, "population"])})
    out = pd.DataFrame(rows)
    out["rate_per_100k"] = out["referrals"] / out["population"] * 100_000
    out["annual_rate_per_100k"] = out["rate_per_100k"] * 4 / out["quarters"]
    return out.sort_values("pfa_name", ignore_index=True)


def _release_of(*texts: str) -> str | None:
    for value in texts:
        match = re.search(r"\bQ([1-4]) (\d{4})\b", value or "")
        if match:
            return f"{match.group(2)}Q{match.group(1)}"
    return None


def uk_quarterly_referrals(vintage: str = "latest", *,
                           reference_dir: Path | None = None) -> pd.DataFrame:
    """UK NRM referrals per quarter, 2009 Q2 to 2025 Q4, one named vintage per quarter.

    Every release revises earlier quarters. ``vintage='latest'`` takes each quarter's
    figure from the most recent release in the reference data, ``'first'`` from the
    earliest one there (not always the first publication, which is sometimes missing).
    2009-2018 come only from the Q4 2023 data tables (``Table_2``, summed over age
    groups). Figures quoted from press reports of a bulletin are flagged ``secondary``.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``referrals``, ``release`` (the vintage's release quarter),
        ``vintage`` (as described in the source), ``source_publication``, ``secondary``.

    Examples
    --------
    >>> latest = uk_quarterly_referrals().set_index("period")
    >>> int(latest.loc["2023Q4", "referrals"]), latest.loc["2023Q4", "release"]
    (4134, '2024Q1')
    >>> int(uk_quarterly_referrals("first").set_index("period").loc["2023Q1", "referrals"])
    4746
    """
    if vintage not in ("latest", "first"):
        raise DarkFigureError("vintage must be 'latest' or 'first'")
    folder = reference_dir or REFERENCE_DIR
    table_2 = pd.read_csv(folder / AGE_LOCATION_FILE).query("location_of_exploitation == 'Total'")
    early = (table_2.assign(period=table_2["year"].astype(str) + table_2["quarter"])
             .groupby("period", as_index=False)["referrals"].sum())
    early = early.assign(vintage=TABLE_2_VINTAGE, source_publication=(
        "Modern Slavery: NRM and DtN statistics UK, Oct-Dec 2023: data tables"), release="2023Q4")
    totals = pd.read_csv(folder / TOTALS_FILE)
    totals = totals.assign(
        period=totals["year"].astype(str) + totals["quarter"],
        release=[_release_of(v, s) for v, s in zip(totals["vintage"],
                                                    totals["source_publication"], strict=True)])
    columns = ["period", "referrals", "release", "vintage", "source_publication"]
    both = pd.concat([early[columns], totals[columns]], ignore_index=True)
    both = both.drop_duplicates(["period", "release", "referrals"])
    both = both.sort_values(["period", "release"], kind="stable")
    chosen = both.groupby("period").tail(1) if vintage == "latest" else \
        both.groupby("period").head(1)
    text = chosen["vintage"] + " " + chosen["source_publication"]
    chosen = chosen.assign(
        referrals=chosen["referrals"].astype(int),
        secondary=text.str.contains(r"PA Media|press|secondary", case=False, regex=True))
    return chosen.reset_index(drop=True)
