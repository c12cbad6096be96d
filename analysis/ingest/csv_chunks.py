"""Read a large CSV extract in pieces of whole records, so memory does not grow with the file.

:func:`iter_csv_chunks` yields the same text cells as
:func:`analysis.ingest.tabular.read_csv_text` would for the whole file, a block of about
``chunk_bytes`` at a time, each frame indexed by spreadsheet row minus 2 (the rows the
whole-file reader gives). A block ends at a line break outside quotes (an even number of
``"`` before it), so a quoted cell spanning lines stays in one block. Each block is decoded
strictly (UTF-8, or the mapping's encoding, carried across block edges), checked for
over-long lines and control characters, and parsed by pyarrow, or by the exact reader when
it holds blank lines, exactly as the whole-file reader does.

Problems that the whole-file reader reports together (rows that do not line up with the
header; control characters, by column) are collected over every block and raised at the
end (:meth:`CsvChunks.finish`), in the same order. Differences, only for files that are
already refused: a decoding error names its position within the block it was found in,
and a file with two kinds of fatal error may be refused for the other one first.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from analysis.errors import InputError, Problem
from analysis.ingest.tabular import (
    _BLANK_LINE,
    _CONTROL,
    _CONTROL_RE,
    MAX_CONTROL_PROBLEMS,
    _check_header,
    _fail,
    _has_control_bytes,
    _read_csv_by_record,
    check_lines,
    sniff_delimiter,
)
from analysis.safe_zip import MAX_COLUMNS

CHUNK_BYTES = 32 * 2**20
_LEADING_BLANK = re.compile(rb"[ \t\r]*\n")


class CsvChunks:
    """The blocks of one CSV file (iterate once), then :meth:`finish` for deferred problems."""

    def __init__(self, path: str | Path, name: str, *, encoding: str | None = None,
                 delimiter: str | None = None, chunk_bytes: int = CHUNK_BYTES):
        self.path, self.name = Path(path), name
        self.encoding, self.delimiter = encoding, delimiter
        self.chunk_bytes = max(int(chunk_bytes), 1024)
        self.header: list[str] = []
        self.header_row = 1
        self.rows = 0
        self._ragged: list[Problem] = []
        self._control: dict[str, list[Problem]] = {}
        self._header_control: list[Problem] = []

    # -- blocks of whole records -----------------------------------------------------------
    def _blocks(self) -> Iterator[tuple[bytes, int, bool]]:
        """(UTF-8 bytes of whole records, physical line number of its first line, last?)."""
        try:
            decoder = codecs.getincrementaldecoder(self.encoding or "utf-8-sig")("strict")
        except LookupError as exc:
            raise _fail(self.name, f"cannot be decoded as declared encoding '{self.encoding}' "
                                   f"({exc})") from exc
        pending, line, raw_lines = b"", 1, 0
        with self.path.open("rb") as handle:
            while True:
                raw = handle.read(self.chunk_bytes)
                final = not raw
                try:
                    text = decoder.decode(raw, final)
                except UnicodeDecodeError as exc:
                    raise self._decode_error(exc, raw_lines) from exc
                raw_lines += raw.count(b"\n")
                data = pending + text.encode("utf-8")
                cut = len(data) if final else _record_end(data)
                if cut > 0:
                    yield data[:cut], line, final
                    line += data.count(b"\n", 0, cut)
                pending = data[cut:]
                if final:
                    return

    def _decode_error(self, exc: UnicodeDecodeError, lines_before: int) -> InputError:
        if self.encoding:
            return _fail(self.name, f"cannot be decoded as declared encoding '{self.encoding}' "
                                    f"({exc})")
        line = lines_before + exc.object[: exc.start].count(b"\n") + 1
        return _fail(self.name, f"not valid UTF-8 (byte {exc.object[exc.start]:#04x} at line "
                                f"{line}); declare the file's encoding in its mapping, e.g. "
                                '"encoding": "cp1252" for Windows-1252', row=line)

    # -- frames ----------------------------------------------------------------------------
    def __iter__(self) -> Iterator[pd.DataFrame]:
        next_row = None  # spreadsheet row of the next record; None until the header is read
        header_bytes = b""
        sep = self.delimiter
        for block, first_line, final in self._blocks():
            check_lines(block, self.name, first_line=first_line)
            control_free = not self.encoding and not _has_control_bytes(block)
            end = len(block)
            if final:
                while end and block[end - 1] in b" \t\r\n":  # trailing blank lines shift nothing
                    end -= 1
            if next_row is None:
                text = block.decode("utf-8")
                if not text or text.isspace():
                    raise _fail(self.name, "the file has no header row")
                header_line = text[: text.find("\n")] if "\n" in text else text
                header_line = header_line.rstrip("\r")
                sep = sep or sniff_delimiter(header_line)
                header = next(csv.reader([header_line], delimiter=sep), [])
                if len(header) > MAX_COLUMNS:
                    raise _fail(self.name, f"the header has {len(header):,} columns; at most "
                                           f"{MAX_COLUMNS:,} can be read", row=1)
                blank = block[:1] in (b"\r", b"\n") or _BLANK_LINE.search(block, 0, end)
                frame, body, header_row = self._parse(block[:end], sep, 0, bool(blank), header)
                self.header = [str(c).strip() for c in header] if frame is None else \
                    [str(c).strip() for c in frame.columns]
                self.header_row = header_row
                if frame is not None:  # rows that do not line up are reported first
                    _check_header(self.header, self.name, self.header_row)
                self._header_problems(self.header)
                header_bytes = header_line.encode("utf-8") + b"\n"
                next_row = header_row + body + 1
            else:
                blank = _LEADING_BLANK.match(block) or _BLANK_LINE.search(block, 0, end)
                frame, body, _ = self._parse(header_bytes + block[:end], sep, next_row - 2,
                                             bool(blank), None)
                next_row += body
            if frame is None:
                continue
            frame.columns = self.header
            if not control_free:
                self._cell_problems(frame)
            self.rows += len(frame)
            yield frame

    def _parse(self, data: bytes, sep: str, offset: int, blank: bool,
               header: list[str] | None) -> tuple[pd.DataFrame | None, int, int]:
        """Parse one block (header line first): the frame (None when its rows do not line
        up, which are kept as problems), how many spreadsheet rows follow the header, and
        the header's row within the block."""
        if not blank:
            try:
                frame = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, keep_default_na=False,
                                    engine="pyarrow")
            except Exception as exc:  # pyarrow and pandas raise different parser errors
                try:
                    _read_csv_by_record(data, sep, self.name, row_offset=offset)
                except InputError as ragged:
                    self._ragged += ragged.problems
                    return None, *_rows_after_header(data)
                raise _fail(self.name, f"cannot be read as CSV ({exc})") from exc
            if header is not None and len(header) == frame.shape[1]:
                frame.columns = header
            frame.index = pd.RangeIndex(offset, offset + len(frame))
            return frame, len(frame), 1
        try:
            frame = _read_csv_by_record(data, sep, self.name, row_offset=offset)
        except InputError as ragged:
            self._ragged += ragged.problems
            return None, *_rows_after_header(data)
        header_row = frame.attrs["header_row"]
        return frame, frame.attrs["records"] - header_row, header_row

    def _header_problems(self, columns) -> None:
        for column in columns:
            found = _CONTROL_RE.search(str(column))
            if found:
                self._header_control.append(Problem(
                    self.name, self.header_row, str(column)[:40],
                    f"the header contains a control character (U+{ord(found[0]):04X})"))

    def _cell_problems(self, frame: pd.DataFrame) -> None:
        for column in frame.columns:
            kept = self._control.setdefault(column, [])
            if len(kept) >= MAX_CONTROL_PROBLEMS:
                continue
            bad = frame[column].astype("string").str.contains(_CONTROL, regex=True, na=False)
            for index in frame.index[bad.to_numpy()][: MAX_CONTROL_PROBLEMS - len(kept)]:
                value = str(frame.at[index, column])
                code = ord(_CONTROL_RE.search(value)[0])
                kept.append(Problem(self.name, int(index) + 2, column, "contains a control "
                                    f"character (U+{code:04X}), which no field may hold",
                                    value[:40]))

    def reading_problems(self) -> list[Problem]:
        """Problems the whole-file reader would have raised before any validation, in its
        order: rows that do not line up; else control characters (headers, then by column)."""
        if self._ragged:
            return list(self._ragged)
        if self.rows == 0:
            return [Problem(self.name, None, None, "the file has a header but no data rows")]
        problems = list(self._header_control)
        for column in self.header:
            problems += self._control.get(column, [])[: max(MAX_CONTROL_PROBLEMS - len(problems), 0)]
        return problems

    def finish(self) -> None:
        """Raise what :meth:`reading_problems` found, if anything."""
        problems = self.reading_problems()
        if problems:
            raise InputError(problems)


def _record_end(data: bytes) -> int:
    """Index just past the last line break outside quotes (0 if there is none)."""
    end = data.rfind(b"\n")
    while end >= 0:
        if data.count(b'"', 0, end) % 2 == 0:
            return end + 1
        end = data.rfind(b"\n", 0, end)
    return 0


def _rows_after_header(data: bytes) -> tuple[int, int]:
    """(records after the header, the header's record number), blank records counted."""
    header, count = 0, 0
    for count, cells in enumerate(csv.reader(io.StringIO(data.decode("utf-8"), newline="")),
                                  start=1):
        if not header and any(c.strip() for c in cells):
            header = count
    return count - header, header
