"""The assumptions behind the expected figure, declared as data, each with its source or label.

* **Scenarios**: national prevalence estimates from the catalogue in
  ``data/reference/uk_modern_slavery_prevalence_estimates.csv``, each converted according to
  what it counts (:data:`CATALOGUE`): a one-day *stock* (Walk Free Global Slavery Index 2023,
  2018, 2016), *people exploited during a year* (Home Office 2014 multiple systems estimate,
  Silverman 2014), or not a prevalence estimate at all (counts of known victims, a lower bound
  only), which are listed but never offered as an expected figure. GSI 2023 is the default and
  publishes no interval for the UK, so none is invented: the stated uncertainty is the range
  over the assumed mean duration of exploitation, and the other scenarios are separate,
  labelled rows (:func:`analysis.scenarios.scenario_table`), never spanned into an interval.
* **Duration of exploitation**: turns the stock into a flow of new cases per year
  (flow = stock / mean duration; steady state, Little's law). No published *mean* duration was
  found, so the default is a plainly labelled assumption informed by two published
  distributions (see :data:`DEFAULT_DURATION`).
* **Share tables**: optional split by exploitation type (real NRM 2023 referral shares,
  which over-represent visible types) or by sector (an assumption: equal shares).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.config import REFERENCE_DIR
from analysis.errors import DarkFigureError

DEFAULT_SCENARIO = "gsi_2023"

#: What each catalogue estimate counts, and so how it converts to new victims a year.
#: ``stock``: people in modern slavery on one day (new a year = stock / mean duration);
#: ``during_year``: people exploited at some time during one year (stock + one year's entries,
#: so new a year = figure / (mean duration + 1 year)); ``known``: victims known to agencies
#: (detections, not prevalence); ``lower_bound``: a floor with no central figure.
CATALOGUE: dict[str, dict[str, str]] = {
    "gsi_2023": {"quantity": "stock", "status": "current",
                 "label": "Walk Free Global Slavery Index 2023 (people on one day in 2021)"},
    "gsi_2018": {"quantity": "stock", "status": "superseded",
                 "label": "Walk Free Global Slavery Index 2018 (superseded by the 2023 edition)"},
    "gsi_2016": {"quantity": "stock", "status": "superseded",
                 "label": "Walk Free Global Slavery Index 2016 (superseded; earlier method, "
                          "not comparable)"},
    "home_office_mse_2014": {"quantity": "during_year", "status": "current",
                             "label": "Home Office 2014 multiple systems estimate (potential "
                                      "victims during 2013)"},
    "nca_ukhtc_2013_known": {"quantity": "known", "status": "not prevalence",
                             "label": "NCA 2013 strategic assessment (victims known to "
                                      "agencies: detections, not prevalence)"},
    "justice_and_care_csj_2020": {"quantity": "lower_bound", "status": "not prevalence",
                                  "label": "Justice and Care / CSJ 2020 (a lower bound only, "
                                           "'at least 100,000')"},
}
#: Scenarios that give an expected figure (offered in the dropdown), default first.
CATALOGUE_SCENARIOS = tuple(k for k, v in CATALOGUE.items() if v["quantity"] in ("stock",
                                                                                    "during_year"))
QUANTITIES = ("stock", "during_year")
EXPLOITATION_TYPE_FILE = "nrm_referrals_uk_by_exploitation_type_and_age_quarterly_2022q2_2023q4.csv"
NRM_TABLES_URL = (
    "https://www.gov.uk/government/collections/national-referral-mechanism-statistics"
)


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


@dataclass(frozen=True)
class Scenario:
    """A national prevalence scenario: people in modern slavery, counted as ``quantity`` says.

    ``quantity`` is ``"stock"`` (people on one day) or ``"during_year"`` (people exploited at
    some time during one year). ``low``/``high`` default to ``central`` (no published range).
    ``population_base`` is the population the figure refers to; ``None`` means not published
    (scaling then uses the UK mid-2023 population and says so).

    Examples
    --------
    >>> s = Scenario("mine", central=50_000, low=30_000, high=80_000, population_base=67e6,
    ...              reference="my working assumption")
    >>> s.bounds
    (30000.0, 80000.0)
    >>> s.new_per_year(2.0), s.stock(2.0)
    (25000.0, 50000.0)
    >>> ho = Scenario("ho", central=11_500, quantity="during_year")
    >>> round(ho.new_per_year(2.0)), round(ho.stock(2.0))   # 11,500 / 3 and x 2 / 3
    (3833, 7667)
    >>> Scenario("empty", central=None, reference="nothing")
    Traceback (most recent call last):
    ...
    analysis.errors.DarkFigureError: scenario 'empty' has no value: give a central figure
    """

    name: str
    central: float | None
    low: float | None = None
    high: float | None = None
    population_base: float | None = None
    reference: str = "user-defined"
    quantity: str = "stock"
    notes: tuple[str, ...] = field(default_factory=tuple)
    label: str = ""
    status: str = "user-defined"

    def __post_init__(self) -> None:
        if _missing(self.central):
            raise DarkFigureError(f"scenario '{self.name}' has no value: give a central figure")
        central = float(self.central)
        low = central if _missing(self.low) else float(self.low)
        high = central if _missing(self.high) else float(self.high)
        if not 0 < low <= central <= high:
            raise DarkFigureError(
                f"scenario '{self.name}': need 0 < low <= central <= high, got "
                f"{low}, {central}, {high}"
            )
        if not _missing(self.population_base) and float(self.population_base) <= 0:
            raise DarkFigureError(f"scenario '{self.name}': population base must be positive")
        if self.quantity not in QUANTITIES:
            raise DarkFigureError(
                f"scenario '{self.name}': an expected figure needs a stock (people on one day) "
                f"or people exploited during a year, got quantity={self.quantity!r}"
            )
        object.__setattr__(self, "central", central)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        base = None if _missing(self.population_base) else float(self.population_base)
        object.__setattr__(self, "population_base", base)
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def bounds(self) -> tuple[float, float]:
        return (float(self.low), float(self.high))

    @property
    def has_published_range(self) -> bool:
        return self.low != self.central or self.high != self.central

    @property
    def title(self) -> str:
        """A readable name for screens and the pack (never the catalogue code alone)."""
        return self.label or self.name

    def new_per_year(self, mean_duration: float, figure: float | None = None) -> float:
        """National new victims a year implied by ``figure`` (default central) (Little's law).

        A stock ``S`` of people who stay ``D`` years on average is renewed at ``S / D`` a year;
        people exploited during one year are the stock plus a year's entries, ``F (D + 1)``.
        """
        x = self.central if figure is None else figure
        if self.quantity == "stock":
            return x / mean_duration
        return x / (mean_duration + 1.0)

    def stock(self, mean_duration: float, figure: float | None = None) -> float:
        """National people in modern slavery on one day implied by ``figure``."""
        return self.new_per_year(mean_duration, figure) * mean_duration


def scenario_from_row(row: Mapping[str, object]) -> Scenario:
    """Build a :class:`Scenario` from one catalogue row (``read_prevalence_estimates()``).

    A row with no central value but a published range takes the midpoint as central and says
    so; a row with neither (e.g. a lower bound only) raises :class:`DarkFigureError`.

    Examples
    --------
    >>> from analysis.reference import read_prevalence_estimates
    >>> cat = read_prevalence_estimates().set_index("estimate_id", drop=False)
    >>> scenario_from_row(cat.loc["home_office_mse_2014"]).central
    11500.0
    """
    name = str(row["estimate_id"])
    central, low, high = (row.get(c) for c in ("estimate_central", "estimate_low", "estimate_high"))
    notes: list[str] = []
    if _missing(central):
        if _missing(low) or _missing(high):
            raise DarkFigureError(
                f"scenario '{name}' has no value: the catalogue gives no central figure and no "
                f"two-sided range (low={low}, high={high}); define your own Scenario instead"
            )
        central = (float(low) + float(high)) / 2
        notes.append(f"assumption: central taken as the midpoint of the published range "
                     f"{float(low):,.0f}-{float(high):,.0f}")
    base = row.get("population_base")
    rate = row.get("prevalence_per_1000")
    if _missing(base) and not _missing(rate):
        base = float(central) / (float(rate) / 1000)
        notes.append(f"population base {base:,.0f} implied by the published rate of "
                     f"{float(rate)} per 1,000 (rounded, so approximate)")
    elif _missing(base):
        base = None
    reference = f"{row['publisher']}, {row['publication']}; counts: {row['reference_period']}"
    if not _missing(row.get("url")):
        reference += f"; {row['url']}"
    meta = CATALOGUE.get(name, {"quantity": "stock", "status": "catalogue", "label": ""})
    if meta["quantity"] not in QUANTITIES:
        raise DarkFigureError(
            f"scenario '{name}' is not a prevalence estimate ({meta['label']}), so it gives no "
            f"expected figure; choose one of {', '.join(CATALOGUE_SCENARIOS)}")
    return Scenario(name=name, central=central, low=low, high=high, population_base=base,
                    reference=reference, notes=tuple(notes), quantity=meta["quantity"],
                    label=meta["label"], status=meta["status"])


def catalogue_scenarios(reference_dir: Path | None = None) -> dict[str, Scenario]:
    """The catalogue scenarios that give an expected figure, the default (GSI 2023) first.

    Examples
    --------
    >>> s = catalogue_scenarios()
    >>> list(s), s["gsi_2023"].central, s["gsi_2023"].has_published_range
    (['gsi_2023', 'gsi_2018', 'gsi_2016', 'home_office_mse_2014'], 122000.0, False)
    >>> s["home_office_mse_2014"].quantity, s["gsi_2018"].status
    ('during_year', 'superseded')
    """
    from analysis.reference import read_prevalence_estimates

    cat = read_prevalence_estimates(reference_dir).set_index("estimate_id", drop=False)
    return {name: scenario_from_row(cat.loc[name]) for name in CATALOGUE_SCENARIOS}


def get_scenario(scenario: str | Scenario | None = None,
                 reference_dir: Path | None = None) -> Scenario:
    """Resolve a scenario by name (any catalogue ``estimate_id``) or pass one through.

    Examples
    --------
    >>> get_scenario().name
    'gsi_2023'
    >>> get_scenario("nonsense")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    analysis.errors.DarkFigureError: unknown scenario 'nonsense'; known: gsi_2023, gsi_2018, ...
    >>> get_scenario("nca_ukhtc_2013_known")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    analysis.errors.DarkFigureError: scenario 'nca_ukhtc_2013_known' is not a prevalence estimate ...
    """
    if isinstance(scenario, Scenario):
        return scenario
    name = scenario or DEFAULT_SCENARIO
    named = catalogue_scenarios(reference_dir)
    if name in named:
        return named[name]
    from analysis.reference import read_prevalence_estimates

    cat = read_prevalence_estimates(reference_dir).set_index("estimate_id", drop=False)
    if name not in cat.index:
        known = list(named) + [i for i in cat.index if i not in named]
        raise DarkFigureError(f"unknown scenario '{name}'; known: {', '.join(known)}")
    return scenario_from_row(cat.loc[name])


@dataclass(frozen=True)
class Duration:
    """Mean duration of exploitation in years, with the range carried into every interval."""

    central: float
    low: float
    high: float
    source: str
    label: str = "assumption"

    def __post_init__(self) -> None:
        if not 0 < self.low <= self.central <= self.high:
            raise DarkFigureError(
                f"duration of exploitation: need 0 < low <= central <= high years, got "
                f"{self.low}, {self.central}, {self.high}"
            )

    def describe(self) -> str:
        return (f"{self.label}: mean duration of exploitation {self.central:g} years "
                f"(range {self.low:g}-{self.high:g}); {self.source}")

    @property
    def range_label(self) -> str:
        """What a range over this assumption is called, e.g. 'range over durations of 1 to 5 years'."""
        return f"range over durations of {self.low:g} to {self.high:g} years"


CTDC_DURATION_URL = (
    "https://ctdatacollaborative.org/story/comparing-forced-labour-and-sexual-exploitation"
)
ORAM_2016_URL = "https://pmc.ncbi.nlm.nih.gov/articles/PMC4880235/"

#: No published *mean* duration was found. Two published distributions inform the range:
#: CTDC (global registered victims): 38% of forced-labour and 59% of sexual-exploitation
#: victims were trafficked for under a year, 33% and 26% for over two years (an exponential
#: fit to these gives means of 1.1-2.1 years); Oram et al. 2016 (survivors in England,
#: 2013-14): median months in the trafficking situation 3 (IQR 1-5) for men and 12 (IQR 5-60)
#: for women. The 5-year upper end reflects that long right tail.
DEFAULT_DURATION = Duration(
    central=2.0, low=1.0, high=5.0,
    source=(
        "no published mean found; informed by CTDC 'Comparing forced labour and sexual "
        f"exploitation' ({CTDC_DURATION_URL}) and Oram et al. 2016, Am J Public Health "
        f"106(6):1073-8 ({ORAM_2016_URL})"
    ),
)


def duration(central: float | None = None, low: float | None = None,
             high: float | None = None) -> Duration:
    """The default duration, or a user's: a given central widens the default range if needed.

    Examples
    --------
    >>> d = duration(3); (d.low, d.central, d.high)
    (1.0, 3.0, 5.0)
    >>> d = duration(8); (d.low, d.central, d.high, d.label)
    (1.0, 8.0, 8.0, 'user assumption')
    """
    if central is None and low is None and high is None:
        return DEFAULT_DURATION
    c = DEFAULT_DURATION.central if central is None else float(central)
    lo = min(DEFAULT_DURATION.low, c) if low is None else float(low)
    hi = max(DEFAULT_DURATION.high, c) if high is None else float(high)
    return Duration(c, lo, hi, source="set by the user", label="user assumption")


@dataclass(frozen=True)
class ShareTable:
    """Shares of the expected figure by category (exploitation type or sector); sum to 1."""

    dimension: str
    shares: tuple[tuple[str, float], ...]
    source: str
    label: str

    def __post_init__(self) -> None:
        total = sum(s for _, s in self.shares)
        if any(s < 0 for _, s in self.shares) or not math.isclose(total, 1, abs_tol=1e-9):
            raise DarkFigureError(
                f"{self.dimension} shares must be non-negative and sum to 1 (got {total:.6f})"
            )
        object.__setattr__(self, "shares", tuple((str(c), float(s)) for c, s in self.shares))

    def share(self, category: str) -> float:
        table = dict(self.shares)
        if category not in table:
            raise DarkFigureError(
                f"no {self.dimension} share for '{category}'; known: {', '.join(table)}"
            )
        return table[category]

    def describe(self) -> str:
        return f"{self.label}: {self.dimension} shares from {self.source}"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.shares, columns=[self.dimension, "share"]).assign(
            source=self.source, label=self.label)


_NRM_TYPE_TO_SCHEMA = {
    "Labour": "labour", "Sexual": "sexual", "Criminal": "criminal",
    "Domestic": "domestic_servitude", "Organ Harvesting": "organ_harvesting",
    "Not specified or unknown": "unknown",
}


def exploitation_type_shares(year: int = 2023,
                             reference_dir: Path | None = None) -> ShareTable:
    """Exploitation-type shares of UK NRM referrals in ``year`` (all ages, summed quarters).

    Published combinations ("Labour & Criminal") map to ``multiple``. These are *referral*
    shares: they over-represent the types agencies see, and are an assumption about victims.

    Examples
    --------
    >>> t = exploitation_type_shares()
    >>> round(t.share("criminal"), 4), round(t.share("labour"), 4)   # 4725 / 17023, 4657 / 17023
    (0.2776, 0.2736)
    """
    raw = pd.read_csv((reference_dir or REFERENCE_DIR) / EXPLOITATION_TYPE_FILE)
    rows = raw[(raw["year"] == year) & (raw["age_at_exploitation"] == "All ages")
               & (raw["exploitation_type"] != "All types")]
    if rows.empty:
        raise DarkFigureError(f"no NRM exploitation-type table for {year} (2022-2023 only)")
    kind = rows["exploitation_type"].map(_NRM_TYPE_TO_SCHEMA).fillna("multiple")
    counts = rows.groupby(kind)["referrals"].sum()
    quarters = sorted(rows["quarter"].unique())
    return ShareTable(
        dimension="exploitation_type",
        shares=tuple((k, v / counts.sum()) for k, v in counts.items()),
        source=(f"Home Office NRM quarterly data tables, {year} {quarters[0]}-{quarters[-1]}, "
                f"first-responder tables summed ({NRM_TABLES_URL})"),
        label="assumption (referral-based shares; over-represent visible types)",
    )


def equal_shares(categories: Iterable[str], dimension: str = "sector") -> ShareTable:
    """Equal shares over ``categories``: a neutral placeholder where no published split exists.

    Examples
    --------
    >>> equal_shares(["care", "car_wash"]).shares
    (('car_wash', 0.5), ('care', 0.5))
    """
    cats = sorted(set(categories))
    if not cats:
        raise DarkFigureError(f"no {dimension} categories to share the expected figure over")
    return ShareTable(dimension=dimension, shares=tuple((c, 1 / len(cats)) for c in cats),
                      source="no published split found", label="assumption (equal shares)")
