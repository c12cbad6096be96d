"""Parsers for each supported NRM table, from a sheet's rows to tidy `nrm_counts` records.

``nrm_tables.read_nrm_tables`` decides which parser a sheet needs (by its whole title,
``nrm_titles``); ``nrm_layout`` reads cells and headers. Layout notes:
``data/reference/README.md``. A parser raises :class:`SheetSkipped` when the sheet's
structure is not one it knows (no header, an unknown column): the reader then skips the
sheet and records why, or refuses the workbook in strict mode. A bad *cell* (negative,
fractional, not a count) is always a problem that refuses the workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analysis.ingest.nrm_layout import (
    Problems,
    column_letter,
    combine_header,
    find_row,
    is_blank,
    label,
    parse_count,
    parse_quarter,
    parse_year,
    text,
)
from analysis.ingest.nrm_titles import TABLE_PREFIX
from analysis.ingest.nrm_workbook import Release

UK_CODE = "K02000001"
UK_NAME = "United Kingdom"

LOCATIONS = {"overseas": "Overseas", "uk": "UK", "uk and overseas": "UK and Overseas",
             "not specified or unknown": "Not specified or unknown"}


class SheetSkipped(Exception):
    """A sheet whose structure the reader does not know; the message says why."""


def age_group_of(value: str) -> str | None:
    """Schema age group of a published age label ('Adult (18 or over)' -> 'adult').

    Examples
    --------
    >>> [age_group_of(s) for s in ("Adult (18 or over)", "Child (17 or under) [note 2]",
    ...                            "Age not specified or unknown", "All ages", "Teen")]
    ['adult', 'child', 'unknown', 'all', None]
    """
    low = label(value)
    if low in ("total", "all ages", "all"):
        return "all"
    if "adult" in low or "18 or over" in low:
        return "adult"
    if "child" in low or "17 or under" in low:
        return "child"
    if "not specified" in low or "unknown" in low:
        return "unknown"
    return None


def exploitation_of(value: str) -> str:
    return "all" if label(value) in ("total", "all types", "all") else value


@dataclass
class Sheet:
    name: str
    title: str
    rows: list[list[Any]]
    release: Release
    problems: Problems
    notes: list[str] = field(default_factory=list)
    offset: int = 0

    @property
    def source_table(self) -> str:
        words = TABLE_PREFIX.sub("", self.title)  # the "Table 13:" prefix repeats the sheet name
        return f"{self.name}: {words}" if words else self.name

    def anchor(self, col: int) -> None:
        """Make ``col`` column 0 (a table need not start in column A); messages keep the
        sheet's own column letters."""
        if col > 0:
            self.rows = [row[col:] for row in self.rows]
            self.offset += col
            self.notes.append(f"{self.name}: the table starts in column "
                              f"{column_letter(self.offset)}, not A")

    def letter(self, col: int) -> str:
        return column_letter(col + self.offset)

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
                              f"{reason} (cell {self.letter(col)}{row + 1})", count_cell)
            return None
        return {
            "period": period, "geography_level": geography[0], "geography_code": geography[1],
            "geography_name": geography[2], "first_responder_type": responder[0],
            "first_responder": responder[1], "exploitation_type": exploitation,
            "age_group": age, "measure": measure, "location": location,
            "count": parsed.count, "missing_marker": parsed.marker,
            "source_release": self.release.vintage, "source_table": self.source_table,
        }


def year_quarter_header(sheet: Sheet) -> tuple[list[tuple[str, str]], int]:
    """(column (group, label) pairs, first data row) of a Year / Quarter table.

    Handles a two-row header in either form: group labels (age) above a row holding Year,
    Quarter and the sub-labels (the published ``Table_2``), or Year and Quarter merged
    down over two rows with the sub-labels on the second (merged cells are read as one
    filled cell above blank ones). The table is anchored at the Year column.
    """
    header = find_row(sheet.rows, ["year", "quarter"])
    if header is None:
        raise SheetSkipped("no header row with 'Year' and 'Quarter' in the first 15 rows")
    labels = [label(c) for c in sheet.rows[header]]
    sheet.anchor(labels.index("year"))
    year_col = 0
    if label(sheet.cell(header, year_col + 1)) != "quarter":
        raise SheetSkipped("'Quarter' is not the column right of 'Year'")
    below = sheet.rows[header + 1] if header + 1 < len(sheet.rows) else []
    merged_down = (below and is_blank(sheet.cell(header + 1, 0))
                   and is_blank(sheet.cell(header + 1, 1))
                   and any(isinstance(v, str) and v.strip() and parse_count(v).error
                           for v in below[2:]))
    if merged_down:
        upper, lower, first = sheet.rows[header], list(below), header + 2
        lower[:2] = upper[:2]
        sheet.notes.append(f"{sheet.name}: Year/Quarter header merged over rows "
                           f"{header + 1}-{header + 2}")
    else:
        upper = sheet.rows[header - 1] if header else []
        lower, first = sheet.rows[header], header + 1
    return combine_header(upper, lower), first


def quarter_rows(sheet: Sheet, first: int):
    """Yield (row index, period) for the Year/Quarter rows from ``first``.

    ``Year`` is filled only on the first row of each year, so it is carried down. A row
    with Year filled and Quarter blank is a year total: its period is the year ('YYYY',
    the annual period type), never a quarter, so it is not added to the quarters. When
    Year is blank and the quarter number does not increase, a new year has begun: the
    2023 Q1 release left Year blank on its 2023 Q1 row (the asylum package patched it).
    """
    year = last_quarter = None
    years_seen: list[str] = []
    for index in range(first, len(sheet.rows)):
        year_cell, quarter_cell = sheet.cell(index, 0), sheet.cell(index, 1)
        if all(is_blank(v) for v in sheet.rows[index]):
            continue
        if label(year_cell).startswith("total"):
            continue  # an all-years total: no single period to give it
        if not is_blank(year_cell):
            parsed = parse_year(year_cell)
            if parsed is None:
                sheet.problems.add(sheet.name, index + 1, "Year", "not a year", year_cell)
                continue
            year, last_quarter = parsed, None
            if is_blank(quarter_cell) or label(quarter_cell) in ("total", "year total"):
                years_seen.append(str(year))
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
        if period > sheet.release.vintage:
            sheet.problems.add(sheet.name, index + 1, "Quarter",
                               f"{period} is after the release quarter {sheet.release.vintage}")
            continue
        yield index, period
    if years_seen:
        sheet.notes.append(f"{sheet.name}: year-total rows ({', '.join(years_seen)}) stored "
                           "with the annual period type, apart from the quarters")


def parse_age_location(sheet: Sheet) -> list[dict[str, Any] | None]:
    columns, first = year_quarter_header(sheet)
    targets = []
    for col, (group, name) in enumerate(columns[2:], start=2):
        if not name and not group:
            continue
        age = age_group_of(group) if group else "all"
        location = "all" if label(name) == "total" else LOCATIONS.get(label(name))
        if age is None or location is None:
            raise SheetSkipped(f"column {sheet.letter(col)} ('{f'{group} {name}'.strip()}') is "
                               "not a known age group and location of exploitation")
        targets.append((col, f"{group} - {name}" if group else name, age, location))
    out = []
    for index, period in quarter_rows(sheet, first):
        for col, header, age, location in targets:
            out.append(sheet.record(period=period, count_cell=sheet.cell(index, col), row=index,
                                    col=col, header=header, age=age, location=location))
    return out


def parse_quarterly_total(sheet: Sheet, measure: str) -> list[dict[str, Any] | None]:
    columns, first = year_quarter_header(sheet)
    labels = [label(name) for _, name in columns]
    if "total" not in labels:
        raise SheetSkipped("no 'Total' column")
    col = labels.index("total")
    return [sheet.record(period=period, count_cell=sheet.cell(index, col), row=index, col=col,
                         header="Total", measure=measure)
            for index, period in quarter_rows(sheet, first)]


def parse_county(sheet: Sheet) -> list[dict[str, Any] | None]:
    header = find_row(sheet.rows, ["uk county", "total"])
    if header is None:
        raise SheetSkipped("no header row with 'UK County' and 'Total'")
    labels = [label(v) for v in sheet.rows[header]]
    sheet.anchor(labels.index("uk county"))
    labels = [label(v) for v in sheet.rows[header]]
    name_col, total_col = labels.index("uk county"), labels.index("total")
    out = []
    for index in range(header + 1, len(sheet.rows)):
        county = text(sheet.cell(index, name_col))
        if not county:
            continue
        geography = ("uk", UK_CODE, UK_NAME) if label(county) == "total" \
            else ("county", None, county)
        out.append(sheet.record(period=sheet.release.coverage,
                                count_cell=sheet.cell(index, total_col), row=index,
                                col=total_col, header="Total", geography=geography))
    return out


def parse_first_responder(sheet: Sheet, responder_type: str) -> list[dict[str, Any] | None]:
    header = find_row(sheet.rows, ["exploitation type"])
    if header is None:
        raise SheetSkipped("no header row with 'Exploitation type'")
    first_label = next(i for i, v in enumerate(sheet.rows[header]) if not is_blank(v))
    sheet.anchor(first_label)
    labels = [text(v) for v in sheet.rows[header]]
    low = [label(v) for v in labels]
    level_cols = [i for i, name in enumerate(low)
                  if name.endswith("first responder") or name == "exploitation type"
                  or name == "age at exploitation" or name == "gender"]
    if "total" not in low:
        raise SheetSkipped("no 'Total' column in the header")
    total_col = len(low) - 1 - low[::-1].index("total")
    nationality_cols = [i for i, name in enumerate(labels)
                        if i > max(level_cols) and i != total_col and name]
    has_responder = low[level_cols[0]].endswith("first responder")
    if sheet.release.annual:
        sheet.notes.append(f"{sheet.name}: covers {sheet.release.coverage} as a whole "
                           "(end-of-year workbook): stored with the annual period type")
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
        if has_responder and label(context[0]) != "total":
            responder = context[0]
        exploitation, age = "all", "all"
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
        out.append(sheet.record(period=sheet.release.coverage,
                                count_cell=sheet.cell(index, total_col),
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
                               f"{parsed.error} (cell {sheet.letter(col)}{index + 1})",
                               sheet.cell(index, col))
    total = parse_count(sheet.cell(index, total_col))
    if total.count is None or any(p.error or p.marker for p in values):
        return
    summed = sum(p.count or 0 for p in values)
    if summed != total.count:
        sheet.problems.add(sheet.name, index + 1, "Total",
                           f"nationality columns sum to {summed} but Total is {total.count}",
                           sheet.cell(index, total_col))
