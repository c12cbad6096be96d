"""Seeded simulation of detected counts with a known detection ratio and trend.

Used to check that :mod:`analysis.detection` recovers the truth and that its 95% intervals
cover it at the stated rate (the proof asked for in issue 3). Counts are Poisson with mean
``expected x ratio x area_effect x sector_effect x trend ** years``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def simulate_detection_counts(expected: Mapping[str, float], quarters: Sequence[str], *,
                              ratio: float, trend_per_year: float = 1.0,
                              sectors: Mapping[str, float] | None = None,
                              area_effects: Mapping[str, float] | None = None,
                              random_state: int | np.random.Generator | None = None,
                              ) -> pd.DataFrame:
    """Cells of area x quarter (x sector) with ``expected`` per quarter and Poisson ``detected``.

    ``expected`` maps area code -> expected new cases per quarter; ``sectors`` maps sector ->
    share of the expected figure; ``area_effects`` multiply the ratio per area.

    Examples
    --------
    >>> d = simulate_detection_counts({"A": 100.0}, ["2023Q1", "2023Q2"], ratio=0.3,
    ...                               random_state=1)
    >>> d.columns.tolist(), len(d)
    (['area_code', 'quarter', 'expected', 'detected'], 2)
    """
    rng = np.random.default_rng(random_state)
    rows = []
    for q_i, quarter in enumerate(quarters):
        for area, e in expected.items():
            eff = (area_effects or {}).get(area, 1.0)
            for sector, share in (sectors or {None: 1.0}).items():
                mu = e * share * ratio * eff * trend_per_year ** (q_i / 4)
                row = {"area_code": area, "quarter": quarter, "expected": e * share,
                       "detected": int(rng.poisson(mu))}
                if sector is not None:
                    row["sector"] = sector
                rows.append(row)
    cols = ["area_code", "quarter", *(["sector"] if sectors else []), "expected", "detected"]
    return pd.DataFrame(rows, columns=cols)
