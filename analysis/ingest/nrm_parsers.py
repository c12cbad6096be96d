"""Parsers for each supported NRM table, from a sheet's rows to tidy `nrm_counts` records.

``nrm_tables.read_nrm_tables`` decides which parser a sheet needs (by its title);
``nrm_layout`` reads cells and headers. Layout notes: ``data/reference/README.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from analysis.ingest.nrm_layout import (
    Problems,
    column_letter,
    combine_header,
    find_row,
    is_blank,
    parse_count,
    parse_quarter,
    parse_year,
    text,
)

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


def exploitation_of(label: str) -> str:
    return "all" if label.lower() in ("total", "all types", "all") else label


@dataclass
class Sheet:
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


def quarter_rows(sheet: Sheet, header_row: int):
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


def parse_age_location(sheet: Sheet) -> list[dict[str, Any]]:
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
    for index, period in quarter_rows(sheet, header):
        for col, name, age, location in targets:
            out.append(sheet.record(period=period, count_cell=sheet.cell(index, col), row=index,
                                    col=col, header=name, age=age, location=location))
    return out


def parse_quarterly_total(sheet: Sheet, measure: str) -> list[dict[str, Any]]:
    header = find_row(sheet.rows, ["year", "quarter"])
    labels = [text(v).lower() for v in sheet.rows[header]]
    col = labels.index("total") if "total" in labels else 2
    return [sheet.record(period=period, count_cell=sheet.cell(index, col), row=index, col=col,
                         header=text(sheet.rows[header][col]) or "Total", measure=measure)
            for index, period in quarter_rows(sheet, header)]


def parse_county(sheet: Sheet) -> list[dict[str, Any]]:
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


def responder_header(sheet: Sheet) -> int | None:
    for wanted in (["exploitation type"], ["claimed exploitation type"]):
        found = find_row(sheet.rows, wanted)
        if found is not None:
            return found
    return None


def parse_first_responder(sheet: Sheet, responder_type: str) -> list[dict[str, Any]]:
    header = responder_header(sheet)
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
        check_nationalities(sheet, index, nationality_cols, total_col, labels)
        responder = "all"
        if has_responder and context[0].lower() != "total":
            responder = context[0]
        exploitation = "all"
        age = "all"
        first = 1 if has_responder else 0
        if level >= first:
            exploitation = exploitation_of(context[first])
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


def check_nationalities(sheet: Sheet, index: int, cols: list[int], total_col: int,
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
