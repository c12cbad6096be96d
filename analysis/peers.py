"""Peer areas: the most similar areas on standardised covariates (nearest neighbours).

Method
------
Each covariate is standardised (mean 0, standard deviation 1 across the areas fitted, so
no covariate dominates by its units) and areas are compared by Euclidean distance
(scikit-learn ``StandardScaler`` + ``NearestNeighbors``). An area's peers are its
``n_neighbors`` nearest other areas.

Covariates are only those the reference data hold, for every district and force of England
and Wales (:func:`area_covariates`): Census 2021 usual residents (log scale, since areas
span 2,000 to 1.1 million people), growth since the 2011 Census, and optionally the region
as dummies. That is size and growth, nothing else: no deprivation, urbanity, industry or
migration covariates are in the reference data, so peers are "areas of similar size and
growth", not "areas with similar risk of exploitation". Say so wherever peers are shown.

Reference: scikit-learn developers' guide (estimator conventions); Hastie, Tibshirani and
Friedman (2009) The Elements of Statistical Learning, section 13.3 (nearest neighbours).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from analysis.errors import DarkFigureError

DEFAULT_FEATURES = ("log_population", "population_growth")
Level = Literal["local_authority", "police_force_area"]


class PeerError(DarkFigureError, ValueError):
    """Bad input to peer finding: a user error, and a ValueError as scikit-learn expects."""


def area_covariates(level: Level = "local_authority", *,
                    reference_dir: Path | None = None) -> pd.DataFrame:
    """Covariates for every district or police force area of England and Wales.

    From the Census LAD file in ``data/reference`` (Census 2021 rounded to 100 and Census
    2011 usual residents); force figures are sums of their districts. Indexed by
    ``area_code``; columns ``area_name``, ``region``, ``population_2011``, ``population``
    (2021), ``log_population``, ``population_growth`` (2021 / 2011 - 1) and one
    ``region_<name>`` dummy per region (Wales counts as one region).

    Examples
    --------
    >>> cov = area_covariates("police_force_area")
    >>> leics = cov.loc["E23000021"]
    >>> int(leics.population), round(float(leics.population_growth), 3)
    (1121800, 0.102)
    """
    from analysis.config import REFERENCE_DIR
    from analysis.reference import CENSUS_LAD_FILE

    raw = pd.read_csv((reference_dir or REFERENCE_DIR) / CENSUS_LAD_FILE)
    raw["region"] = raw["region"].where(raw["country"] != "Wales", "Wales")
    raw = raw.rename(columns={"census_2011_usual_residents": "population_2011",
                              "census_2021_usual_residents_rounded_100": "population"})
    if level == "local_authority":
        out = raw.rename(columns={"lad_code": "area_code", "lad_name": "area_name"})
    elif level == "police_force_area":
        out = raw.groupby(["pfa_code", "pfa_name"], as_index=False).agg(
            region=("region", lambda r: r.mode().iloc[0]),
            population_2011=("population_2011", "sum"), population=("population", "sum"))
        out = out.rename(columns={"pfa_code": "area_code", "pfa_name": "area_name"})
    else:
        raise DarkFigureError(f"level must be 'local_authority' or 'police_force_area', "
                              f"got {level!r}")
    out = out[["area_code", "area_name", "region", "population_2011", "population"]].copy()
    out["log_population"] = np.log(out["population"].astype(float))
    out["population_growth"] = out["population"] / out["population_2011"] - 1
    dummies = pd.get_dummies(out["region"], prefix="region", dtype=float)
    dummies.columns = [c.lower().replace(" ", "_").replace("&", "and") for c in dummies.columns]
    return pd.concat([out, dummies], axis=1).set_index("area_code")


class PeerFinder(BaseEstimator):
    """Find the most similar areas on standardised covariates (scikit-learn estimator).

    Parameters
    ----------
    n_neighbors : int
        Number of peers returned per area (the area itself is not its own peer).
    features : sequence of str or None
        Columns of ``X`` to use; None uses every numeric column.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
    n_features_in_ : int
    areas_ : ndarray
        Labels of the fitted areas (the index of ``X``).
    scaler_ : StandardScaler
    standardised_ : ndarray
        The fitted covariates after standardisation.
    nn_ : NearestNeighbors

    Examples
    --------
    >>> X = pd.DataFrame({"size": [1.0, 1.1, 5.0, 5.2, 9.0]}, index=list("abcde"))
    >>> PeerFinder(n_neighbors=1, features=None).fit(X).peers("c")["peer_code"].tolist()
    ['d']
    """

    def __init__(self, n_neighbors: int = 5, features: Sequence[str] | None = DEFAULT_FEATURES):
        self.n_neighbors = n_neighbors
        self.features = features

    def _select(self, X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            values = check_array(X, dtype=float)  # rejects sparse, complex, NaN, 1-d, empty
            return pd.DataFrame(values, columns=[f"x{i}" for i in range(values.shape[1])])
        if self.features is None:
            return X.select_dtypes("number")
        missing = [f for f in self.features if f not in X.columns]
        if missing:
            raise PeerError(f"covariate(s) {missing} not in the data; available: "
                                  f"{list(X.columns)}")
        return X[list(self.features)]

    def fit(self, X: pd.DataFrame | np.ndarray, y: object = None) -> PeerFinder:
        """Standardise the covariates and index the areas. Returns self."""
        data = self._select(X)
        if data.shape[1] == 0:
            raise PeerError("no numeric covariates to compare areas on")
        values = data.to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            bad = data.index[~np.isfinite(values).all(axis=1)].tolist()
            raise PeerError(f"covariates missing or infinite for area(s) {bad}")
        if len(data) < 2:
            raise PeerError(f"peers need at least 2 areas (n_samples = {len(data)})")
        if not 1 <= self.n_neighbors < len(data):
            raise PeerError(f"n_neighbors must be between 1 and {len(data) - 1} "
                            f"(areas fitted minus one)")
        self.feature_names_in_ = np.asarray(data.columns, dtype=object)
        self.n_features_in_ = data.shape[1]
        self.areas_ = np.asarray(data.index)
        self.scaler_ = StandardScaler().fit(values)
        self.standardised_ = self.scaler_.transform(values)
        self.nn_ = NearestNeighbors(n_neighbors=self.n_neighbors + 1).fit(self.standardised_)
        return self

    def kneighbors(self, areas: Sequence[object] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Distances and positions (in ``areas_``) of each area's peers, itself excluded."""
        check_is_fitted(self)
        wanted = list(self.areas_) if areas is None else list(areas)
        index = {a: i for i, a in enumerate(self.areas_)}
        unknown = [a for a in wanted if a not in index]
        if unknown:
            raise PeerError(f"area(s) {unknown} were not in the fitted data")
        rows = [index[a] for a in wanted]
        dist, pos = self.nn_.kneighbors(self.standardised_[rows])
        out_d, out_p = [], []
        for r, d, p in zip(rows, dist, pos, strict=True):
            keep = p != r
            # With ties the area itself may be outranked by a twin; drop it wherever it sits.
            out_d.append(d[keep][: self.n_neighbors])
            out_p.append(p[keep][: self.n_neighbors])
        return np.vstack(out_d), np.vstack(out_p)

    def peers(self, area: object) -> pd.DataFrame:
        """The peers of one area: ``area_code``, ``peer_code``, ``rank``, ``distance``."""
        dist, pos = self.kneighbors([area])
        return pd.DataFrame({"area_code": area, "peer_code": self.areas_[pos[0]],
                             "rank": np.arange(1, pos.shape[1] + 1), "distance": dist[0]})


def find_peers(area_code: str, *, level: Level = "local_authority", n_neighbors: int = 5,
               features: Sequence[str] = DEFAULT_FEATURES,
               within: Sequence[str] | None = None,
               reference_dir: Path | None = None) -> pd.DataFrame:
    """Most similar areas of England and Wales to ``area_code`` on reference covariates.

    ``within`` restricts the candidate areas (the area itself is always kept). Returns the
    peers with their names and covariates, nearest first, and a ``features`` column saying
    what "similar" means (``area_name`` is the peer's name).

    Examples
    --------
    >>> p = find_peers("E23000021", level="police_force_area", n_neighbors=3)
    >>> len(p), p["rank"].tolist()
    (3, [1, 2, 3])
    """
    cov = area_covariates(level, reference_dir=reference_dir)
    if area_code not in cov.index:
        raise DarkFigureError(f"no covariates for area {area_code!r} at level {level!r}")
    if within is not None:
        cov = cov.loc[cov.index.isin(set(within) | {area_code})]
    finder = PeerFinder(n_neighbors=n_neighbors, features=features).fit(cov)
    shown = ["area_name", "population", "population_growth"]
    shown += [f for f in features if f not in shown]
    out = finder.peers(area_code).merge(cov[shown], left_on="peer_code", right_index=True)
    out["features"] = ", ".join(features) + " (standardised; Euclidean distance)"
    return out.reset_index(drop=True)
