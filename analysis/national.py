"""National context on real public data: police-made NRM referrals by force, and the UK series.

Sources (provenance in ``data/reference/README.md``): the store's NRM tables
(``nrm_counts``: every release the analyst has loaded, plus the bundled figures loaded into
every store), newest vintage per cell; the police first-responder table counts the force
that *made* the referral, not where the exploitation happened. Populations are the Census
2021 usual residents by police force area (sums of rounded district figures). Rates per
100,000 residents are given over the whole period and annualised (x 4 / number of quarters).
These are **police NRM referrals per 100,000 residents**, not a detection ratio (which in
this product means detected / expected new victims only).

The force funnel (Spiegelhalter 2005) widens its limits with the additive random-effects
adjustment (Spiegelhalter 2005b) whenever the over-dispersion test rejects Poisson variation
at the 5% level (:func:`force_funnel`), and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis.config import REFERENCE_DIR
from analysis.errors import DarkFigureError
from analysis.funnel import FunnelResult, national_funnel
from analysis.ingest.nrm_reference import AGE_LOCATION_FILE, POLICE_FILE, TOTALS_FILE
from analysis.national_series import (
    nrm_cells,
    period_label,
    pick_vintage,
    uk_annual_referrals,
    uk_national_share,
    uk_quarterly_referrals,
    uk_referrals_by_location,
)
from analysis.reference import read_populations

if TYPE_CHECKING:
    from analysis.store import Store

__all__ = ["AGE_LOCATION_FILE", "EXCLUDED_RESPONDERS", "FORCE_PFA_CODES", "POLICE_FILE",
           "TOTALS_FILE", "ForceFunnelResult", "force_funnel", "force_pfa_code",
           "police_quarters", "police_referrals_by_force", "uk_annual_referrals",
           "uk_national_share", "uk_national_share_by_force", "uk_quarterly_referrals",
           "uk_referrals_by_location"]

FORCE_SUMMARY_FILE = "nrm_police_first_responder_by_force_quarterly_summary_2022q2_2023q4.csv"
DISPERSION_ALPHA = 0.05

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


def _police_cells(store: Store | None, reference_dir: Path | None) -> pd.DataFrame:
    cells = nrm_cells(store, reference_dir=reference_dir)
    police = cells[(cells["first_responder_type"] == "police") & (cells["measure"] == "referrals")
                   & (cells["period_type"] == "quarter")]
    return pick_vintage(police, ["period", "geography_level", "first_responder",
                                 "exploitation_type", "age_group"])


def police_quarters(*, store: Store | None = None, reference_dir: Path | None = None
                    ) -> list[str]:
    """Quarters for which the store holds a police first-responder table, oldest first.

    Examples
    --------
    >>> police_quarters()[0], police_quarters()[-1]
    ('2022Q2', '2023Q4')
    """
    return sorted(set(_police_cells(store, reference_dir)["period"]))


def police_referrals_by_force(start: str | None = None, end: str | None = None, *,
                              store: Store | None = None,
                              reference_dir: Path | None = None) -> pd.DataFrame:
    """Police-made NRM referrals per force of England and Wales, with rates per 100,000.

    Sums the 'All types' / 'All ages' row of each force in the police first-responder
    tables (newest vintage of each quarter) from ``start`` to ``end`` inclusive; by default
    the longest run of consecutive quarters held that ends with the latest. A force absent
    from a quarter's table made no referral that quarter (absent = none) and counts 0; a
    quarter with no table at all is refused, never counted as zero.

    Returns
    -------
    pandas.DataFrame
        One row per force (43): ``pfa_code``, ``pfa_name``, ``force_name_published``,
        ``referrals``, ``quarters`` (number in the period), ``population`` (Census 2021),
        ``rate_per_100k`` (over the whole period), ``annual_rate_per_100k``
        (``rate_per_100k * 4 / quarters``), ``period`` ('2022 Q2 to 2023 Q4') and
        ``releases`` (the vintages the figures come from).

    Examples
    --------
    >>> forces = police_referrals_by_force()
    >>> leics = forces.set_index("pfa_code").loc["E23000021"]
    >>> int(leics.referrals), int(leics.quarters), round(float(leics.annual_rate_per_100k), 2)
    (131, 7, 6.67)
    >>> leics.period
    '2022 Q2 to 2023 Q4'
    """
    cells = _police_cells(store, reference_dir)
    held = sorted(set(cells["period"]))
    if not held:
        raise DarkFigureError("the store holds no police first-responder table: load an NRM "
                              "release (darkfigure ingest)")
    if start is None or end is None:
        run = [held[-1]]
        while str(pd.Period(run[0], "Q") - 1) in held:
            run.insert(0, str(pd.Period(run[0], "Q") - 1))
        start, end = start or run[0], end or run[-1]
    quarters = _quarters(start, end)
    missing = [q for q in quarters if q not in held]
    if not quarters or missing:
        raise DarkFigureError(f"the police first-responder figures cover {held[0]} to "
                              f"{held[-1]} only (no table for {', '.join(missing[:4])}); "
                              f"asked for {start} to {end}")
    named = cells[(cells["geography_level"] == "first_responder")
                  & (cells["exploitation_type"] == "all") & (cells["age_group"] == "all")
                  & cells["period"].isin(quarters)]
    for name in named["first_responder"].unique():
        force_pfa_code(name)  # raises on an unclassified responder
    by_force = named.groupby("first_responder")["count"].sum()
    releases = ", ".join(sorted(set(named["source_release"])))
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
    out["period"] = period_label(quarters)
    out["releases"] = releases
    return out.sort_values("pfa_name", ignore_index=True)


def uk_national_share_by_force(start: str = "2022Q2", end: str = "2023Q4", *,
                               reference_dir: Path | None = None) -> pd.DataFrame:
    """Share of each force's police NRM referrals that are UK nationals, 2022 Q2 to 2023 Q4.

    From the nationality columns of the police first-responder tables (bundled summary;
    nationality is not a column of the store's ``nrm_counts``). UK nationals exclude UK dual
    nationals, as the bulletins count them. The England and Wales mix is the 43 forces'
    total. Forces with few referrals have wide uncertainty: ``lower``/``upper`` are 95%
    Wilson score intervals for the share.

    Examples
    --------
    >>> share = uk_national_share_by_force().set_index("pfa_code")
    >>> row = share.loc["E23000021"]
    >>> int(row.referrals), int(row.uk_nationals)
    (131, 65)
    """
    from statsmodels.stats.proportion import proportion_confint

    raw = pd.read_csv((reference_dir or REFERENCE_DIR) / FORCE_SUMMARY_FILE)
    raw["period"] = raw["quarter"].str.replace(" ", "")
    quarters = _quarters(start, end)
    covered = sorted(raw["period"].unique())
    if quarters[0] < covered[0] or quarters[-1] > covered[-1]:
        raise DarkFigureError(f"the nationality breakdown by force covers {covered[0]} to "
                              f"{covered[-1]} only; asked for {start} to {end}")
    part = raw[raw["period"].isin(quarters) & raw["pfa_code"].notna()]
    sums = part.groupby("pfa_code")[["referrals_total", "nat_uk"]].sum()
    out = pd.DataFrame({"pfa_code": list(FORCE_PFA_CODES.values())})
    out["pfa_name"] = out["pfa_code"].map(part.groupby("pfa_code")["pfa_name"].first())
    out["referrals"] = out["pfa_code"].map(sums["referrals_total"]).fillna(0).astype(int)
    out["uk_nationals"] = out["pfa_code"].map(sums["nat_uk"]).fillna(0).astype(int)
    out["uk_national_share"] = out["uk_nationals"] / out["referrals"].where(out["referrals"] > 0)
    lower, upper = proportion_confint(out["uk_nationals"], out["referrals"].clip(lower=1),
                                      alpha=0.05, method="wilson")
    out["lower"], out["upper"] = lower, upper
    out["england_and_wales_share"] = out["uk_nationals"].sum() / out["referrals"].sum()
    out["period"] = period_label(quarters)
    return out.sort_values("pfa_name", ignore_index=True)


@dataclass(frozen=True, eq=False)
class ForceFunnelResult:
    """The force funnel as shown: adjusted for over-dispersion when the test says so.

    ``funnel`` is the result drawn; ``unadjusted`` the pure Poisson one, kept so the page can
    say how many forces each would flag.
    """

    funnel: FunnelResult
    unadjusted: FunnelResult
    overdispersed: bool
    period: str

    def outside_998(self, result: FunnelResult | None = None) -> int:
        table = (result or self.funnel).table
        return int(table["classification"].isin(["above 99.8%", "below 99.8%"]).sum())

    @property
    def note(self) -> str:
        """One sentence on the limits used, for the chart and its text alternative."""
        n = len(self.funnel.table)
        d = self.unadjusted.dispersion
        if not self.overdispersed:
            return (f"Poisson limits: the forces vary no more than chance allows "
                    f"(dispersion test p = {d.p_value:.2g}).")
        return (f"Limits widened for over-dispersion (additive random effect, "
                f"tau\u00b2 = {d.tau2:.3g}; Spiegelhalter 2005b): the forces differ far more than "
                f"chance allows (dispersion test p = {d.p_value:.2g}). Outside 99.8% limits: "
                f"{self.outside_998()} of {n} adjusted, {self.outside_998(self.unadjusted)} "
                "unadjusted.")

    def to_frame(self) -> pd.DataFrame:
        frame = self.funnel.to_frame()
        frame["period"] = self.period
        frame["overdispersion_adjusted"] = self.overdispersed
        return frame


def force_funnel(forces: pd.DataFrame, home_code: str = "E23000021", *,
                 alpha: float = DISPERSION_ALPHA) -> ForceFunnelResult:
    """Funnel of police NRM referrals by force, with the over-dispersion adjustment applied
    whenever the dispersion test (``I * phi`` against chi-square on ``I`` df) rejects at
    level ``alpha`` (Spiegelhalter 2005b, additive random effects).

    Examples
    --------
    >>> result = force_funnel(police_referrals_by_force())
    >>> result.overdispersed, result.outside_998(result.unadjusted), result.outside_998()
    (True, 19, 1)
    """
    unadjusted = national_funnel(forces, home_code)
    d = unadjusted.dispersion
    overdispersed = d is not None and d.p_value < alpha
    shown = national_funnel(forces, home_code, overdispersion="additive") if overdispersed \
        else unadjusted
    period = str(forces["period"].iloc[0]) if "period" in forces else ""
    return ForceFunnelResult(shown, unadjusted, overdispersed, period)
