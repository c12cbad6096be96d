"""Proportions and times to an event: Wilson intervals and Kaplan-Meier quantiles.

Methods
-------
* **Wilson score interval** for a binomial proportion (Wilson 1927, *JASA* 22:209-212),
  recommended over the Wald interval for small counts and rates near 0 or 1 by Brown, Cai
  and DasGupta (2001, *Statistical Science* 16:101-133).
* **Kaplan-Meier** product-limit estimate of the share not yet reached the event (Kaplan and
  Meier 1958, *JASA* 53:457-481): at each event time ``t``, S(t) = prod (1 - d_i / n_i) with
  ``d_i`` events and ``n_i`` at risk (events before censorings at tied times). The ``p``
  quantile of the time is the smallest ``t`` with ``S(t) <= 1 - p`` (as in Klein and
  Moeschberger 2003, section 4.5); it is *not reached* (NaN) when S never falls that far,
  which is the honest answer when most cases are still open.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats


def wilson_interval(successes, trials, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``successes / trials`` (arrays broadcast; NaN where no trials).

    Examples
    --------
    >>> lo, hi = wilson_interval(3, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.1078, 0.6032)
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lower = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        upper = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return lower, upper


def kaplan_meier(durations: Sequence[float], events: Sequence[bool]) -> pd.DataFrame:
    """The Kaplan-Meier curve: one row per distinct event time with ``at_risk``, ``events``
    and ``survival`` (share not yet reached the event just after ``time``).

    Examples
    --------
    >>> kaplan_meier([1, 2, 2, 3], [True, False, True, True])["survival"].round(3).tolist()
    [0.75, 0.5, 0.0]
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    if t.shape != e.shape:
        raise ValueError("durations and events must have the same length")
    keep = ~np.isnan(t)
    t, e = t[keep], e[keep]
    times, deaths = np.unique(t[e], return_counts=True)
    # At risk at u: everyone whose time is >= u (events before censorings at ties).
    at_risk = (len(t) - np.searchsorted(np.sort(t), times, side="left")).astype(float)
    deaths = deaths.astype(float)
    survival = np.cumprod(1 - deaths / at_risk) if len(times) else np.array([])
    return pd.DataFrame({"time": times, "at_risk": at_risk.astype(int),
                         "events": deaths.astype(int), "survival": survival})


def km_quantiles(durations: Sequence[float], events: Sequence[bool],
                 probs: Sequence[float] = (0.25, 0.5, 0.75)) -> dict[float, float]:
    """Quantiles of the time to the event from the Kaplan-Meier curve; NaN when not reached.

    Examples
    --------
    >>> km_quantiles([5, 8, 12, 20, 30], [True, True, False, True, False])
    {0.25: 8.0, 0.5: 20.0, 0.75: nan}
    """
    curve = kaplan_meier(durations, events)
    out = {}
    for p in probs:
        hit = curve.loc[curve["survival"] <= 1 - p + 1e-12, "time"]
        out[p] = float(hit.iloc[0]) if len(hit) else float("nan")
    return out
