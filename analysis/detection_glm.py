"""Detection model: a log-linear GLM of detected counts with offset log(expected).

Method
------
``log E[detected] = log(expected) + b0 + area + sector + b_t x years`` over the cells of
area x quarter x sector, so ``exp(b)`` are detection *rate ratios*: ``exp(b0)`` the detection
ratio in the reference area and sector at the first quarter, area and sector terms relative to
their reference level (the first in sorted order), and ``exp(b_t)`` the change in detection
per year (the trend). Terms with a single level are left out.

Family. A Poisson GLM is fitted first. Overdispersion is tested with the Cameron and Trivedi
(1990) auxiliary regression ``((y - mu)^2 - y) / mu = a mu + e`` (no intercept; NB2 form);
**rule: if the one-sided p-value of a > 0 is below 0.05, the negative binomial (NB2) family
is used**, with its dispersion ``a`` estimated by maximum likelihood (statsmodels
``NegativeBinomial``) and the GLM refitted with that ``a``. The Pearson chi-square / df is
reported alongside. Wald intervals and p-values come from the chosen GLM.

References: McCullagh P, Nelder JA (1989) Generalized Linear Models, 2nd ed., ch. 6;
Cameron AC, Trivedi PK (1990) Regression-based tests for overdispersion in the Poisson model,
J Econometrics 46:347-64; Cameron AC, Trivedi PK (2013) Regression Analysis of Count Data,
2nd ed., sec. 3.4.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analysis.errors import DarkFigureError
from analysis.results import Estimate, estimates_to_frame

Family = Literal["auto", "poisson", "negative_binomial"]
FACTORS = ("area_code", "sector")
DISPERSION_LEVEL = 0.05


def quarter_time(quarters: Sequence[str] | pd.Series) -> np.ndarray:
    """Years since the first quarter given, e.g. ``2023Q3`` is 0.5 after ``2023Q1``.

    Examples
    --------
    >>> quarter_time(["2023Q1", "2023Q3", "2024Q1"]).tolist()
    [0.0, 0.5, 1.0]
    """
    text = pd.Series(list(quarters), dtype=str)
    parsed = text.str.extract(r"^(\d{4})Q([1-4])$")
    if parsed.isna().any().any():
        bad = text[parsed.isna().any(axis=1)].iloc[0]
        raise DarkFigureError(f"quarter '{bad}' is not of the form YYYYQn")
    years = parsed[0].astype(int) + (parsed[1].astype(int) - 1) / 4
    return (years - years.min()).to_numpy(dtype=float)


@dataclass(frozen=True)
class DispersionTest:
    """Cameron-Trivedi overdispersion test on the Poisson fit, and the decision taken."""

    statistic: float
    p_value: float
    dispersion: float  # a in Var = mu + a mu^2 (moment estimate from the auxiliary regression)
    pearson_ratio: float  # Pearson chi2 / df of the Poisson fit
    level: float
    overdispersed: bool
    rule: str


@dataclass(frozen=True, eq=False)
class DetectionModelResult:
    """A fitted detection model: family, rate ratios, trend and the overdispersion test."""

    family: str
    table: pd.DataFrame
    trend: Estimate | None
    baseline: Estimate
    dispersion_test: DispersionTest
    nb_alpha: float | None
    n_obs: int
    alpha: float = 0.05
    reference_levels: dict[str, str] = field(default_factory=dict)

    @property
    def lower(self) -> float:
        return float("nan") if self.trend is None else self.trend.lower

    @property
    def upper(self) -> float:
        return float("nan") if self.trend is None else self.trend.upper

    def rate_ratios(self) -> pd.DataFrame:
        """One row per model term: ``term``, ``factor``, ``level``, ``rate_ratio``,
        ``lower``, ``upper``, ``p_value`` (the intercept row is the baseline detection ratio)."""
        return self.table.copy()

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: the baseline ratio, the trend and every rate ratio as estimates."""
        rows = [self.baseline] + ([self.trend] if self.trend is not None else [])
        for r in self.table.itertuples():
            if r.factor in FACTORS:
                rows.append(Estimate(f"rate ratio {r.factor}={r.level}", float(r.rate_ratio),
                                     float(r.lower), float(r.upper), alpha=self.alpha,
                                     method=self._method()))
        return estimates_to_frame(rows)

    def _method(self) -> str:
        return f"{self.family} GLM, offset log(expected)"

    def summary(self) -> str:
        d = self.dispersion_test
        lines = [f"Detection model: {self._method()}, {self.n_obs} cells",
                 f"  overdispersion (Cameron-Trivedi): t = {d.statistic:.2f}, "
                 f"p = {d.p_value:.3g}, Pearson chi2/df = {d.pearson_ratio:.2f} -> {self.family}",
                 "  " + self.baseline.summary()]
        if self.trend is not None:
            lines.append("  " + self.trend.summary())
        refs = ", ".join(f"{k}={v}" for k, v in self.reference_levels.items())
        if refs:
            lines.append(f"  reference levels: {refs}")
        return "\n".join(lines)


def _design(counts: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str], bool]:
    parts = [pd.Series(1.0, index=counts.index, name="const")]
    refs: dict[str, str] = {}
    for factor in FACTORS:
        if factor not in counts.columns:
            continue
        values = counts[factor].astype(str)
        levels = sorted(values.unique())
        if len(levels) < 2:
            continue
        refs[factor] = levels[0]
        dummies = pd.get_dummies(values, dtype=float)[levels[1:]]
        dummies.columns = [f"{factor}={c}" for c in levels[1:]]
        parts.append(dummies)
    time = pd.Series(quarter_time(counts["quarter"]), index=counts.index, name="years")
    has_trend = time.nunique() > 1
    if has_trend:
        parts.append(time)
    return pd.concat(parts, axis=1), refs, has_trend


def _dispersion_test(y: np.ndarray, mu: np.ndarray, df_resid: float,
                     level: float) -> DispersionTest:
    aux = ((y - mu) ** 2 - y) / mu
    ols = sm.OLS(aux, mu[:, None]).fit()
    a_hat, t = float(ols.params[0]), float(ols.tvalues[0])
    p = float(stats.t.sf(t, ols.df_resid))
    pearson = float(np.sum((y - mu) ** 2 / mu) / max(df_resid, 1))
    return DispersionTest(statistic=t, p_value=p, dispersion=max(a_hat, 0.0),
                          pearson_ratio=pearson, level=level, overdispersed=p < level,
                          rule=f"negative binomial if the one-sided Cameron-Trivedi p < {level}")


def _nb_alpha(y, X, offset, start, fallback: float) -> float:
    from statsmodels.discrete.discrete_model import NegativeBinomial

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = NegativeBinomial(y, X, offset=offset).fit(
                start_params=np.append(start, max(fallback, 0.05)), disp=0, maxiter=200)
        a = float(np.asarray(fit.params)[-1])
        if np.isfinite(a) and a > 0:
            return a
    except (np.linalg.LinAlgError, ValueError):
        pass
    return max(fallback, 1e-6)


def fit_detection_model(counts: pd.DataFrame, alpha: float = 0.05, *,
                        family: Family = "auto",
                        dispersion_level: float = DISPERSION_LEVEL) -> DetectionModelResult:
    """Fit the detection GLM over area x quarter x sector cells.

    Parameters
    ----------
    counts : DataFrame
        Columns ``quarter`` (YYYYQn), ``detected`` (int), ``expected`` (> 0), and optionally
        ``area_code`` and ``sector`` (factors; dropped when they have a single level).
    alpha : float
        Significance level of the intervals.
    family : {"auto", "poisson", "negative_binomial"}
        ``"auto"`` chooses by the Cameron-Trivedi test (see the module docstring).

    Returns
    -------
    DetectionModelResult

    Examples
    --------
    >>> c = pd.DataFrame({"quarter": ["2023Q1", "2023Q2", "2023Q3", "2023Q4"],
    ...                   "detected": [10, 12, 9, 14], "expected": [100.0] * 4})
    >>> m = fit_detection_model(c, family="poisson")
    >>> m.family, round(m.trend.value, 2)
    ('poisson', 1.38)
    """
    missing = [c for c in ("quarter", "detected", "expected") if c not in counts.columns]
    if missing:
        raise DarkFigureError(f"detection model needs column(s) {missing}")
    if counts.empty:
        raise DarkFigureError("detection model: no cells to fit")
    if family not in ("auto", "poisson", "negative_binomial"):
        raise DarkFigureError(f"unknown family {family!r}")
    data = counts.reset_index(drop=True)
    expected = data["expected"].astype(float)
    if expected.isna().any() or (expected <= 0).any():
        raise DarkFigureError("detection model: every cell needs a positive expected figure")
    y = data["detected"].to_numpy(dtype=float)
    if (y < 0).any() or np.isnan(y).any():
        raise DarkFigureError("detection model: detected counts must be >= 0")
    if y.sum() == 0:
        raise DarkFigureError("detection model: nothing detected, so no rate can be estimated")
    X, refs, has_trend = _design(data)
    offset = np.log(expected.to_numpy())
    poisson = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
    test = _dispersion_test(y, poisson.mu, poisson.df_resid, dispersion_level)
    use_nb = family == "negative_binomial" or (family == "auto" and test.overdispersed)
    nb_alpha = None
    fit = poisson
    if use_nb:
        nb_alpha = _nb_alpha(y, X, offset, poisson.params.to_numpy(), test.dispersion)
        fit = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=nb_alpha),
                     offset=offset).fit()
    name = "negative_binomial" if use_nb else "poisson"
    ci = fit.conf_int(alpha)
    table = pd.DataFrame({
        "term": X.columns,
        "factor": [c.split("=")[0] if "=" in c else c for c in X.columns],
        "level": [c.split("=", 1)[1] if "=" in c else "" for c in X.columns],
        "rate_ratio": np.exp(fit.params.to_numpy()),
        "lower": np.exp(ci.iloc[:, 0].to_numpy()), "upper": np.exp(ci.iloc[:, 1].to_numpy()),
        "p_value": fit.pvalues.to_numpy(),
    })
    method = f"{name} GLM, offset log(expected), Wald interval"
    row = table.set_index("term")
    baseline = Estimate("detection ratio at reference levels, first quarter",
                        float(row.loc["const", "rate_ratio"]), float(row.loc["const", "lower"]),
                        float(row.loc["const", "upper"]), alpha=alpha, method=method)
    trend = None
    if has_trend:
        trend = Estimate("trend: detection rate ratio per year", float(row.loc["years", "rate_ratio"]),
                         float(row.loc["years", "lower"]), float(row.loc["years", "upper"]), alpha=alpha,
                         method=method, assumptions=(
                             f"p = {row.loc['years', 'p_value']:.3g}",
                             f"family chosen by rule: {test.rule}"))
    return DetectionModelResult(family=name, table=table, trend=trend, baseline=baseline,
                                dispersion_test=test, nb_alpha=nb_alpha, n_obs=len(data),
                                alpha=alpha, reference_levels=refs)
