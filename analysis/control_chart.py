"""Statistical process control charts for quarterly counts: c-chart and u-chart.

Method
------
A c-chart (equal opportunity each quarter) has centre ``c_bar`` = the mean count over the
baseline quarters and limits ``c_bar +/- sigma * sqrt(c_bar)``; a u-chart (opportunity
varies, e.g. population or expected cases as ``exposure``) plots the rate ``u_t = c_t / n_t``
with centre ``u_bar = sum c / sum n`` and limits ``u_bar +/- sigma * sqrt(u_bar / n_t)``.
Lower limits are floored at 0. Shewhart's three-sigma limits (``sigma=3``) are the usual
choice; under a stable Poisson process a point falls outside them rarely (about 0.3% under
the normal approximation). A *run* of ``run_length`` or more consecutive points on the same
side of the centre (Western Electric rule 4: eight points) is also flagged as a sign of a
shift. Signals say "look here", not "something changed".

References
----------
Montgomery DC (2019). Introduction to Statistical Quality Control, 8th ed., ch. 7 (control
charts for nonconformities). Western Electric Company (1956). Statistical Quality Control
Handbook.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DarkFigureError


@dataclass(frozen=True, eq=False)
class ControlChartResult:
    """Per-quarter chart values and limits.

    ``table`` columns: ``quarter``, ``count``, ``exposure`` (u-chart), ``value`` (count or
    rate), ``centre``, ``lower``, ``upper``, ``signal`` ("above", "below" or "within") and
    ``in_run`` (part of a run of ``run_length`` points on one side of the centre).
    ``alpha`` is the two-sided normal tail area of ``sigma`` limits.
    """

    table: pd.DataFrame
    chart: str
    sigma: float
    run_length: int
    baseline: tuple[str, str]

    @property
    def alpha(self) -> float:
        return float(2 * stats.norm.sf(self.sigma))

    @property
    def lower(self) -> pd.Series:
        return self.table.set_index("quarter")["lower"]

    @property
    def upper(self) -> pd.Series:
        return self.table.set_index("quarter")["upper"]

    @property
    def method(self) -> str:
        return (f"{self.chart}-chart, {self.sigma:g}-sigma limits, baseline "
                f"{self.baseline[0]} to {self.baseline[1]}")

    def to_frame(self) -> pd.DataFrame:
        out = self.table.copy()
        out["confidence_level"] = round(1 - self.alpha, 6)
        out["alpha"] = self.alpha
        out["method"] = self.method
        return out

    def summary(self) -> str:
        t = self.table
        unit = "count" if self.chart == "c" else "rate"
        lines = [f"{self.method}: centre {unit} {t['centre'].iloc[0]:.3g}"]
        if self.chart == "c":
            lines[0] += f", limits {t['lower'].iloc[0]:.3g} to {t['upper'].iloc[0]:.3g}"
        for side in ("above", "below"):
            hits = t.loc[t["signal"] == side, "quarter"].tolist()
            lines.append(f"{len(hits)} quarter(s) {side} the limits" +
                         (f": {', '.join(hits)}" if hits else ""))
        runs = t.loc[t["in_run"], "quarter"].tolist()
        lines.append(f"run of {self.run_length}+ on one side of the centre: "
                     + (", ".join(runs) if runs else "none"))
        return "\n".join(lines)


def _runs(side: np.ndarray, run_length: int) -> np.ndarray:
    # A point exactly on the centre line breaks a run (side 0).
    flagged = np.zeros(side.size, dtype=bool)
    start = 0
    for i in range(1, side.size + 1):
        if i == side.size or side[i] != side[start]:
            if side[start] != 0 and i - start >= run_length:
                flagged[start:i] = True
            start = i
    return flagged


def control_chart(series: pd.DataFrame, *, count: str = "detected",
                  exposure: str | None = None, baseline: tuple[str, str] | None = None,
                  sigma: float = 3.0, run_length: int = 8) -> ControlChartResult:
    """c-chart (no exposure) or u-chart (with exposure) of a quarterly count series.

    Parameters
    ----------
    series : DataFrame with ``quarter`` and ``count`` columns (one row per quarter)
    exposure : str, optional
        Column with each quarter's opportunity (population, expected cases): gives a u-chart.
    baseline : (first quarter, last quarter), optional
        Quarters that set the centre line; default all.

    Examples
    --------
    >>> s = pd.DataFrame({"quarter": ["2023Q1", "2023Q2", "2023Q3", "2023Q4"],
    ...                   "detected": [9, 16, 8, 31]})
    >>> res = control_chart(s, baseline=("2023Q1", "2023Q3"))
    >>> row = res.table.iloc[3]
    >>> float(row.centre), round(float(row.upper), 3), row.signal
    (11.0, 20.95, 'above')
    """
    for column in ("quarter", count) + ((exposure,) if exposure else ()):
        if column not in series.columns:
            raise DarkFigureError(f"the control chart needs a {column!r} column")
    if series["quarter"].duplicated().any():
        raise DarkFigureError("one row per quarter expected; sum the series first")
    t = series.sort_values("quarter").reset_index(drop=True)
    c = t[count].to_numpy(dtype=float)
    if np.any(~np.isfinite(c)) or np.any(c < 0):
        raise DarkFigureError("counts must be non-negative numbers")
    quarters = t["quarter"].astype(str)
    first, last = baseline or (quarters.iloc[0], quarters.iloc[-1])
    in_base = ((quarters >= first) & (quarters <= last)).to_numpy()
    if not in_base.any():
        raise DarkFigureError(f"no quarters in the baseline {first} to {last}")
    if exposure:
        n = t[exposure].to_numpy(dtype=float)
        if np.any(~np.isfinite(n)) or np.any(n <= 0):
            raise DarkFigureError("exposure must be positive in every quarter")
        centre = c[in_base].sum() / n[in_base].sum()
        value, half = c / n, sigma * np.sqrt(centre / n)
        chart = "u"
    else:
        n = np.full(c.size, np.nan)
        centre = c[in_base].mean()
        value, half = c, np.full(c.size, sigma * np.sqrt(centre))
        chart = "c"
    lower, upper = np.maximum(centre - half, 0.0), centre + half
    signal = np.where(value > upper, "above", np.where(value < lower, "below", "within"))
    table = pd.DataFrame({"quarter": quarters, "count": c, "exposure": n, "value": value,
                          "centre": centre, "lower": lower, "upper": upper, "signal": signal,
                          "in_run": _runs(np.sign(value - centre), run_length)})
    return ControlChartResult(table=table, chart=chart, sigma=sigma, run_length=run_length,
                              baseline=(first, last))
