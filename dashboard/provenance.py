"""What the Methods page lists: every assumption with its current value, the scenario
catalogue, the reference files' provenance and the vintages of the national series."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from analysis import config, reference
from dashboard.data import uk_series


def assumptions_table(scenario: str) -> pd.DataFrame:
    """Every assumption behind the expected figure with its current value and source."""
    from analysis import assumptions
    from analysis.schema import SECTORS

    rows = []
    try:
        chosen = assumptions.get_scenario(scenario)
    except Exception:  # an unknown scenario in a pasted link: show the default instead
        chosen = assumptions.get_scenario(None)
    low, high = chosen.bounds
    value = f"{chosen.central:,.0f}" + (
        f" (range {low:,.0f} to {high:,.0f})" if low != high else " (no published range)"
    )
    what = ("people in modern slavery on one day" if chosen.quantity == "stock" else
            "people exploited during a year")
    rows.append(("National estimate (scenario in use)", chosen.title, f"{value}; {what}",
                 chosen.reference))
    base = chosen.population_base
    rows.append(
        (
            "Population base of the national estimate",
            chosen.title,
            f"{base:,.0f}" if base else "not published (UK mid-2023 used)",
            "; ".join(chosen.notes) or "as published",
        )
    )
    d = assumptions.DEFAULT_DURATION
    rows.append(
        (
            "Mean duration of exploitation (turns the stock into new victims a year)",
            d.label,
            f"{d.central:g} years; sensitivity {d.low:g} to {d.high:g} years (the range over "
            "assumptions shown beside every expected figure; not a confidence interval)",
            d.source,
        )
    )
    types = assumptions.exploitation_type_shares()
    rows.append(
        (
            "Exploitation type shares",
            types.label,
            ", ".join(f"{k.replace('_', ' ')} {v:.0%}" for k, v in types.shares),
            types.source,
        )
    )
    rows.append(
        (
            "Sector and age shares",
            "none",
            "no published split exists: sectors and age groups are shown as counts and "
            "composition, never as detection ratios",
            "no published source found",
        )
    )
    rows.append(
        (
            "Disclosure threshold",
            "setting DARKFIGURE_SUPPRESSION_THRESHOLD",
            f"counts below {config.suppression_threshold()} shown as [c]",
            "with secondary suppression so hidden cells cannot be recovered from totals",
        )
    )
    return pd.DataFrame(rows, columns=["assumption", "label", "current_value", "source"])


def scenario_rows(area_code: str, n_quarters: int) -> pd.DataFrame:
    """Every catalogue figure as its own row: what it counts, its status, the area's expected
    new victims for the view's period under it, and why it is flagged (``analysis.scenarios``)."""
    from analysis.scenarios import scenario_table

    t = scenario_table(area_code, period_years=max(n_quarters, 1) / 4)
    quantity = {"stock": "people on one day", "during_year": "people during a year",
                "known": "victims known to agencies", "lower_bound": "lower bound only"}
    return pd.DataFrame({
        "scenario": t["label"],
        "counts": t["quantity"].map(quantity),
        "status": t["status"],
        "default": t["default"].map({True: "yes", False: ""}),
        "national figure": t["national_figure"].map(lambda v: f"{v:,.0f}"),
        "national new victims a year": t["national_new_per_year"].map(
            lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
        "expected new victims": t["expected"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}"),
        "range over durations": [
            "" if pd.isna(lo) else f"{lo:,.0f} to {hi:,.0f}"
            for lo, hi in zip(t["expected_lower"], t["expected_upper"], strict=True)],
        "contradicted by the data": t["contradicted"].map({True: "yes", False: ""}),
        "note": t["note"],
    })


def scenario_catalogue() -> pd.DataFrame:
    """The published national estimates the scenarios come from, with dates and licences."""
    cat = reference.read_prevalence_estimates()
    return cat[
        [
            "estimate_id",
            "publisher",
            "publication",
            "reference_period",
            "estimate_low",
            "estimate_central",
            "estimate_high",
            "licence",
            "url",
        ]
    ]


def reference_sources() -> pd.DataFrame:
    """The 'Files' table of data/reference/README.md (publisher, date, licence, caveats)."""
    readme = config.REFERENCE_DIR / "README.md"
    if not readme.exists():
        return sources_from_files()
    rows, in_table = [], False
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("| file |"):
            in_table = True
            continue
        if in_table and line.startswith("|---"):
            continue
        if in_table and line.startswith("|"):
            cells = [
                c.strip().replace("`", "").replace("**", "") for c in line.strip("|").split(" | ")
            ]
            rows.append((cells + [""] * 5)[:5])
        elif in_table:
            break
    return pd.DataFrame(
        rows, columns=["file", "publisher_and_publication", "table_and_date", "licence", "caveats"]
    )


SOURCE_COLUMNS = ("source", "source_publication", "source_release", "vintage", "source_table",
                  "source_url", "url", "press_url", "transcribed_by", "licence",
                  "lad_to_pfa_mapping_source")


@lru_cache(maxsize=1)
def sources_from_files() -> pd.DataFrame:
    """Provenance read from the reference files' own source and vintage columns (used when
    data/reference/README.md is not shipped): each file's distinct sources, as written."""
    rows = []
    for path in sorted(config.REFERENCE_DIR.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str)
        found = []
        for column in SOURCE_COLUMNS:
            if column in frame.columns:
                values = frame[column].dropna().unique()[:3]
                if len(values):
                    more = " ..." if frame[column].nunique() > 3 else ""
                    found.append(f"{column}: " + "; ".join(values) + more)
        rows.append((path.name, " | ".join(found) or "no source column in the file"))
    return pd.DataFrame(rows, columns=["file", "sources_as_recorded_in_the_file"])


def data_vintages() -> pd.DataFrame:
    """Which release each quarter of the UK series is read from (every release revises)."""
    series = uk_series()
    grouped = series.groupby(["release", "source_publication"], as_index=False).agg(
        first_quarter=("period", "min"),
        last_quarter=("period", "max"),
        quarters=("period", "count"),
        from_press_reports=("secondary", "any"),
    )
    return grouped.sort_values("first_quarter", ignore_index=True)
