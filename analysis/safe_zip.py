"""Refuse spreadsheet archives that would expand to far more than their size on disk.

XLSX and ODS files are zip archives. A "zip bomb" (a few kilobytes that inflate to
gigabytes) can exhaust memory on the server when a spreadsheet library opens it. The zip
central directory records every member's compressed and uncompressed size, so the archive
is judged from that index alone, before any member is decompressed: the total uncompressed
size and the overall and per-member compression ratios must stay under limits. Honest
office files compress around 5-30 to 1 (very repetitive sheets somewhat more); deflate
cannot exceed about 1,032 to 1, which the bombs approach. The declared sizes could lie, but
Python's zipfile stops reading a member at its declared size, and since the compressed
size is bounded by the upload limit, the deflate ceiling bounds what any reader inflates.

A modest ratio is not enough: spreadsheet readers build a dense grid from the first to
the last cell, so two cells at A1 and ZZ200000 (a 1 KB file) ask for 140 million cells,
and one ODS cell repeated 1,000 times across 20,000 repeated rows asks for 20 million.
:func:`check_workbook` therefore streams every sheet's XML (a few megabytes at a time,
never the whole part) and refuses a workbook whose grid would exceed ``MAX_CELLS`` cells
or ``MAX_COLUMNS`` columns, before any reader opens it. Every workbook reader calls it
first: ``check_workbook(path, name=name)``.
"""

from __future__ import annotations

import functools
import os
import re
import zipfile
from pathlib import Path

from analysis import config
from analysis.errors import InputError, Problem

MAX_RATIO = 200.0
MAX_MEMBERS = 10_000
MAX_CELLS = 15_000_000  # about 1.2 million rows of a 12-column extract
MAX_COLUMNS = 1_000
_CHUNK = 4 * 1024 * 1024
_XLSX_ROW_REF = re.compile(rb'<row r="(\d{1,7})"')
_XLSX_WIDE_REF = re.compile(rb'<c r="([A-Z]{2,3})\d')
_ODS_TAG = re.compile(
    rb"<table:table(?P<table>[ >])|<table:table-row\b(?P<row>[^>]*?)(?P<row_empty>/?)>"
    rb"|<table:(?:covered-)?table-cell\b(?P<cell>[^>]*?)(?P<cell_empty>/?)>")
_COLS_REPEATED = re.compile(rb'table:number-columns-repeated="(\d+)"')
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="(\d+)"')
# a member's ratio is judged only above this size: tiny XML parts compress oddly well
_RATIO_FLOOR = 1024 * 1024


def check_archive(path: str | os.PathLike[str], *, max_uncompressed: int | None = None,
                  max_ratio: float = MAX_RATIO, name: str | None = None) -> None:
    """Raise :class:`~analysis.errors.InputError` unless ``path`` is a sane zip archive.

    ``max_uncompressed`` defaults to four times the upload limit
    (:func:`analysis.config.max_upload_bytes`). ``name`` is the file name shown in the
    error (e.g. the original name of an upload saved under a temporary name).

    Examples
    --------
    >>> import io, tempfile, pathlib, zipfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ok.xlsx"
    >>> with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("xl/workbook.xml", "<workbook/>")
    >>> check_archive(p)
    """
    path = Path(path)
    shown = name or path.name
    limit = config.max_upload_bytes() * 4 if max_uncompressed is None else max_uncompressed

    def refuse(reason: str) -> InputError:
        return InputError([Problem(shown, None, None, reason)])

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise refuse("not a valid XLSX/ODS file: the workbook is damaged or truncated (its "
                     "zip container cannot be read)") from None
    if len(members) > MAX_MEMBERS:
        raise refuse(f"the archive has {len(members):,} parts; at most {MAX_MEMBERS:,} allowed")
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if total > limit:
        raise refuse(f"the file would expand to {total / 1e6:,.0f} MB, over the "
                     f"{limit / 1e6:,.0f} MB limit (possible zip bomb)")
    for m in members:
        if m.file_size > _RATIO_FLOOR and m.file_size > max_ratio * max(m.compress_size, 1):
            ratio = m.file_size / max(m.compress_size, 1)
            raise refuse(f"part {m.filename!r} is compressed {ratio:,.0f} to 1, over the "
                         f"{max_ratio:,.0f} to 1 limit (possible zip bomb)")
    if total > _RATIO_FLOOR and total > max_ratio * max(packed, 1):
        raise refuse(f"the file is compressed {total / max(packed, 1):,.0f} to 1, over the "
                     f"{max_ratio:,.0f} to 1 limit (possible zip bomb)")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _stream(archive: zipfile.ZipFile, member: str):
    """A member's XML in chunks that never split a tag (so a regex sees whole tags)."""
    tail = b""
    with archive.open(member) as handle:
        while block := handle.read(_CHUNK):
            data = tail + block
            cut = data.rfind(b"<")
            data, tail = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
            yield data
    if tail:
        yield tail


def _xlsx_grid(archive: zipfile.ZipFile, member: str) -> tuple[int, int, int]:
    """(cells, last row, last column) of one XLSX worksheet, from its cell references.

    Cells and single-letter columns are found with C-speed byte searches; only row
    numbers and references of two or three letters (columns past Z, rare in an extract)
    go through the regex engine.
    """
    cells = rows = 0
    columns = 0
    for chunk in _stream(archive, member):
        cells += chunk.count(b"<c ") + chunk.count(b"<c>") + chunk.count(b"<c/>")
        found = _XLSX_ROW_REF.findall(chunk)
        if found:
            rows = max(rows, max(map(int, found)))
        wide = set(_XLSX_WIDE_REF.findall(chunk))
        if wide:
            columns = max(columns, *(_column_number(c) for c in wide))
        while columns < 26:  # a single-letter column past the last one seen?
            # (no reference of two letters is in this chunk, so one letter is all there is)
            found = re.search(b'<c r="[' + bytes([65 + columns]) + b"-Z]", chunk)
            if found is None:
                break
            columns = found[0][-1] - 64
    return cells, rows, columns


class _OdsGrid:
    """Tracks the grid a reader builds from ODS content: repeated rows and cells count as
    many times as they repeat, up to the last cell that holds a value."""

    def __init__(self):
        self.tables: list[tuple[int, int]] = []  # (rows, columns) per sheet
        self._row = self._last_row = self._last_col = 0
        self._col = 0
        self._row_repeat = 1
        self._started = False

    def _end_table(self) -> None:
        if self._started:
            self.tables.append((self._last_row, self._last_col))
        self._row = self._last_row = self._last_col = self._col = 0
        self._started = True

    def feed(self, chunk: bytes) -> None:
        for match in _ODS_TAG.finditer(chunk):
            if match["table"] is not None:
                self._end_table()
            elif match["row"] is not None:
                repeat = _ROWS_REPEATED.search(match["row"])
                self._row_repeat = int(repeat[1]) if repeat else 1
                self._row += self._row_repeat
                self._col = 0
            else:
                repeat = _COLS_REPEATED.search(match["cell"])
                self._col += int(repeat[1]) if repeat else 1
                if not match["cell_empty"] or b"value-type" in match["cell"]:
                    self._last_col = max(self._last_col, self._col)
                    self._last_row = max(self._last_row, self._row)

    def close(self) -> list[tuple[int, int]]:
        self._end_table()
        return self.tables


def check_workbook(path: str | os.PathLike[str], *, name: str | None = None,
                   max_cells: int = MAX_CELLS, max_columns: int = MAX_COLUMNS) -> int:
    """Refuse an XLSX/ODS workbook that a reader could not open within bounded memory.

    Runs :func:`check_archive`, then streams each sheet's XML and measures the grid a
    reader would build (last row times last column, repeats included, per sheet). Raises
    :class:`~analysis.errors.InputError` naming the file if the grids together exceed
    ``max_cells`` cells or any sheet ``max_columns`` columns; returns the cells counted.
    Call it before any spreadsheet library opens the file.

    Examples
    --------
    >>> import tempfile, pathlib, zipfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "far.xlsx"
    >>> with zipfile.ZipFile(p, "w") as z:
    ...     z.writestr("[Content_Types].xml", "<Types/>")
    ...     z.writestr("xl/worksheets/sheet1.xml",
    ...                '<sheetData><row r="1"><c r="A1"/></row>'
    ...                '<row r="900000"><c r="ZZ900000"/></row></sheetData>')
    >>> try:
    ...     check_workbook(p)
    ... except InputError as exc:
    ...     print(exc.problems[0].reason.split("; ")[0])
    the sheet 'xl/worksheets/sheet1.xml' spans 702 columns and 900,000 rows (631,800,000 cells)
    """
    path = Path(path)
    info = path.stat()
    # The store's staging, kind detection and the reader each call this on the same file:
    # measure it once (a changed file has a new size or modification time).
    return _measured(str(path.resolve()), info.st_size, info.st_mtime_ns, name or path.name,
                     max_cells, max_columns)


@functools.lru_cache(maxsize=16)
def _measured(resolved: str, _size: int, _mtime_ns: int, shown: str, max_cells: int,
              max_columns: int) -> int:
    path = Path(resolved)
    check_archive(path, name=shown)

    def refuse(reason: str) -> InputError:
        return InputError([Problem(shown, None, None, reason)])

    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "content.xml" in names and "mimetype" in names:
                grid = _OdsGrid()
                for chunk in _stream(archive, "content.xml"):
                    grid.feed(chunk)
                sheets = [(f"sheet {i + 1}", r, c, 0) for i, (r, c) in enumerate(grid.close())]
            else:
                sheets = []
                for member in names:
                    if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                        cells, rows, columns = _xlsx_grid(archive, member)
                        sheets.append((member, rows, columns, cells))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise refuse(f"not a valid XLSX/ODS file ({type(exc).__name__}: {exc})") from None
    for sheet, rows, columns, cells in sheets:
        extent = max(rows * columns, cells)
        if columns > max_columns:
            raise refuse(f"the sheet {sheet!r} spans {columns:,} columns; at most "
                         f"{max_columns:,} can be read")
        if extent > max_cells:
            raise refuse(f"the sheet {sheet!r} spans {columns:,} columns and {rows:,} rows "
                         f"({extent:,} cells); at most {max_cells:,} cells can be read")
        total += extent
    if total > max_cells:
        raise refuse(f"the sheets together span {total:,} cells; at most {max_cells:,} cells "
                     "can be read")
    return total
