"""Prevalence-based expected figures: how many new victims an area would have in a period,
and how many people would be exploited during a window, under a stated national scenario.

Method
------
1. **Area share.** A national scenario applies to a population base; an area's share is its
   Census 2021 usual residents over that base (the UK figure is the scenario itself). Areas
   add up to the national figure for the chosen base.
2. **New victims (the headline's expected figure).** In a steady state the number of people
   in a condition equals the rate of entry times the mean time spent in it (Little 1961,
   Oper. Res. 9:383-7). A one-day *stock* ``S`` therefore renews at ``S / D`` a year for a
   mean duration ``D``; a count of people exploited *during a year* ``P`` is the stock plus a
   year's entries, so ``P / (D + 1)`` are new each year. Expected new victims in a period of
   ``T`` years = national new a year x area share x ``T``: additive, so the four quarters of a
   year sum exactly to the year and years to a multi-year window.
3. **People exploited during a window** of ``W`` years = the stock at its start plus the new
   victims during it, ``S + S / D x W``: the quantity a multiple systems estimate of that
   window measures (:func:`expected_during_window`).
4. **Uncertainty.** No sampling interval exists for the scenarios (GSI 2023 publishes none),
   and none is invented. The stated uncertainty is a *range over assumptions*: the mean
   duration over its stated range (default 1 to 5 years), and a scenario's own published
   range where it has one. It carries no confidence level. Other scenarios are separate rows
   (:func:`analysis.scenarios.scenario_table`), never spanned into an interval.
5. **Split.** An optional share table splits the figure by exploitation type; the share is an
   assumption and is named in every result.

References: Walk Free (2023) Global Slavery Index, UK country study; Silverman (2014) Modern
Slavery: an application of multiple systems estimation, Home Office. See
``docs/methods/expected_and_gap.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.assumptions import (
    DEFAULT_DURATION,
    Duration,
    Scenario,
    ShareTable,
    get_scenario,
)
from analysis.errors import DarkFigureError
from analysis.results import Estimate, format_number

UK_CODE = "K02000001"
ENGLAND_WALES_CODE = "K04000001"


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
    return _area_populations(None if reference_dir is None else Path(reference_dir)).copy()


@lru_cache(maxsize=8)
def _area_populations(reference_dir: Path | None) -> pd.DataFrame:
    # published reference figures: built once per process (every expected figure asks)
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
    # a positional lookup: this runs for every area and quarter of an expected grid
    rows = np.flatnonzero(populations["area_code"].to_numpy(dtype=object) == area_code)
    population = populations["population"].to_numpy()[rows[0]] if len(rows) else None
    if population is None or pd.isna(population):
        raise DarkFigureError(
            f"no population figure for area '{area_code}': the expected figure needs one "
            f"(Census 2021 covers districts and police force areas of England and Wales; "
            f"Scotland and Northern Ireland forces are not included)"
        )
    return str(populations["area_name"].to_numpy()[rows[0]]), float(population)


def _base(scenario: Scenario, uk_population: float) -> tuple[float, list[str]]:
    if scenario.population_base is not None:
        return scenario.population_base, []
    return uk_population, [f"assumption: {scenario.name} has no published population base; "
                           f"UK mid-2023 population {uk_population:,.0f} used"]


def _uk_population(populations: pd.DataFrame) -> float:
    return _population(UK_CODE, populations)[1]


@dataclass(frozen=True)
class AreaShare:
    """An area's share of a national scenario: its population over the scenario's base."""

    area_code: str
    area_name: str
    share: float
    notes: tuple[str, ...] = ()


def area_share(area_code: str, scenario: str | Scenario | None = None, *,
               populations: pd.DataFrame | None = None,
               reference_dir: Path | None = None) -> AreaShare:
    """The area's share of the national scenario (1 for the UK itself).

    Examples
    --------
    >>> s = area_share("E23000021", "gsi_2023")
    >>> round(s.share * 67_886_000)             # Census 2021 residents of the force area
    1121800
    """
    pops = area_populations(reference_dir) if populations is None else populations
    chosen = get_scenario(scenario, reference_dir)
    base, notes = _base(chosen, _uk_population(pops))
    name, population = _population(area_code, pops)
    if area_code == UK_CODE:
        return AreaShare(area_code, name, 1.0, ())
    return AreaShare(area_code, name, population / base, tuple(notes))


def _corners(scenario: Scenario, duration: Duration, value) -> tuple[float, float, float]:
    """Central value and the range of ``value(figure, D)`` over the stated assumptions."""
    central = value(scenario.central, duration.central)
    corners = [value(f, d) for f, d in product(scenario.bounds, (duration.low, duration.high))]
    return central, min(corners), max(corners)


def range_label(scenario: Scenario, duration: Duration) -> str:
    """What the range over assumptions spans, e.g. 'range over durations of 1 to 5 years'."""
    label = duration.range_label
    if scenario.has_published_range:
        label += (f" and the published range {format_number(scenario.low)} to "
                  f"{format_number(scenario.high)}")
    return label


def _scenario_assumptions(scenario: Scenario, duration: Duration,
                          share: AreaShare) -> tuple[str, ...]:
    what = ("people in modern slavery on one day" if scenario.quantity == "stock" else
            "people exploited at some time during one year")
    return (f"scenario {scenario.title}: {format_number(scenario.central)} {what}; "
            f"{scenario.reference}", *scenario.notes, *share.notes, duration.describe())


def expected_stock(area_code: str = UK_CODE, scenario: str | Scenario | None = None, *,
                   duration: Duration = DEFAULT_DURATION,
                   populations: pd.DataFrame | None = None,
                   reference_dir: Path | None = None) -> Estimate:
    """Expected people in modern slavery in an area on one day (a stock).

    For a one-day stock scenario the duration plays no part; for a during-a-year count the
    stock depends on it, and the range says so.

    Examples
    --------
    >>> s = expected_stock("E23000021", "gsi_2023")
    >>> round(s.value), s.interval_kind                 # 122,000 x 1,121,800 / 67,886,000
    (2016, 'no published range')
    """
    chosen = get_scenario(scenario, reference_dir)
    share = area_share(area_code, chosen, populations=populations, reference_dir=reference_dir)
    value, lower, upper = _corners(chosen, duration,
                                   lambda f, d: chosen.stock(d, f) * share.share)
    if chosen.quantity == "stock":
        kind = ("published range" if chosen.has_published_range else "no published range")
    else:
        kind = range_label(chosen, duration)
    return Estimate(f"expected people in modern slavery on one day, {share.area_name}", value,
                    lower, upper, method="national scenario x area population share",
                    assumptions=_scenario_assumptions(chosen, duration, share),
                    interval_kind=kind)


def scale_to_areas(scenario: str | Scenario | None = None, *,
                   level: str = "local_authority",
                   populations: pd.DataFrame | None = None,
                   reference_dir: Path | None = None) -> pd.DataFrame:
    """Expected one-day stock for every area at one geography level.

    ``level`` is one of ``local_authority``, ``police_force_area``, ``region``, ``nation``.

    Examples
    --------
    >>> t = scale_to_areas("gsi_2023", level="police_force_area")
    >>> round(t.loc[t.area_code == "E23000021", "stock"].item())
    2016
    """
    pops = area_populations(reference_dir) if populations is None else populations
    chosen = get_scenario(scenario, reference_dir)
    base, _ = _base(chosen, _uk_population(pops))
    rows = pops[pops["geography_level"] == level].copy()
    if rows.empty:
        raise DarkFigureError(f"no areas at level '{level}'")
    d = DEFAULT_DURATION
    rows["stock"] = chosen.stock(d.central) / base * rows["population"]
    rows["stock_lower"] = min(chosen.stock(x, f) for x in (d.low, d.high)
                              for f in chosen.bounds) / base * rows["population"]
    rows["stock_upper"] = max(chosen.stock(x, f) for x in (d.low, d.high)
                              for f in chosen.bounds) / base * rows["population"]
    rows["scenario"] = chosen.name
    return rows.reset_index(drop=True)


@dataclass(frozen=True)
class ExpectedResult:
    """Expected new victims in an area and period, with the range over the assumptions.

    ``lower``/``upper`` span the stated assumptions (``interval_kind`` names them); they are
    not a confidence interval and carry no confidence level.
    """

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
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    interval_kind: str = DEFAULT_DURATION.range_label
    scenario_title: str = ""

    @property
    def estimate(self) -> Estimate:
        what = f" ({self.category})" if self.category else ""
        return Estimate(f"expected new victims{what}", self.value, self.lower, self.upper,
                        method="national new victims a year x area share x years",
                        assumptions=self.assumptions, interval_kind=self.interval_kind)

    def to_frame(self) -> pd.DataFrame:
        rows = pd.concat([self.stock.to_frame(), self.estimate.to_frame()], ignore_index=True)
        return rows.assign(area_code=self.area_code, period_years=self.period_years,
                           scenario=self.scenario, category=self.category)

    def summary(self) -> str:
        lines = [f"Expected new victims: {self.area_name} ({self.area_code}), "
                 f"{self.period_years:g} year(s), scenario {self.scenario_title or self.scenario}",
                 "  " + self.stock.summary(), "  " + self.estimate.summary(),
                 "  Assumptions:"]
        lines += [f"    - {a}" for a in self.assumptions]
        return "\n".join(lines)


def expected_flow(area_code: str = UK_CODE, *, scenario: str | Scenario | None = None,
                  duration: Duration = DEFAULT_DURATION, period_years: float = 1.0,
                  shares: ShareTable | None = None, category: str | None = None,
                  populations: pd.DataFrame | None = None,
                  reference_dir: Path | None = None) -> ExpectedResult:
    """Expected new victims of modern slavery in an area over a period.

    Parameters
    ----------
    area_code : GSS code (district, police force area, ``K04000001``, ``K02000001``) or a
        region name.
    scenario : catalogue name or a :class:`Scenario`; default GSI 2023.
    duration : mean duration of exploitation (years) with its stated range.
    period_years : length of the period (a quarter is 0.25).
    shares, category : optional split: the figure is multiplied by ``shares.share(category)``.

    Examples
    --------
    >>> r = expected_flow("E23000021", scenario="gsi_2023")
    >>> round(r.value), round(r.lower), round(r.upper), r.interval_kind   # 2016/2, /5, /1
    (1008, 403, 2016, 'range over durations of 1 to 5 years')
    """
    if period_years <= 0:
        raise DarkFigureError(f"period length must be positive, got {period_years} years")
    if (shares is None) != (category is None):
        raise DarkFigureError("give both a share table and a category, or neither")
    chosen = get_scenario(scenario, reference_dir)
    pops = area_populations(reference_dir) if populations is None else populations
    area = area_share(area_code, chosen, populations=pops, reference_dir=reference_dir)
    stock = expected_stock(area_code, chosen, duration=duration, populations=pops,
                           reference_dir=reference_dir)
    split, assumptions = 1.0, list(_scenario_assumptions(chosen, duration, area))
    if shares is not None:
        split = shares.share(category)
        assumptions.append(f"{shares.describe()}: {category} = {split:.3f}")
    value, lower, upper = _corners(
        chosen, duration, lambda f, d: chosen.new_per_year(d, f) * area.share * split * period_years)
    return ExpectedResult(
        area_code=area_code, area_name=area.area_name, period_years=period_years,
        value=value, lower=lower, upper=upper, stock=stock, scenario=chosen.name,
        duration=duration, category=category, share=split, assumptions=tuple(assumptions),
        interval_kind=range_label(chosen, duration), scenario_title=chosen.title,
    )


expected_new_victims = expected_flow


def expected_during_window(area_code: str = UK_CODE, *, window_years: float,
                           scenario: str | Scenario | None = None,
                           duration: Duration = DEFAULT_DURATION,
                           populations: pd.DataFrame | None = None,
                           reference_dir: Path | None = None) -> Estimate:
    """People exploited at some time during a window: stock at its start + new during it.

    This is what a multiple systems estimate over the same window and area measures, so it is
    the figure to set beside one (never the one-day stock).

    Examples
    --------
    >>> w = expected_during_window("E23000021", window_years=7, scenario="gsi_2023")
    >>> round(w.value), round(w.lower), round(w.upper)   # 2016 x (1 + 7/2), x (1 + 7/5), x 8
    (9072, 4838, 16128)
    >>> w.confidence_level is None
    True
    """
    if window_years <= 0:
        raise DarkFigureError(f"window length must be positive, got {window_years} years")
    chosen = get_scenario(scenario, reference_dir)
    pops = area_populations(reference_dir) if populations is None else populations
    area = area_share(area_code, chosen, populations=pops, reference_dir=reference_dir)
    value, lower, upper = _corners(
        chosen, duration,
        lambda f, d: (chosen.stock(d, f) + chosen.new_per_year(d, f) * window_years) * area.share)
    return Estimate(
        f"expected people exploited during {window_years:g} year(s), {area.area_name}",
        value, lower, upper, method="stock at the window's start + new victims during it",
        assumptions=(*_scenario_assumptions(chosen, duration, area),
                     "steady state: the stock and the rate of new victims do not change "
                     "over the window"),
        interval_kind=range_label(chosen, duration),
    )


def expected_grid(area_codes: list[str], quarters: list[str], *,
                  scenario: str | Scenario | None = None,
                  duration: Duration = DEFAULT_DURATION, shares: ShareTable | None = None,
                  categories: list[str] | None = None,
                  populations: pd.DataFrame | None = None,
                  reference_dir: Path | None = None) -> pd.DataFrame:
    """Expected new victims per area x quarter (x category), for offsets and detection tables.

    Columns: ``area_code``, ``quarter``, [``shares.dimension``], ``expected``,
    ``expected_lower``, ``expected_upper``. The expected figure is the same every quarter
    (the scenario is one steady state); trends are left to the detection model.

    Examples
    --------
    >>> g = expected_grid(["E06000016", "E06000017"], ["2023Q1", "2023Q2"], scenario="gsi_2023")
    >>> len(g), float(round(g["expected"].iloc[0], 1))  # 122000 x 368600 / 67886000 / 2 / 4
    (4, 82.8)
    """
    pops = area_populations(reference_dir) if populations is None else populations
    chosen = get_scenario(scenario, reference_dir)
    rows = []
    for code in area_codes:
        flow = expected_flow(code, scenario=chosen, duration=duration, period_years=0.25,
                             populations=pops, reference_dir=reference_dir)
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
    """Short headline text, e.g. ``'1,008 (range over durations of 1 to 5 years: 403 to 2,016)'``."""
    return (f"{format_number(result.value)} ({result.interval_kind}: "
            f"{format_number(result.lower)} to {format_number(result.upper)})")
