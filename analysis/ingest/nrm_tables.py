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
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from analysis.errors import InputError, Problem
from analysis.ingest.nrm_layout import (
    Problems,
    column_letter,
    combine_header,
    find_row,
    infer_release,
    is_blank,
    parse_count,
    parse_quarter,
    parse_year,
    read_workbook,
    sheet_title,
    text,
)
from analysis.schema import NrmCounts

UK_CODE = "K02000001"
UK_NAME = "United Kingdom"

RESPONDER_TYPES = {
    "government_agency": "government agency",
    "ngo": "NGO and third sector",
    "police": "police",
    "local_authority": "local authority",
}
LOCATIONS = {"overseas": "Overseas", "uk": "UK", "uk and overseas": "UK and Overseas",
             "not specified or unknown": "Not specified or unknown"}

# The identity of a published cell, without the sheet it sat on (sheet numbers shift).
KEY_COLUMNS = ["period", "geography_level", "geography_code", "geography_name",
               "first_responder_type", "first_responder", "exploitation_type", "age_group",
               "measure", "location", "source_release"]
OUTPUT_COLUMNS = [*KEY_COLUMNS[:10], "count", "missing_marker", "source_release", "source_table"]


def age_group_of(label: str) -> str | None:
    """Schema age group of a published age label ('Adult (18 or over)' -> 'adult').

    Examples
    --------
    >>> [age_group_of(s) for s in ("Adult (18 or over)", "Child (17 or under)",
    ...                            "Age not specified or unknown", "All ages", "Teen")]
    ['adult', 'child', 'unknown', 'all', None]
    """
    low = label.lower()
    if low in ("total", "all ages", "all"):
        return "all"
    if "adult" in low or "18 or over" in low:
        return "adult"
    if "child" in low or "17 or under" in low:
        return "child"
    if "not specified" in low or "unknown" in low:
        return "unknown"
    return None


def _exploitation_of(label: str) -> str:
    return "all" if label.lower() in ("total", "all types", "all") else label


@dataclass
class _Sheet:
    name: str
    title: str
    rows: list[list[Any]]
    release: str
    problems: Problems

    @property
    def source_table(self) -> str:
        # The title's own "Table 13:" prefix repeats the sheet name; keep the words.
        words = re.sub(r"^table\s*\d+\s*[:.\-–]\s*", "", self.title, flags=re.IGNORECASE)
        return f"{self.name}: {words}" if words else self.name

    def cell(self, row: int, col: int) -> Any:
        line = self.rows[row]
        return line[col] if col < len(line) else ""

    def record(self, *, period: str, count_cell: Any, row: int, col: int, header: str,
               geography: tuple[str, str | None, str] = ("uk", UK_CODE, UK_NAME),
               responder: tuple[str, str] = ("all", "all"), exploitation: str = "all",
               age: str = "all", measure: str = "referrals", location: str = "all"
               ) -> dict[str, Any] | None:
        parsed = parse_count(count_cell)
        if parsed.error or parsed.blank:
            reason = parsed.error or "empty count cell (the tables publish zeros explicitly)"
            self.problems.add(self.name, row + 1, header,
                              f"{reason} (cell {column_letter(col)}{row + 1})", count_cell)
            return None
        return {
            "period": period, "geography_level": geography[0], "geography_code": geography[1],
            "geography_name": geography[2], "first_responder_type": responder[0],
            "first_responder": responder[1], "exploitation_type": exploitation,
            "age_group": age, "measure": measure, "location": location,
            "count": parsed.count, "missing_marker": parsed.marker,
            "source_release": self.release, "source_table": self.source_table,
        }


def _quarter_rows(sheet: _Sheet, header_row: int):
    """Yield (row index, period) for the Year/Quarter rows below a header.

    ``Year`` is filled only on the first row of each year, so it is carried down.
    A row with Year filled and Quarter blank is a year total (period 'YYYY'). When
    Year is blank and the quarter number does not increase, a new year has begun:
    the 2023 Q1 release left Year blank on its 2023 Q1 row (the asylum package
    patched it by hand).
    """
    year = last_quarter = None
    for index in range(header_row + 1, len(sheet.rows)):
        year_cell, quarter_cell = sheet.cell(index, 0), sheet.cell(index, 1)
        if all(is_blank(v) for v in sheet.rows[index]):
            continue
        if text(year_cell).lower().startswith("total"):
            continue  # an all-years total: no single period to give it
        if not is_blank(year_cell):
            parsed = parse_year(year_cell)
            if parsed is None:
                sheet.problems.add(sheet.name, index + 1, "Year", "not a year", year_cell)
                continue
            year, last_quarter = parsed, None
            if is_blank(quarter_cell):
                yield index, str(year)
                continue
        quarter = parse_quarter(quarter_cell)
        if quarter is None:
            sheet.problems.add(sheet.name, index + 1, "Quarter",
                               "not a quarter (expected Q1-Q4 or a month range)", quarter_cell)
            continue
        if year is None:
            sheet.problems.add(sheet.name, index + 1, "Year", "quarter before any year")
            continue
        if is_blank(year_cell) and last_quarter is not None and quarter <= last_quarter:
            year += 1
        last_quarter = quarter
        period = f"{year}Q{quarter}"
        if period > sheet.release:
            sheet.problems.add(sheet.name, index + 1, "Quarter",
                               f"{period} is after the release quarter {sheet.release}")
            continue
        yield index, period


def _parse_age_location(sheet: _Sheet) -> list[dict[str, Any]]:
    header = find_row(sheet.rows, ["year", "quarter"])
    upper = sheet.rows[header - 1] if header else []
    columns = combine_header(upper, sheet.rows[header])
    targets = []
    for col, (group, label) in enumerate(columns[2:], start=2):
        if not label and not group:
            continue
        age = age_group_of(group) if group else "all"
        location = "all" if label.lower() == "total" else LOCATIONS.get(label.lower())
        if age is None or location is None:
            sheet.problems.add(sheet.name, header + 1, f"{group} {label}".strip(),
                               "unrecognised age group or location of exploitation")
            continue
        targets.append((col, f"{group} - {label}" if group else label, age, location))
    out = []
    for index, period in _quarter_rows(sheet, header):
        for col, name, age, location in targets:
            out.append(sheet.record(period=period, count_cell=sheet.cell(index, col), row=index,
                                    col=col, header=name, age=age, location=location))
    return out


def _parse_quarterly_total(sheet: _Sheet, measure: str) -> list[dict[str, Any]]:
    header = find_row(sheet.rows, ["year", "quarter"])
    labels = [text(v).lower() for v in sheet.rows[header]]
    col = labels.index("total") if "total" in labels else 2
    return [sheet.record(period=period, count_cell=sheet.cell(index, col), row=index, col=col,
                         header=text(sheet.rows[header][col]) or "Total", measure=measure)
            for index, period in _quarter_rows(sheet, header)]


def _parse_county(sheet: _Sheet) -> list[dict[str, Any]]:
    header = find_row(sheet.rows, ["uk county"])
    labels = [text(v).lower() for v in sheet.rows[header]]
    name_col, total_col = labels.index("uk county"), labels.index("total")
    out = []
    for index in range(header + 1, len(sheet.rows)):
        county = text(sheet.cell(index, name_col))
        if not county:
            continue
        if county.lower() == "total":
            geography = ("uk", UK_CODE, UK_NAME)
        else:
            geography = ("county", None, county)
        out.append(sheet.record(period=sheet.release, count_cell=sheet.cell(index, total_col),
                                row=index, col=total_col, header="Total", geography=geography))
    return out


def _responder_header(sheet: _Sheet) -> int | None:
    for wanted in (["exploitation type"], ["claimed exploitation type"]):
        found = find_row(sheet.rows, wanted)
        if found is not None:
            return found
    return None


def _parse_first_responder(sheet: _Sheet, responder_type: str) -> list[dict[str, Any]]:
    header = _responder_header(sheet)
    labels = [text(v) for v in sheet.rows[header]]
    low = [label.lower() for label in labels]
    level_cols = [i for i, label in enumerate(low)
                  if "first responder" in label or label.endswith("exploitation type")
                  or "age" in label and "exploitation" in label or label == "gender"]
    if "total" not in low:
        sheet.problems.add(sheet.name, header + 1, None, "no 'Total' column in the header")
        return []
    total_col = len(low) - 1 - low[::-1].index("total")
    nationality_cols = [i for i, label in enumerate(labels)
                        if i > max(level_cols) and i != total_col and label]
    has_responder = "first responder" in low[level_cols[0]]
    out = []
    context: list[str | None] = [None] * len(level_cols)
    for index in range(header + 1, len(sheet.rows)):
        cells = [text(sheet.cell(index, c)) for c in level_cols]
        filled = [i for i, value in enumerate(cells) if value]
        if not filled:
            if not all(is_blank(v) for v in sheet.rows[index]):
                sheet.problems.add(sheet.name, index + 1, labels[level_cols[0]],
                                   "counts on a row with no label above or beside them")
            continue
        level = filled[-1]
        for i in range(len(level_cols)):
            if i in filled:
                context[i] = cells[i]
            elif i > level:
                context[i] = None
        if any(context[i] is None for i in range(level)):
            sheet.problems.add(sheet.name, index + 1, labels[level_cols[level]],
                               "label with no parent row above it", cells[level])
            continue
        if low[level_cols[level]] == "gender":
            continue
        _check_nationalities(sheet, index, nationality_cols, total_col, labels)
        responder = "all"
        if has_responder and context[0].lower() != "total":
            responder = context[0]
        exploitation = "all"
        age = "all"
        first = 1 if has_responder else 0
        if level >= first:
            exploitation = _exploitation_of(context[first])
        if level >= first + 1:
            age = age_group_of(context[first + 1])
            if age is None:
                sheet.problems.add(sheet.name, index + 1, labels[level_cols[first + 1]],
                                   "unrecognised age group", context[first + 1])
                continue
        geography = (("uk", UK_CODE, UK_NAME) if responder == "all"
                     else ("first_responder", None, responder))
        out.append(sheet.record(period=sheet.release, count_cell=sheet.cell(index, total_col),
                                row=index, col=total_col, header="Total", geography=geography,
                                responder=(responder_type, responder),
                                exploitation=exploitation, age=age))
    return out


def _check_nationalities(sheet: _Sheet, index: int, cols: list[int], total_col: int,
                         labels: list[str]) -> None:
    if not cols:
        return
    values = [parse_count(sheet.cell(index, c)) for c in cols]
    for col, parsed in zip(cols, values, strict=True):
        if parsed.error:
            sheet.problems.add(sheet.name, index + 1, labels[col],
                               f"{parsed.error} (cell {column_letter(col)}{index + 1})",
                               sheet.cell(index, col))
    total = parse_count(sheet.cell(index, total_col))
    if total.count is None or any(p.error or p.marker for p in values):
        return
    summed = sum(p.count or 0 for p in values)
    if summed != total.count:
        sheet.problems.add(sheet.name, index + 1, "Total",
                           f"nationality columns sum to {summed} but Total is {total.count}",
                           sheet.cell(index, total_col))


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
        sheet = _Sheet(name, title, rows, release, problems)
        if kind == "age_location":
            records += _parse_age_location(sheet)
        elif kind == "dtn_quarterly":
            records += _parse_quarterly_total(sheet, "dtn_reports")
        elif kind == "county":
            records += _parse_county(sheet)
        else:
            records += _parse_first_responder(sheet, kind.split(":")[1])
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
