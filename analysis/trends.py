"""Trends in quarterly counts: the series per area, a four-quarter forecast and an
interrupted time series around an event.

Methods
-------
**Forecast.** Counts are variance-stabilised (``sqrt(y)``, or ``log(y + 1)``), modelled with
simple exponential smoothing in state-space form (ETS(A,N,N); Hyndman et al. 2008), or an
ARIMA(0,1,1) by SARIMAX, and the prediction intervals are transformed back. Quantiles
survive a monotone transform, so the back-transformed bounds are prediction bounds for the
count; the back-transformed point forecast is the *median*, not the mean. Intervals treat
the fitted parameters as known, so with short series they are slightly narrow.

**Interrupted time series.** Segmented regression (Wagner et al. 2002; Bernal, Cummins and
Gasparrini 2017) with a Poisson or negative binomial GLM::

    log E[y_t] = b0 + b1 t + b2 post_t + b3 (t - t0) post_t [+ log exposure_t]

``exp(b2)`` is the level change (rate ratio at the event against the pre-event trend
continued), ``exp(4 b3)`` the change in the yearly trend, ``exp(4 b1)`` the pre-event
yearly trend. Wald intervals. ``family="auto"`` fits Poisson and switches to negative
binomial when the Pearson chi-square exceeds its ``df`` at the 5% level. The first post
quarter is the first quarter starting on or after the event date; a quarter the event
falls inside stays in the pre-period, which dilutes the effect rather than inflating it.

References
----------
Hyndman RJ, Koehler AB, Ord JK, Snyder RD (2008). Forecasting with Exponential Smoothing.
Springer. Wagner AK et al. (2002). Segmented regression analysis of interrupted time series
studies. J Clin Pharm Ther 27:299-309. Bernal JL, Cummins S, Gasparrini A (2017).
Interrupted time series regression for the evaluation of public health interventions.
Int J Epidemiol 46:348-355.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analysis.errors import DarkFigureError
from analysis.results import Estimate, estimates_to_frame

ForecastModel = Literal["ets", "sarimax"]
Transform = Literal["sqrt", "log"]
Family = Literal["poisson", "negbin", "auto"]


def _period(quarter: str) -> pd.Period:
    try:
        return pd.Period(str(quarter), freq="Q")
    except ValueError as err:
        raise DarkFigureError(f"{quarter!r} is not a quarter like '2023Q4'") from err


def quarterly_series(data: pd.DataFrame, *, count: str = "detected",
                     exposure: str | None = None, area: str | list[str] | None = None,
                     area_column: str = "area_code", start: str | None = None,
                     end: str | None = None) -> pd.DataFrame:
    """One row per quarter: the count (and exposure) summed over the chosen areas.

    Quarters with no rows between ``start`` and ``end`` (default: the first and last in the
    data) get a count of 0, so gaps are not silently skipped.

    Examples
    --------
    >>> df = pd.DataFrame({"area_code": ["a", "a", "b"], "detected": [2, 5, 1],
    ...                    "quarter": ["2023Q1", "2023Q3", "2023Q1"]})
    >>> quarterly_series(df, area="a")["detected"].tolist()
    [2, 0, 5]
    """
    for column in ("quarter", count) + ((exposure,) if exposure else ()):
        if column not in data.columns:
            raise DarkFigureError(f"the series needs a {column!r} column")
    rows = data
    if area is not None:
        wanted = [area] if isinstance(area, str) else list(area)
        rows = data[data[area_column].isin(wanted)]
        if rows.empty:
            raise DarkFigureError(f"no rows for area(s) {wanted}")
    columns = [count] + ([exposure] if exposure else [])
    summed = rows.groupby(rows["quarter"].astype(str))[columns].sum()
    if summed.empty:
        raise DarkFigureError("no quarters to make a series from")
    first = _period(start or min(summed.index))
    last = _period(end or max(summed.index))
    quarters = [str(p) for p in pd.period_range(first, last, freq="Q")]
    out = summed.reindex(quarters)
    out[count] = out[count].fillna(0).astype(summed[count].dtype)
    if exposure and out[exposure].isna().any():
        gaps = out.index[out[exposure].isna()].tolist()
        raise DarkFigureError(f"exposure missing for quarter(s) {gaps}")
    return out.rename_axis("quarter").reset_index()


def _as_counts(series: pd.DataFrame | pd.Series, count: str) -> pd.Series:
    if isinstance(series, pd.DataFrame):
        if "quarter" not in series.columns or count not in series.columns:
            raise DarkFigureError(f"the series needs 'quarter' and {count!r} columns")
        series = series.set_index("quarter")[count]
    y = series.astype(float)
    y.index = pd.PeriodIndex([_period(q) for q in y.index.astype(str)], freq="Q")
    if not y.index.is_monotonic_increasing or y.index.has_duplicates:
        raise DarkFigureError("quarters must be unique and in order")
    expected = pd.period_range(y.index[0], y.index[-1], freq="Q")
    if len(expected) != len(y):
        raise DarkFigureError("the series has missing quarters; build it with quarterly_series")
    if y.isna().any() or (y < 0).any():
        raise DarkFigureError("counts must be non-negative numbers")
    return y


@dataclass(frozen=True, eq=False)
class ForecastResult:
    """Observed series and the forecast with prediction intervals.

    ``table`` columns: ``quarter``, ``kind`` ("observed" or "forecast"), ``value``,
    ``lower``, ``upper`` (prediction interval, forecast rows only).
    """

    table: pd.DataFrame
    alpha: float
    model: str
    transform: str

    @property
    def forecast(self) -> pd.DataFrame:
        return self.table[self.table["kind"] == "forecast"].reset_index(drop=True)

    @property
    def lower(self) -> pd.Series:
        return self.forecast.set_index("quarter")["lower"]

    @property
    def upper(self) -> pd.Series:
        return self.forecast.set_index("quarter")["upper"]

    @property
    def confidence_level(self) -> float:
        return round(1 - self.alpha, 10)

    @property
    def method(self) -> str:
        name = {"ets": "ETS(A,N,N) simple exponential smoothing",
                "sarimax": "ARIMA(0,1,1) (SARIMAX)"}[self.model]
        scale = {"sqrt": "square-root", "log": "log(y + 1)"}[self.transform]
        return f"{name} on the {scale} scale, back-transformed (point = median)"

    def to_frame(self) -> pd.DataFrame:
        out = self.table.copy()
        out["confidence_level"] = self.confidence_level
        out["alpha"] = self.alpha
        out["interval_kind"] = np.where(out["kind"] == "forecast", "prediction", "")
        out["method"] = self.method
        return out

    def summary(self) -> str:
        lines = [f"Forecast of the next {len(self.forecast)} quarters: {self.method}; "
                 f"{self.confidence_level:.0%} prediction intervals"]
        for row in self.forecast.itertuples():
            lines.append(f"{row.quarter}: {row.value:.1f} ({row.lower:.1f} to {row.upper:.1f})")
        return "\n".join(lines)


_TRANSFORMS = {
    "sqrt": (np.sqrt, lambda z: np.square(np.maximum(z, 0.0))),
    "log": (np.log1p, lambda z: np.maximum(np.expm1(z), 0.0)),
}


def forecast_counts(series: pd.DataFrame | pd.Series, horizon: int = 4, *,
                    count: str = "detected", model: ForecastModel = "ets",
                    transform: Transform = "sqrt", alpha: float = 0.05) -> ForecastResult:
    """Forecast the next ``horizon`` quarters with prediction intervals.

    Parameters
    ----------
    series : DataFrame with ``quarter`` and ``count`` columns, or a Series indexed by quarter
        A complete quarterly series (see :func:`quarterly_series`), at least 8 quarters.
    model : {"ets", "sarimax"}
        ETS(A,N,N) or ARIMA(0,1,1) on the transformed counts.
    transform : {"sqrt", "log"}
        Variance-stabilising transform; bounds are transformed back and floored at 0.

    Examples
    --------
    >>> s = pd.Series([30, 28, 35, 31, 29, 33, 30, 32, 27, 31],
    ...               index=[f"{y}Q{q}" for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)][:10])
    >>> res = forecast_counts(s)
    >>> res.forecast["quarter"].tolist()
    ['2023Q3', '2023Q4', '2024Q1', '2024Q2']
    >>> bool((res.lower < res.forecast.set_index("quarter")["value"]).all())
    True
    """
    y = _as_counts(series, count)
    if len(y) < 8:
        raise DarkFigureError(f"a forecast needs at least 8 quarters; the series has {len(y)}")
    if horizon < 1 or not 0 < alpha < 1:
        raise DarkFigureError("horizon must be at least 1 and alpha in (0, 1)")
    if transform not in _TRANSFORMS:
        raise DarkFigureError(f"transform must be 'sqrt' or 'log', got {transform!r}")
    forward, back = _TRANSFORMS[transform]
    z = forward(y)
    with warnings.catch_warnings():
        # Convergence chatter on short, flat series; the fit is still usable.
        warnings.simplefilter("ignore")
        if model == "ets":
            from statsmodels.tsa.exponential_smoothing.ets import ETSModel

            fit = ETSModel(z, error="add", trend=None).fit(disp=False)
            frame = fit.get_prediction(start=len(z), end=len(z) + horizon - 1) \
                .summary_frame(alpha=alpha)
            mean, lo, hi = frame["mean"], frame["pi_lower"], frame["pi_upper"]
        elif model == "sarimax":
            from statsmodels.tsa.statespace.sarimax import SARIMAX

            pred = SARIMAX(z, order=(0, 1, 1)).fit(disp=False).get_forecast(horizon)
            bounds = pred.conf_int(alpha=alpha)
            mean, lo, hi = pred.predicted_mean, bounds.iloc[:, 0], bounds.iloc[:, 1]
        else:
            raise DarkFigureError(f"model must be 'ets' or 'sarimax', got {model!r}")
    future = pd.period_range(y.index[-1] + 1, periods=horizon, freq="Q").astype(str)
    observed = pd.DataFrame({"quarter": y.index.astype(str), "kind": "observed",
                             "value": y.to_numpy(), "lower": np.nan, "upper": np.nan})
    ahead = pd.DataFrame({"quarter": future, "kind": "forecast",
                          "value": back(np.asarray(mean)), "lower": back(np.asarray(lo)),
                          "upper": back(np.asarray(hi))})
    return ForecastResult(table=pd.concat([observed, ahead], ignore_index=True), alpha=alpha,
                          model=model, transform=transform)


@dataclass(frozen=True, eq=False)
class InterruptedTimeSeriesResult:
    """Effects of an event on a quarterly count series (segmented GLM).

    ``level_change``, ``slope_change`` (per year) and ``pre_trend`` (per year) are rate
    ratios with Wald intervals; ``lower``/``upper`` are those of the level change.
    ``fitted`` has ``quarter``, ``observed``, ``fitted`` and ``counterfactual`` (the
    pre-event trend continued) for plotting.
    """

    level_change: Estimate
    slope_change: Estimate
    pre_trend: Estimate
    family: str
    dispersion: float
    first_post_quarter: str
    fitted: pd.DataFrame
    alpha: float = 0.05

    @property
    def value(self) -> float:
        return self.level_change.value

    @property
    def lower(self) -> float:
        return self.level_change.lower

    @property
    def upper(self) -> float:
        return self.level_change.upper

    def to_frame(self) -> pd.DataFrame:
        return estimates_to_frame([self.level_change, self.slope_change, self.pre_trend])

    def summary(self) -> str:
        n_pre = int((self.fitted["quarter"] < self.first_post_quarter).sum())
        lines = [f"Interrupted time series: {self.family} segmented regression, event at "
                 f"{self.first_post_quarter} ({n_pre} quarters before, "
                 f"{len(self.fitted) - n_pre} from it); Pearson dispersion "
                 f"{self.dispersion:.2f}"]
        lines += [e.summary() for e in (self.level_change, self.slope_change, self.pre_trend)]
        return "\n".join(lines)


def _first_post(event: str | pd.Timestamp, quarters: pd.PeriodIndex) -> pd.Period:
    text = str(event)
    if len(text) == 6 and text[4] == "Q":
        return _period(text)
    try:
        when = pd.Timestamp(event)
    except ValueError as err:
        raise DarkFigureError(f"event {event!r} is neither a quarter nor a date") from err
    period = when.to_period("Q")
    return period if when == period.start_time else period + 1


def interrupted_time_series(series: pd.DataFrame | pd.Series, event: str | pd.Timestamp, *,
                            count: str = "detected", exposure: str | None = None,
                            family: Family = "auto",
                            alpha: float = 0.05) -> InterruptedTimeSeriesResult:
    """Level and trend change in a quarterly count series at ``event``.

    Parameters
    ----------
    series : DataFrame with ``quarter`` and ``count`` (and optionally ``exposure``) columns,
        or a Series of counts indexed by quarter.
    event : quarter ("2023Q2") or date ("2023-05-10")
        The first post-event quarter is this quarter, or the first quarter starting on or
        after the date.
    exposure : str, optional
        Column used as an offset (e.g. expected cases or population), so effects are on
        rates.
    family : {"auto", "poisson", "negbin"}

    Examples
    --------
    >>> q = [str(p) for p in pd.period_range("2020Q1", periods=16, freq="Q")]
    >>> y = [40, 42, 39, 41, 40, 38, 43, 41, 53, 52, 55, 51, 54, 53, 52, 56]
    >>> res = interrupted_time_series(pd.Series(y, index=q), "2022Q1", family="poisson")
    >>> round(res.value, 2), res.lower < 1.3 < res.upper
    (1.28, True)
    """
    if isinstance(series, pd.DataFrame) and exposure:
        if exposure not in series.columns:
            raise DarkFigureError(f"no exposure column {exposure!r}")
        offset = np.log(series.set_index("quarter")[exposure].astype(float).to_numpy())
        if not np.all(np.isfinite(offset)):
            raise DarkFigureError("exposure must be positive in every quarter")
    else:
        offset = None
    y = _as_counts(series, count)
    t0 = _first_post(event, y.index)
    post = (y.index >= t0).astype(float)
    n_post = int(post.sum())
    if n_post < 3 or len(y) - n_post < 3:
        raise DarkFigureError(f"need at least 3 quarters before and after the event "
                              f"({t0}); have {len(y) - n_post} and {n_post}")
    before, after = y.to_numpy()[post == 0], y.to_numpy()[post == 1]
    if before.sum() == 0 or after.sum() == 0:
        # a segment with no detections has no finite level: the GLM would diverge (mu -> 0)
        raise DarkFigureError(f"no detections {'before' if before.sum() == 0 else 'from'} "
                              f"{t0}: a change at the event cannot be estimated")
    t = np.arange(len(y), dtype=float)
    t_first = float(np.argmax(post))
    X = np.column_stack([np.ones_like(t), t, post, (t - t_first) * post])
    poisson = sm.GLM(y.to_numpy(), X, family=sm.families.Poisson(), offset=offset).fit()
    df_resid = poisson.df_resid
    dispersion = float(poisson.pearson_chi2 / df_resid)
    overdispersed = stats.chi2.sf(poisson.pearson_chi2, df_resid) < 0.05
    if family == "negbin" or (family == "auto" and overdispersed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.NegativeBinomial(y.to_numpy(), X, offset=offset).fit(disp=0, maxiter=200)
        params, cov = np.asarray(fit.params)[:4], np.asarray(fit.cov_params())[:4, :4]
        used = "negative binomial"
    elif family in ("poisson", "auto"):
        params, cov, used = np.asarray(poisson.params), np.asarray(poisson.cov_params()), "Poisson"
    else:
        raise DarkFigureError(f"family must be 'auto', 'poisson' or 'negbin', got {family!r}")
    z = stats.norm.ppf(1 - alpha / 2)
    method = f"{used} segmented regression (Wald interval)"

    def effect(name: str, index: int, scale: float) -> Estimate:
        b, se = params[index] * scale, np.sqrt(cov[index, index]) * scale
        return Estimate(name, float(np.exp(b)), float(np.exp(b - z * se)),
                        float(np.exp(b + z * se)), alpha=alpha, method=method,
                        assumptions=(f"event: first post quarter {t0}",
                                     "log-linear trend before and after the event"))

    fitted_mu = np.exp(X @ params + (offset if offset is not None else 0))
    counter = np.exp(X[:, :2] @ params[:2] + (offset if offset is not None else 0))
    fitted = pd.DataFrame({"quarter": y.index.astype(str), "observed": y.to_numpy(),
                           "fitted": fitted_mu, "counterfactual": counter})
    return InterruptedTimeSeriesResult(
        level_change=effect("level change at event (rate ratio)", 2, 1.0),
        slope_change=effect("change in yearly trend (rate ratio per year)", 3, 4.0),
        pre_trend=effect("trend before event (rate ratio per year)", 1, 4.0),
        family=used, dispersion=dispersion, first_post_quarter=str(t0), fitted=fitted,
        alpha=alpha)
