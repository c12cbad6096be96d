"""Cell-level layout of the Home Office NRM quarterly data tables.

The tables follow the GSS accessible-spreadsheet pattern (one ODS workbook per
quarter): title, notes and source lines above the header (3 rows in 2022 Q2/Q3,
5 from 2022 Q4, 6 where the header spans two rows), labels that are left blank
when they repeat the row above, and shorthand markers instead of numbers.
See ``data/reference/README.md`` ("NRM data-table layout") for the sources of this
description. This module knows cells and headers; ``nrm_tables`` knows the tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from analysis.errors import InputError, Problem

# GSS shorthand: [c] confidential, [x] not available, [z] not applicable, and any
# other lower-case bracketed code; ".." is the older "not available" convention.
MARKER = re.compile(r"^\[[a-z]+\]$")
OLD_MARKER = ".."

_QUARTER_CODE = re.compile(r"\bQ\s?([1-4])\b", re.IGNORECASE)
_FIRST_MONTH = {"jan": 1, "apr": 2, "jul": 3, "oct": 4}
_MONTH_RANGE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*(?:to|-|–)\s*"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*",
    re.IGNORECASE,
)
def is_blank(value: Any) -> bool:
    """True for an empty cell (calamine gives '' for empty cells)."""
    return value is None or (isinstance(value, str) and value.strip() == "")


def text(value: Any) -> str:
    """A cell as trimmed text; whole numbers lose their '.0'."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index (0 -> 'A', 27 -> 'AB')."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class ParsedCount:
    """A count cell: a non-negative whole number, a missing marker, or an error reason."""

    count: int | None = None
    marker: str | None = None
    error: str | None = None
    blank: bool = False


def parse_count(value: Any) -> ParsedCount:
    """Read one count cell.

    Examples
    --------
    >>> parse_count(12.0).count, parse_count("[c]").marker, parse_count("1,204").count
    (12, '[c]', 1204)
    >>> parse_count(-1.0).error
    'a count cannot be negative'
    """
    if is_blank(value):
        return ParsedCount(blank=True)
    if isinstance(value, bool):
        return ParsedCount(error="not a count")
    if isinstance(value, int | float):
        number = float(value)
    else:
        raw = text(value)
        if MARKER.match(raw) or raw == OLD_MARKER:
            return ParsedCount(marker=raw)
        cleaned = raw.replace(",", "")
        try:
            number = float(cleaned)
        except ValueError:
            return ParsedCount(error="not a count or a recognised marker ([c], [x], [z], ..)")
    if number != number or number in (float("inf"), float("-inf")):
        return ParsedCount(error="not a count")
    if not number.is_integer():
        return ParsedCount(error="a count must be a whole number")
    if number < 0:
        return ParsedCount(error="a count cannot be negative")
    return ParsedCount(count=int(number))


def parse_year(value: Any) -> int | None:
    """A year cell such as 2023, '2023' or '2023 [note 3]'; None if it is not one."""
    match = re.match(r"^(\d{4})\b", text(value))
    if match and 2000 <= int(match.group(1)) <= 2100:
        return int(match.group(1))
    return None


def parse_quarter(value: Any) -> int | None:
    """Quarter number from 'Q1', 'Quarter 1', 'Jan to Mar' or 'January to March'.

    The 2022-2023 tables use 'Q1'..'Q4' (the asylum package reads them with the
    format '%Y Q%q'); month ranges are accepted in case a release spells them out.

    Examples
    --------
    >>> [parse_quarter(v) for v in ("Q1", "Quarter 2", "Jul to Sep", "October to December", "x")]
    [1, 2, 3, 4, None]
    """
    raw = text(value)
    match = _QUARTER_CODE.search(raw) or re.search(r"\bquarter\s*([1-4])\b", raw, re.IGNORECASE)
    if match:
        return int(match.group(1))
    months = _MONTH_RANGE.search(raw)
    if months:
        return _FIRST_MONTH.get(months.group(1).lower()[:3])
    return None


def sheet_title(rows: list[list[Any]]) -> str:
    """The title: the first non-empty text cell of the rows above the table, in any column
    (a table need not start in column A)."""
    for row in rows[:8]:
        for cell in row:
            if not is_blank(cell):
                return text(cell)
    return ""


# Header labels are compared after removing note markers ("UK [note 5]"), '&' -> 'and',
# case and spacing. Synonyms map other published spellings to the current ones: the
# 2022 Q2/Q3 tables' names (asylum package, data-raw/nrm_2022_q3.R), "Sex" for "Gender",
# and the bulletins' "UK only" / "Overseas only" for the location columns.
_NOTE_MARKER = re.compile(r"\s*[\[(]\s*notes?\b[^\])]*[\])]", re.IGNORECASE)
SYNONYMS = {
    "sex": "gender",
    "claimed exploitation type": "exploitation type",
    "age group at exploitation": "age at exploitation",
    "first responder (police)": "police first responder",
    "first responder (government agencies)": "government agency first responder",
    "first responder (government agency)": "government agency first responder",
    "first responder (ngo and third sector)": "ngo and third sector first responder",
    "uk only": "uk",
    "overseas only": "overseas",
    "location not specified or unknown": "not specified or unknown",
    "not specified": "not specified or unknown",
    "years": "year",
    "quarters": "quarter",
    "grand total": "total",
}


def label(value: Any) -> str:
    """A header cell as a comparable label: notes removed, '&' as 'and', lower case, one space.

    Examples
    --------
    >>> [label(v) for v in ("UK [note 5]", "Sex", " Claimed  exploitation type ", "Total")]
    ['uk', 'gender', 'exploitation type', 'total']
    """
    raw = _NOTE_MARKER.sub("", text(value)).replace("&", "and")
    low = " ".join(raw.lower().split()).rstrip(" :*")
    return SYNONYMS.get(low, low)


def find_row(rows: list[list[Any]], wanted: Iterable[str], *, limit: int = 15) -> int | None:
    """Index of the first row (within ``limit``) holding every wanted label, in any column.

    Labels are compared with :func:`label` (note markers, case, spacing and synonyms).
    """
    wanted = [label(w) for w in wanted]
    for index, row in enumerate(rows[:limit]):
        labels = {label(cell) for cell in row}
        if all(w in labels for w in wanted):
            return index
    return None


def combine_header(upper: list[Any], lower: list[Any]) -> list[tuple[str, str]]:
    """Pair each column's group (upper, merged across its span) with its own label (lower).

    A merged upper cell is filled only in its first column, so the group carries
    right until the lower labels start to repeat: that is how a trailing grand
    ``Total`` whose upper cell is blank is told apart from the last group's ``Total``.

    Examples
    --------
    >>> combine_header(["", "Adult", "", "", ""], ["Year", "UK", "Total", "Total", ""])
    [('', 'Year'), ('Adult', 'UK'), ('Adult', 'Total'), ('', 'Total'), ('', '')]
    """
    width = max(len(upper), len(lower))
    upper = list(upper) + [""] * (width - len(upper))
    lower = list(lower) + [""] * (width - len(lower))
    group, seen, pairs = "", set(), []
    for up, low in zip(upper, lower, strict=True):
        up, low = text(up), text(low)
        if up:
            group, seen = up, set()
        elif low in seen:
            group, seen = "", set()
        if group:
            seen.add(low)
        pairs.append((group, low))
    return pairs


@dataclass
class Problems:
    """Collects every problem in a workbook so the user sees all of them at once."""

    file: str
    items: list[Problem] = field(default_factory=list)

    def add(self, sheet: str | None, row: int | None, column: str | None, reason: str,
            value: Any = None) -> None:
        where = f"{self.file} [{sheet}]" if sheet else self.file
        shown = None if is_blank(value) else text(value)
        self.items.append(Problem(where, row, column, reason, shown))

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)
