"""Prevalence-based expected figures: how many victims an area would have, and how many new
cases a period would bring, under a stated national scenario.

Method
------
1. **Stock by area.** A national scenario (people in modern slavery on a given day) gives a
   per-person rate ``rate = central / population_base``; an area's expected stock is
   ``rate x population`` (Census 2021 usual residents for districts, police force areas,
   regions and England and Wales; the UK figure is the scenario itself on its own base).
   Areas therefore add up to the national figure for the chosen base.
2. **Stock to flow.** Referrals count new cases per period, not people on a day. In a steady
   state the number of people in a condition equals the rate of entry times the mean time
   spent in it (Little 1961, Oper. Res. 9:383-7), so expected new cases per period =
   ``stock / mean duration (years) x period length (years)``.
3. **Uncertainty.** No sampling interval exists for the scenarios (GSI 2023 publishes none),
   so the interval is a *scenario envelope*: the corners of the low/high stock (own published
   range, or by default the range across the catalogue scenarios) and the low/high duration.
   Flow is increasing in stock and decreasing in duration, so
   ``lower = stock_low / duration_high x period`` and
   ``upper = stock_high / duration_low x period``.
4. **Split.** An optional share table splits the figure by exploitation type or sector; the
   share is an assumption and is named in every result.

References: Walk Free (2023) Global Slavery Index, UK country study; Silverman (2014) Modern
Slavery: an application of multiple systems estimation, Home Office. See
``docs/methods/expected_and_gap.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from analysis.assumptions import (
    DEFAULT_DURATION,
    Duration,
    Scenario,
    ShareTable,
    catalogue_scenarios,
    get_scenario,
)
from analysis.errors import DarkFigureError
from analysis.results import Estimate, format_number

UK_CODE = "K02000001"
ENGLAND_WALES_CODE = "K04000001"
ScenarioRange = Literal["catalogue", "own"]


def area_populations(reference_dir: Path | None = None) -> pd.DataFrame:
    """Populations for every area the expected figure can be scaled to.

    Districts and police force areas (Census 2021), regions of England and Wales as a nation
    (sums of districts; ``area_code`` is the region name, as the reference data hold no region
    codes), England and Wales (``K04000001``) and the UK (``K02000001``, mid-2023).

    Examples
    --------
    >>> pops = area_populations().set_index("area_code")
    >>> int(pops.loc["E23000021", "population"]), pops.loc["East Midlands", "geography_level"]
    (1121800, 'region')
    """
    from analysis.reference import read_areas, read_populations

    pops = read_populations(reference_dir)[["area_code", "area_name", "geography_level",
                                            "population"]]
    lad = pops[pops["geography_level"] == "local_authority"].merge(
        read_areas(reference_dir)[["lad_code", "region"]], left_on="area_code",
        right_on="lad_code")
    regions = (lad.groupby("region", as_index=False)["population"].sum()
               .assign(area_code=lambda d: d["region"], area_name=lambda d: d["region"],
                       geography_level="region"))
    ew = pd.DataFrame([{"area_code": ENGLAND_WALES_CODE, "area_name": "England and Wales",
                        "geography_level": "nation", "population": lad["population"].sum()}])
    out = pd.concat([pops, regions.drop(columns="region"), ew], ignore_index=True)
    return out[["area_code", "area_name", "geography_level", "population"]]


def _population(area_code: str, populations: pd.DataFrame) -> tuple[str, float]:
    hit = populations[populations["area_code"] == area_code]
    if hit.empty or pd.isna(hit["population"].iloc[0]):
        raise DarkFigureError(
            f"no population figure for area '{area_code}': the expected figure needs one "
            f"(Census 2021 covers districts and police force areas of England and Wales; "
            f"Scotland and Northern Ireland forces are not included)"
        )
    return str(hit["area_name"].iloc[0]), float(hit["population"].iloc[0])


def _base(scenario: Scenario, uk_population: float) -> tuple[float, list[str]]:
    if scenario.population_base is not None:
        return scenario.population_base, []
    return uk_population, [f"assumption: {scenario.name} has no published population base; "
                           f"UK mid-2023 population {uk_population:,.0f} used"]


def _uk_population(populations: pd.DataFrame) -> float:
    return _population(UK_CODE, populations)[1]


def prevalence_rates(scenario: Scenario, *, scenario_range: ScenarioRange = "catalogue",
                     populations: pd.DataFrame | None = None,
                     reference_dir: Path | None = None) -> tuple[Estimate, float]:
    """Per-person prevalence (central, low, high) and the population base it refers to.

    ``scenario_range="own"`` uses the scenario's published range (none for GSI 2023);
    ``"catalogue"`` widens it to the lowest and highest rate among the catalogue scenarios
    (GSI 2023, GSI 2018, Home Office 2014 MSE) and the chosen one.

    Examples
    --------
    >>> rate, base = prevalence_rates(get_scenario("gsi_2023"), scenario_range="own")
    >>> round(rate.value * 1000, 3), base
    (1.797, 67886000.0)
    """
    pops = area_populations(reference_dir) if populations is None else populations
    uk = _uk_population(pops)
    base, notes = _base(scenario, uk)
    low, high = scenario.low / base, scenario.high / base
    if scenario_range == "catalogue":
        others = list(catalogue_scenarios(reference_dir).values())
        for other in others:
            other_base, other_notes = _base(other, uk)
            notes += [n for n in other_notes if n not in notes]
            low, high = min(low, other.low / other_base), max(high, other.high / other_base)
        names = ", ".join(sorted({s.name for s in others} | {scenario.name}))
        notes.append(f"interval: range of prevalence rates across scenarios {names} "
                     f"(no published interval is used as a confidence interval)")
    elif scenario_range == "own":
        notes.append("interval: the scenario's own published range" if
                     scenario.has_published_range else
                     "interval: the scenario publishes no range, so only duration varies")
    else:
        raise DarkFigureError(
            f"scenario_range must be 'catalogue' or 'own', got {scenario_range!r}")
    rate = Estimate("prevalence per person", scenario.central / base, low, high,
                    method=f"{scenario.name} / population base",
                    assumptions=(f"scenario {scenario.name}: {scenario.reference}",
                                 *scenario.notes, *notes),
                    interval_kind="scenario envelope")
    return rate, base


def expected_stock(area_code: str = UK_CODE, scenario: str | Scenario | None = None, *,
                   scenario_range: ScenarioRange = "catalogue",
                   populations: pd.DataFrame | None = None,
                   reference_dir: Path | None = None) -> Estimate:
    """Expected people in modern slavery in an area on a given day (a stock).

    Examples
    --------
    >>> s = expected_stock("E23000021", "gsi_2023", scenario_range="own")
    >>> round(s.value)                      # 122,000 x 1,121,800 / 67,886,000
    2016
    """
    pops = area_populations(reference_dir) if populations is None else populations
    chosen = get_scenario(scenario, reference_dir)
    rate, base = prevalence_rates(chosen, scenario_range=scenario_range, populations=pops,
                                  reference_dir=reference_dir)
    name, population = _population(area_code, pops)
    if area_code == UK_CODE and chosen.population_base is not None:
        population = base  # the UK figure is the published estimate itself
    return Estimate(f"expected stock, {name}", rate.value * population,
                    rate.lower * population, rate.upper * population,
                    method="national prevalence rate x area population",
                    assumptions=rate.assumptions, interval_kind="scenario envelope")


def scale_to_areas(scenario: str | Scenario | None = None, *,
                   level: str = "local_authority",
                   scenario_range: ScenarioRange = "catalogue",
                   populations: pd.DataFrame | None = None,
                   reference_dir: Path | None = None) -> pd.DataFrame:
    """Expected stock for every area at one geography level.

    ``level`` is one of ``local_authority``, ``police_force_area``, ``region``, ``nation``.

    Examples
    --------
    >>> t = scale_to_areas("gsi_2023", level="police_force_area", scenario_range="own")
    >>> round(t.loc[t.area_code == "E23000021", "stock"].item())
    2016
    """
    pops = area_populations(reference_dir) if populations is None else populations
    chosen = get_scenario(scenario, reference_dir)
    rate, _ = prevalence_rates(chosen, scenario_range=scenario_range, populations=pops,
                               reference_dir=reference_dir)
    rows = pops[pops["geography_level"] == level].copy()
    if rows.empty:
        raise DarkFigureError(f"no areas at level '{level}'")
    rows["stock"] = rate.value * rows["population"]
    rows["stock_lower"] = rate.lower * rows["population"]
    rows["stock_upper"] = rate.upper * rows["population"]
    rows["scenario"] = chosen.name
    return rows.reset_index(drop=True)


def stock_to_flow(stock: Estimate, duration: Duration = DEFAULT_DURATION,
                  period_years: float = 1.0) -> Estimate:
    """Expected new cases in a period: stock / mean duration x period length (envelope).

    Examples
    --------
    >>> flow = stock_to_flow(Estimate("stock", 122_000, 100_000, 136_000), DEFAULT_DURATION)
    >>> flow.value, flow.lower, flow.upper      # 122000/2, 100000/5, 136000/1
    (61000.0, 20000.0, 136000.0)
    """
    if period_years <= 0:
        raise DarkFigureError(f"period length must be positive, got {period_years} years")
    return Estimate(
        stock.name.replace("stock", "new cases"), stock.value / duration.central * period_years,
        stock.lower / duration.high * period_years, stock.upper / duration.low * period_years,
        method="stock / mean duration of exploitation x period (steady state, Little's law)",
        assumptions=(*stock.assumptions, duration.describe()),
        interval_kind="scenario envelope",
    )


@dataclass(frozen=True)
class ExpectedResult:
    """Expected new cases in an area and period, with the stock it came from."""

    area_code: str
    area_name: str
    period_years: float
    value: float
    lower: float
    upper: float
    stock: Estimate
    scenario: str
    duration: Duration
    category: str | None = None
    share: float = 1.0
    alpha: float = 0.05
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    interval_kind: str = "scenario envelope"

    @property
    def estimate(self) -> Estimate:
        what = f" ({self.category})" if self.category else ""
        return Estimate(f"expected new cases{what}", self.value, self.lower, self.upper,
                        alpha=self.alpha, method="prevalence scenario / duration x period",
                        assumptions=self.assumptions, interval_kind=self.interval_kind)

    def to_frame(self) -> pd.DataFrame:
        rows = pd.concat([self.stock.to_frame(), self.estimate.to_frame()], ignore_index=True)
        return rows.assign(area_code=self.area_code, period_years=self.period_years,
                           scenario=self.scenario, category=self.category)

    def summary(self) -> str:
        lines = [f"Expected figure: {self.area_name} ({self.area_code}), "
                 f"{self.period_years:g} year(s), scenario {self.scenario}",
                 "  " + self.stock.summary(), "  " + self.estimate.summary(),
                 "  Assumptions:"]
        lines += [f"    - {a}" for a in self.assumptions]
        return "\n".join(lines)


def expected_flow(area_code: str = UK_CODE, *, scenario: str | Scenario | None = None,
                  duration: Duration = DEFAULT_DURATION, period_years: float = 1.0,
                  shares: ShareTable | None = None, category: str | None = None,
                  scenario_range: ScenarioRange = "catalogue",
                  populations: pd.DataFrame | None = None,
                  reference_dir: Path | None = None) -> ExpectedResult:
    """Expected new cases of modern slavery in an area over a period, with its envelope.

    Parameters
    ----------
    area_code : GSS code (district, police force area, ``K04000001``, ``K02000001``) or a
        region name.
    scenario : catalogue name or a :class:`Scenario`; default GSI 2023.
    duration : mean duration of exploitation (years) with its range.
    period_years : length of the period (a quarter is 0.25).
    shares, category : optional split: the figure is multiplied by ``shares.share(category)``.
    scenario_range : ``"catalogue"`` (default) or ``"own"``, see :func:`prevalence_rates`.

    Examples
    --------
    >>> r = expected_flow("E23000021", scenario="gsi_2023", scenario_range="own")
    >>> round(r.value), round(r.lower), round(r.upper)   # 2016/2, 2016/5, 2016/1
    (1008, 403, 2016)
    """
    pops = area_populations(reference_dir) if populations is None else populations
    chosen = get_scenario(scenario, reference_dir)
    stock = expected_stock(area_code, chosen, scenario_range=scenario_range, populations=pops,
                           reference_dir=reference_dir)
    flow = stock_to_flow(stock, duration, period_years)
    share, assumptions = 1.0, list(flow.assumptions)
    if (shares is None) != (category is None):
        raise DarkFigureError("give both a share table and a category, or neither")
    if shares is not None:
        share = shares.share(category)
        assumptions.append(f"{shares.describe()}: {category} = {share:.3f}")
    name, _ = _population(area_code, pops)
    return ExpectedResult(
        area_code=area_code, area_name=name, period_years=period_years,
        value=flow.value * share, lower=flow.lower * share, upper=flow.upper * share,
        stock=stock, scenario=chosen.name, duration=duration, category=category, share=share,
        assumptions=tuple(assumptions),
    )


def expected_grid(area_codes: list[str], quarters: list[str], *,
                  scenario: str | Scenario | None = None,
                  duration: Duration = DEFAULT_DURATION, shares: ShareTable | None = None,
                  categories: list[str] | None = None,
                  scenario_range: ScenarioRange = "catalogue",
                  populations: pd.DataFrame | None = None,
                  reference_dir: Path | None = None) -> pd.DataFrame:
    """Expected new cases per area x quarter (x category), for offsets and detection tables.

    Columns: ``area_code``, ``quarter``, [``shares.dimension``], ``expected``,
    ``expected_lower``, ``expected_upper``. The expected figure is the same every quarter
    (the scenario is one stock); trends are left to the detection model.

    Examples
    --------
    >>> g = expected_grid(["E06000016", "E06000017"], ["2023Q1", "2023Q2"],
    ...                   scenario="gsi_2023", scenario_range="own")
    >>> len(g), float(round(g["expected"].iloc[0], 1))  # 122000 x 368600 / 67886000 / 2 / 4
    (4, 82.8)
    """
    pops = area_populations(reference_dir) if populations is None else populations
    chosen = get_scenario(scenario, reference_dir)
    rows = []
    for code in area_codes:
        flow = expected_flow(code, scenario=chosen, duration=duration, period_years=0.25,
                             scenario_range=scenario_range, populations=pops,
                             reference_dir=reference_dir)
        cats = [(None, 1.0)] if shares is None else [
            (c, shares.share(c)) for c in (categories or [c for c, _ in shares.shares])]
        for quarter in quarters:
            for cat, share in cats:
                row = {"area_code": code, "quarter": quarter, "expected": flow.value * share,
                       "expected_lower": flow.lower * share,
                       "expected_upper": flow.upper * share}
                if shares is not None:
                    row[shares.dimension] = cat
                rows.append(row)
    cols = ["area_code", "quarter", *([shares.dimension] if shares is not None else []),
            "expected", "expected_lower", "expected_upper"]
    return pd.DataFrame(rows, columns=cols)


def describe_expected(result: ExpectedResult) -> str:
    """Short headline text, e.g. ``'1,008 (403 to 2,016)'``."""
    return (f"{format_number(result.value)} ({format_number(result.lower)} to "
            f"{format_number(result.upper)})")
