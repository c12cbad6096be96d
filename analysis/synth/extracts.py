"""Agency extracts as analysts receive them: each agency's own headers, labels and file format.

Every agency gets one file and one mapping JSON in the format of ``notes/contracts.md``
("Agency extract mapping files"). Files are byte-for-byte reproducible: CSV text is fully
determined by the records, and XLSX archives are rewritten with fixed timestamps
(openpyxl stamps the save time into ``docProps/core.xml`` and every zip entry).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

FIXED_TIME = "2024-01-01T00:00:00Z"

_EXPLOITATION = ("labour", "sexual", "criminal", "domestic_servitude", "multiple", "unknown")
_SECTORS = ("agriculture", "car_wash", "nail_bar", "construction", "hospitality",
            "food_processing", "garment_manufacturing", "care", "domestic", "sex_industry",
            "cannabis_cultivation", "county_lines", "other", "unknown")
_NATIONALITY = ("uk", "eu_eea", "europe_other", "africa", "asia_south", "asia_east",
                "middle_east", "americas", "oceania", "stateless", "unknown")


def _labels(codes: tuple[str, ...], labels: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(codes, labels, strict=True))


_POLICE_TYPES = _labels(_EXPLOITATION, ("Labour exploitation", "Sexual exploitation",
                                        "Criminal exploitation", "Domestic servitude",
                                        "Multiple types", "Not known"))
_TITLE_SECTORS = {s: s.replace("_", " ").capitalize() for s in _SECTORS}
_POLICE_SECTORS = {**_TITLE_SECTORS, "hospitality": "Hospitality – café/restaurant",
                   "garment_manufacturing": "Garment manufacture", "unknown": "Not known"}
_GROUP_LABELS = _labels(_NATIONALITY, ("UK", "EU/EEA", "Other Europe", "Africa", "South Asia",
                                       "East Asia", "Middle East", "Americas", "Oceania",
                                       "Stateless", "Not known"))
_SHORT_TYPES = _labels(_EXPLOITATION, ("Lab", "Sex", "Crim", "DS", "Mult", "Unk"))
_CODE_TYPES = _labels(_EXPLOITATION, ("LAB", "SEX", "CRIM", "DOM", "MULT", "UNK"))
_WORD_TYPES = _labels(_EXPLOITATION, ("Labour", "Sexual", "Criminal", "Domestic Servitude",
                                      "Multiple", "Unknown"))
_INDUSTRY = {**_TITLE_SECTORS, "garment_manufacturing": "Textiles",
             "food_processing": "Food & drink manufacturing", "car_wash": "Hand car wash",
             "nail_bar": "Nail bar / beauty", "other": "Other (incl. warehousing)"}


@dataclass(frozen=True)
class ExtractFormat:
    """How one agency writes its extract. ``headers`` maps schema column -> the agency's
    header, in file order; ``labels`` maps schema value -> the agency's label per column."""

    slug: str
    file_name: str
    headers: tuple[tuple[str, str], ...]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    bools: tuple[str, str] = ("Yes", "No")
    date_format: str | None = "%d/%m/%Y"
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    line_terminator: str = "\n"

    @property
    def is_xlsx(self) -> bool:
        return self.file_name.endswith(".xlsx")

    @property
    def file_pattern(self) -> str:
        return self.slug + "*" + Path(self.file_name).suffix


def _h(*pairs: str) -> tuple[tuple[str, str], ...]:
    columns = ("record_id", "person_key", "referral_date", "area_code", "exploitation_type",
               "sector", "age_group", "sex", "nationality_group", "nrm_referred")
    return tuple(zip(columns, pairs, strict=True))


# Police crime-outcome columns (issue 16), after the others so earlier columns keep their
# bytes. Offence labels name the Modern Slavery Act 2015 section.
_POLICE_OUTCOME_HEADERS = (
    ("nrm_referral_date", "NRM Referral Date"), ("crime_recorded", "Crime Recorded"),
    ("crime_reference", "Crime Number"), ("offence_group", "Offence"),
    ("outcome_code", "Outcome Type"), ("outcome_date", "Outcome Date"))
_POLICE_OFFENCES = {"slavery_servitude_forced_labour": "MSA s1 Slavery, servitude, forced labour",
                    "human_trafficking": "MSA s2 Human trafficking",
                    "offence_with_intent_to_traffic": "MSA s4 Offence with intent",
                    "breach_of_order": "MSA s30 Breach of order",
                    "other_offence": "Other offence", "unknown": "Not known"}
DATE_FIELDS = ("referral_date", "outcome_date", "nrm_referral_date")
BOOLEAN_FIELDS = ("nrm_referred", "crime_recorded")

EXTRACT_FORMATS: tuple[ExtractFormat, ...] = (
    ExtractFormat(
        "leicestershire_police", "leicestershire_police_modern_slavery_2019_2025.csv",
        _h("Crime Ref", "Linkage Key", "Date Reported", "LA Code", "Exploitation", "Sector",
           "Age Band", "Gender", "Nationality Group", "NRM Referral") + _POLICE_OUTCOME_HEADERS,
        {"exploitation_type": _POLICE_TYPES, "sector": _POLICE_SECTORS,
         "age_group": {"adult": "Adult", "child": "Child", "unknown": "Not known"},
         "sex": {"female": "Female", "male": "Male", "unknown": "Not known"},
         "nationality_group": _GROUP_LABELS, "offence_group": _POLICE_OFFENCES},
        bools=("Y", "N"), encoding="cp1252", delimiter=";", line_terminator="\r\n"),
    ExtractFormat(
        "leicester_city_council", "leicester_city_council_ms_referrals.xlsx",
        _h("Case Number", "Pseudonym Key", "Referral Date", "District (GSS)",
           "Type of Exploitation", "Setting", "Adult/Child", "Sex", "Nationality (grouped)",
           "Referred to NRM?"),
        {"exploitation_type": _WORD_TYPES, "sector": _TITLE_SECTORS,
         "age_group": {"adult": "Adult", "child": "Child", "unknown": "Unknown"},
         "sex": {"female": "Female", "male": "Male", "unknown": "Unknown"},
         "nationality_group": _GROUP_LABELS},
        date_format=None, sheet="MS referrals"),
    ExtractFormat(
        "leicestershire_county_council", "leicestershire_county_council_export.csv",
        _h("Ref", "PersonKey", "DateOfReferral", "DistrictCode", "ExploitationType",
           "SectorOfWork", "AgeCategory", "Gender", "NationalityGroup", "NRM"),
        {"age_group": {"adult": "18+", "child": "Under 18", "unknown": "Unknown"},
         "sex": {"female": "F", "male": "M", "unknown": "U"}},
        date_format="%Y-%m-%d", encoding="utf-8-sig", line_terminator="\r\n"),
    ExtractFormat(
        "rutland_county_council", "rutland_county_council_referrals.csv",
        _h("Reference", "Key", "Date", "Area", "Exploitation", "Sector", "Age", "Sex",
           "Nationality", "NRM referral made"),
        {"exploitation_type": _POLICE_TYPES, "sector": _TITLE_SECTORS,
         "age_group": {"adult": "Adult", "child": "Child", "unknown": "Unknown"},
         "sex": {"female": "Female", "male": "Male", "unknown": "Unknown"},
         "nationality_group": _GROUP_LABELS},
        bools=("Y", "N"), date_format="%d-%m-%Y"),
    ExtractFormat(
        "uhl_nhs", "uhl_nhs_safeguarding_modern_slavery.xlsx",
        _h("Episode ID", "Linkage Hash", "Safeguarding Date", "LA of exploitation",
           "Abuse Category", "Setting", "Age Group", "Sex", "Nationality Group",
           "NRM Referral Known"),
        {"exploitation_type": _CODE_TYPES, "sector": _TITLE_SECTORS,
         "age_group": {"adult": "Adult (18+)", "child": "Child (0-17)", "unknown": "Not recorded"},
         "sex": {"female": "F", "male": "M", "unknown": "Not recorded"}},
        date_format=None, sheet="Safeguarding"),
    ExtractFormat(
        "glaa", "glaa_east_midlands_referrals.csv",
        _h("GLAA Ref", "Linkage Key", "Date of Referral", "ONS LA Code", "Exploitation",
           "Sector", "Age", "Sex", "Nationality Group", "NRM"),
        {"exploitation_type": _SHORT_TYPES, "sector": _TITLE_SECTORS,
         "age_group": {"adult": "A", "child": "C", "unknown": "U"},
         "sex": {"female": "F", "male": "M", "unknown": "U"}},
        bools=("Y", "N"), date_format="%d/%m/%Y"),
    ExtractFormat(
        "hmrc_nmw", "hmrc_nmw_referrals_llr.xlsx",
        _h("Case Ref", "Linkage Key", "Date Opened", "LA Code", "Exploitation Category",
           "Industry", "Age", "Gender", "Nationality Group", "NRM Referred"),
        {"exploitation_type": _WORD_TYPES, "sector": _INDUSTRY,
         "age_group": {"adult": "Adult", "child": "Child", "unknown": "Unknown"},
         "sex": {"female": "Female", "male": "Male", "unknown": "Unknown"},
         "nationality_group": _GROUP_LABELS},
        date_format=None, sheet="NMW Referrals"),
    ExtractFormat(
        "freedom_network", "freedom_network_clients.csv",
        (("record_id", "Client Ref"), ("agency", "Organisation"),
         ("agency_type", "Organisation Type"), ("person_key", "Shared Key"),
         ("referral_date", "Date First Seen"), ("area_code", "Local Authority Code"),
         ("exploitation_type", "Exploitation"), ("sector", "Sector"), ("age_group", "Age"),
         ("sex", "Gender"), ("nationality_group", "Nationality"),
         ("nrm_referred", "NRM Referral (Y/N)")),
        {"agency_type": {"ngo": "NGO / third sector"}, "exploitation_type": _WORD_TYPES,
         "sector": _TITLE_SECTORS, "nationality_group": _GROUP_LABELS},
        bools=("Y", "N"), date_format="%d %b %Y", encoding="utf-8-sig"),
    ExtractFormat(
        "home_office_ie", "home_office_ie_llr_encounters.csv",
        _h("IE Reference", "Person Key", "Encounter Date", "GSS Code", "Exploitation Type",
           "Sector", "Age Group", "Sex", "Nationality Group", "NRM"),
        {}, bools=("TRUE", "FALSE"), date_format="%Y-%m-%d"),
    ExtractFormat(
        "supply_chain_audit", "supply_chain_audit_findings.csv",
        _h("Finding ID", "Worker Key", "Audit Date", "Site LA", "Exploitation", "Sector",
           "Age", "Gender", "Nationality Group", "Referred to NRM"),
        {"exploitation_type": _SHORT_TYPES, "sector": _INDUSTRY,
         "nationality_group": _GROUP_LABELS},
        date_format="%d/%m/%Y"),
)


def extract_format(slug: str) -> ExtractFormat:
    return {f.slug: f for f in EXTRACT_FORMATS}[slug]


def to_agency_frame(records: pd.DataFrame, fmt: ExtractFormat) -> pd.DataFrame:
    """Records in schema columns -> the agency's own columns and labels (objects; dates kept
    as datetimes for XLSX, formatted text for CSV; missing as None)."""
    out = {}
    for column, header in fmt.headers:
        if column not in records:  # outcome columns absent: written blank
            out[header] = [None] * len(records)
            continue
        values = records[column]
        if column in DATE_FIELDS:
            text = (list(values.dt.date) if fmt.is_xlsx
                    else list(values.dt.strftime(fmt.date_format)))
            out[header] = [None if pd.isna(d) else t for d, t in zip(values, text, strict=True)]
        elif column in BOOLEAN_FIELDS:
            out[header] = [None if pd.isna(v) else fmt.bools[0] if v else fmt.bools[1]
                           for v in values]
        else:
            labels = fmt.labels.get(column, {})
            out[header] = [None if pd.isna(v) else labels.get(v, v) for v in values]
    return pd.DataFrame(out, dtype=object)


def mapping_for(fmt: ExtractFormat, agency: str, agency_type: str) -> dict[str, object]:
    """The mapping JSON content for an extract (contract format)."""
    values: dict[str, dict[str, object]] = {}
    for column, labels in fmt.labels.items():
        changed = {label: code for code, label in labels.items() if label != code}
        if changed:
            values[column] = changed
    values["nrm_referred"] = {fmt.bools[0]: True, fmt.bools[1]: False}
    if any(column == "crime_recorded" for column, _ in fmt.headers):
        values["crime_recorded"] = {fmt.bools[0]: True, fmt.bools[1]: False}
    return {
        "agency": agency,
        "agency_type": agency_type,
        "file_pattern": fmt.file_pattern,
        "columns": {header: column for column, header in fmt.headers},
        "values": values,
        "date_format": fmt.date_format,
        "encoding": None if fmt.is_xlsx else fmt.encoding,
        "delimiter": None if fmt.is_xlsx else fmt.delimiter,
        "sheet": fmt.sheet,
    }


def extract_bytes(frame: pd.DataFrame, fmt: ExtractFormat) -> bytes:
    """The file content: CSV text in the agency's encoding, or a reproducible XLSX."""
    if fmt.is_xlsx:
        return _xlsx_bytes(frame, fmt.sheet or "Sheet1")
    text = frame.to_csv(index=False, sep=fmt.delimiter, lineterminator=fmt.line_terminator)
    return text.encode(fmt.encoding)


def _xlsx_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if cell.is_date:
                cell.number_format = "DD/MM/YYYY"
    wb.properties.creator = "darkfigure synth"
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fix_zip_times(buffer.getvalue())


def _fix_zip_times(data: bytes) -> bytes:
    stamp = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = stamp.sub(rb"\g<1>" + FIXED_TIME.encode() + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


def write_extracts(records: pd.DataFrame, out_dir: Path,
                   agencies: dict[str, tuple[str, str]]) -> list[Path]:
    """Write one extract and one mapping per agency under ``agencies/`` and ``mappings/``.

    ``agencies`` maps slug -> (agency name, agency type). An agency with no records still
    gets a file with headers only, as a real empty extract would.
    """
    extract_dir, mapping_dir = out_dir / "agencies", out_dir / "mappings"
    extract_dir.mkdir(parents=True, exist_ok=True)
    mapping_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in EXTRACT_FORMATS:
        if fmt.slug not in agencies:
            continue
        name, kind = agencies[fmt.slug]
        rows = records[records["agency_slug"] == fmt.slug]
        path = extract_dir / fmt.file_name
        path.write_bytes(extract_bytes(to_agency_frame(rows, fmt), fmt))
        mapping = mapping_for(fmt, name, kind)
        (mapping_dir / f"{fmt.slug}.json").write_text(
            json.dumps(mapping, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
