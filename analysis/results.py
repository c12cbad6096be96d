"""The shared small results base: one estimate with its interval and the assumptions behind it.

Every method module returns frozen dataclasses built on :class:`Estimate`, so the CLI, the
dashboard and notebooks render all estimates the same way: ``to_frame()`` gives one tidy row
per estimate (with method and confidence level) and ``summary()`` readable text. Vocabulary
follows statsmodels: ``alpha`` is the significance level; intervals are ``lower``/``upper``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

#: Interval kinds that are sampling intervals at level ``1 - alpha``; every other kind is a
#: range over assumptions and is never labelled with a confidence level.
SAMPLING_INTERVAL_KINDS = frozenset({"confidence", "credible", "bootstrap"})
_SAMPLING_LABEL = {"confidence": "confidence interval", "credible": "credible interval",
                   "bootstrap": "bootstrap interval"}

FRAME_COLUMNS = (
    "estimate", "value", "lower", "upper", "confidence_level", "alpha", "interval_kind",
    "method", "assumptions",
)


@dataclass(frozen=True)
class Estimate:
    """One estimate with its interval, how it was made and what it assumes.

    ``interval_kind`` says what the interval means: ``"confidence"`` (or another kind in
    :data:`SAMPLING_INTERVAL_KINDS`) for a sampling interval at level ``1 - alpha``; anything
    else (e.g. ``"range over durations of 1 to 5 years"``) spans stated assumptions, not
    sampling error, and then carries no confidence level: ``confidence_level`` is ``None``.

    Examples
    --------
    >>> e = Estimate("detection ratio", 0.25, 0.2, 0.31, method="Garwood exact")
    >>> e.confidence_level
    0.95
    >>> e.to_frame()[["estimate", "lower", "upper"]].to_dict("records")
    [{'estimate': 'detection ratio', 'lower': 0.2, 'upper': 0.31}]
    >>> print(e.summary())
    detection ratio: 0.25 (95% confidence interval 0.2 to 0.31) [Garwood exact]
    >>> r = Estimate("expected", 1008, 403, 2016, interval_kind="range over durations of 1 to 5 years")
    >>> r.confidence_level is None, r.as_dict()["confidence_level"]
    (True, None)
    """

    name: str
    value: float
    lower: float
    upper: float
    alpha: float = 0.05
    method: str = ""
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    interval_kind: str = "confidence"

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        values = (self.lower, self.value, self.upper)
        if not any(math.isnan(v) for v in values) and not self.lower <= self.value <= self.upper:
            raise ValueError(
                f"{self.name}: interval ({self.lower}, {self.upper}) does not contain {self.value}"
            )
        object.__setattr__(self, "assumptions", tuple(self.assumptions))

    @property
    def is_sampling_interval(self) -> bool:
        return self.interval_kind in SAMPLING_INTERVAL_KINDS

    @property
    def confidence_level(self) -> float | None:
        """``1 - alpha`` for a sampling interval; ``None`` for a range over assumptions."""
        return round(1 - self.alpha, 10) if self.is_sampling_interval else None

    def to_frame(self) -> pd.DataFrame:
        """One tidy row: name, value, interval, level, method and assumptions (joined by '; ')."""
        return pd.DataFrame([{
            "estimate": self.name, "value": self.value, "lower": self.lower,
            "upper": self.upper, "confidence_level": self.confidence_level,
            "alpha": self.alpha, "interval_kind": self.interval_kind, "method": self.method,
            "assumptions": "; ".join(self.assumptions),
        }], columns=list(FRAME_COLUMNS))

    def summary(self, digits: int = 3) -> str:
        """One readable line, e.g. ``gap: 120 (scenario envelope 40 to 300) [method]``."""
        kind = (f"{self.confidence_level:.0%} {_SAMPLING_LABEL[self.interval_kind]}"
                if self.is_sampling_interval else self.interval_kind)
        text = (f"{self.name}: {format_number(self.value, digits)} ({kind} "
                f"{format_number(self.lower, digits)} to {format_number(self.upper, digits)})")
        return text + (f" [{self.method}]" if self.method else "")

    def as_dict(self) -> dict[str, object]:
        """Plain types for JSON output (infinite or missing bounds become None)."""
        def clean(x: float) -> float | None:
            return None if math.isnan(x) or math.isinf(x) else float(x)

        return {
            "estimate": self.name, "value": clean(self.value), "lower": clean(self.lower),
            "upper": clean(self.upper), "confidence_level": self.confidence_level,
            "alpha": self.alpha, "interval_kind": self.interval_kind, "method": self.method,
            "assumptions": list(self.assumptions),
        }


def estimates_to_frame(estimates: Iterable[Estimate]) -> pd.DataFrame:
    """Stack estimates into one tidy frame (one row each).

    Examples
    --------
    >>> rows = estimates_to_frame([Estimate("a", 1, 0, 2), Estimate("b", 3, 2, 4)])
    >>> rows["estimate"].tolist()
    ['a', 'b']
    """
    frames = [e.to_frame() for e in estimates]
    if not frames:
        return pd.DataFrame(columns=list(FRAME_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def format_number(x: float, digits: int = 3) -> str:
    """Readable number: integers with thousands separators, else ``digits`` significant figures.

    Examples
    --------
    >>> format_number(122000.0), format_number(0.012345), format_number(float("inf"))
    ('122,000', '0.0123', 'inf')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"
