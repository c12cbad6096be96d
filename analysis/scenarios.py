"""The scenario table: every catalogue prevalence figure as a separate, labelled row.

The headline uses one scenario (GSI 2023) with the mean duration as its stated sensitivity.
The others are not folded into an interval: each is converted according to what it counts
(:data:`analysis.assumptions.CATALOGUE`) and shown as its own row, with its status:

* **current / superseded**: an older edition of the same index is marked superseded;
* **not prevalence**: counts of known victims (detections) and lower bounds are listed for
  completeness but never offered as an expected figure;
* **contradicted by the data**: a scenario that implies fewer new victims a year in the UK
  than the National Referral Mechanism already records in its latest year (potential
  victims referred; Home Office NRM statistics) cannot be the number of new victims.

Examples
--------
>>> t = scenario_table("E23000021", period_years=1.0).set_index("scenario")
>>> round(t.loc["gsi_2023", "expected"]), bool(t.loc["gsi_2023", "contradicted"])
(1008, False)
>>> bool(t.loc["home_office_mse_2014", "contradicted"]), bool(t.loc["gsi_2023", "offered"])
(True, True)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.assumptions import CATALOGUE, DEFAULT_DURATION, DEFAULT_SCENARIO, Duration
from analysis.config import REFERENCE_DIR
from analysis.errors import DarkFigureError

NRM_ANNUAL_FILE = "nrm_referrals_uk_annual_totals.csv"

SCENARIO_COLUMNS = (
    "scenario", "label", "quantity", "status", "offered", "default", "national_figure",
    "national_new_per_year", "national_new_per_year_lower", "national_new_per_year_upper",
    "expected", "expected_lower", "expected_upper", "interval_kind", "confidence_level",
    "contradicted", "note",
)


def latest_nrm_year(reference_dir: Path | None = None) -> tuple[int, int, str]:
    """The latest complete year of UK NRM referrals: (year, referrals, vintage).

    The newest vintage of the newest year (Home Office end-of-year summaries).

    Examples
    --------
    >>> latest_nrm_year()[:2]
    (2025, 23411)
    """
    path = (reference_dir or REFERENCE_DIR) / NRM_ANNUAL_FILE
    table = pd.read_csv(path).dropna(subset=["nrm_referrals"])
    if table.empty:
        raise DarkFigureError(f"{path.name}: no NRM annual totals")
    year = int(table["year"].max())
    row = table[table["year"] == year].iloc[-1]
    return year, int(row["nrm_referrals"]), str(row["vintage"])


def scenario_table(area_code: str, *, period_years: float = 1.0,
                   duration: Duration = DEFAULT_DURATION,
                   reference_dir: Path | None = None) -> pd.DataFrame:
    """One row per catalogue figure: what it counts, its status and its expected new victims.

    ``expected``/``expected_lower``/``expected_upper`` are the area's expected new victims in
    a period of ``period_years`` (empty for figures that are not prevalence estimates); the
    range is over the stated assumptions (``interval_kind``), so ``confidence_level`` is
    always empty.
    """
    from analysis.assumptions import get_scenario
    from analysis.expected import expected_flow
    from analysis.reference import read_prevalence_estimates

    nrm_year, nrm_count, _ = latest_nrm_year(reference_dir)
    catalogue = read_prevalence_estimates(reference_dir).set_index("estimate_id", drop=False)
    rows = []
    for name, meta in CATALOGUE.items():
        if name not in catalogue.index:
            continue
        published = catalogue.loc[name]
        figure = published["estimate_central"]
        if pd.isna(figure):
            figure = published["estimate_low"]
        row = dict.fromkeys(SCENARIO_COLUMNS)
        row.update(scenario=name, label=meta["label"], quantity=meta["quantity"],
                   status=meta["status"], offered=False, default=name == DEFAULT_SCENARIO,
                   national_figure=float(figure), contradicted=False, note="")
        if meta["quantity"] == "known":
            row["note"] = ("victims known to agencies in its year: a count of detections, "
                           "not of prevalence; not offered as an expected figure")
        elif meta["quantity"] == "lower_bound":
            row["note"] = ("a lower bound only, with no central figure; not offered as an "
                           "expected figure")
        else:
            scenario = get_scenario(name, reference_dir)
            per_year = [scenario.new_per_year(d, f) for d in (duration.low, duration.high)
                        for f in scenario.bounds]
            central = scenario.new_per_year(duration.central)
            flow = expected_flow(area_code, scenario=scenario, duration=duration,
                                 period_years=period_years, reference_dir=reference_dir)
            row.update(offered=True, national_figure=scenario.central,
                       national_new_per_year=central,
                       national_new_per_year_lower=min(per_year),
                       national_new_per_year_upper=max(per_year), expected=flow.value,
                       expected_lower=flow.lower, expected_upper=flow.upper,
                       interval_kind=flow.interval_kind)
            notes = []
            if central < nrm_count:
                row["contradicted"] = True
                notes.append(
                    f"contradicted by the data: implies {central:,.0f} new victims a year in "
                    f"the UK at a {duration.central:g}-year mean duration, fewer than the "
                    f"{nrm_count:,} NRM referrals recorded in {nrm_year}"
                    + (" (and fewer at every duration in the range)"
                       if max(per_year) < nrm_count else ""))
            if meta["status"] == "superseded":
                notes.append("superseded by a newer edition")
            if meta["quantity"] == "during_year":
                notes.append("counts people exploited during a year, so new victims a year = "
                             "figure / (mean duration + 1 year)")
            row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SCENARIO_COLUMNS))
