"""Calendar quarters as the strings ``YYYYQn`` used in every table and filter."""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def period_label(quarters: Sequence[str]) -> str:
    """A period in words: a calendar year, one quarter, or 'FROM to TO'.

    Examples
    --------
    >>> period_label(["2025Q1", "2025Q2", "2025Q3", "2025Q4"]), period_label(["2024Q3"])
    ('2025', '2024 Q3')
    >>> period_label(quarter_range("2024Q3", "2025Q2")), period_label(quarter_range("2019Q1", "2025Q4"))
    ('2024 Q3 to 2025 Q2', '2019 to 2025')
    """
    qs = [normalise_quarter(q) for q in quarters]
    if not qs:
        return "no period"
    first, last = qs[0], qs[-1]
    if first.endswith("Q1") and last.endswith("Q4"):
        return first[:4] if first[:4] == last[:4] else f"{first[:4]} to {last[:4]}"
    if first == last:
        return f"{first[:4]} {first[4:]}"
    return f"{first[:4]} {first[4:]} to {last[:4]} {last[4:]}"


def default_period(quarters: Sequence[str], latest_load: pd.Timestamp | None = None,
                   n: int = 4) -> list[str]:
    """The product's default period: the latest ``n`` complete quarters in the store.

    A quarter is complete when the latest load was made after it ended (its records had
    time to arrive); without a load date, the latest stored quarter is taken as complete.

    Examples
    --------
    >>> qs = quarter_range("2024Q1", "2026Q1")
    >>> default_period(qs, pd.Timestamp("2026-02-10"))
    ['2025Q1', '2025Q2', '2025Q3', '2025Q4']
    >>> default_period(qs)
    ['2025Q2', '2025Q3', '2025Q4', '2026Q1']
    """
    stored = sorted({normalise_quarter(q) for q in quarters})
    if not stored:
        return []
    if latest_load is not None:
        complete = [q for q in stored if quarter_end(q) < pd.Timestamp(latest_load).normalize()]
        stored = complete or stored
    return quarter_range(stored[-1], stored[-1]) if n == 1 else \
        [q for q in quarter_range(stored[0], stored[-1])][-n:]
