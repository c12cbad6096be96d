"""Read an agency extract (CSV, XLSX or ODS) into a frame of text cells.

Every cell is read as text so that nothing is lost before validation: leading zeros
survive, and a cell such as ``=HYPERLINK(...)`` stays a string (it is never evaluated and
exports neutralise it). The file type is judged from its content, not its name.

Decisions:

* **Encoding.** A CSV is decoded with the encoding its mapping declares; otherwise strictly
  as UTF-8 (a BOM is dropped). Bytes that are not UTF-8 are refused with the file, the row
  and the fix (declare ``"encoding": "cp1252"``), never guessed: Windows-1252, Latin-1 and
  other single-byte encodings decode the same bytes without error into different letters,
  so a guess would silently corrupt labels.
* **Bounds before parsing.** Memory must not depend on what an attacker writes: a CSV's
  header may name at most ``MAX_COLUMNS`` columns, no line may exceed ``MAX_LINE_BYTES``,
  and lines times columns may not exceed ``safe_zip.MAX_CELLS``; a workbook passes
  :func:`analysis.safe_zip.check_workbook` before calamine opens it.
* **Control characters** (C0 other than tab and line breaks, DEL, C1) are refused in
  every cell and header: a NUL in a stored label breaks exports and other tools.
* **Row numbers** are those a spreadsheet shows (header = row 1 when it is the first line;
  blank lines count as rows; a quoted cell spanning lines is one row). The frame's index
  is the row number minus 2.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from analysis import config
from analysis.errors import InputError, Problem
from analysis.safe_zip import MAX_CELLS, MAX_COLUMNS, check_workbook

FileFormat = Literal["csv", "xlsx", "ods"]
_SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".ods", ".xls"}
_DELIMITERS = ",;\t|"
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")
MAX_LINE_BYTES = 1024 * 1024
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_CONTROL_RE = re.compile(_CONTROL)
# The same characters in UTF-8 bytes (C1 controls are \xc2\x80-\xc2\x9f): one C-speed scan
# of a clean file's bytes replaces a regex over every cell.
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if not (b < 0x20 and b not in (9, 10, 13)
                                                         or b == 0x7F))
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")


def _has_control_bytes(raw: bytes) -> bool:
    if raw.translate(None, _NOT_CONTROL_BYTES):
        return True
    return b"\xc2" in raw and _C1_UTF8.search(raw) is not None
MAX_CONTROL_PROBLEMS = 50


def _fail(name: str, reason: str, row: int | None = None, column: str | None = None) -> InputError:
    return InputError([Problem(name, row, column, reason)])


def check_size(path: Path, name: str) -> None:
    """Refuse empty files and files over the configured upload limit before reading them."""
    size = path.stat().st_size
    if size == 0:
        raise _fail(name, "the file is empty")
    limit = config.max_upload_bytes()
    if size > limit:
        raise _fail(name, f"the file is {size / 1e6:.1f} MB, over the limit of {limit / 1e6:.1f} MB "
                          "(setting DARKFIGURE_MAX_UPLOAD_MB)")


def sniff_format(path: Path, name: str | None = None) -> FileFormat:
    """Tell CSV, XLSX and ODS apart by their bytes; a non-spreadsheet named .xlsx is refused."""
    name = name or path.name
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = Path(name).suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                members = set(archive.namelist())
                if "mimetype" in members:
                    mime = archive.read("mimetype").decode("ascii", "replace")
                    if "opendocument.spreadsheet" in mime:
                        return "ods"
                if "[Content_Types].xml" in members and any(m.startswith("xl/") for m in members):
                    return "xlsx"
        except zipfile.BadZipFile as exc:
            raise _fail(name, f"the workbook is damaged or truncated ({exc})") from exc
        raise _fail(name, "a zip archive that is neither an XLSX nor an ODS workbook")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _fail(name, "an old binary Excel (.xls) file: save it as .xlsx or CSV")
    if suffix in _SPREADSHEET_SUFFIXES:
        raise _fail(name, f"named {suffix} but its content is not a spreadsheet workbook")
    return "csv"


def decode_text(raw: bytes, name: str, encoding: str | None) -> str:
    """Decode CSV bytes: the declared encoding, else strict UTF-8 (with or without BOM).

    Guessing between single-byte encodings silently corrupts names and labels, so a file
    that is not UTF-8 must declare its encoding in its mapping.
    """
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise _fail(name, f"cannot be decoded as declared encoding '{encoding}' ({exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(
            name,
            f"not valid UTF-8 (byte {raw[exc.start]:#04x} at line {line}); declare the file's "
            'encoding in its mapping, e.g. "encoding": "cp1252" for Windows-1252',
            row=line,
        ) from exc


def _first_line(text: str) -> str:
    end = text.find("\n")
    return (text if end < 0 else text[:end]).rstrip("\r")


def sniff_delimiter(text: str) -> str:
    """The delimiter used most in the header line (comma when none is found).

    Examples
    --------
    >>> sniff_delimiter("Crime Ref;Date;Sector")
    ';'
    """
    header = _first_line(text)
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def check_lines(data: bytes, name: str, *, max_line_bytes: int = MAX_LINE_BYTES,
                first_line: int = 1) -> int:
    r"""Refuse a text file with a line longer than ``max_line_bytes``; return its line count.
    ``first_line`` is the number of ``data``'s first line in the file (for a block of it).

    Examples
    --------
    >>> check_lines(b"a,b\n1,2\n", "x.csv")
    2
    """
    lines, start, size = 0, 0, len(data)
    while start < size:
        end = data.find(b"\n", start)
        end = size if end < 0 else end
        if end - start > max_line_bytes:
            number = first_line + lines
            raise _fail(name, f"line {number:,} is {(end - start) / 1e6:,.1f} MB long; at most "
                              f"{max_line_bytes / 1e6:,.1f} MB per line can be read", row=number)
        lines += 1
        start = end + 1
    return lines


def _check_shape(header: list[str], lines: int, name: str) -> None:
    if len(header) > MAX_COLUMNS:
        raise _fail(name, f"the header has {len(header):,} columns; at most {MAX_COLUMNS:,} "
                          "can be read", row=1)
    if len(header) * lines > MAX_CELLS:
        raise _fail(name, f"{lines:,} lines of {len(header):,} columns is over the limit of "
                          f"{MAX_CELLS:,} cells per file: split the file")


def read_csv_text(path: Path, name: str, *, encoding: str | None = None,
                  delimiter: str | None = None) -> pd.DataFrame:
    """Read a CSV file as text cells with pyarrow, after a strict decode and within bounds."""
    raw = path.read_bytes()
    lines = check_lines(raw, name)
    control_free = not encoding and not _has_control_bytes(raw)
    text = decode_text(raw, name, encoding)
    if not text or text.isspace():
        raise _fail(name, "the file has no header row")
    header_line = _first_line(text)
    sep = delimiter or sniff_delimiter(header_line)
    _check_shape(next(csv.reader([header_line], delimiter=sep), []), lines, name)
    # Large extracts are mostly UTF-8: hand pyarrow the bytes already checked rather than
    # a re-encoded copy (peak memory is several copies of the file otherwise).
    data = raw.removeprefix(codecs.BOM_UTF8) if not encoding else text.encode("utf-8")
    del raw, text
    end = len(data)
    while end and data[end - 1] in b" \t\r\n":  # blank lines at the end shift nothing
        end -= 1
    if data[:1] in (b"\r", b"\n") or _BLANK_LINE.search(data, 0, end):
        # pyarrow drops blank lines, which would shift every later row number.
        frame = _read_csv_by_record(data, sep, name)
        frame.attrs["control_free"] = control_free
        return frame
    try:
        # pyarrow's multi-threaded reader is several times faster on large extracts.
        frame = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, keep_default_na=False,
                            engine="pyarrow")
    except Exception as exc:  # pyarrow and pandas raise different parser errors
        _read_csv_by_record(data, sep, name)  # names the rows that do not line up
        raise _fail(name, f"cannot be read as CSV ({exc})") from exc
    # pandas renames a repeated header to "Ref.1"; keep the file's own names so a repeat
    # is reported rather than silently loaded as two columns.
    header = next(csv.reader([header_line], delimiter=sep), [])
    if len(header) == frame.shape[1]:
        frame.columns = header
    frame.attrs["control_free"] = control_free
    return frame


def _read_csv_by_record(data: bytes, sep: str, name: str, *, row_offset: int = 0) -> pd.DataFrame:
    """The slow, exact reader: rows numbered as a spreadsheet shows them (blank lines count,
    a quoted cell spanning lines is one row); rows that do not line up are each a problem.
    ``row_offset`` is added to every row number (a later block of a file, its header first);
    ``attrs["records"]`` is how many records, blank ones included, ``data`` held."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep)
    count = 0
    records = []
    for number, cells in enumerate(reader, start=1):
        count = number
        if any(c.strip() for c in cells):
            records.append((number, cells))
    header_row, header = records[0]
    body = records[1:]
    ragged = [Problem(name, number + row_offset, None, f"has {len(cells)} cells but the header "
                      f"has {len(header)}: rows do not line up with the header",
                      sep.join(cells)[:80])
              for number, cells in body if len(cells) != len(header)]
    if ragged:
        raise InputError(ragged)
    frame = pd.DataFrame([cells for _, cells in body], columns=header, dtype=str)
    # sheet row = index + 2
    frame.index = pd.Index([number - 2 + row_offset for number, _ in body])
    frame.attrs["header_row"] = header_row
    frame.attrs["records"] = count
    return frame


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_workbook_text(path: Path, name: str, *, sheet: str | None = None) -> pd.DataFrame:
    """Read one sheet of an XLSX/ODS workbook as text cells; dates become ISO strings."""
    from python_calamine import CalamineWorkbook  # lazy: keeps importing analysis cheap

    check_workbook(path, name=name)  # bounded memory whatever the XML says
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet_name = sheet or workbook.sheet_names[0]
        if sheet_name not in workbook.sheet_names:
            raise _fail(name, f"has no sheet '{sheet_name}' (sheets: {', '.join(workbook.sheet_names)})")
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:  # calamine raises several private error types
        raise _fail(name, f"cannot be read as a spreadsheet; it may be truncated or damaged "
                          f"({type(exc).__name__}: {exc})") from exc
    # Keep each row's spreadsheet number so problems point at the row the analyst sees,
    # even when blank rows sit above the header or between records.
    numbered = [(number, cells) for number, cells in
                ((i + 1, [_cell_text(c) for c in r]) for i, r in enumerate(rows))
                if any(c.strip() for c in cells)]
    if not numbered:
        raise _fail(name, "the sheet is empty")
    header_row, header = numbered[0]
    header = [c.strip() for c in header]
    width = max(len(header), *(len(cells) for _, cells in numbered))
    grid = [cells + [""] * (width - len(cells)) for _, cells in numbered[1:]]
    header += [""] * (width - len(header))
    keep = [j for j in range(width) if header[j] or any(r[j].strip() for r in grid)]
    frame = pd.DataFrame([[r[j] for j in keep] for r in grid], columns=[header[j] for j in keep],
                         dtype=str)
    frame.index = pd.Index([number - 2 for number, _ in numbered[1:]])  # sheet row = index + 2
    frame.attrs["header_row"] = header_row
    return frame


def read_text_table(path: str | Path, *, name: str | None = None, encoding: str | None = None,
                    delimiter: str | None = None, sheet: str | None = None) -> pd.DataFrame:
    """Read CSV, XLSX or ODS into a frame of text cells; the header is spreadsheet row 1.

    Raises :class:`~analysis.errors.InputError` naming the file for an empty, oversized,
    undecodable, truncated or mislabelled file.
    """
    path = Path(path)
    name = name or path.name
    check_size(path, name)
    kind = sniff_format(path, name)
    if kind == "csv":
        frame = read_csv_text(path, name, encoding=encoding, delimiter=delimiter)
    else:
        frame = read_workbook_text(path, name, sheet=sheet)
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_header(list(frame.columns), name, frame.attrs.get("header_row", 1))
    if frame.empty:
        raise _fail(name, "the file has a header but no data rows")
    if not frame.attrs.get("control_free"):
        refuse_control_characters(frame, name)
    return frame


def _check_header(columns: list[str], name: str, header_row: int) -> None:
    """Refuse empty and repeated header cells (``columns`` already stripped)."""
    blank = [i + 1 for i, c in enumerate(columns) if not c or c.startswith("Unnamed:")]
    if blank:
        raise _fail(name, f"header cell(s) in column position {blank} are empty", row=header_row)
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise _fail(name, f"the header repeats column name(s) {duplicated}", row=header_row)


def refuse_control_characters(frame: pd.DataFrame, name: str) -> None:
    r"""Raise InputError naming each header and cell that holds a control character.

    Tab and line breaks (which a quoted CSV cell may hold) are allowed; NUL, the other C0
    and C1 controls and DEL are not, anywhere in the cell.

    Examples
    --------
    >>> try:
    ...     refuse_control_characters(pd.DataFrame({"ref": ["ok", "NU\x00L"]}), "x.csv")
    ... except InputError as exc:
    ...     print(exc.problems[0].row, exc.problems[0].reason)
    3 contains a control character (U+0000), which no field may hold
    """
    problems = []
    header_row = frame.attrs.get("header_row", 1)
    for column in frame.columns:
        found = _CONTROL_RE.search(column)
        if found:
            problems.append(Problem(name, header_row, column[:40], "the header contains a "
                                    f"control character (U+{ord(found[0]):04X})"))
    for column in frame.columns:
        if len(problems) >= MAX_CONTROL_PROBLEMS:
            break
        values = frame[column].astype("string")
        bad = values.str.contains(_CONTROL, regex=True, na=False)
        for index in frame.index[bad.to_numpy()][:MAX_CONTROL_PROBLEMS - len(problems)]:
            value = str(frame.at[index, column])
            code = ord(_CONTROL_RE.search(value)[0])
            problems.append(Problem(name, int(index) + 2, column, f"contains a control character "
                                    f"(U+{code:04X}), which no field may hold", value[:40]))
    if problems:
        raise InputError(problems)
