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
    rows.append(("National estimate (scenario in use)", chosen.name, value, chosen.reference))
    base = chosen.population_base
    rows.append(
        (
            "Population base of the national estimate",
            chosen.name,
            f"{base:,.0f}" if base else "not published (UK mid-2023 used)",
            "; ".join(chosen.notes) or "as published",
        )
    )
    d = assumptions.DEFAULT_DURATION
    rows.append(
        (
            "Mean duration of exploitation (turns the stock into new cases a year)",
            d.label,
            f"{d.central:g} years (range {d.low:g} to {d.high:g})",
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
    sectors = assumptions.equal_shares([s for s in SECTORS if s not in ("other", "unknown")])
    rows.append(
        (
            "Sector shares",
            sectors.label,
            f"equal: {sectors.shares[0][1]:.1%} each of {len(sectors.shares)} sectors",
            sectors.source + ". Referral-based sector shares over-represent visible sectors.",
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
