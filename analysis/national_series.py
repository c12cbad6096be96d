"""UK NRM series from the store: quarterly and annual totals, location of exploitation, and
the UK-national share, each figure with its vintage.

Method. Every NRM release revises earlier quarters, and the store keeps every vintage
(``nrm_counts``). For each published cell the *newest* vintage is the one from the latest
release; within one release a primary figure beats one from a secondary source (a press
report or reproduction, tagged in ``source_table``), then the later load. ``'first'`` takes
the earliest release held, which is the first publication where the store has it. A
quarter's UK total is the published grand total where the release has one, else the sum of
the three published age totals of that release (``Table_2`` transcriptions before 2019).
Annual figures (period ``YYYY``) are kept apart from the quarters and never added to them:
:func:`uk_annual_referrals` shows both, labelled, so they can be reconciled.

Sources: the store's ``nrm_counts`` (the bundled ``data/reference`` files are loaded into
every store; see ``analysis.ingest.nrm_reference``), or, without a store, the same files
read directly. Nationality is not a column of ``nrm_counts``: the UK-national share is read
from the bundled breakdown files (``data/reference/README.md``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis.config import REFERENCE_DIR
from analysis.errors import DarkFigureError
from analysis.ingest.nrm_reference import SECONDARY_TAG, read_all_reference

if TYPE_CHECKING:
    from analysis.store import Store

NATIONALITY_FILE = "nrm_referrals_uk_quarterly_by_responder_exploitation_age_nationality_2022q2_2023q4.csv"
HEADLINES_FILE = "nrm_bulletin_headlines_2018_2025.csv"
LOCATIONS = ("UK", "Overseas", "UK and Overseas", "Not specified or unknown")


def nrm_cells(store: Store | None = None, *, reference_dir: Path | None = None) -> pd.DataFrame:
    """Every NRM cell and vintage: the store's ``nrm_counts``, else the bundled files.

    Adds ``secondary`` (figure from a secondary source) and ``period_type``
    (``quarter`` or ``year``).
    """
    cells = store.nrm_counts(current_only=False) if store is not None \
        else read_all_reference(reference_dir)
    cells = cells.copy()
    cells["secondary"] = cells["source_table"].str.contains(SECONDARY_TAG, regex=False)
    cells["period_type"] = cells["period"].str.len().map({4: "year", 6: "quarter"})
    return cells


def pick_vintage(cells: pd.DataFrame, keys: list[str], vintage: str = "latest") -> pd.DataFrame:
    """One row per ``keys``: the newest (or first) release; primary before secondary."""
    if vintage not in ("latest", "first"):
        raise DarkFigureError("vintage must be 'latest' or 'first'")
    order = cells.assign(_primary=~cells["secondary"]).sort_values(
        ["source_release", "_primary", "load_id"], ascending=[vintage == "latest", True, True],
        kind="stable")
    return order.groupby(keys, sort=True).tail(1).drop(columns="_primary") \
        .sort_values(keys).reset_index(drop=True)


def period_label(periods: list[str]) -> str:
    """'2022 Q2 to 2023 Q4' for a list of quarters (or years).

    Examples
    --------
    >>> period_label(["2022Q2", "2022Q3", "2023Q4"]), period_label(["2023Q1"])
    ('2022 Q2 to 2023 Q4', '2023 Q1')
    """
    if not periods:
        return "no period"
    first, last = min(periods).replace("Q", " Q"), max(periods).replace("Q", " Q")
    return first if first == last else f"{first} to {last}"


def _uk_totals(cells: pd.DataFrame) -> pd.DataFrame:
    """UK total referral candidates per (period, release): grand totals, else age sums."""
    uk = cells[(cells["geography_level"] == "uk") & (cells["first_responder_type"] == "all")
               & (cells["exploitation_type"] == "all") & (cells["location"] == "all")
               & (cells["measure"] == "referrals") & cells["count"].notna()]
    grand = uk[uk["age_group"] == "all"]
    # one cell per release and age group (the same release may be loaded from two files)
    ages = pick_vintage(uk[uk["age_group"].isin(["adult", "child", "unknown"])],
                        ["period", "source_release", "age_group"])
    summed = ages.groupby(["period", "source_release"]).agg(
        count=("count", "sum"), groups=("age_group", "nunique"), load_id=("load_id", "max"),
        secondary=("secondary", "any"), source_table=("source_table", "first")).reset_index()
    summed = summed[summed["groups"] == 3].drop(columns="groups")
    summed["source_table"] = "sum of the three age totals in " + summed["source_table"]
    have = set(zip(grand["period"], grand["source_release"], strict=True))
    summed = summed[[(p, r) not in have for p, r in zip(summed["period"],
                                                         summed["source_release"], strict=True)]]
    columns = ["period", "period_type", "source_release", "count", "source_table", "secondary",
               "load_id"]
    summed["period_type"] = summed["period"].str.len().map({4: "year", 6: "quarter"})
    return pd.concat([grand[columns], summed[columns]], ignore_index=True)


def uk_quarterly_referrals(vintage: str = "latest", *, store: Store | None = None,
                           reference_dir: Path | None = None) -> pd.DataFrame:
    """UK NRM referrals per quarter, one named vintage per quarter (module doc).

    Returns
    -------
    pandas.DataFrame
        ``period``, ``referrals``, ``release`` (the vintage's release quarter),
        ``vintage`` ('as published in release 2024Q1'), ``source_publication`` (file or
        sheet and publication), ``secondary``.

    Examples
    --------
    >>> latest = uk_quarterly_referrals().set_index("period")
    >>> int(latest.loc["2023Q4", "referrals"]), latest.loc["2023Q4", "release"]
    (4134, '2024Q1')
    >>> int(uk_quarterly_referrals("first").set_index("period").loc["2023Q1", "referrals"])
    4746
    """
    totals = _uk_totals(nrm_cells(store, reference_dir=reference_dir))
    chosen = pick_vintage(totals[totals["period_type"] == "quarter"], ["period"], vintage)
    return pd.DataFrame({
        "period": chosen["period"], "referrals": chosen["count"].astype(int),
        "release": chosen["source_release"],
        "vintage": "as published in release " + chosen["source_release"],
        "source_publication": chosen["source_table"],
        "secondary": chosen["secondary"].astype(bool)})


def uk_annual_referrals(*, store: Store | None = None,
                        reference_dir: Path | None = None) -> pd.DataFrame:
    """UK NRM referrals per calendar year, from the annual tables and from the quarters.

    The annual figures (period type ``year``) and the sums of the quarters are never added
    together; each year has up to four labelled figures: ``annual, first published``,
    ``annual, latest``, ``sum of quarters, first published`` and ``sum of quarters, latest``
    (the last two only for complete years).

    Examples
    --------
    >>> years = uk_annual_referrals().set_index(["year", "figure"])["referrals"]
    >>> int(years[("2023", "annual, first published")]), \
int(years[("2023", "sum of quarters, first published")])
    (17004, 17017)
    """
    cells = nrm_cells(store, reference_dir=reference_dir)
    totals = _uk_totals(cells)
    rows = []
    annual = totals[totals["period_type"] == "year"]
    for vintage, name in (("first", "annual, first published"), ("latest", "annual, latest")):
        for r in pick_vintage(annual, ["period"], vintage).itertuples():
            rows.append({"year": r.period, "figure": name, "referrals": int(r.count),
                         "releases": r.source_release, "secondary": bool(r.secondary)})
    for vintage, name in (("first", "sum of quarters, first published"),
                          ("latest", "sum of quarters, latest")):
        quarters = uk_quarterly_referrals(vintage, store=store, reference_dir=reference_dir)
        for year, part in quarters.groupby(quarters["period"].str[:4]):
            if len(part) == 4:
                rows.append({"year": year, "figure": name, "referrals": int(part.referrals.sum()),
                             "releases": ", ".join(sorted(set(part.release))),
                             "secondary": bool(part.secondary.any())})
    return pd.DataFrame(rows).sort_values(["year", "figure"], ignore_index=True)


def uk_referrals_by_location(*, store: Store | None = None,
                             reference_dir: Path | None = None) -> pd.DataFrame:
    """UK NRM referrals per quarter by location of exploitation (newest complete vintage).

    Location is where the exploitation happened: UK only, overseas only, both, or not
    recorded (``Table_2``: the newest vintage of each age and location cell, summed over the
    three age groups; ``release`` is the newest release used for the quarter).

    Returns
    -------
    pandas.DataFrame
        ``period``, one column per location in :data:`LOCATIONS`, ``total``,
        ``uk_share`` (UK only / total), ``overseas_share`` (overseas only or both / total),
        ``release``.

    Examples
    --------
    >>> loc = uk_referrals_by_location().set_index("period")
    >>> int(loc.loc["2023Q4", "total"]), round(float(loc.loc["2023Q4", "uk_share"]), 3)
    (4142, 0.507)
    """
    cells = nrm_cells(store, reference_dir=reference_dir)
    part = cells[(cells["geography_level"] == "uk") & (cells["first_responder_type"] == "all")
                 & (cells["exploitation_type"] == "all") & (cells["measure"] == "referrals")
                 & cells["location"].isin(LOCATIONS) & (cells["period_type"] == "quarter")
                 & cells["age_group"].isin(["adult", "child", "unknown"]) & cells["count"].notna()]
    newest = pick_vintage(part, ["period", "age_group", "location"])
    complete = newest.groupby("period").filter(lambda g: len(g) == 12)
    if complete.empty:
        return pd.DataFrame(columns=["period", *LOCATIONS, "total", "uk_share",
                                     "overseas_share", "release"])
    releases = complete.groupby("period")["source_release"].max()
    wide = complete.pivot_table(index="period", columns="location", values="count",
                                aggfunc="sum").reindex(columns=list(LOCATIONS)).astype(int)
    wide["total"] = wide.sum(axis=1)
    wide["uk_share"] = wide["UK"] / wide["total"]
    wide["overseas_share"] = (wide["Overseas"] + wide["UK and Overseas"]) / wide["total"]
    wide["release"] = releases.reindex(wide.index)
    return wide.reset_index().rename_axis(columns=None)


def uk_national_share(reference_dir: Path | None = None) -> pd.DataFrame:
    """Share of UK NRM referrals that are UK nationals, per quarter, with its source.

    2022 Q2 to 2023 Q4 from the first-responder tables' nationality columns (each quarter
    from its own release; UK nationals exclude UK dual nationals, as in the bulletins); later
    quarters from the bulletins' headline figures over the total of the same bulletin.

    Returns
    -------
    pandas.DataFrame
        ``period``, ``uk_nationals``, ``referrals``, ``uk_national_share``, ``source``,
        ``secondary``.

    Examples
    --------
    >>> share = uk_national_share().set_index("period")
    >>> int(share.loc["2023Q4", "uk_nationals"]), int(share.loc["2024Q1", "uk_nationals"])
    (1138, 1105)
    """
    return _uk_national_share(Path(reference_dir or REFERENCE_DIR)).copy()


@lru_cache(maxsize=8)
def _uk_national_share(folder: Path) -> pd.DataFrame:
    # published reference figures: read once per process (every National page view asks)
    tables = pd.read_csv(folder / NATIONALITY_FILE)
    tables["period"] = tables["quarter"].str.replace(" ", "")
    by_group = tables.pivot_table(index="period", columns="nationality_group",
                                  values="referrals", aggfunc="sum")
    rows = [{"period": p, "uk_nationals": int(r["UK"]), "referrals": int(r.sum()),
             "source": f"{NATIONALITY_FILE} (first-responder tables, release {p})",
             "secondary": False} for p, r in by_group.iterrows()]
    heads = pd.read_csv(folder / HEADLINES_FILE)
    heads = heads[heads["period"].str.contains("Q")]
    heads["period"] = heads["period"].str.replace(" ", "")
    for period, part in heads.groupby("period"):
        if period in by_group.index:
            continue
        uk = part[part["indicator"] == "nrm_referrals_uk_nationals"]
        total = part[part["indicator"] == "nrm_referrals_total"]
        if len(uk) and len(total):
            # the total of the same bulletin (its first row for the quarter)
            rows.append({"period": period, "uk_nationals": int(uk["value"].iloc[0]),
                         "referrals": int(total["value"].iloc[0]),
                         "source": str(uk["source_title"].iloc[0]),
                         "secondary": bool(uk["source_type"].iloc[0].startswith("secondary"))})
    out = pd.DataFrame(rows).sort_values("period", ignore_index=True)
    out["uk_national_share"] = out["uk_nationals"] / out["referrals"]
    return out[["period", "uk_nationals", "referrals", "uk_national_share", "source",
                "secondary"]]
