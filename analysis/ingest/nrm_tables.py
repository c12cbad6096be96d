"""Reader for the Home Office NRM data tables (ODS or XLSX) into tidy `nrm_counts`.

Sheets are found by their whole title, never by number (``nrm_titles``): the police
first-responder table was ``Table_12`` in 2022 Q2 and ``Table_13`` from 2022 Q4, and
``Table_12`` is the county table in 2025. Supported tables:

* referrals by quarter, age at exploitation and location of exploitation (``Table_2``);
* referrals by government-agency, NGO/third-sector, police and local-authority first
  responder, exploitation type and age (one column per nationality plus ``Total``);
* Duty to Notify (DtN) reports by quarter;
* referrals by UK county (2025 releases).

Every other sheet (cover, contents, notes, decision and nationality tables, and sheets
that cannot be classified) is skipped, and each skip is a note in the load record; with
``strict=True`` a sheet that cannot be classified, or a supported table whose structure is
not recognised, refuses the workbook instead. The first-responder and county tables cover
the release quarter only (the whole year in an end-of-year workbook, stored with the
annual period type); ``Table_2`` and the DtN table carry every quarter back to the start,
as revised in that release. Gender rows of the first-responder tables are not kept (the
schema has no sex column); the age rows above them hold their sums.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from analysis.errors import InputError, Problem
from analysis.ingest.nrm_layout import Problems, sheet_title
from analysis.ingest.nrm_parsers import (
    Sheet,
    SheetSkipped,
    parse_age_location,
    parse_county,
    parse_first_responder,
    parse_quarterly_total,
)
from analysis.ingest.nrm_titles import classify_table, classify_title
from analysis.ingest.nrm_workbook import Release, infer_release, read_workbook
from analysis.schema import NrmCounts

__all__ = ["KEY_COLUMNS", "OUTPUT_COLUMNS", "classify_table", "read_nrm_tables"]

# The identity of a published cell, without the sheet it sat on (sheet numbers shift).
KEY_COLUMNS = ["period", "geography_level", "geography_code", "geography_name",
               "first_responder_type", "first_responder", "exploitation_type", "age_group",
               "measure", "location", "source_release"]
OUTPUT_COLUMNS = [*KEY_COLUMNS[:10], "count", "missing_marker", "source_release", "source_table"]
NOTES_ATTR = "load_notes"


def _parse(kind: str, sheet: Sheet) -> list[dict[str, Any] | None]:
    if kind == "age_location":
        return parse_age_location(sheet)
    if kind == "dtn_quarterly":
        return parse_quarterly_total(sheet, "dtn_reports")
    if kind == "county":
        return parse_county(sheet)
    return parse_first_responder(sheet, kind.split(":")[1])


def read_nrm_tables(path: str | os.PathLike[str], *, source_release: str | None = None,
                    strict: bool = False, name: str | None = None) -> pd.DataFrame:
    """Read a Home Office NRM data-tables workbook into tidy `nrm_counts` rows.

    Parameters
    ----------
    path
        The published ODS (or an XLSX copy), e.g.
        ``national-referral-mechanism-statistics-uk-quarter-4-2023-oct-to-dec-tables.ods``.
    source_release
        Overrides the release: ``'2023Q4'`` for a quarterly release, ``'2023'`` for the
        end-of-year summary of 2023 (vintage 2023Q4, single-period tables stored as the
        year). By default it is read from the file name, else the workbook's own text.
    strict
        Refuse the workbook when a sheet cannot be classified or a supported table's
        structure is not recognised, instead of skipping it with a note.
    name
        The file name to show in messages (an upload's original name).

    Returns
    -------
    pandas.DataFrame
        One row per published cell, validated by :class:`analysis.schema.NrmCounts`.
        ``frame.attrs["load_notes"]`` lists what was read, skipped and assumed, sheet by
        sheet; the store keeps it with the load record.

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
    >>> counts.attrs["load_notes"][0]
    'release 2023Q4 (from the file name or the workbook text)'
    """
    path = Path(path)
    shown = name or path.name
    problems = Problems(shown)
    sheets = read_workbook(path, shown)
    release = _release(source_release, path, sheets, problems)
    notes = [f"release {release.vintage} (set by the user)" if source_release else
             f"release {release.vintage} (from the file name or the workbook text)"]
    if release.annual:
        notes.append(f"{release.describe()}: single-period tables stored as the year "
                     f"{release.coverage}")
    records: list[dict[str, Any] | None] = []
    for sheet_name, rows in sheets.items():
        title = sheet_title(rows)
        kind = classify_table(title, rows)
        if kind is None:
            verdict = classify_title(title)
            shown_title = f"'{title[:80]}'" if title else "no title"
            if verdict is None and strict:
                problems.add(sheet_name, None, None, f"cannot classify the sheet ({shown_title}); "
                             "without --strict it would be skipped")
            reason = {"front": "front matter", "other": "a table this reader does not read"
                      }.get(verdict, "cannot be classified")
            notes.append(f"skipped {sheet_name} ({shown_title}): {reason}")
            continue
        sheet = Sheet(sheet_name, title, rows, release, problems)
        try:
            found = _parse(kind, sheet)
        except SheetSkipped as exc:
            if strict:
                problems.add(sheet_name, None, None, f"{exc} (read as {kind})")
            notes.append(f"skipped {sheet_name} ('{title[:80]}'): {exc}")
            continue
        kept = [r for r in found if r is not None]
        records += found
        notes += sheet.notes
        periods = sorted({r["period"] for r in kept})
        span = f"{periods[0]} to {periods[-1]}" if len(periods) > 1 else "".join(periods)
        notes.append(f"read {sheet_name} as {kind}: {len(kept)} cells, {span}")
    if not any(r is not None for r in records) and not problems.items:
        problems.add(None, None, None, "no recognisable NRM table (looked for titles such as "
                     "'NRM referrals by quarter, age at exploitation and location of "
                     "exploitation' or 'NRM referrals by police first responder'); "
                     + "; ".join(n for n in notes if n.startswith("skipped")))
    problems.raise_if_any()
    table = pd.DataFrame([r for r in records if r is not None], columns=OUTPUT_COLUMNS)
    _check_duplicates(table, problems)
    problems.raise_if_any()
    try:
        valid = NrmCounts.validate(table, lazy=True)
    except pa.errors.SchemaErrors as exc:  # a bug here, but still say what and where
        cases = exc.failure_cases
        raise InputError([
            Problem(shown, None, str(c), f"failed schema check {k}", str(v))
            for c, k, v in cases[["column", "check", "failure_case"]].head(50).itertuples(
                index=False)]) from exc
    valid.attrs[NOTES_ATTR] = notes
    return valid


def _release(given: str | None, path: Path, sheets: dict, problems: Problems) -> Release:
    if given:
        try:
            return Release.parse(given)
        except ValueError as exc:
            problems.add(None, None, None, str(exc), given)
            problems.raise_if_any()
    found = infer_release(path, sheets)
    if found is None:
        problems.add(None, None, None, "cannot tell which release this is: name the file as "
                     "published (…-quarter-4-2023-…) or give the release (--release 2023Q4, "
                     "or --release 2023 for an end-of-year summary)")
        problems.raise_if_any()
    return found


def _check_duplicates(table: pd.DataFrame, problems: Problems) -> None:
    dup = table[table.duplicated(KEY_COLUMNS, keep=False)]
    for (sheet, period), _ in dup.groupby(["source_table", "period"], sort=False):
        problems.add(sheet.split(":")[0], None, None,
                     f"the same cell for {period} appears more than once")
