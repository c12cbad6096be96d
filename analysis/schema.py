"""Table schemas: one pandera model per table; field descriptions are the data dictionary.

Vocabularies follow the National Referral Mechanism (NRM) categories used in the
Home Office quarterly statistics, widened where agencies record more detail
(``sector``). ``docs/data_dictionary.md`` is rendered from these models by
:func:`analysis.data_dictionary.render_data_dictionary` and a test keeps it current.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

SCHEMA_VERSION = 1

AGENCY_TYPES = (
    "police", "local_authority", "health", "glaa", "hmrc", "ngo", "home_office",
    "business", "other",
)
EXPLOITATION_TYPES = (
    "labour", "sexual", "criminal", "domestic_servitude", "organ_harvesting",
    "multiple", "unknown",
)
SECTORS = (
    "agriculture", "car_wash", "nail_bar", "construction", "hospitality",
    "food_processing", "garment_manufacturing", "care", "domestic", "sex_industry",
    "cannabis_cultivation", "county_lines", "other", "unknown",
)
AGE_GROUPS = ("adult", "child", "unknown")
SEXES = ("female", "male", "other", "unknown")
NATIONALITY_GROUPS = (
    "uk", "eu_eea", "europe_other", "africa", "asia_south", "asia_east",
    "middle_east", "americas", "oceania", "stateless", "unknown",
)
NRM_MEASURES = ("referrals", "dtn_reports")
GEOGRAPHY_LEVELS = ("uk", "nation", "region", "police_force_area", "local_authority",
                    "county", "first_responder")

# Home Office crime outcomes framework (in force since April 2014; outcome 21 from January
# 2016, 22 from April 2019): every recorded crime is closed with one outcome type, 1 to 22
# (1A: an alternative offence charged). Groups as in the Home Office's "Crime outcomes in
# England and Wales" bulletins and their technical annex (e.g. year ending March 2024).
OUTCOME_GROUPS: dict[str, tuple[str, ...]] = {
    "charged_summonsed": ("1", "1A"),
    "out_of_court_formal": ("2", "3", "6", "7"),
    "out_of_court_informal": ("8",),
    "diversionary_activity": ("22",),
    "taken_into_consideration": ("4",),
    "prosecution_prevented_or_not_in_public_interest": ("5", "9", "10", "11", "12", "13",
                                                        "17"),
    "evidential_difficulties_victim_supports": ("15",),
    "evidential_difficulties_victim_does_not_support": ("14", "16"),
    "investigation_complete_no_suspect": ("18",),
    "transferred_to_another_body": ("20",),
    "further_investigation_not_in_public_interest": ("21",),
    "fraud_nfib_filed": ("19",),
}
OUTCOME_CODES = tuple(code for codes in OUTCOME_GROUPS.values() for code in codes)
OUTCOME_GROUP_OF = {code: group for group, codes in OUTCOME_GROUPS.items() for code in codes}
# Offences of the Modern Slavery Act 2015 (Home Office offence code 106 covers ss.1, 2, 4);
# `other_offence` when the crime recorded for the victim is another offence (e.g. rape,
# drugs supply) and `unknown` when the extract does not say.
OFFENCE_GROUPS = ("slavery_servitude_forced_labour", "human_trafficking",
                  "offence_with_intent_to_traffic", "breach_of_order", "other_offence",
                  "unknown")
#: The optional crime-outcome columns a police extract may carry (all missing otherwise).
OUTCOME_COLUMNS = ("crime_recorded", "crime_reference", "offence_group", "outcome_code",
                   "outcome_date", "nrm_referral_date")
#: Cross-column checks on the outcome columns: check name -> (column blamed, reason).
OUTCOME_CHECKS: dict[str, tuple[str, str]] = {
    "outcome_needs_recorded_crime": (
        "outcome_code", "an outcome is given but the crime is not recorded (crime_recorded "
        "is no)"),
    "outcome_code_and_date_together": (
        "outcome_date", "outcome type and outcome date must both be given or both be blank"),
    "outcome_not_before_referral": (
        "outcome_date", "outcome date is before the date the person was referred "
        "(referral_date)"),
    "nrm_date_needs_nrm_referral": (
        "nrm_referral_date", "an NRM referral date is given but nrm_referred is no"),
    "crime_reference_needs_recorded_crime": (
        "crime_reference", "a crime reference is given but the crime is not recorded "
        "(crime_recorded is no)"),
}

# Column names that mean a file carries direct identifiers. Matched against
# normalised headers (lower case, non-alphanumerics to "_") before any mapping.
PERSONAL_DATA_COLUMNS = (
    "name", "first_name", "forename", "surname", "last_name", "full_name",
    "date_of_birth", "dob", "birth_date", "address", "street", "postcode", "post_code",
    "phone", "telephone", "mobile", "email", "ni_number", "national_insurance",
    "national_insurance_number", "nino", "passport", "passport_number", "notes",
    "free_text", "narrative", "case_notes", "comments", "description",
)

GSS_CODE = r"^[EWSNK]\d{8}$"


def _not_future(series: pd.Series) -> pd.Series:
    return series.isna() | (series <= pd.Timestamp(dt.date.today()))


def _given(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df:
        return pd.Series(False, index=df.index)
    return df[column].notna().astype(bool)


def _is_false(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df:
        return pd.Series(False, index=df.index)
    return df[column].astype("boolean").eq(False).fillna(False).astype(bool)


class Referrals(pa.DataFrameModel):
    """Record-level referrals of potential victims, one row per agency record."""

    record_id: Series[str] = pa.Field(
        str_length={"min_value": 1, "max_value": 64},
        description="The agency's own reference for the record; unique within an agency.",
    )
    person_key: Series[str] = pa.Field(
        nullable=True,
        str_matches=r"^[0-9a-f]{16,64}$",
        description=(
            "Pseudonymised linkage key: HMAC-SHA256 of normalised identifiers under the "
            "forum's shared key (see `darkfigure pseudonymise`). Missing when the agency "
            "could not link the person."
        ),
    )
    agency: Series[str] = pa.Field(
        str_length={"min_value": 1, "max_value": 80},
        description="Name of the agency that made the record.",
    )
    agency_type: Series[str] = pa.Field(
        isin=AGENCY_TYPES, description="Kind of agency: " + ", ".join(AGENCY_TYPES) + "."
    )
    referral_date: Series[pd.Timestamp] = pa.Field(
        ge=pd.Timestamp("2009-04-01"),
        description=(
            "Date the agency identified or referred the person (the NRM counts referrals "
            "by the date received; the NRM began on 1 April 2009). Never in the future."
        ),
    )
    area_code: Series[str] = pa.Field(
        nullable=True,
        str_matches=GSS_CODE,
        description=(
            "ONS GSS code of the local authority district where the exploitation took place; "
            "missing when unknown or overseas."
        ),
    )
    exploitation_type: Series[str] = pa.Field(
        isin=EXPLOITATION_TYPES,
        description=(
            "Claimed exploitation type in NRM categories; `multiple` for combined types "
            "(the NRM's 'Labour & Criminal' and similar)."
        ),
    )
    sector: Series[str] = pa.Field(
        isin=SECTORS,
        description=(
            "Sector or setting of exploitation (controlled vocabulary). Referral-based sector "
            "shares over-represent visible sectors."
        ),
    )
    age_group: Series[str] = pa.Field(
        isin=AGE_GROUPS, description="Age at exploitation: adult (18 or over), child (17 or under)."
    )
    sex: Series[str] = pa.Field(isin=SEXES, description="Sex or gender as recorded.")
    nationality_group: Series[str] = pa.Field(
        isin=NATIONALITY_GROUPS,
        description="Broad nationality group (never the nationality itself, to limit disclosure).",
    )
    nrm_referred: Series[pd.BooleanDtype] = pa.Field(
        nullable=True,
        description="Whether the person was referred into the NRM (missing when not known).",
    )

    crime_recorded: Optional[Series[pd.BooleanDtype]] = pa.Field(  # noqa: UP045
        nullable=True,
        description=(
            "Police extracts only: whether a crime was recorded for this person under the "
            "Home Office Counting Rules (missing when not known or not a police record)."
        ),
    )
    crime_reference: Optional[Series[str]] = pa.Field(  # noqa: UP045
        nullable=True,
        str_length={"min_value": 1, "max_value": 64},
        description="Police extracts only: the force's crime reference number, when recorded.",
    )
    offence_group: Optional[Series[str]] = pa.Field(  # noqa: UP045
        nullable=True,
        isin=OFFENCE_GROUPS,
        description=(
            "Police extracts only: offence recorded (Modern Slavery Act 2015 s.1 slavery, "
            "servitude and forced labour; s.2 human trafficking; s.4 offence with intent; "
            "s.30 breach of an order; or another offence): " + ", ".join(OFFENCE_GROUPS) + "."
        ),
    )
    outcome_code: Optional[Series[str]] = pa.Field(  # noqa: UP045
        nullable=True,
        isin=OUTCOME_CODES,
        description=(
            "Police extracts only: Home Office crime outcome type, 1 to 22 (1A: alternative "
            "offence charged); missing while the investigation is open. Outcome 1 is "
            "charged/summonsed; groups as in the Home Office crime outcomes statistics."
        ),
    )
    outcome_date: Optional[Series[pd.Timestamp]] = pa.Field(  # noqa: UP045
        nullable=True,
        description="Police extracts only: date the outcome was assigned; never before "
                    "referral_date, never in the future.",
    )
    nrm_referral_date: Optional[Series[pd.Timestamp]] = pa.Field(  # noqa: UP045
        nullable=True,
        ge=pd.Timestamp("2009-04-01"),
        description="Date of the NRM referral when nrm_referred is yes (missing when not "
                    "known); never in the future.",
    )

    @pa.check("referral_date", name="not_in_future", element_wise=False)
    def referral_date_not_future(cls, series: pd.Series) -> pd.Series:
        return _not_future(series)

    @pa.check("outcome_date", name="not_in_future", element_wise=False)
    def outcome_date_not_future(cls, series: pd.Series) -> pd.Series:
        return _not_future(series)

    @pa.check("nrm_referral_date", name="not_in_future", element_wise=False)
    def nrm_referral_date_not_future(cls, series: pd.Series) -> pd.Series:
        return _not_future(series)

    @pa.dataframe_check(name="outcome_needs_recorded_crime")
    def outcome_needs_recorded_crime(cls, df: pd.DataFrame) -> pd.Series:
        return ~(_given(df, "outcome_code") & _is_false(df, "crime_recorded"))

    @pa.dataframe_check(name="outcome_code_and_date_together")
    def outcome_code_and_date_together(cls, df: pd.DataFrame) -> pd.Series:
        return _given(df, "outcome_code") == _given(df, "outcome_date")

    @pa.dataframe_check(name="outcome_not_before_referral")
    def outcome_not_before_referral(cls, df: pd.DataFrame) -> pd.Series:
        if "outcome_date" not in df:
            return pd.Series(True, index=df.index)
        outcome = pd.to_datetime(df["outcome_date"])
        return outcome.isna() | (outcome >= pd.to_datetime(df["referral_date"]))

    @pa.dataframe_check(name="nrm_date_needs_nrm_referral")
    def nrm_date_needs_nrm_referral(cls, df: pd.DataFrame) -> pd.Series:
        return ~(_given(df, "nrm_referral_date") & _is_false(df, "nrm_referred"))

    @pa.dataframe_check(name="crime_reference_needs_recorded_crime")
    def crime_reference_needs_recorded_crime(cls, df: pd.DataFrame) -> pd.Series:
        return ~(_given(df, "crime_reference") & _is_false(df, "crime_recorded"))

    @pa.dataframe_check(name="record_id_unique_within_agency")
    def record_id_unique(cls, df: pd.DataFrame) -> pd.Series:
        return ~df.duplicated(subset=["agency", "record_id"], keep=False)

    class Config:
        strict = True
        coerce = True


class NrmCounts(pa.DataFrameModel):
    """Published NRM aggregate counts in tidy long form (one row per published cell)."""

    period: Series[str] = pa.Field(
        str_matches=r"^\d{4}(Q[1-4])?$",
        description="Calendar quarter `YYYYQn` (or year `YYYY` for annual tables).",
    )
    geography_level: Series[str] = pa.Field(
        isin=GEOGRAPHY_LEVELS, description="Level of `geography_code`."
    )
    geography_code: Series[str] = pa.Field(
        nullable=True, description="GSS code where one exists; missing for UK counties and responders."
    )
    geography_name: Series[str] = pa.Field(description="Geography as published.")
    first_responder_type: Series[str] = pa.Field(
        description="Government agency, NGO, police, local authority, or `all`."
    )
    first_responder: Series[str] = pa.Field(description="First responder as published, or `all`.")
    exploitation_type: Series[str] = pa.Field(
        description="Exploitation type as published (e.g. 'Labour & Criminal'), or `all`."
    )
    age_group: Series[str] = pa.Field(isin=(*AGE_GROUPS, "all"), description="Age at exploitation.")
    measure: Optional[Series[str]] = pa.Field(  # noqa: UP045 (pandera needs Optional)
        isin=NRM_MEASURES,
        description=(
            "What is counted: `referrals` (potential victims referred into the NRM) or "
            "`dtn_reports` (Duty to Notify reports, adults who did not consent to a referral)."
        ),
    )
    location: Optional[Series[str]] = pa.Field(  # noqa: UP045
        description=(
            "Location of exploitation as published (UK, Overseas, UK and Overseas, "
            "Not specified or unknown), or `all`."
        ),
    )
    count: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0, description="Potential victims referred; missing when not published."
    )
    missing_marker: Series[str] = pa.Field(
        nullable=True,
        description="Marker published instead of a number ([c], [x], [z], ..), else missing.",
    )
    source_release: Series[str] = pa.Field(
        str_matches=r"^\d{4}Q[1-4]$",
        description="Vintage: the quarterly release the figure was read from (`YYYYQn`).",
    )
    source_table: Series[str] = pa.Field(description="Sheet and title the figure came from.")

    @pa.dataframe_check(name="count_or_marker")
    def count_or_marker(cls, df: pd.DataFrame) -> pd.Series:
        return df["count"].notna() | df["missing_marker"].notna()

    class Config:
        strict = True
        coerce = True


class Populations(pa.DataFrameModel):
    """Resident population by area and reference date."""

    area_code: Series[str] = pa.Field(str_matches=GSS_CODE, description="ONS GSS code.")
    area_name: Series[str] = pa.Field(description="Area name as published.")
    geography_level: Series[str] = pa.Field(isin=GEOGRAPHY_LEVELS, description="Level of the area.")
    year: Series[int] = pa.Field(ge=2001, le=2100, description="Reference year.")
    population: Series[int] = pa.Field(gt=0, description="Usual residents.")
    source: Series[str] = pa.Field(description="Publisher, table and date.")

    class Config:
        strict = True
        coerce = True


class Areas(pa.DataFrameModel):
    """Area hierarchy: local authority district -> police force area -> region -> nation."""

    lad_code: Series[str] = pa.Field(str_matches=GSS_CODE, unique=True, description="LAD GSS code.")
    lad_name: Series[str] = pa.Field(description="Local authority district name.")
    pfa_code: Series[str] = pa.Field(str_matches=GSS_CODE, description="Police force area GSS code.")
    pfa_name: Series[str] = pa.Field(description="Police force area name.")
    region: Series[str] = pa.Field(description="Region (England) or nation name (Wales).")
    nation: Series[str] = pa.Field(isin=("England", "Wales"), description="Nation.")

    class Config:
        strict = True
        coerce = True


class PrevalenceEstimates(pa.DataFrameModel):
    """Catalogue of national prevalence estimates (stock: people in slavery on a given day)."""

    estimate_id: Series[str] = pa.Field(unique=True, description="Short identifier.")
    publisher: Series[str] = pa.Field(description="Who published it.")
    publication: Series[str] = pa.Field(description="Title and date of the publication.")
    reference_period: Series[str] = pa.Field(description="What date or period it counts.")
    estimate_low: Series[float] = pa.Field(nullable=True, ge=0, description="Lower published value.")
    estimate_central: Series[float] = pa.Field(nullable=True, ge=0, description="Central value.")
    estimate_high: Series[float] = pa.Field(nullable=True, ge=0, description="Upper published value.")
    prevalence_per_1000: Series[float] = pa.Field(nullable=True, ge=0, description="Per 1,000 residents.")
    population_base: Series[float] = pa.Field(nullable=True, gt=0, description="Population used.")
    method: Series[str] = pa.Field(nullable=True, description="How it was made.")
    uncertainty_note: Series[str] = pa.Field(nullable=True, description="Published uncertainty.")
    url: Series[str] = pa.Field(nullable=True, description="Where it was published.")
    licence: Series[str] = pa.Field(nullable=True, description="Terms of reuse.")

    class Config:
        strict = "filter"
        coerce = True


TABLE_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "referrals": Referrals,
    "nrm_counts": NrmCounts,
    "populations": Populations,
    "areas": Areas,
    "prevalence_estimates": PrevalenceEstimates,
}
