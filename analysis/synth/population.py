"""The true population of victims: a stock in steady state fed by a flow.

Stock and flow (Little's law, L = lambda W): people enter exploitation as a Poisson process
of rate ``lambda = S / D`` per year and stay an exponential time of mean ``D`` years, so the
expected number in exploitation on any day is the stock ``S``. ``S`` for a district is the
Walk Free GSI 2023 UK figure scaled by Census 2021 residents (122,000 / 67,886,000 per
resident) with a mild urban premium for Leicester, renormalised so the force-area total is
unchanged. People already exploited when the window opens are drawn from the stationary
distribution: their elapsed and remaining durations are both exponential of mean ``D``
(memorylessness).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.synth.config import (
    AREA_SECTOR_WEIGHTS,
    CHILD_SHARE,
    CHILD_SHARE_DEFAULT,
    FEMALE_SHARE,
    LEICESTER,
    NATIONALITY_MIX,
    SECTOR_EXPLOITATION,
    SECTORS,
    SynthConfig,
)

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Population:
    """The simulated victims (one row each) and the expected stock and flow by area."""

    victims: pd.DataFrame
    areas: pd.DataFrame
    config: SynthConfig
    seed: int

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.config.start)

    @property
    def window_days(self) -> float:
        """Length of the window in days (the end date is inclusive)."""
        return float((pd.Timestamp(self.config.end) - self.start).days + 1)


def expected_stock(config: SynthConfig | None = None) -> pd.DataFrame:
    """Expected stock (people exploited on a given day) and annual flow per district.

    Examples
    --------
    >>> t = expected_stock()
    >>> round(float(t["expected_stock"].sum()), 1)   # 122,000 / 67,886,000 x 1,121,800
    2016.0
    >>> bool(t.set_index("area_code").loc["E06000016", "rate_multiplier"] > 1)
    True
    """
    from analysis.reference import read_populations

    config = config or SynthConfig()
    pops = read_populations()
    pops = pops[pops["geography_level"] == "local_authority"].set_index("area_code")
    table = pd.DataFrame({"area_code": list(config.areas)})
    table["area_name"] = table["area_code"].map(pops["area_name"])
    table["population"] = table["area_code"].map(pops["population"]).astype(int)
    premium = np.where(table["area_code"] == LEICESTER, config.urban_premium, 1.0)
    total = config.national_rate * table["population"].sum() * config.scale
    weight = table["population"] * premium
    table["rate_multiplier"] = premium * table["population"].sum() / weight.sum()
    table["expected_stock"] = total * weight / weight.sum()
    table["expected_annual_flow"] = table["expected_stock"] / config.mean_duration_years
    return table


def _draw_by_group(rng: np.random.Generator, groups: np.ndarray,
                   mixes: dict[str, dict[str, float]]) -> np.ndarray:
    out = np.empty(len(groups), dtype=object)
    for group in sorted(mixes):
        idx = np.flatnonzero(groups == group)
        if idx.size:
            labels = list(mixes[group])
            p = np.array([mixes[group][k] for k in labels], dtype=float)
            out[idx] = np.array(labels, dtype=object)[rng.choice(len(labels), idx.size,
                                                                 p=p / p.sum())]
    return out


def simulate_population(config: SynthConfig | None = None, seed: int = 0) -> Population:
    """Simulate everyone exploited at some time in the window, with their attributes.

    Parameters
    ----------
    config : SynthConfig, optional
        Parameters; defaults to ``SynthConfig()``.
    seed : int
        Seed of the random generator; the same seed gives the same population.

    Returns
    -------
    Population
        ``victims`` has one row per person: ``person_id``, ``area_code``, ``sector``,
        ``exploitation_type``, ``age_group``, ``sex``, ``nationality_group``, ``entry_day``
        and ``exit_day`` (days since the window start, entry may be negative),
        ``initial_stock`` (already exploited when the window opened), ``frailty`` and
        ``nrm_consent``.

    Examples
    --------
    >>> pop = simulate_population(SynthConfig(scale=0.1), seed=1)
    >>> 600 < len(pop.victims) < 1200     # about 0.1 x (2,016 + 7 x 1,008)
    True
    """
    config = config or SynthConfig()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    areas = expected_stock(config)
    window = float((pd.Timestamp(config.end) - pd.Timestamp(config.start)).days + 1)
    mean_days = config.mean_duration_years * DAYS_PER_YEAR

    parts = []
    for row in areas.itertuples():
        n0 = rng.poisson(row.expected_stock)
        elapsed = rng.exponential(mean_days, n0)
        remaining = rng.exponential(mean_days, n0)
        n1 = rng.poisson(row.expected_annual_flow * window / DAYS_PER_YEAR)
        entry = np.sort(rng.uniform(0, window, n1))
        parts.append(pd.DataFrame({
            "area_code": row.area_code,
            "entry_day": np.concatenate([-elapsed, entry]),
            "exit_day": np.concatenate([remaining, entry + rng.exponential(mean_days, n1)]),
            "initial_stock": np.r_[np.ones(n0, bool), np.zeros(n1, bool)],
        }))
    victims = pd.concat(parts, ignore_index=True)
    n = len(victims)
    area = victims["area_code"].to_numpy()

    sectors = np.empty(n, dtype=object)
    for code in config.areas:
        idx = np.flatnonzero(area == code)
        w = np.array([AREA_SECTOR_WEIGHTS[code][s] for s in SECTORS], dtype=float)
        sectors[idx] = np.array(SECTORS, dtype=object)[rng.choice(len(SECTORS), idx.size,
                                                                  p=w / w.sum())]
    kind = pd.Series(sectors).map(SECTOR_EXPLOITATION).to_numpy(dtype=object)
    kind[rng.random(n) < config.multiple_share] = "multiple"
    child_p = pd.Series(sectors).map(CHILD_SHARE).fillna(CHILD_SHARE_DEFAULT).to_numpy()
    child = rng.random(n) < child_p
    female = rng.random(n) < pd.Series(sectors).map(FEMALE_SHARE).to_numpy()
    sigma = config.frailty_sigma
    victims = victims.assign(
        sector=sectors,
        exploitation_type=kind,
        age_group=np.where(child, "child", "adult"),
        sex=np.where(female, "female", "male"),
        nationality_group=_draw_by_group(rng, sectors, NATIONALITY_MIX),
        frailty=rng.lognormal(-sigma**2 / 2, sigma, n),
        nrm_consent=child | (rng.random(n) < config.adult_nrm_consent),
    )
    victims.insert(0, "person_id", np.arange(1, n + 1))
    return Population(victims=victims, areas=areas, config=config, seed=seed)
