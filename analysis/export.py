"""Downloads as CSV and XLSX that spreadsheets open safely.

A text cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some spreadsheets skip before reading a formula) is run as a formula when a CSV is opened
in Excel or LibreOffice ("CSV injection", OWASP). Agencies' free-text codes reach our tables,
so every export prefixes such text with an apostrophe, the spreadsheet convention for "this
is text". Numbers stay numbers, including negative ones.

CSV is written as UTF-8 *with* a byte-order mark: Excel on Windows otherwise reads a CSV as
the local code page (Windows-1252) and garbles names such as "Rhôné"; pandas, R and
LibreOffice all read the BOM transparently.
"""

from __future__ import annotations

import io
import numbers

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _neutralise_value(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulae(table: pd.DataFrame) -> pd.DataFrame:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe.

    Column headers are treated like cells. Numeric columns are untouched.

    Examples
    --------
    >>> t = pd.DataFrame({"agency": ["=HYPERLINK(\\"http://x\\")", "Police"], "n": [-3, 4]})
    >>> out = neutralise_formulae(t)
    >>> out["agency"].tolist(), out["n"].tolist()
    (['\\'=HYPERLINK("http://x")', 'Police'], [-3, 4])
    """
    out = table.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[col] = series.map(_neutralise_value)
    out.columns = [_neutralise_value(c) for c in out.columns]
    return out


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as CSV bytes (UTF-8 with BOM, formulae neutralised, no index).

    Examples
    --------
    >>> to_csv_bytes(pd.DataFrame({"a": ["+1", "x"]}))[:3] == b"\\xef\\xbb\\xbf"
    True
    """
    text = neutralise_formulae(table).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def to_xlsx_bytes(table: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """The table as an XLSX workbook: text stored as text (never a formula), numbers as numbers.

    openpyxl treats any string starting with ``=`` as a formula, so text cells are written
    with the string data type set explicitly, after the apostrophe prefix.

    Examples
    --------
    >>> data = to_xlsx_bytes(pd.DataFrame({"a": ["=1+1"], "n": [2]}))
    >>> data[:2]
    b'PK'
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    safe = neutralise_formulae(table)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _safe_sheet_name(sheet_name)
    rows = [list(safe.columns)] + safe.astype(object).values.tolist()
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None or value is pd.NA or value is pd.NaT or (
                    isinstance(value, float) and value != value):
                continue
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, bool) or isinstance(value, numbers.Number):
                cell.value = value.item() if hasattr(value, "item") else value
            elif isinstance(value, pd.Timestamp):
                cell.value = value.to_pydatetime()
            else:
                cell.value = str(value)
                cell.data_type = TYPE_STRING
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _safe_sheet_name(name: str) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")
    return (cleaned or "data")[:31]
