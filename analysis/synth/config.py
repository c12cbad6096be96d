"""Every parameter of the synthetic world, declared as data with its rationale.

All of it is **synthetic**: the sector mixes, age/sex/nationality profiles, agency
detection hazards and dependence are plausible working assumptions chosen so that the
sample exercises the product (detection ratios, trends, an awareness-event effect and
multiple systems estimation). None of them is a published figure. The only published
inputs are the Walk Free Global Slavery Index 2023 UK stock (122,000 people on a given
day in 2021, population base 67,886,000) and Census 2021 district populations, both
read from ``data/reference/`` (see its README for provenance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SYNTH_VERSION = 1

#: Leicestershire police force area: Leicester, Rutland and the seven county districts.
LLR_AREAS: tuple[tuple[str, str], ...] = (
    ("E06000016", "Leicester"),
    ("E06000017", "Rutland"),
    ("E07000129", "Blaby"),
    ("E07000130", "Charnwood"),
    ("E07000131", "Harborough"),
    ("E07000132", "Hinckley and Bosworth"),
    ("E07000133", "Melton"),
    ("E07000134", "North West Leicestershire"),
    ("E07000135", "Oadby and Wigston"),
)
LEICESTER = "E06000016"
RUTLAND = "E06000017"
COUNTY_DISTRICTS = tuple(code for code, _ in LLR_AREAS if code.startswith("E07"))

#: Sectors a person can be exploited in (the schema vocabulary without ``unknown``).
SECTORS = (
    "agriculture", "car_wash", "nail_bar", "construction", "hospitality", "food_processing",
    "garment_manufacturing", "care", "domestic", "sex_industry", "cannabis_cultivation",
    "county_lines", "other",
)
LABOUR_SECTORS = (
    "agriculture", "car_wash", "nail_bar", "construction", "hospitality", "food_processing",
    "garment_manufacturing", "care", "other",
)

#: Exploitation type implied by the sector (a share become ``multiple``, see SynthConfig).
SECTOR_EXPLOITATION = {
    **{s: "labour" for s in LABOUR_SECTORS},
    "county_lines": "criminal", "cannabis_cultivation": "criminal",
    "sex_industry": "sexual", "domestic": "domestic_servitude",
}

# Relative sector weights by kind of area (synthetic). The city profile puts garment
# manufacturing, car washes, nail bars, hospitality, care and county lines in Leicester;
# the rural profile puts agriculture and food processing in Harborough, Melton, Rutland
# and North West Leicestershire (which also gets more 'other', standing for warehousing
# and logistics around East Midlands Airport); the rest are spread.
_CITY = dict(agriculture=0.5, car_wash=10, nail_bar=8, construction=7, hospitality=10,
             food_processing=3, garment_manufacturing=12, care=8, domestic=5, sex_industry=8,
             cannabis_cultivation=6, county_lines=12, other=6)
_SUBURBAN = dict(agriculture=3, car_wash=7, nail_bar=5, construction=9, hospitality=7,
                 food_processing=5, garment_manufacturing=2, care=6, domestic=5, sex_industry=6,
                 cannabis_cultivation=7, county_lines=7, other=10)
_RURAL = dict(agriculture=18, car_wash=4, nail_bar=2, construction=8, hospitality=5,
              food_processing=16, garment_manufacturing=0.5, care=5, domestic=4, sex_industry=3,
              cannabis_cultivation=6, county_lines=5, other=10)
_NWL = {**_RURAL, "other": 16}

AREA_SECTOR_WEIGHTS: dict[str, dict[str, float]] = {
    "E06000016": _CITY,
    "E06000017": _RURAL, "E07000131": _RURAL, "E07000133": _RURAL, "E07000134": _NWL,
    "E07000129": _SUBURBAN, "E07000130": _SUBURBAN, "E07000132": _SUBURBAN,
    "E07000135": _SUBURBAN,
}

#: Probability a victim is a child, by sector (children mostly in criminal exploitation).
CHILD_SHARE = dict(county_lines=0.65, cannabis_cultivation=0.2, sex_industry=0.12,
                   car_wash=0.05, domestic=0.05)
CHILD_SHARE_DEFAULT = 0.01

#: Probability a victim is female, by sector.
FEMALE_SHARE = dict(agriculture=0.3, car_wash=0.05, nail_bar=0.65, construction=0.03,
                    hospitality=0.4, food_processing=0.35, garment_manufacturing=0.45,
                    care=0.6, domestic=0.75, sex_industry=0.9, cannabis_cultivation=0.1,
                    county_lines=0.15, other=0.3)

#: Nationality-group mix by sector (synthetic; broad groups only, as the schema requires).
NATIONALITY_MIX: dict[str, dict[str, float]] = {
    "county_lines": dict(uk=0.85, europe_other=0.05, africa=0.05, middle_east=0.03, eu_eea=0.02),
    "cannabis_cultivation": dict(asia_east=0.55, europe_other=0.25, uk=0.15, eu_eea=0.05),
    "car_wash": dict(europe_other=0.45, middle_east=0.25, eu_eea=0.15, africa=0.05, uk=0.1),
    "nail_bar": dict(asia_east=0.7, uk=0.1, eu_eea=0.1, asia_south=0.1),
    "garment_manufacturing": dict(asia_south=0.55, uk=0.25, eu_eea=0.1, middle_east=0.1),
    "agriculture": dict(eu_eea=0.6, europe_other=0.2, asia_south=0.1, uk=0.1),
    "food_processing": dict(eu_eea=0.55, europe_other=0.15, uk=0.2, asia_south=0.1),
    "care": dict(africa=0.35, asia_south=0.4, uk=0.15, asia_east=0.1),
    "construction": dict(eu_eea=0.4, uk=0.3, europe_other=0.2, middle_east=0.1),
    "hospitality": dict(asia_south=0.3, asia_east=0.2, eu_eea=0.2, uk=0.2, middle_east=0.1),
    "domestic": dict(africa=0.3, asia_south=0.3, middle_east=0.2, asia_east=0.1, uk=0.1),
    "sex_industry": dict(eu_eea=0.4, uk=0.3, asia_east=0.1, africa=0.1, americas=0.05,
                         europe_other=0.05),
    "other": dict(uk=0.3, eu_eea=0.3, europe_other=0.15, africa=0.1, asia_south=0.1,
                  middle_east=0.05),
}


def _hazards(default: float = 0.0, **by_sector: float) -> tuple[tuple[str, float], ...]:
    return tuple((s, float(by_sector.get(s, default))) for s in SECTORS)


@dataclass(frozen=True)
class AgencySpec:
    """How one agency detects victims (synthetic).

    ``hazards`` are annual detection rates per person-year of exploitation by sector, for a
    person of frailty 1 at the start of the window. ``areas`` limits the agency to some
    districts (councils); ``None`` means the whole force area. ``first_responder`` agencies
    can make NRM referrals themselves, so their records know ``nrm_referred``.
    """

    slug: str
    agency: str
    agency_type: str
    hazards: tuple[tuple[str, float], ...]
    areas: tuple[str, ...] | None = None
    child_ratio: float = 1.0
    uk_national_ratio: float = 1.0
    first_responder: bool = True
    key_missing_share: float = 0.0
    area_missing_share: float = 0.0
    type_unknown_share: float = 0.02
    sector_unknown_share: float = 0.05

    def hazard(self, sector: str) -> float:
        return dict(self.hazards)[sector]


_COUNCIL_HAZARDS = _hazards(0.006, care=0.02, domestic=0.01)

DEFAULT_AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec("leicestershire_police", "Leicestershire Police", "police",
               _hazards(0.008, county_lines=0.07, cannabis_cultivation=0.06, sex_industry=0.05,
                        domestic=0.015, car_wash=0.015),
               child_ratio=1.5, key_missing_share=0.03),
    AgencySpec("leicester_city_council", "Leicester City Council", "local_authority",
               _COUNCIL_HAZARDS, areas=(LEICESTER,), child_ratio=6.0),
    AgencySpec("leicestershire_county_council", "Leicestershire County Council",
               "local_authority", _COUNCIL_HAZARDS, areas=COUNTY_DISTRICTS, child_ratio=6.0),
    AgencySpec("rutland_county_council", "Rutland County Council", "local_authority",
               _COUNCIL_HAZARDS, areas=(RUTLAND,), child_ratio=6.0),
    AgencySpec("uhl_nhs", "University Hospitals of Leicester NHS Trust", "health",
               _hazards(0.008, sex_industry=0.02, domestic=0.015), first_responder=False,
               key_missing_share=0.10, type_unknown_share=0.25, sector_unknown_share=0.30),
    AgencySpec("glaa", "Gangmasters and Labour Abuse Authority", "glaa",
               _hazards(0.0, agriculture=0.04, food_processing=0.04, car_wash=0.03,
                        nail_bar=0.02, garment_manufacturing=0.03, construction=0.025,
                        hospitality=0.015, care=0.03, other=0.02)),
    AgencySpec("hmrc_nmw", "HM Revenue and Customs (National Minimum Wage)", "hmrc",
               _hazards(0.0, garment_manufacturing=0.04, hospitality=0.02, car_wash=0.02,
                        nail_bar=0.02, agriculture=0.012, food_processing=0.015, care=0.015,
                        construction=0.01, other=0.01),
               first_responder=False, key_missing_share=0.06),
    AgencySpec("freedom_network", "East Midlands Freedom Network (synthetic NGO)", "ngo",
               _hazards(0.012, sex_industry=0.025, domestic=0.02), key_missing_share=0.05),
    AgencySpec("home_office_ie", "Home Office Immigration Enforcement", "home_office",
               _hazards(0.01), uk_national_ratio=0.05, area_missing_share=0.05),
    AgencySpec("supply_chain_audit", "Midlands Supply Chain Audit Ltd (synthetic)", "business",
               _hazards(0.0, garment_manufacturing=0.02, food_processing=0.02, agriculture=0.01,
                        other=0.015, hospitality=0.005, care=0.01),
               first_responder=False, key_missing_share=0.08, sector_unknown_share=0.0),
)


@dataclass(frozen=True)
class SynthConfig:
    """Every parameter of the synthetic world. All are synthetic assumptions except the
    national estimate and its population base (Walk Free GSI 2023).

    Examples
    --------
    >>> c = SynthConfig()
    >>> round(c.national_rate * 1000, 4), c.mean_duration_years, c.awareness_date
    (1.7971, 2.0, '2023-10-01')
    """

    #: Walk Free GSI 2023: 122,000 people in modern slavery in the UK on a given day in 2021.
    national_estimate: float = 122_000
    #: The population base GSI 2023 used for the UK.
    population_base: float = 67_886_000
    areas: tuple[str, ...] = tuple(code for code, _ in LLR_AREAS)
    start: str = "2019-01-01"
    end: str = "2025-12-31"
    #: Multiplies the number of victims (and so records); 1 reproduces the scaled national stock.
    scale: float = 1.0
    #: Assumption: mean duration of exploitation in years (exponential durations). Matches the
    #: default of ``analysis.assumptions.DEFAULT_DURATION``.
    mean_duration_years: float = 2.0
    #: Assumption: Leicester's rate per resident relative to the other districts (a mild urban
    #: premium); district stocks are renormalised so the force total stays the scaled figure.
    urban_premium: float = 1.3
    #: Share of victims whose exploitation is of more than one type (NRM "combined" types).
    multiple_share: float = 0.08
    #: Sigma of the mean-one log-normal person-level frailty multiplying every detection
    #: hazard of a person (heterogeneity of catchability).
    frailty_sigma: float = 0.8
    #: Detection hazards rise by this factor per year (gradual improvement in practice).
    detection_trend_per_year: float = 1.03
    #: Awareness event after which every detection hazard is multiplied by the rate ratio.
    awareness_date: str = "2023-10-01"
    awareness_rate_ratio: float = 1.25
    #: Positive list dependence: share of police-detected victims then recorded by the NGO.
    police_to_ngo: float = 0.30
    #: Share of children recorded by police, health or the NGO then recorded by their council.
    child_to_council: float = 0.40
    #: Share of an agency's detected persons recorded twice by it (re-referral; kept rare).
    repeat_record_share: float = 0.02
    #: Share of adults who consent to an NRM referral (children need no consent).
    adult_nrm_consent: float = 0.55
    #: Hex characters of HMAC-SHA256 kept as person_key (schema allows 16-64).
    key_hex_chars: int = 32
    agencies: tuple[AgencySpec, ...] = field(default=DEFAULT_AGENCIES)

    @property
    def national_rate(self) -> float:
        """People in modern slavery per resident on a given day (GSI 2023)."""
        return self.national_estimate / self.population_base

    def agency(self, slug: str) -> AgencySpec:
        return {a.slug: a for a in self.agencies}[slug]

    def parameters(self) -> dict[str, object]:
        """The scalar parameters, for truth.json."""
        return {k: v for k, v in vars(self).items() if k != "agencies"}


def uniform_agencies(annual_rate: float = 0.05, n: int = 5) -> tuple[AgencySpec, ...]:
    """``n`` force-wide agencies detecting every sector at the same annual rate.

    With ``frailty_sigma=0`` and no direct dependence (``police_to_ngo=0``,
    ``child_to_council=0``) the lists are then independent given the time a person is
    exploited: a simple case for checking multiple systems estimation. Slugs reuse the
    default agencies' so their extract formats apply.

    Examples
    --------
    >>> [a.agency_type for a in uniform_agencies(n=3)]
    ['police', 'local_authority', 'health']
    """
    kinds = ("police", "local_authority", "health", "glaa", "hmrc", "ngo", "home_office",
             "business")
    slugs = ("leicestershire_police", "leicestershire_county_council", "uhl_nhs", "glaa",
             "hmrc_nmw", "freedom_network", "home_office_ie", "supply_chain_audit")
    if not 1 <= n <= len(kinds):
        raise ValueError(f"n must be 1-{len(kinds)}")
    return tuple(AgencySpec(slug, f"Uniform agency {i + 1} ({kind})", kind,
                            _hazards(annual_rate), type_unknown_share=0.0,
                            sector_unknown_share=0.0)
                 for i, (slug, kind) in enumerate(zip(slugs[:n], kinds[:n], strict=True)))
