"""Notebook 4: from detection to justice, the victim-to-charge funnel (source of 04_justice.ipynb)."""

# %% [markdown]
# # 4. From detection to justice: the victim-to-charge funnel
#
# The partnership aims to identify more victims earlier **and** to bring perpetrators to
# justice. Notebooks 1 to 3 answer the first aim; this one follows the people the agencies
# detected through three stages:
#
# 1. **referred to the National Referral Mechanism (NRM)**;
# 2. **crime recorded** by the police (Home Office Counting Rules);
# 3. **charged or summonsed**: outcome type 1 (or 1A) of the Home Office crime outcomes
#    framework; the other outcome types (2 to 22) are grouped as the Home Office groups them,
#    and a recorded crime without an outcome is *open*.
#
# **The data** are the synthetic sample (`data/sample/`): the police extract carries the
# optional crime-outcome columns (crime recorded Y/N, crime number, offence, outcome type,
# outcome date, NRM referral date), drawn with a known truth (`truth.json`, key `justice`).
#
# **Method** (`analysis.justice`, `docs/methods/justice.md`): one row per detected person,
# cohorts by year of first detection; rates of the stage before with Wilson 95% intervals;
# times from detection with Kaplan-Meier (open crimes censored); the share still open; the
# charge rate *within the same follow-up time* for every cohort observed that long; the trend
# in each rate as an odds ratio per year. Every count goes through the cell-key layer
# (`analysis.disclosure`: perturbed by up to 2, `[c]` below the threshold) and every rate is
# computed from the shown counts (docs/privacy.md, "Justice").
#
# **Honesty.** Outcomes lag: a recent year's charge rate is not final. National charge rates
# come from news reports of Home Office outcomes data: secondary sources, and they count
# offences, not people.

# %%
import json
import tempfile
from pathlib import Path

import pandas as pd

from analysis.config import SAMPLE_DIR
from analysis.justice import area_justice_funnel
from analysis.store import Store, build_sample_store
from dashboard.figures import justice as justice_figures

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)
HOME = "E23000021"  # Leicestershire police force area

workdir = tempfile.TemporaryDirectory()
store_path = build_sample_store(Path(workdir.name) / "sample.duckdb")
with Store(store_path, read_only=True) as store:
    referrals = store.referrals()
print(f"{len(referrals):,} records; {referrals['crime_recorded'].notna().sum():,} carry a "
      "crime-recorded value (the police extract)")

# %% [markdown]
# ## 1. The funnel for the force area, people detected by any agency
#
# `area_justice_funnel` takes *every* stored record so that the extract date (the latest date in the
# data) is the same whatever area or period is asked for. Counts are perturbed by up to 2
# (cell-key method); those below the disclosure threshold are `<NA>` (shown as `[c]` on the
# dashboard) and their rates are withheld. Rates are computed from the shown counts.

# %%
result = area_justice_funnel(referrals, HOME)
print(f"{result.area_code}, detected {result.period}; outcomes as known on {result.as_of.date()}")
result.stages[result.stages["cohort"] == "all"][
    ["stage", "count", "parent_count", "rate", "lower", "upper"]]

# %%
justice_figures.funnel_chart(result.stages, result.national)

# %% [markdown]
# By year of detection. The charged count of a single year is small, so it is usually `[c]`;
# the whole period's count is a cell of its own (a margin, perturbed on its own), not the
# sum of the shown years.

# %%
result.stages.pivot(index="cohort", columns="stage", values="count")[
    ["detected", "nrm_referred", "crime_recorded", "charged"]]

# %%
justice_figures.stage_rates(result.stages, result.national)

# %% [markdown]
# The dashboard, `darkfigure funnel` and the board pack count the same people in the store
# (`store_justice_funnel`: the stages found and counted in DuckDB, only small tables leave
# the database). Both routes give the same table:

# %%
from analysis.justice import store_justice_funnel  # noqa: E402

with Store(store_path, read_only=True) as store:
    in_store = store_justice_funnel(store.connection, HOME)
pd.testing.assert_frame_equal(in_store.stages, result.stages, check_dtype=False)
"same numbers"

# %% [markdown]
# ## 2. Lags: cases still open and charges at equal follow-up
#
# The latest cohorts have many crimes still open, so their charge rate will rise. Comparing
# the share charged **within 365 days of detection**, only for cohorts observed at least that
# long, puts every year on the same footing.

# %%
result.open[["cohort", "open_count", "total", "share", "lower", "upper"]]

# %%
result.equal_follow_up[["cohort", "charged_count", "total", "share", "lower", "upper"]]

# %%
result.times.round(1)

# %% [markdown]
# The trend in each rate: odds ratio per year of detection from a binomial GLM, with a Wald
# 95% interval (the charge trend on the equal follow-up rates).

# %%
result.trends.round(3)

# %% [markdown]
# ## 3. Outcomes as the Home Office groups them

# %%
result.outcomes.head(20)

# %% [markdown]
# ## 4. Check against the truth: police-detected people
#
# The synthetic truth gives, for people detected by the police, the expected share whose
# crime is recorded and the expected share of recorded crimes charged by the extract date.
# The funnel restricted to police records should cover them with its 95% intervals.

# %%
truth = json.loads((SAMPLE_DIR / "truth.json").read_text(encoding="utf-8"))["justice"]
police = area_justice_funnel(referrals, HOME, police_only=True)
rows = []
for stage, key in (("crime_recorded", "crime_recorded_of_police_detected"),
                   ("charged", "charged_of_recorded_by_extract")):
    row = police.overall(stage)
    rows.append({"stage": stage, "estimate": row["rate"], "lower": row["lower"],
                 "upper": row["upper"], "true_expected": truth["overall"][key]["expected_share"]})
check = pd.DataFrame(rows)
check["covered"] = (check["lower"] < check["true_expected"]) & (check["true_expected"] < check["upper"])
check.round(3)

# %% [markdown]
# ## 5. National context (secondary sources)
#
# Charge rates for modern slavery offences in England and Wales, as reported from Home Office
# outcomes data. They count offences closed with a charge, not people, and they come from news
# analyses: check them against the official outcomes tables before quoting them.

# %%
result.national[["period", "measure", "share", "upper_bound_only", "source_type"]]

# %%
workdir.cleanup()
