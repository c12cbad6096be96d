"""The results object shared by the multiple systems estimators beyond stepwise selection.

One frozen dataclass (:class:`PopulationResult`) carries what every method reports: the
observed count, the population estimate and its interval (a sampling interval for the
bootstrap methods, a posterior interval for the Bayesian ones: ``interval_kind`` says which),
the model, checks of fit and convergence, and notes. Method-specific results extend it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class PopulationResult:
    """A population estimate from capture-pattern data, with its interval and checks.

    ``checks`` holds named diagnostics as ``(name, value)`` pairs: deviance and goodness-of-fit
    p-values, R-hat and effective sample sizes, posterior predictive p-values.

    Examples
    --------
    >>> r = PopulationResult(observed=60, estimate=120.0, lower=90.0, upper=170.0,
    ...                      interval_kind="credible", checks=(("R-hat", 1.001),))
    >>> r.hidden, r.confidence_level
    (60.0, 0.95)
    >>> r.to_dict()["checks"]
    {'R-hat': 1.001}
    """

    observed: int
    estimate: float
    lower: float
    upper: float
    alpha: float = 0.05
    lists: tuple[str, ...] = ()
    method: str = ""
    interval_method: str = ""
    interval_kind: str = "confidence"  # or "credible" (posterior interval)
    model: str = ""
    checks: tuple[tuple[str, float], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def hidden(self) -> float:
        """Estimated number known to no list (estimate - observed)."""
        return self.estimate - self.observed

    @property
    def confidence_level(self) -> float:
        return round(1 - self.alpha, 10)

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows for the population and the hidden number."""
        base = {"confidence_level": self.confidence_level, "alpha": self.alpha,
                "interval_kind": self.interval_kind,
                "method": f"{self.method}; {self.interval_method}", "model": self.model,
                "observed": self.observed, "assumptions": "; ".join(self.notes)}
        return pd.DataFrame([
            {**base, "estimate": "population", "value": self.estimate, "lower": self.lower,
             "upper": self.upper},
            {**base, "estimate": "hidden", "value": self.hidden,
             "lower": self.lower - self.observed, "upper": self.upper - self.observed},
        ], columns=["estimate", "value", "lower", "upper", "confidence_level", "alpha",
                    "interval_kind", "method", "model", "observed", "assumptions"])

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"observed": self.observed, "estimate": self.estimate, "lower": self.lower,
                "upper": self.upper, "hidden": self.hidden, "alpha": self.alpha,
                "model": self.model, "lists": list(self.lists), "method": self.method,
                "interval_method": self.interval_method, "interval_kind": self.interval_kind,
                "checks": dict(self.checks), "notes": list(self.notes)}

    def summary(self) -> str:
        """Readable text: estimate, interval, model, checks and notes."""
        kind = "posterior" if self.interval_kind == "credible" else "confidence"
        lines = [f"{self.method}: {self.estimate:,.0f} ({self.confidence_level:.0%} {kind} "
                 f"interval {self.lower:,.0f} to {self.upper:,.0f}; {self.interval_method})",
                 f"Observed {self.observed:,}; hidden {self.hidden:,.0f}",
                 f"Lists: {', '.join(self.lists)}", f"Model: {self.model}"]
        lines += [f"Check: {name} = {value:.4g}" for name, value in self.checks]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)
