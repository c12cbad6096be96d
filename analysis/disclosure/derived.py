"""Figures derived from a protected count: computed from the shown value, or withheld.

Rule (docs/methods/disclosure.md, "Derived figures")
----------------------------------------------------
A figure computed from a count of people (a detection ratio against a published expected
figure, a rate per population, a share, a funnel point, the bounds of an interval on the
count, a gap = expected - detected, an MSE observed count) is computed from the **shown**
(perturbed) count, never from the true one, and is withheld (None, shown as ``[c]``) when
the count is ``[c]``. A figure of two counts (a share, a change) uses each count's own
protected value. Since the shown count is already safe to publish, any function of it and of
public numbers reveals nothing more, so no derived figure can undo the protection (a ratio
times the published expected figure gives back the shown count, not the true one).

In exact mode (:data:`analysis.disclosure.EXACT`) the same functions use the exact count.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from scipy import stats

from analysis.disclosure.cellkey import PROTECTED, ProtectedCount, protect_count


def derive(count: ProtectedCount, compute: Callable, *args, **kwargs):
    """``compute(shown count, *args, **kwargs)``, or None when the count is ``[c]``.

    The one route from a protected count to anything computed from it, e.g.
    ``derive(detected, analysis.detection.detection_ratio, expected)``.

    Examples
    --------
    >>> derive(ProtectedCount(12), lambda n, e: n / e, 48.0)
    0.25
    >>> derive(ProtectedCount(None), lambda n, e: n / e, 48.0) is None
    True
    """
    if not isinstance(count, ProtectedCount):
        raise TypeError("derive() takes a ProtectedCount (from protect_count or protect_table)")
    if count.suppressed:
        return None
    return compute(count.value, *args, **kwargs)


def protected_ratio(count: ProtectedCount, denominator: float) -> float | None:
    """Shown count / a published figure (e.g. the expected flow); None when ``[c]``.

    Examples
    --------
    >>> protected_ratio(ProtectedCount(30), 120.0)
    0.25
    """
    if denominator is None or denominator <= 0:
        return None
    return derive(count, lambda n: n / float(denominator))


def protected_rate(count: ProtectedCount, population: float, per: float = 100_000
                   ) -> float | None:
    """Shown count per ``per`` people of a published population; None when ``[c]``.

    Examples
    --------
    >>> protected_rate(ProtectedCount(30), 600_000)
    5.0
    """
    if population is None or population <= 0:
        return None
    return derive(count, lambda n: n / float(population) * per)


def protected_share(part: ProtectedCount, whole: ProtectedCount) -> float | None:
    """Shown part / shown whole, each protected as its own cell; None if either is ``[c]``.

    Examples
    --------
    >>> protected_share(ProtectedCount(12), ProtectedCount(48))
    0.25
    >>> protected_share(ProtectedCount(None), ProtectedCount(48)) is None
    True
    """
    if whole.suppressed or not whole.value:
        return None
    return derive(part, lambda n: n / whole.value)


def protected_interval(count: ProtectedCount, alpha: float = 0.05
                       ) -> tuple[float, float] | None:
    """Exact Poisson (Garwood 1936) interval for the count, from the shown value.

    The bounds are chi-square quantiles of the *shown* count, so they cannot be inverted to
    the true one. None when the count is ``[c]``.

    Examples
    --------
    >>> [round(b, 2) for b in protected_interval(ProtectedCount(10))]
    [4.8, 18.39]
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")

    def garwood(n: int) -> tuple[float, float]:
        lower = 0.0 if n == 0 else stats.chi2.ppf(alpha / 2, 2 * n) / 2
        upper = stats.chi2.ppf(1 - alpha / 2, 2 * n + 2) / 2
        return float(lower), float(upper)

    return derive(count, garwood)


def protected_observed(referrals: pd.DataFrame, list_column: str = "agency_type", *,
                       mode: str = PROTECTED, threshold: int | None = None) -> ProtectedCount:
    """The MSE observed count (people on at least one list), protected as one cell.

    The people :func:`analysis.mse.capture_patterns` counts: linked records (a
    ``person_key``) with a value of ``list_column``, each person once.

    Examples
    --------
    >>> r = pd.DataFrame({"person_key": ["a", "a", "b", None], "agency": "x",
    ...                   "record_id": ["1", "2", "3", "4"],
    ...                   "agency_type": ["police", "ngo", "police", "ngo"]})
    >>> protected_observed(r, mode="exact").value, str(protected_observed(r))
    (2, '[c]')
    """
    key = referrals["person_key"]
    linked = key.notna() & (key.astype("string").str.strip() != "").fillna(False)
    rows = referrals[linked.astype(bool) & referrals[list_column].notna()]
    return protect_count(rows, mode=mode, threshold=threshold)
