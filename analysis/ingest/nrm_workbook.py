"""Open an NRM data-tables workbook safely and tell which release (and period) it is.

Bounds before parsing. An ODS or XLSX file is a zip archive, and a few kilobytes can inflate
to gigabytes (a "zip bomb"). The archive is judged from its central directory by
:func:`analysis.safe_zip.check_archive` (total uncompressed size, here at most 256 MiB of
XML, and compression ratios) before any sheet is decompressed, which bounds what the
spreadsheet library parses; then the number of sheets and each sheet's declared dimensions
(cells = rows x columns, read from the sheet's own index) are checked before its cells are
turned into Python objects, which is where the memory goes. The limits are far above the
largest published workbook (about 40 tables; the widest, the first-responder tables, have
some 110 nationality columns and a few thousand rows).

Release and coverage. A quarterly release (``…-quarter-4-2023-oct-to-dec-tables.ods``, cover
"October to December 2023") has vintage ``2023Q4`` and its single-quarter tables cover
``2023Q4``. An end-of-year summary ("January to December 2023") is published with the Q4
release: vintage ``2023Q4``, and its single-period tables cover the year ``2023``, stored
with the annual period type (``YYYY``), never as a quarter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import config
from analysis.errors import InputError, Problem
from analysis.ingest.nrm_layout import text
from analysis.safe_zip import check_archive

SPREADSHEET_SUFFIXES = (".ods", ".xlsx", ".xlsm", ".xls")
MAX_UNCOMPRESSED = 256 * 1024 * 1024  # the workbook's XML, before any of it is parsed
MAX_SHEETS = 250
MAX_SHEET_CELLS = 2_000_000
MAX_WORKBOOK_CELLS = 10_000_000

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SPAN = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:to|-|–)\s+"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(\d{4})\b",
    re.IGNORECASE)
_QUARTER_IN_NAME = re.compile(r"quarter[-_ ]([1-4])[-_ ](\d{4})", re.IGNORECASE)
_YEAR_IN_NAME = re.compile(r"(?:end[-_ ]of[-_ ]year(?:[-_ ]summary)?[-_ ](\d{4})|"
                           r"(\d{4})[-_ ]end[-_ ]of[-_ ]year|annual[-_ ](\d{4}))", re.IGNORECASE)
_QUARTER_CODE = re.compile(r"\bQ([1-4])\s+(\d{4})\b")
_END_OF_YEAR_TEXT = re.compile(r"end[- ]of[- ]year summary,?\s+(\d{4})", re.IGNORECASE)


@dataclass(frozen=True)
class Release:
    """Which publication a workbook is: its vintage quarter and the period its tables cover.

    Examples
    --------
    >>> Release.parse("2023Q4"), Release.parse("2023")
    (Release(vintage='2023Q4', coverage='2023Q4'), Release(vintage='2023Q4', coverage='2023'))
    >>> Release.parse("2023Q4").annual, Release.parse("2023").annual
    (False, True)
    """

    vintage: str
    coverage: str

    @property
    def annual(self) -> bool:
        return len(self.coverage) == 4

    @classmethod
    def parse(cls, value: str) -> Release:
        """'YYYYQn' for a quarterly release, 'YYYY' for an end-of-year summary."""
        value = str(value).strip().upper().replace(" ", "")
        if re.fullmatch(r"\d{4}Q[1-4]", value):
            return cls(value, value)
        if re.fullmatch(r"\d{4}", value):
            return cls(f"{value}Q4", value)
        raise ValueError(f"{value!r} is not a release: use 2023Q4 for a quarterly release or "
                         "2023 for an end-of-year summary")

    def describe(self) -> str:
        if self.annual:
            return f"end-of-year summary {self.coverage} (published with release {self.vintage})"
        return f"quarterly release {self.vintage}"


def _from_span(first: str, last: str, year: str) -> Release | None:
    start, end = _MONTHS.index(first[:3].lower()), _MONTHS.index(last[:3].lower())
    if start == 0 and end == 11:
        return Release(f"{year}Q4", year)
    if start % 3 == 0 and end == start + 2:
        quarter = f"{year}Q{start // 3 + 1}"
        return Release(quarter, quarter)
    return None


def release_in_text(raw: str) -> Release | None:
    """The release a title or cover line names, e.g. 'October to December 2023'.

    Examples
    --------
    >>> release_in_text("NRM statistics UK, July to September 2025: data tables")
    Release(vintage='2025Q3', coverage='2025Q3')
    >>> release_in_text("Modern Slavery: NRM and DtN statistics, January to December 2023")
    Release(vintage='2023Q4', coverage='2023')
    >>> release_in_text("Notes") is None
    True
    """
    match = _SPAN.search(raw)
    if match:
        return _from_span(*match.groups())
    match = _END_OF_YEAR_TEXT.search(raw)
    if match:
        return Release(f"{match.group(1)}Q4", match.group(1))
    match = _QUARTER_CODE.search(raw)
    if match:
        return Release.parse(f"{match.group(2)}Q{match.group(1)}")
    return None


def infer_release(path: Path, sheets: dict[str, list[list[Any]]]) -> Release | None:
    """The release from the file name, else from the workbook's own text (cover first).

    Examples
    --------
    >>> infer_release(Path("national-referral-mechanism-statistics-uk-quarter-4-2023-"
    ...                    "oct-to-dec-tables.ods"), {}).vintage
    '2023Q4'
    >>> infer_release(Path("nrm.ods"), {"Cover": [["NRM statistics, July to September 2025"]]})
    Release(vintage='2025Q3', coverage='2025Q3')
    >>> infer_release(Path("nrm-end-of-year-summary-2023-tables.ods"), {}).coverage
    '2023'
    """
    match = _QUARTER_IN_NAME.search(path.name)
    if match:
        return Release.parse(f"{match.group(2)}Q{match.group(1)}")
    match = _YEAR_IN_NAME.search(path.name)
    if match:
        return Release.parse(next(g for g in match.groups() if g))
    for rows in sheets.values():
        for row in rows[:6]:
            for cell in row[:4]:
                found = release_in_text(text(cell))
                if found:
                    return found
    return None


def read_workbook(path: Path, name: str | None = None) -> dict[str, list[list[Any]]]:
    """Every sheet of an ODS/XLSX workbook as rows of cells (row 0 = spreadsheet row 1),
    after the archive, sheet-count and cell-count bounds (module doc)."""
    from python_calamine import CalamineWorkbook  # lazy: keeps import of analysis cheap

    shown = name or path.name

    def refuse(reason: str) -> InputError:
        return InputError([Problem(shown, None, None, reason)])

    if Path(shown).suffix.lower() not in SPREADSHEET_SUFFIXES \
            and path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        raise refuse("not an ODS or XLSX workbook (the NRM tables are published as ODS)")
    with path.open("rb") as handle:
        is_zip = handle.read(4) == b"PK\x03\x04"
    if is_zip:
        check_archive(path, name=shown, max_uncompressed=min(
            MAX_UNCOMPRESSED, config.max_upload_bytes() * 4))
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
        if len(names) > MAX_SHEETS:
            raise refuse(f"the workbook has {len(names):,} sheets; at most {MAX_SHEETS:,} "
                         "are read (the NRM releases have about 40)")
        out, total = {}, 0
        for sheet_name in names:
            sheet = workbook.get_sheet_by_name(sheet_name)
            cells = sheet.total_height * sheet.total_width
            total += cells
            if cells > MAX_SHEET_CELLS or total > MAX_WORKBOOK_CELLS:
                raise refuse(f"sheet {sheet_name!r} spans {sheet.total_height:,} rows x "
                             f"{sheet.total_width:,} columns: over the limit of "
                             f"{MAX_SHEET_CELLS:,} cells a sheet and {MAX_WORKBOOK_CELLS:,} a "
                             "workbook (possible zip bomb or not an NRM release)")
            out[sheet_name] = sheet.to_python(skip_empty_area=False)
        return out
    except InputError:
        raise
    except Exception as exc:  # calamine raises several private error types
        raise refuse(f"cannot be read as a spreadsheet ({type(exc).__name__}: {exc})") from exc
