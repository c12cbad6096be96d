"""Agency referral extracts: apply the agency's mapping, then validate every row at once.

Agencies keep their own headers and codes; a JSON mapping file per agency translates
them to the ``referrals`` schema (format in ``docs/ingest.md``). Validation is lazy: one
:class:`~analysis.errors.InputError` lists every failing row and column, naming the
agency's own header so the analyst can find the cell in the file they received.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from analysis.errors import InputError, Problem
from analysis.ingest.referral_problems import _label, _pandera_problems
from analysis.ingest.tabular import read_text_table
from analysis.schema import OUTCOME_COLUMNS, PERSONAL_DATA_COLUMNS, Referrals

SCHEMA_COLUMNS = list(Referrals.to_schema().columns)
REQUIRED_COLUMNS = ("record_id", "agency", "agency_type", "referral_date", "exploitation_type",
                    "sector", "age_group")
# Columns an agency may not hold at all; filled as unknown/missing and documented.
OPTIONAL_FILL: dict[str, Any] = {
    "person_key": None, "area_code": None, "sex": "unknown", "nationality_group": "unknown",
    "nrm_referred": None, **{column: None for column in OUTCOME_COLUMNS},
}
# Optional police crime-outcome columns: dates and yes/no values parsed like the others,
# blank cells meaning "not known" (or, for outcome_code, "still open").
DATE_COLUMNS = ("referral_date", "outcome_date", "nrm_referral_date")
BOOLEAN_COLUMNS = ("nrm_referred", "crime_recorded")
BLANK_MEANS_MISSING = ("person_key", "area_code", "crime_reference", "offence_group",
                       "outcome_code")
# Blank cells in these vocabulary columns mean the agency did not know.
BLANK_MEANS_UNKNOWN = ("exploitation_type", "sector", "age_group", "sex", "nationality_group")
BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False, "y": True, "n": False,
                 "1": True, "0": False}
MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class Mapping:
    """How one agency's extract maps onto the ``referrals`` schema."""

    agency: str | None = None
    agency_type: str | None = None
    file_pattern: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    date_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    source: str | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> Mapping:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError([Problem(path.name, None, None, f"mapping file is not valid JSON ({exc})")]) from exc
        known = {f for f in cls.__dataclass_fields__} - {"source"}
        unknown = set(data) - known
        if unknown:
            raise InputError([Problem(path.name, None, None, f"unknown mapping keys {sorted(unknown)}")])
        bad_targets = sorted(set(data.get("columns", {}).values()) - set(SCHEMA_COLUMNS))
        if bad_targets:
            raise InputError([Problem(path.name, None, None,
                                      f"maps to columns not in the schema: {bad_targets}")])
        return cls(**data, source=str(path))


def find_mapping(path: str | Path) -> Mapping | None:
    """The first mapping in ``<dir>/mappings`` or ``<dir>/../mappings`` whose pattern matches."""
    path = Path(path)
    for folder in (path.parent / "mappings", path.parent.parent / "mappings"):
        for candidate in sorted(folder.glob("*.json")):
            mapping = Mapping.from_file(candidate)
            if mapping.file_pattern and fnmatch.fnmatch(path.name, mapping.file_pattern):
                return mapping
    return None


def normalise_header(name: str) -> str:
    """Lower case, camelCase split, non-alphanumerics to ``_``: how headers are compared.

    Examples
    --------
    >>> normalise_header("DateOfBirth"), normalise_header(" Date of Birth ")
    ('date_of_birth', 'date_of_birth')
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


# Words that mark personal data wherever they stand in a header ("Home Address",
# "Mobile Number", "Client Surname"). Bare "name" is only personal after a word for a
# person, because "Site Name" or "Agency Name" are not.
_PERSONAL_WORDS = {"dob", "postcode", "phone", "telephone", "mobile", "email", "nino",
                   "passport", "surname", "forename", "address", "narrative", "notes",
                   "comments"}
_PERSON_WORDS = {"client", "victim", "person", "first", "last", "full", "given", "family",
                 "middle", "maiden", "patient", "worker", "employee", "subject", "customer"}


def is_personal_data_header(header: str) -> bool:
    """Whether a header names direct personal data (``schema.PERSONAL_DATA_COLUMNS`` and
    common variants of them).

    Examples
    --------
    >>> [is_personal_data_header(h) for h in ("Client Name", "Site Name", "DateOfBirth")]
    [True, False, True]
    """
    norm = normalise_header(header)
    if norm in PERSONAL_DATA_COLUMNS:
        return True
    tokens = norm.split("_")
    if _PERSONAL_WORDS & set(tokens):
        return True
    if tokens[-1] == "name" and len(tokens) > 1 and tokens[-2] in _PERSON_WORDS:
        return True
    padded = f"_{norm}_"
    return any(f"_{term}_" in padded for term in PERSONAL_DATA_COLUMNS if "_" in term)


def refuse_personal_data(columns: list[str], name: str, header_row: int = 1) -> None:
    """Raise InputError naming every header that looks like direct personal data."""
    found = [c for c in columns if is_personal_data_header(c)]
    if found:
        raise InputError([
            Problem(name, header_row, c, "looks like a personal-data column (names, dates of birth, "
                    "addresses, contact details, ID numbers or free text are never accepted); "
                    "pseudonymise the file with `darkfigure pseudonymise` and remove the column")
            for c in found
        ])


def _map_values(series: pd.Series, table: dict[str, Any]) -> pd.Series:
    stripped = series.str.strip()
    if not table:
        return stripped
    exact = {str(k): v for k, v in table.items()}
    folded = {str(k).strip().casefold(): v for k, v in table.items()}
    mapped = stripped.map(exact)
    missing = mapped.isna()
    if missing.any():
        mapped = mapped.where(~missing, stripped[missing].str.casefold().map(folded))
    return mapped.where(mapped.notna(), stripped)


_ISO_DATE = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$"


def _parse_dates(values: pd.Series, date_format: str | None) -> pd.Series:
    if date_format:
        parsed = pd.to_datetime(values, format=date_format, errors="coerce")
        # A workbook's real date cells arrive as ISO text whatever the mapping declares for
        # typed dates; ISO is unambiguous, so accept it alongside the declared format.
        iso = parsed.isna() & values.str.match(_ISO_DATE)
        if iso.any():
            parsed = parsed.where(~iso, pd.to_datetime(values[iso], format="ISO8601", errors="coerce"))
        return parsed
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
    rest = parsed.isna() & values.ne("")
    if rest.any():
        parsed = parsed.where(~rest, pd.to_datetime(values[rest], dayfirst=True, errors="coerce",
                                                    format="mixed"))
    return parsed


def apply_mapping(raw: pd.DataFrame, mapping: Mapping, name: str) -> tuple[pd.DataFrame, list[Problem], dict[str, str]]:
    """Rename, recode and type an extract; returns the frame, early problems and the
    schema->agency header lookup used to word later problems."""
    problems: list[Problem] = []
    renamed = raw.rename(columns=mapping.columns)
    header_of = {v: k for k, v in mapping.columns.items()}
    for constant in ("agency", "agency_type"):
        value = getattr(mapping, constant)
        if constant not in renamed.columns and value is not None:
            renamed[constant] = value
    missing = [c for c in REQUIRED_COLUMNS if c not in renamed.columns]
    if missing:
        problems += [Problem(name, raw.attrs.get("header_row", 1), c, "required column is missing "
                             + (f"(the mapping expects header '{header_of[c]}')" if c in header_of
                                else "(no header maps to it)")) for c in missing]
        return renamed, problems, header_of
    frame = pd.DataFrame(index=renamed.index)
    for column in SCHEMA_COLUMNS:
        if column not in renamed.columns:
            frame[column] = OPTIONAL_FILL[column]
            continue
        values = renamed[column].astype(str)
        values = _map_values(values, mapping.values.get(column, {})) if column not in (
            *DATE_COLUMNS, *BOOLEAN_COLUMNS) else values.str.strip()
        if column == "outcome_code":
            values = normalise_outcome_code(values)
        if column in BLANK_MEANS_UNKNOWN:
            values = values.where(values != "", "unknown")
        elif column in BLANK_MEANS_MISSING:
            values = values.where(~values.isin(["", "nan", "None", "<NA>"]), None)
        frame[column] = values
    dates = _parse_dates(frame["referral_date"], mapping.date_format)
    bad = dates.isna()
    for i in frame.index[bad]:
        problems.append(Problem(name, int(i) + 2, _label("referral_date", header_of),
                                "not a valid date" + (f" in format {mapping.date_format}"
                                                      if mapping.date_format else ""),
                                str(frame.at[i, "referral_date"])))
    frame["referral_date"] = dates
    for column in DATE_COLUMNS[1:]:
        frame[column] = _optional_dates(frame, column, mapping, name, header_of, problems)
    for column in BOOLEAN_COLUMNS:
        frame[column] = _to_boolean(frame, mapping, name, header_of, problems, column)
    return frame, problems, header_of


def normalise_outcome_code(values: pd.Series) -> pd.Series:
    """Outcome types as the framework writes them: ``"Outcome 01"``, ``"1"``, ``"1a"`` ->
    ``"1"``, ``"1"``, ``"1A"``; anything else is left for validation to report.

    Examples
    --------
    >>> normalise_outcome_code(pd.Series(["Outcome 01", " 15 ", "1a", "", "OC99"])).tolist()
    ['1', '15', '1A', '', 'OC99']
    """
    text = values.astype(str).str.strip().str.upper()
    text = text.str.replace(r"^(?:OUTCOME|OUTCOME TYPE|OT)\s*", "", regex=True)
    return text.str.replace(r"^0+(?=\d)", "", regex=True)


def _optional_dates(frame: pd.DataFrame, column: str, mapping: Mapping, name: str,
                    header_of: dict[str, str], problems: list[Problem]) -> pd.Series:
    raw = frame[column]
    if raw.isna().all():
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    text = raw.astype(str).str.strip()
    blank = text.isin(["", "nan", "None", "NaT", "<NA>"])
    dates = _parse_dates(text.where(~blank, ""), mapping.date_format)
    for i in frame.index[dates.isna() & ~blank]:
        problems.append(Problem(name, int(i) + 2, _label(column, header_of),
                                "not a valid date" + (f" in format {mapping.date_format}"
                                                      if mapping.date_format else ""),
                                str(raw.at[i])))
    return dates.where(~blank)


def _to_boolean(frame: pd.DataFrame, mapping: Mapping, name: str, header_of: dict[str, str],
                problems: list[Problem], column: str = "nrm_referred") -> pd.Series:
    raw = frame[column]
    if raw.isna().all():
        return pd.Series(pd.NA, index=frame.index, dtype="boolean")
    table = {str(k).casefold(): v for k, v in mapping.values.get(column, {}).items()}
    words = {**BOOLEAN_WORDS, **table}
    text = raw.astype(str).str.strip().str.casefold()
    out = text.map(words)
    blank = text.isin(["", "nan", "none", "<na>"])
    for i in frame.index[out.isna() & ~blank]:
        problems.append(Problem(name, int(i) + 2, _label(column, header_of),
                                "not a yes/no value", str(raw.at[i])))
    return out.astype("boolean")


def validate_referrals(frame: pd.DataFrame, name: str, header_of: dict[str, str] | None = None,
                       already: list[Problem] | None = None) -> pd.DataFrame:
    """Validate a mapped frame against the schema; raise one InputError with every problem."""
    valid, problems = referral_problems(frame, name, header_of, already)
    if problems:
        raise InputError(_capped(problems, name))
    return valid


def referral_problems(frame: pd.DataFrame, name: str, header_of: dict[str, str] | None = None,
                      already: list[Problem] | None = None, *, duplicates: bool = True,
                      ) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The validated frame (None if anything failed) and every problem, uncapped.
    ``duplicates=False`` leaves out the one check across rows (a record_id repeated within
    an agency), for a block of a file whose repeats are found over the whole file."""
    header_of = header_of or {}
    early = list(already or [])
    seen = {(p.row, p.column.split(" -> ")[-1] if p.column else None) for p in early}
    try:
        valid = Referrals.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        found = _pandera_problems(exc, name, header_of, seen, duplicates=duplicates)
        return None, early + found
    return (None, early) if early else (valid, [])


def _capped(problems: list[Problem], name: str) -> list[Problem]:
    """At most MAX_PROBLEMS problems, and a last one saying how many more were found."""
    unique = _dedupe(problems)
    if len(unique) <= MAX_PROBLEMS:
        return unique
    more = len(unique) - MAX_PROBLEMS
    return [*unique[:MAX_PROBLEMS],
            Problem(name, None, None, f"{more:,} more problem(s) not listed; fix those above "
                    "(often one wrong mapping entry) and load again")]


def _dedupe(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.row or 0, p.column or ""))


def read_referrals(path: str | Path, mapping: Mapping | str | Path | None = None, *,
                   name: str | None = None) -> pd.DataFrame:
    """Read one agency extract into validated ``referrals`` rows, or raise InputError.

    Parameters
    ----------
    path
        CSV (UTF-8, UTF-8 with BOM, or the encoding the mapping declares), XLSX or ODS.
    mapping
        A :class:`Mapping`, a mapping JSON path, or None to look one up beside the file
        (``mappings/`` or ``../mappings/``); a file already in schema columns needs none.
    name
        The name to use in messages (an uploaded file's original name).

    Examples
    --------
    >>> from analysis.config import SAMPLE_DIR
    >>> frame = read_referrals(SAMPLE_DIR / "agencies" / "rutland_county_council_referrals.csv")
    >>> frame["agency"].unique().tolist()
    ['Rutland County Council']
    """
    path = Path(path)
    name = name or path.name
    if mapping is None:
        mapping = find_mapping(path) or Mapping()
    elif not isinstance(mapping, Mapping):
        mapping = Mapping.from_file(mapping)
    raw = read_text_table(path, name=name, encoding=mapping.encoding, delimiter=mapping.delimiter,
                          sheet=mapping.sheet)
    refuse_personal_data(list(raw.columns), name, raw.attrs.get("header_row", 1))
    frame, problems, header_of = apply_mapping(raw, mapping, name)
    if any(p.reason.startswith("required column") for p in problems):
        raise InputError(problems)
    return validate_referrals(frame, name, header_of, problems).reset_index(drop=True)
