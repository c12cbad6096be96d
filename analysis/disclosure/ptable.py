"""The published perturbation table: which number is shown for a count and its cell key.

Design (docs/methods/disclosure.md)
-----------------------------------
A perturbation table (ptable) maps a true count and a cell key to the count shown, as in
the ONS cell-key method for Census 2021 and the ABS TableBuilder (Thompson, Broadfoot and
Elazar 2013; the table format of the sdcTools ``ptable`` package: count class, noise,
probability, and the interval of the uniform draw that selects it). Ours, with threshold
``t`` (setting ``suppression_threshold``, default 5) and maximum noise ``D = 2``:

* a count below ``t`` (0 to 4, zero included) is not shown: ``[c]``;
* a count ``n >= t`` is shown as a whole number drawn **uniformly** from
  ``{n - D, ..., n + D}`` minus the values below ``t``: five equally likely values for
  ``n >= t + D``; for ``n = t`` the three values ``t, t+1, t+2`` (mean bias +1) and for
  ``n = t + 1`` four values (mean bias +0.5). No shown count is ever below ``t``.

So every shown count is within 2 of the truth, unbiased from ``t + D`` (7) up, and no shown
value has probability above 1/3 (1/5 from 7 up): a difference of shown counts equals the
true difference at most one time in three whatever route produced it.

The draw is ``u = SHA-256("darkfigure-cell-key-v1" || cell key)`` read as a number in
[0, 1): a fixed, uniform function of the cell key. Hashing the cell key (rather than reading
the row from the key itself, as ONS does with keys 0-255) stops the noise of a total from
being tied to the noise of its parts through ``key(total) = key(part1) + key(part2)``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import config
from analysis.errors import DarkFigureError

MAX_NOISE = 2
LOOKUP_DOMAIN = b"darkfigure-cell-key-v1"


@dataclass(frozen=True)
class PerturbationTable:
    """A perturbation table for counts: threshold, maximum noise and the transition rows.

    ``rows`` has one row per (count class, noise): ``count`` (the true count; the last
    class stands for every count from it up), ``noise``, ``shown`` (count + noise, or the
    offset for the last class), ``probability``, and ``lower``/``upper``, the interval of
    the uniform draw ``u`` that selects the row.
    """

    threshold: int
    max_noise: int
    rows: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The table as published (a copy)."""
        return self.rows.copy()

    def noise(self, counts: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Noise for counts ``>= threshold`` given their uniform draws in [0, 1).

        Examples
        --------
        >>> p = perturbation_table(threshold=5)
        >>> p.noise(np.array([5, 5, 5, 40]), np.array([0.0, 0.5, 0.99, 0.0])).tolist()
        [0, 1, 2, -2]
        """
        counts = np.asarray(counts, dtype=np.int64)
        draws = np.asarray(draws, dtype=float)
        if (counts < self.threshold).any():
            raise ValueError("counts below the threshold are suppressed, not perturbed")
        low = np.maximum(counts - self.max_noise, self.threshold)
        size = counts + self.max_noise - low + 1
        pick = np.minimum((draws * size).astype(np.int64), size - 1)
        return low + pick - counts

    def moments(self) -> pd.DataFrame:
        """Mean (bias), variance and largest probability of the noise per count class."""
        out = []
        for count, rows in self.rows.groupby("count", sort=True):
            p, v = rows["probability"].to_numpy(), rows["noise"].to_numpy()
            mean = float(p @ v)
            out.append({"count": count, "bias": round(mean, 12) + 0.0, "variance": float(p @ (v - mean) ** 2) + 0.0,
                        "largest_probability": float(p.max()),
                        "mean_absolute_change": float(p @ np.abs(v))})
        return pd.DataFrame(out)


def perturbation_table(threshold: int | None = None, max_noise: int = MAX_NOISE
                       ) -> PerturbationTable:
    """The published perturbation table (see the module notes for its design).

    Parameters
    ----------
    threshold : int, optional
        Counts below it are ``[c]``; default :func:`analysis.config.suppression_threshold`.
    max_noise : int
        Largest change to a shown count (default 2).

    Examples
    --------
    >>> t = perturbation_table(threshold=5).to_frame()
    >>> t[t["count"] == 5][["shown", "probability"]].round(3).values.tolist()
    [[5.0, 0.333], [6.0, 0.333], [7.0, 0.333]]
    >>> perturbation_table(threshold=5).moments()["bias"].round(2).tolist()
    [1.0, 0.5, 0.0]
    """
    threshold = config.suppression_threshold() if threshold is None else int(threshold)
    if threshold < 1:
        raise DarkFigureError("the suppression threshold must be at least 1")
    if max_noise < 1:
        raise DarkFigureError("the maximum noise must be at least 1")
    rows = []
    for count in range(threshold, threshold + max_noise + 1):
        shown = [v for v in range(count - max_noise, count + max_noise + 1) if v >= threshold]
        for k, value in enumerate(shown):
            rows.append({"count": count, "noise": value - count, "shown": value,
                         "probability": 1 / len(shown), "lower": k / len(shown),
                         "upper": (k + 1) / len(shown)})
    table = pd.DataFrame(rows)
    top = table["count"] == threshold + max_noise
    table["count_class"] = np.where(top, f"{threshold + max_noise} and over",
                                    table["count"].astype(str))
    table.loc[top, "shown"] = np.nan  # count + noise for every count of the class
    return PerturbationTable(threshold, max_noise, table)


def draws(cell_keys: np.ndarray) -> np.ndarray:
    """The uniform draw in [0, 1) of each cell key: SHA-256 of the key, first 53 bits.

    Examples
    --------
    >>> d = draws(np.array([0, 1, 2**64 - 1], dtype=np.uint64))
    >>> bool(((d >= 0) & (d < 1)).all()), bool(d[0] == draws(np.array([0], np.uint64))[0])
    (True, True)
    """
    keys = np.asarray(cell_keys, dtype=np.uint64)
    out = np.empty(len(keys), dtype=float)
    for i, key in enumerate(keys):
        digest = hashlib.sha256(LOOKUP_DOMAIN + int(key).to_bytes(8, "big")).digest()
        out[i] = (int.from_bytes(digest[:8], "big") >> 11) / 2.0**53
    return out
