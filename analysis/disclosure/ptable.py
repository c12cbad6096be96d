"""The published perturbation table: which number is shown for a count and its cell key.

Design (docs/methods/disclosure.md)
-----------------------------------
A perturbation table (ptable) maps a true count and a cell key to the count shown, as in
the ONS cell-key method for Census 2021 and the ABS TableBuilder (Thompson, Broadfoot and
Elazar 2013; the table format of the sdcTools ``ptable`` package: count, noise, probability,
and the interval of the uniform draw that selects it). Ours, with threshold ``t`` (setting
``suppression_threshold``, default 5) and maximum noise ``D = 2``:

1. a count ``n >= 1`` gets a noise drawn **uniformly** from ``{-D, ..., +D}`` (five equally
   likely values, mean 0, variance 2); an empty cell (0) gets none;
2. the perturbed count is shown if it is at least ``t``; otherwise the cell is ``[c]``
   (as in the ONS ``cell_key_perturbation`` package, whose threshold also applies after
   perturbation). A zero, a 1 or a 2 is always ``[c]``; a 3 or 4 is shown (as 5 or 6) one
   time in five or two in five; a 5 or 6 is ``[c]`` two times in five or one in five.

So no shown count is below ``t``, every shown count is within 2 of the truth, the noise is
unbiased, and no value has probability above 1/5: a difference of shown counts equals the
true difference at most one time in five, whatever route produced it. ``[c]`` bounds the
true count only loosely (0 to ``t + D - 1``), so it gives no sharp edge to clip a
differencing estimate against.

The draw is ``u = SHA-256("darkfigure-cell-key-v1" || cell key)`` read as a number in
[0, 1): a fixed, uniform function of the cell key. Hashing the cell key (rather than reading
the row from the key itself, as ONS does with keys 0-255) stops the noise of a total from
being tied to the noise of its parts through ``key(total) = key(part1) + key(part2)``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis import config
from analysis.errors import DarkFigureError

MAX_NOISE = 2
LOOKUP_DOMAIN = b"darkfigure-cell-key-v1"


@dataclass(frozen=True)
class PerturbationTable:
    """A perturbation table for counts: threshold, maximum noise and the transition rows.

    ``rows`` has one row per (count, noise): ``count`` (the true count; the last one,
    labelled in ``count_class``, stands for every count from it up), ``noise``, ``shown``
    (what is shown, as text: ``[c]``, a number, or ``n+1`` for the last class), ``hidden``,
    ``probability``, and ``lower``/``upper``, the interval of the uniform draw ``u`` that
    selects the row.
    """

    threshold: int
    max_noise: int
    rows: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The table as published (a copy)."""
        return self.rows.copy()

    def layout(self) -> pd.DataFrame:
        """The table as published in docs/methods/disclosure.md: what is shown for each
        count (rows) and noise (columns, each of probability 1/5; an empty cell gets none).

        Examples
        --------
        >>> perturbation_table(threshold=5).layout().loc["4"].tolist()
        ['[c]', '[c]', '[c]', '5', '6']
        """
        wide = self.rows.pivot(index="count_class", columns="noise", values="shown")
        wide = wide.reindex(list(dict.fromkeys(self.rows["count_class"]))).fillna("")
        wide.columns = [f"{c:+d}" if c else "0" for c in wide.columns]
        wide.index.name = "true count"
        return wide

    def noise(self, counts: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Noise for counts given their uniform draws in [0, 1) (none for an empty cell).

        Examples
        --------
        >>> p = perturbation_table(threshold=5)
        >>> p.noise(np.array([0, 5, 5, 40]), np.array([0.5, 0.0, 0.5, 0.99])).tolist()
        [0, -2, 0, 2]
        """
        counts = np.asarray(counts, dtype=np.int64)
        draws = np.asarray(draws, dtype=float)
        size = 2 * self.max_noise + 1
        pick = np.minimum((draws * size).astype(np.int64), size - 1)
        return np.where(counts > 0, pick - self.max_noise, 0)

    def shown(self, counts: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Shown counts (float, NaN for ``[c]``) given true counts and draws.

        Examples
        --------
        >>> p = perturbation_table(threshold=5)
        >>> p.shown(np.array([0, 4, 4, 40]), np.array([0.9, 0.1, 0.9, 0.5])).tolist()
        [nan, nan, 6.0, 40.0]
        """
        value = np.asarray(counts, dtype=np.int64) + self.noise(counts, draws)
        return np.where(value >= self.threshold, value, np.nan).astype(float)

    def moments(self) -> pd.DataFrame:
        """Per count: chance of ``[c]``, noise bias and variance, largest probability."""
        out = []
        for count, rows in self.rows.groupby("count", sort=True):
            p, v = rows["probability"].to_numpy(), rows["noise"].to_numpy()
            mean = round(float(p @ v), 12) + 0.0
            out.append({"count": count, "probability_hidden": float(p @ rows["hidden"]),
                        "bias": mean, "variance": round(float(p @ (v - mean) ** 2), 12) + 0.0,
                        "largest_probability": float(p.max()),
                        "mean_absolute_change": float(p @ np.abs(v))})
        return pd.DataFrame(out)


def perturbation_table(threshold: int | None = None, max_noise: int = MAX_NOISE
                       ) -> PerturbationTable:
    """The published perturbation table (see the module notes for its design).

    Parameters
    ----------
    threshold : int, optional
        Perturbed counts below it are ``[c]``; default
        :func:`analysis.config.suppression_threshold`.
    max_noise : int
        Largest change to a shown count (default 2).

    Examples
    --------
    >>> t = perturbation_table(threshold=5).to_frame()
    >>> t[t["count"] == 4]["shown"].tolist()
    ['[c]', '[c]', '[c]', '5', '6']
    >>> perturbation_table(threshold=5).moments()["probability_hidden"].round(1).tolist()
    [1.0, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2, 0.0]
    """
    threshold = config.suppression_threshold() if threshold is None else int(threshold)
    if threshold < 1:
        raise DarkFigureError("the suppression threshold must be at least 1")
    if max_noise < 1:
        raise DarkFigureError("the maximum noise must be at least 1")
    return _table(threshold, int(max_noise))


@lru_cache(maxsize=16)
def _table(threshold: int, max_noise: int) -> PerturbationTable:
    # built once per setting: every protected cell on a page asks for it (the table is
    # immutable to callers: to_frame() copies)
    rows = []
    top = threshold + max_noise
    for count in range(0, top + 1):
        noises = [0] if count == 0 else list(range(-max_noise, max_noise + 1))
        for k, noise in enumerate(noises):
            value = count + noise
            if count == top:  # the class of every count from top up: shown count + noise
                shown = "n" if noise == 0 else f"n{noise:+d}"
            else:
                shown = str(value) if value >= threshold else "[c]"
            rows.append({"count": count, "count_class": f"{count} and over" if count == top
                         else str(count), "noise": noise, "shown": shown,
                         "hidden": value < threshold, "probability": 1 / len(noises),
                         "lower": k / len(noises), "upper": (k + 1) / len(noises)})
    return PerturbationTable(threshold, max_noise, pd.DataFrame(rows))


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
