"""How to show a time series whose counts are small: quarters, years, and which models may run.

Statistical disclosure control hides small counts ([c]); a chart whose quarters are mostly
hidden shows nothing, and a forecast, control chart or interrupted time series fitted to the
hidden counts would let a reader work them back out of the model's line (the "differencing"
risk in the ONS Disclosure Control Guidance for Tables, 2023, section 4). The rules here:

* when more than half of the quarters are hidden, aggregate to calendar years and protect
  the yearly series again (a year pools four quarters, so fewer cells fall below the
  threshold);
* a model runs only on a series every one of whose counts is shown, so nothing on the page is
  computed from a count the page hides.

The functions are pure: they take the unprotected series and a protection function (the
caller passes :func:`analysis.disclosure.suppress_series`) and never read the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

MOSTLY = 0.5  # "mostly protected": more than this share of periods hidden


@dataclass(frozen=True)
class SeriesPlan:
    """How a series is shown: its ``resolution`` ("quarter" or "year"), whether models may
    run on it, and why (a sentence for the page)."""

    resolution: str
    models_allowed: bool
    hidden_share: float
    reason: str

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])


def hidden_share(protected: pd.DataFrame, count: str = "detected") -> float:
    """Share of periods whose count is hidden ([c], i.e. missing after protection).

    Examples
    --------
    >>> hidden_share(pd.DataFrame({"detected": [4, None, None, 9]}))
    0.5
    """
    if protected.empty:
        return 0.0
    return float(protected[count].isna().mean())


def plan_series(protected: pd.DataFrame, count: str = "detected") -> SeriesPlan:
    """Decide resolution and models for a protected quarterly series.

    Examples
    --------
    >>> q = pd.DataFrame({"detected": [None, None, None, 12, None, 8]})
    >>> p = plan_series(q)
    >>> p.resolution, p.models_allowed
    ('year', False)
    >>> plan_series(pd.DataFrame({"detected": [5, 9, 12, 8]})).models_allowed
    True
    """
    share = hidden_share(protected, count)
    if share > MOSTLY:
        return SeriesPlan("year", False, share,
                          f"{share:.0%} of quarters are too small to show, so the chart shows "
                          "whole years and no forecast or control limits.")
    if share > 0:
        return SeriesPlan("quarter", False, share,
                          "Some quarters are too small to show, so no forecast, control limits "
                          "or change test is drawn (they would be computed from hidden counts).")
    return SeriesPlan("quarter", True, 0.0, "")


def to_years(raw: pd.DataFrame, count: str = "detected", time_column: str = "quarter",
             per_quarter: tuple[str, ...] = ()) -> pd.DataFrame:
    """Quarterly counts -> calendar years with the number of quarters each year covers.

    Columns in ``per_quarter`` (e.g. an expected figure a quarter) are summed too, so a
    yearly expected figure covers exactly the quarters counted. ``year`` is a string.

    Examples
    --------
    >>> raw = pd.DataFrame({"quarter": ["2024Q3", "2024Q4", "2025Q1"], "detected": [1, 2, 3]})
    >>> to_years(raw).to_dict("list")
    {'year': ['2024', '2025'], 'detected': [3, 3], 'quarters': [2, 1]}
    """
    frame = raw.assign(year=raw[time_column].astype(str).str[:4])
    grouped = frame.groupby("year", sort=True)
    out = grouped[[count, *per_quarter]].sum(min_count=1).reset_index()
    out["quarters"] = grouped.size().to_numpy()
    return out[["year", count, *per_quarter, "quarters"]]


def protect_years(raw: pd.DataFrame, protect: Callable[..., pd.DataFrame],
                  count: str = "detected", per_quarter: tuple[str, ...] = ()) -> pd.DataFrame:
    """Yearly series from the unprotected quarters, protected again by ``protect``
    (called as ``protect(frame, count, time_column="year")``)."""
    years = to_years(raw, count, per_quarter=per_quarter)
    return protect(years, count, time_column="year")
