"""The headline, one path: new victims detected and expected for an area and period.

Every page, the CLI, the board pack and the notebooks reach the headline through
:func:`headline` (or :func:`read_headline`, which opens the store), so the same view gives the
same number everywhere. The period rule is the product's: an explicit ``FROM:TO``, else the
latest four complete quarters in the store (:func:`analysis.periods.default_period`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis.area_detection import AreaDetectionResult, area_detection
from analysis.errors import DarkFigureError
from analysis.periods import default_period, parse_period_range, quarter_of, quarter_range


def stored_quarters(referrals: pd.DataFrame) -> list[str]:
    """The quarters from the first to the last stored referral, gaps included."""
    if referrals.empty:
        return []
    if "quarter" in referrals.columns:
        present = referrals["quarter"].dropna().astype(str)
    else:
        present = quarter_of(referrals["referral_date"]).dropna()
    return quarter_range(present.min(), present.max())


def latest_load_date(loads: pd.DataFrame | None) -> pd.Timestamp | None:
    """When the newest load was made (the data's extract date, as far as the store knows)."""
    if loads is None or loads.empty or "loaded_at" not in loads.columns:
        return None
    when = pd.to_datetime(loads["loaded_at"], errors="coerce").dropna()
    return None if when.empty else when.max()


def resolve_period(period: str | Sequence[str] | None, quarters: Sequence[str],
                   latest_load: pd.Timestamp | None = None) -> list[str]:
    """The view's quarters: ``FROM:TO`` (open ends take the store's first/last quarter), a list
    of quarters, or ``None`` for the default period.

    Examples
    --------
    >>> qs = quarter_range("2019Q1", "2025Q4")
    >>> resolve_period(None, qs, pd.Timestamp("2026-03-01"))[0], resolve_period("2024Q3:", qs)[-1]
    ('2025Q1', '2025Q4')
    """
    if period is not None and not isinstance(period, str):
        return list(period)
    start, end = parse_period_range(period)
    if start is None and end is None:
        chosen = default_period(quarters, latest_load)
        if not chosen:
            raise DarkFigureError("no referrals stored: load data or give --period FROM:TO")
        return chosen
    if not quarters and (start is None or end is None):
        raise DarkFigureError("no referrals stored: give both ends of the period, FROM:TO")
    return quarter_range(start or quarters[0], end or quarters[-1])


def headline(referrals: pd.DataFrame, area_code: str, period: str | Sequence[str] | None = None,
             *, loads: pd.DataFrame | None = None, scenario=None, duration=None,
             alpha: float = 0.05, **group) -> AreaDetectionResult:
    """New victims detected and expected for an area and period (the default period if none).

    ``referrals`` are every stored referral (:meth:`analysis.store.Store.referrals`), so that
    each person counts at their first-ever record. ``group`` passes ``where``, ``shares`` and
    ``category`` to :func:`analysis.area_detection.area_detection`.
    """
    quarters = resolve_period(period, stored_quarters(referrals), latest_load_date(loads))
    return area_detection(referrals, area_code, quarters, scenario=scenario,
                          duration=duration, alpha=alpha, **group)


def view_people(referrals: pd.DataFrame, area_code: str, quarters: Sequence[str],
                where: dict[str, str] | None = None) -> pd.DataFrame:
    """The rows of the new victims a headline counts: first-ever records in the area's
    districts and the quarters (and the group), one per person."""
    from analysis.detection import districts_of, new_victims

    first = new_victims(referrals)
    first = first[first["area_code"].isin(districts_of(area_code))
                  & first["quarter"].astype(str).isin(list(quarters))]
    for column, value in (where or {}).items():
        first = first[first[column].astype(str) == str(value)]
    return first


def protect_headline(result: AreaDetectionResult, people, mode: str = "protected"
                     ) -> AreaDetectionResult:
    """The headline as it may be shown: the detected count through the protection layer
    (:func:`analysis.disclosure.protect_count`) and the ratio and gap recomputed from the
    shown count (withheld when it is ``[c]``), so no derived figure undoes the protection.
    Model outputs (the trend) are kept. ``people``: the rows of the people counted, or their
    count already protected (a :class:`analysis.disclosure.ProtectedCount`, e.g. from cells
    counted in the store). ``mode="exact"`` is for analysts under the data-sharing
    agreement."""
    from dataclasses import replace

    from analysis.detection import detection_ratio
    from analysis.disclosure import ProtectedCount, derive, protect_count

    if result.detection is None:
        return result
    shown = (people if isinstance(people, ProtectedCount)
             else protect_count(people, mode=mode))
    d = result.detection
    detection = derive(shown, detection_ratio, d.expected, d.alpha, trend=d.trend,
                       detected_means=d.assumptions[0].split("; ")[0])
    return replace(result, detection=detection, mode=shown.mode)


def read_headline(store_path: str | Path | None = None, area_code: str | None = None,
                  period: str | None = None, *, mode: str = "protected",
                  **kwargs) -> AreaDetectionResult:
    """:func:`headline` on a store file (default: the configured store and home area),
    protected for disclosure unless ``mode="exact"``."""
    from analysis.config import get_setting
    from analysis.store import Store

    with Store(store_path, read_only=True) as store:
        referrals, loads = store.referrals(), store.loads()
    if referrals.empty:
        raise DarkFigureError("the store holds no referrals: load agency extracts first "
                              "(darkfigure ingest FILE...)")
    area = area_code or get_setting("home_area")
    result = headline(referrals, area, period, loads=loads, **kwargs)
    people = view_people(referrals, area, result.quarters, kwargs.get("where"))
    return protect_headline(result, people, mode)
