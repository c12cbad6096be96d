"""Pseudonymisation at the agency: a keyed linkage key instead of names and dates of birth.

Method
------
Each agency turns the identifiers of a person (e.g. first name, surname, date of birth) into
``person_key = HMAC-SHA256(key, normalised identifiers)`` (RFC 2104; NIST FIPS 198-1) before
a file leaves the agency, and drops the identifiers. All agencies in the forum share one
secret key, so the same person gets the same key in every agency's extract and the records
can be linked for multiple systems estimation; without the key nobody (including the PCC
office, which never receives it) can confirm a guess of who a key belongs to. This is the
keyed-hash pseudonymisation the ICO's guidance on anonymisation and pseudonymisation
describes; the output is still personal data in law and is handled as such (docs/privacy.md).

Normalisation decides whether two spellings link: case, surrounding and repeated whitespace,
accents (Unicode NFKD, combining marks removed), punctuation, and date formats (any common
format to ISO ``yyyy-mm-dd``, day-first by default as in the UK) are made uniform.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

from analysis.errors import DarkFigureError, InputError, Problem

SEPARATOR = "\x1f"   # ASCII unit separator: normalisation removes all control characters
MIN_KEY_BYTES = 32
KINDS = ("name", "text", "date", "id")

_ISO_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
_DAY_FIRST = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%d/%m/%y", "%d-%m-%y",
              "%d.%m.%y", "%d %B %Y", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %y",
              "%B %d %Y", "%b %d %Y")
_MONTH_FIRST = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y", "%m-%d-%y",
                "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _parse_date(value: object, dayfirst: bool) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _strip_accents(str(value)).strip().casefold()
    text = re.sub(r"[ t]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)   # a time part
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text).replace(",", " ")
    text = re.sub(r"\s+", " ", text).strip()
    for fmt in _ISO_FORMATS + (_DAY_FIRST if dayfirst else _MONTH_FIRST):
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if parsed > dt.date.today() and "%y" in fmt:
            # a two-digit year of birth is never in the future: 15/03/45 is 1945
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    raise ValueError("not a date in a recognised format")


def normalise_identifier(value: object, kind: str = "name", *,
                         dayfirst: bool = True) -> str | None:
    """One identifier in the canonical form that is hashed; ``None`` when missing.

    ``kind``: ``"name"``/``"text"`` (case-folded, accents and punctuation removed; an
    apostrophe is deleted, other punctuation becomes a space; whitespace collapsed),
    ``"date"`` (ISO ``yyyy-mm-dd``; ambiguous numeric dates day-first unless
    ``dayfirst=False``), ``"id"`` (reference numbers: letters and digits only).

    Examples
    --------
    >>> normalise_identifier(" José  SMITH-Jones ")
    'jose smith jones'
    >>> normalise_identifier("O'Brien") == normalise_identifier("OBRIEN")
    True
    >>> normalise_identifier("01/02/1990", "date"), normalise_identifier("1 Feb 1990", "date")
    ('1990-02-01', '1990-02-01')
    >>> normalise_identifier("QQ 12 34 56 C", "id"), normalise_identifier("  ", "name")
    ('qq123456c', None)
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if _is_blank(value):
        return None
    if kind == "date":
        return _parse_date(value, dayfirst).isoformat()
    text = _strip_accents(str(value)).casefold()
    if kind == "id":
        text = re.sub(r"[\W_]+", "", text)
    else:
        text = re.sub(r"['\u2019`]", "", text)
        text = re.sub(r"[\W_]+", " ", text).strip()
    return text or None


def person_key(identifiers: Sequence[str | None], key: bytes) -> str | None:
    """HMAC-SHA256 (hex) of normalised identifiers joined by a separator; ``None`` if any
    identifier is missing (a key of blanks would link unrelated people).

    Examples
    --------
    >>> k = bytes(range(32))
    >>> person_key(["jose smith", "1990-02-01"], k)[:16]
    '0d2952cbc10f4817'
    >>> person_key(["jose smith", None], k) is None
    True
    """
    if len(key) < MIN_KEY_BYTES:
        raise DarkFigureError(f"the key must be at least {MIN_KEY_BYTES} bytes")
    if not identifiers or any(v is None for v in identifiers):
        return None
    if any(SEPARATOR in v for v in identifiers):
        raise ValueError("identifiers must be normalised first (normalise_identifier)")
    message = SEPARATOR.join(identifiers).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def create_key(path: str | os.PathLike[str]) -> Path:
    """Write a new random 32-byte key (hex) readable only by its owner; never overwrite.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = create_key(pathlib.Path(tempfile.mkdtemp()) / "forum.key")
    >>> len(read_key(p))
    32
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise DarkFigureError(f"{path}: key file exists; not overwriting it") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(MIN_KEY_BYTES) + "\n")
    return path


def read_key(path: str | os.PathLike[str]) -> bytes:
    """Read a hex key file; refuse a missing, malformed or short (< 32 bytes) key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise DarkFigureError(f"{path}: key file not found (create one with --create-key)") \
            from None
    except (UnicodeDecodeError, ValueError):
        raise DarkFigureError(f"{path}: the key file must hold one hexadecimal key") from None
    if len(key) < MIN_KEY_BYTES:
        raise DarkFigureError(
            f"{path}: the key is {len(key)} bytes; at least {MIN_KEY_BYTES} are required")
    return key


def kind_of_column(name: str) -> str:
    """Guess an identifier column's kind from its header.

    Examples
    --------
    >>> kind_of_column("Date of birth"), kind_of_column("NI number"), kind_of_column("Surname")
    ('date', 'id', 'name')
    """
    words = set(re.findall(r"[a-z]+", _strip_accents(name).casefold()))
    if words & {"birth", "dob", "date", "born"}:
        return "date"
    if words & {"number", "no", "passport", "nino", "ni", "ref", "reference", "id"}:
        return "id"
    return "name"


def _read_table(path: Path) -> tuple[list[str], list[list[object]], dict]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".ods"):
        from python_calamine import CalamineWorkbook

        from analysis.safe_zip import check_archive
        check_archive(path)
        try:
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:   # calamine raises its own types for broken files
            raise InputError([Problem(path.name, None, None,
                                      f"not a readable spreadsheet ({type(exc).__name__})")])\
                from None
        if not rows:
            raise InputError([Problem(path.name, None, None, "the file is empty")])
        return [str(h) for h in rows[0]], [list(r) for r in rows[1:]], {"format": "xlsx"}
    if suffix not in (".csv", ".txt"):
        raise InputError([Problem(path.name, None, None,
                                  "only .csv and .xlsx files can be pseudonymised")])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(path.name, None, None,
                                  "the file is not UTF-8; save it as 'CSV UTF-8' and retry")]) \
            from None
    if not text.strip():
        raise InputError([Problem(path.name, None, None, "the file is empty")])
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows[0], rows[1:], {"format": "csv", "delimiter": delimiter,
                               "bom": raw.startswith(b"\xef\xbb\xbf")}


def _write_table(path: Path, header: list[str], rows: list[list[object]], meta: dict) -> None:
    if meta["format"] == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=meta["delimiter"], lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        data = buffer.getvalue().encode("utf-8-sig" if meta["bom"] else "utf-8")
    else:
        from openpyxl import Workbook
        from openpyxl.cell.cell import TYPE_STRING

        workbook = Workbook()
        sheet = workbook.active
        for r, row in enumerate([header] + rows, start=1):
            for c, value in enumerate(row, start=1):
                if _is_blank(value):
                    continue
                cell = sheet.cell(row=r, column=c, value=value if not isinstance(value, str)
                                  else None)
                if isinstance(value, str):   # typed as text: never run as a formula
                    cell.value = value
                    cell.data_type = TYPE_STRING
        buffer = io.BytesIO()
        workbook.save(buffer)
        data = buffer.getvalue()
    # write beside the target and rename, so a failure never leaves half a file
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pseudonymise-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pseudonymise_file(in_path: str | os.PathLike[str], out_path: str | os.PathLike[str], *,
                      key_file: str | os.PathLike[str],
                      id_columns: Sequence[str] | Mapping[str, str],
                      key_column: str = "person_key", dayfirst: bool = True) -> dict:
    """Add ``person_key`` to an extract, drop the identifier columns, write OUT.

    ``id_columns`` lists the identifier headers (kinds guessed by :func:`kind_of_column`)
    or maps header -> kind. OUT has IN's format (CSV keeps its delimiter; XLSX its first
    sheet). Identifier values are never written, logged or put in an error message.
    Returns counts: ``{"rows", "keys", "missing_keys"}``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "in.csv").write_text("Ref,Name,DOB,Sector\\n1,Ann Lee,02/03/1980,care\\n")
    >>> key = create_key(d / "k.key")
    >>> pseudonymise_file(d / "in.csv", d / "out.csv", key_file=key, id_columns=["Name", "DOB"])
    {'rows': 1, 'keys': 1, 'missing_keys': 0}
    >>> (d / "out.csv").read_text().splitlines()[0]
    'Ref,Sector,person_key'
    """
    in_path, out_path = Path(in_path), Path(out_path)
    if not in_path.exists():
        raise DarkFigureError(f"{in_path}: file not found")
    if out_path.resolve() == in_path.resolve() or (
            out_path.exists() and os.path.samefile(in_path, out_path)):
        raise DarkFigureError("OUT must be a different file from IN: the original is never "
                              "overwritten")
    if out_path.suffix.lower() != in_path.suffix.lower():
        raise DarkFigureError(f"OUT must have the same format as IN ({in_path.suffix})")
    kinds = (dict(id_columns) if isinstance(id_columns, Mapping)
             else {c: kind_of_column(c) for c in id_columns})
    if not kinds:
        raise DarkFigureError("give at least one identifier column")
    key = read_key(key_file)
    header, rows, meta = _read_table(in_path)
    header = [h.strip() for h in header]
    problems = [Problem(in_path.name, 1, c, "identifier column not found")
                for c in kinds if c not in header]
    if key_column in header:
        problems.append(Problem(in_path.name, 1, key_column, "the file already has this column"))
    if problems:
        raise InputError(problems)
    positions = [header.index(c) for c in kinds]
    keep = [i for i in range(len(header)) if i not in positions]
    out_rows, missing = [], 0
    for r, row in enumerate(rows, start=2):
        row = list(row) + [None] * (len(header) - len(row))
        if all(_is_blank(v) for v in row):
            continue
        values = []
        for column, pos in zip(kinds, positions, strict=True):
            try:
                values.append(normalise_identifier(row[pos], kinds[column], dayfirst=dayfirst))
            except ValueError as exc:
                # the value itself is personal data: the message names only where it is
                problems.append(Problem(in_path.name, r, column, str(exc)))
                values.append(None)
        pk = person_key(values, key)
        missing += pk is None
        out_rows.append([row[i] for i in keep] + [pk or ""])
    if problems:
        raise InputError(problems)
    _write_table(out_path, [header[i] for i in keep] + [key_column], out_rows, meta)
    return {"rows": len(out_rows), "keys": len(out_rows) - missing, "missing_keys": missing}
