"""Calendar quarters as the strings ``YYYYQn`` used in every table and filter."""

from __future__ import annotations

import re

import pandas as pd

from analysis.errors import DarkFigureError

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)


def quarter_of(dates: pd.Series) -> pd.Series:
    """The quarter (``YYYYQn``) of each date; missing stays missing.

    Examples
    --------
    >>> quarter_of(pd.Series(pd.to_datetime(["2023-01-01", "2023-12-31"]))).tolist()
    ['2023Q1', '2023Q4']
    """
    dates = pd.to_datetime(dates)
    text = dates.dt.year.astype("Int64").astype(str) + "Q" + dates.dt.quarter.astype("Int64").astype(str)
    return text.where(dates.notna(), None)


def normalise_quarter(text: str) -> str:
    """Accept ``2023Q1``, ``2023 Q1`` or ``2023-Q1``; return ``2023Q1``.

    Examples
    --------
    >>> normalise_quarter("2023 q1")
    '2023Q1'
    """
    match = _QUARTER.match(str(text).strip())
    if not match:
        raise DarkFigureError(f"'{text}' is not a quarter; write it as YYYYQn, e.g. 2023Q4")
    return f"{match.group(1)}Q{match.group(2)}"


def parse_period_range(text: str | None) -> tuple[str | None, str | None]:
    """Parse ``FROM:TO`` (inclusive quarters; either side may be empty).

    Examples
    --------
    >>> parse_period_range("2023Q1:2023Q4")
    ('2023Q1', '2023Q4')
    >>> parse_period_range(":2020Q2")
    (None, '2020Q2')
    """
    if text is None or str(text).strip() in ("", ":"):
        return None, None
    if ":" not in text:
        one = normalise_quarter(text)
        return one, one
    left, right = (part.strip() for part in text.split(":", 1))
    start = normalise_quarter(left) if left else None
    end = normalise_quarter(right) if right else None
    if start and end and quarter_start(start) > quarter_start(end):
        raise DarkFigureError(f"period '{text}' ends before it starts")
    return start, end


def quarter_start(quarter: str) -> pd.Timestamp:
    """First day of a quarter.

    Examples
    --------
    >>> quarter_start("2023Q2")
    Timestamp('2023-04-01 00:00:00')
    """
    return pd.Period(normalise_quarter(quarter), freq="Q").start_time


def quarter_end(quarter: str) -> pd.Timestamp:
    """Last day of a quarter (midnight).

    Examples
    --------
    >>> quarter_end("2023Q2")
    Timestamp('2023-06-30 00:00:00')
    """
    return pd.Period(normalise_quarter(quarter), freq="Q").end_time.normalize()


def quarter_range(start: str, end: str) -> list[str]:
    """Every quarter from ``start`` to ``end`` inclusive.

    Examples
    --------
    >>> quarter_range("2023Q3", "2024Q2")
    ['2023Q3', '2023Q4', '2024Q1', '2024Q2']
    """
    periods = pd.period_range(normalise_quarter(start), normalise_quarter(end), freq="Q")
    return [str(p) for p in periods]
