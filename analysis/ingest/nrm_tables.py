"""Reader for the Home Office NRM quarterly data tables (ODS or XLSX) into tidy `nrm_counts`.

Sheets are found by their title text, never by number: the police first-responder
table was ``Table_12`` in 2022 Q2 and ``Table_13`` from 2022 Q4, and ``Table_12`` is
the county table in 2025. Supported tables:

* referrals by quarter, age at exploitation and location of exploitation (``Table_2``);
* referrals by government-agency, NGO/third-sector, police and local-authority first
  responder, exploitation type and age (one column per nationality plus ``Total``);
* Duty to Notify (DtN) reports by quarter;
* referrals by UK county (2025 releases).

Other sheets (cover, contents, notes, decisions, nationality tables) are skipped.
The first-responder and county tables cover the release quarter only; ``Table_2``
and the DtN table carry every quarter back to the start, as revised in that release.
Gender rows of the first-responder tables are not kept (the schema has no sex
column); the age rows above them hold their sums.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from analysis.errors import InputError, Problem
from analysis.ingest.nrm_layout import Problems, find_row, infer_release, read_workbook, sheet_title
from analysis.ingest.nrm_parsers import (
    Sheet,
    parse_age_location,
    parse_county,
    parse_first_responder,
    parse_quarterly_total,
)
from analysis.schema import NrmCounts

# The identity of a published cell, without the sheet it sat on (sheet numbers shift).
KEY_COLUMNS = ["period", "geography_level", "geography_code", "geography_name",
               "first_responder_type", "first_responder", "exploitation_type", "age_group",
               "measure", "location", "source_release"]
OUTPUT_COLUMNS = [*KEY_COLUMNS[:10], "count", "missing_marker", "source_release", "source_table"]


def classify_table(title: str, rows: list[list[Any]]) -> str | None:
    """Which supported table a sheet holds, from its title (and the county header).

    Examples
    --------
    >>> classify_table("Table 13: NRM referrals by police first responder, exploitation type, "
    ...                "age at exploitation, gender and nationality", [])
    'first_responder:police'
    >>> classify_table("Table 2: NRM referrals by quarter, age at exploitation and location "
    ...                "of exploitation", [])
    'age_location'
    >>> classify_table("Cover sheet", []) is None
    True
    """
    low = title.lower()
    if "decision" in low or "grounds" in low:
        return None
    if "referral" in low and "quarter" in low and "age" in low and "location" in low:
        return "age_location"
    if ("dtn" in low.split() or "duty to notify" in low) and "quarter" in low \
            and "nationality" not in low:
        return "dtn_quarterly"
    if "referral" in low and ("first responder" in low or "details of nrm referrals by" in low):
        if "police" in low:
            return "first_responder:police"
        if "ngo" in low or "third sector" in low:
            return "first_responder:ngo"
        if "local authorit" in low:
            return "first_responder:local_authority"
        if "government" in low:
            return "first_responder:government_agency"
    if "county" in low or find_row(rows, ["uk county", "total"]) is not None:
        return "county"
    return None


def _has_header(kind: str, rows: list[list[Any]]) -> bool:
    if kind in ("age_location", "dtn_quarterly"):
        return find_row(rows, ["year", "quarter"]) is not None
    if kind == "county":
        return find_row(rows, ["uk county", "total"]) is not None
    return (find_row(rows, ["exploitation type"]) or find_row(rows, ["claimed exploitation type"])
            ) is not None


def read_nrm_tables(path: str | os.PathLike[str], *, source_release: str | None = None
                    ) -> pd.DataFrame:
    """Read a Home Office NRM quarterly data-tables workbook into tidy `nrm_counts` rows.

    Parameters
    ----------
    path
        The published ODS (or an XLSX copy), e.g.
        ``national-referral-mechanism-statistics-uk-quarter-4-2023-oct-to-dec-tables.ods``.
    source_release
        The release quarter 'YYYYQn'. By default it is read from the file name, else
        from the workbook's own text (cover sheet or titles).

    Returns
    -------
    pandas.DataFrame
        One row per published cell, validated by :class:`analysis.schema.NrmCounts`.

    Raises
    ------
    analysis.errors.InputError
        Every problem at once (file, sheet, row, column, reason), e.g. a negative or
        non-integer count, nationality columns that do not add to ``Total``, or a
        workbook with no recognisable NRM table.

    Examples
    --------
    >>> from analysis.config import SAMPLE_DIR
    >>> counts = read_nrm_tables(SAMPLE_DIR / "nrm" /
    ...     "national-referral-mechanism-statistics-uk-quarter-4-2023-oct-to-dec-tables.ods")
    >>> total = counts.query("measure == 'referrals' and first_responder_type == 'all' "
    ...     "and age_group == 'all' and location == 'all' and period.str.startswith('2023')")
    >>> int(total["count"].sum())
    17004
    """
    path = Path(path)
    problems = Problems(path.name)
    sheets = read_workbook(path)
    release = source_release or infer_release(path, sheets)
    if release is None or not pd.Series([release]).str.fullmatch(r"\d{4}Q[1-4]").item():
        problems.add(None, None, None, "cannot tell which quarterly release this is: name the "
                     "file as published (…-quarter-4-2023-…) or pass source_release='2023Q4'",
                     release)
        problems.raise_if_any()
    records: list[dict[str, Any] | None] = []
    near_misses = []
    for name, rows in sheets.items():
        title = sheet_title(rows)
        kind = classify_table(title, rows)
        if kind is None:
            continue
        if not _has_header(kind, rows):
            near_misses.append(f"{name} ('{title}')")
            continue
        sheet = Sheet(name, title, rows, release, problems)
        if kind == "age_location":
            records += parse_age_location(sheet)
        elif kind == "dtn_quarterly":
            records += parse_quarterly_total(sheet, "dtn_reports")
        elif kind == "county":
            records += parse_county(sheet)
        else:
            records += parse_first_responder(sheet, kind.split(":")[1])
    if not records and not problems.items:
        hint = f"; titles matched but no header was found on {', '.join(near_misses)}" \
            if near_misses else ""
        problems.add(None, None, None, "no recognisable NRM table (looked for titles such as "
                     "'NRM referrals by quarter, age at exploitation and location of "
                     "exploitation' or 'NRM referrals by police first responder')" + hint)
    problems.raise_if_any()
    table = pd.DataFrame([r for r in records if r is not None], columns=OUTPUT_COLUMNS)
    _check_duplicates(table, problems)
    problems.raise_if_any()
    try:
        return NrmCounts.validate(table, lazy=True)
    except pa.errors.SchemaErrors as exc:  # a bug here, but still say what and where
        cases = exc.failure_cases
        raise InputError([
            Problem(path.name, None, str(c), f"failed schema check {k}", str(v))
            for c, k, v in cases[["column", "check", "failure_case"]].head(50).itertuples(
                index=False)]) from exc


def _check_duplicates(table: pd.DataFrame, problems: Problems) -> None:
    dup = table[table.duplicated(KEY_COLUMNS, keep=False)]
    for (sheet, period), _ in dup.groupby(["source_table", "period"], sort=False):
        problems.add(sheet.split(":")[0], None, None,
                     f"the same cell for {period} appears more than once")
