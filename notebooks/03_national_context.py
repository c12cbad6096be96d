"""Notebook 3: national context on real public data (source of 03_national_context.ipynb)."""

# %% [markdown]
# # 3. National context: police-made NRM referrals in the 43 forces of England and Wales
#
# This notebook puts one force (Leicestershire by default) beside the other 42 territorial
# police forces of England and Wales, using **published figures only**: no synthetic data and
# no record-level data appear here.
#
# **The question.** Does Leicestershire Police refer more or fewer potential victims of modern
# slavery to the National Referral Mechanism (NRM) per resident than forces in general, and is
# any difference more than chance and the usual spread between forces would produce?
#
# **The data** (provenance in `data/reference/README.md`):
#
# * Home Office, *Modern Slavery: National Referral Mechanism and Duty to Notify statistics*,
#   quarterly data tables, police first-responder table: referrals made by each police force,
#   2022 Q2 to 2023 Q4 (seven quarters). Open Government Licence v3.0.
# * ONS Census 2021 usual residents by police force area (sums of rounded district figures).
#
# **One path.** Every figure is read from a store's NRM tables (`nrm_counts`), exactly as the
# dashboard reads them. A new store loads the bundled published figures on first use
# (recorded in its load history); an analyst then loads each new release with
# `darkfigure ingest`, and every release's figure for a quarter is kept: the functions below
# take the newest vintage of each figure and say which release it came from.
#
# **Method.** Rates per 100,000 residents; a funnel plot (Spiegelhalter 2005) comparing each
# force's count with the count it would have at the England and Wales rate; an over-dispersion
# adjustment (Spiegelhalter 2005b); empirical-Bayes shrinkage (Clayton and Kaldor 1987) of the
# ratios; and the force's nearest peers on population size and growth.
#
# Every number comes from the `analysis` package, the same functions the dashboard calls; the
# charts come from `dashboard.figures`. Nothing is written to disk.

# %%
import tempfile
from pathlib import Path

import pandas as pd

from analysis.config import SAMPLE_DIR
from analysis.funnel import national_funnel
from analysis.national import (
    EXCLUDED_RESPONDERS,
    force_funnel,
    police_referrals_by_force,
    uk_annual_referrals,
    uk_national_share,
    uk_national_share_by_force,
    uk_quarterly_referrals,
    uk_referrals_by_location,
)
from analysis.peers import find_peers
from analysis.shrinkage import shrink_ratios
from analysis.store import Store
from dashboard.figures import funnel as funnel_figures
from dashboard.figures import national as national_figures
from dashboard.figures import national_split as split_figures

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)
pd.set_option("display.max_colwidth", 90)
HOME = "E23000021"  # Leicestershire police force area (GSS code)

# %% [markdown]
# ## 0. A store, and a release loaded into it
#
# A store in a temporary folder: on first use it loads the bundled published figures
# (`data/reference/`). We then load one NRM release workbook, re-typeset in the published
# layout from the published figures (`data/sample/nrm/`), as an analyst loads each quarter's
# release. The load history says what each file contributed and what it skipped.

# %%
store = Store(Path(tempfile.mkdtemp()) / "national.duckdb")
release = SAMPLE_DIR / "nrm" / (
    "national-referral-mechanism-statistics-uk-quarter-4-2023-oct-to-dec-tables.ods")
(record,) = store.ingest([release])
print(record)
store.loads()[["load_id", "file_name", "kind", "rows", "rows_new"]]

# %% [markdown]
# ## 1. Referrals and rates by force
#
# `police_referrals_by_force` sums the "All types / All ages" row of each force over the
# quarters asked for. A force missing from a quarter's table made no referral that quarter.
# The annual rate is the rate over the period times 4 / number of quarters.

# %%
forces = police_referrals_by_force(store=store)  # the latest run of quarters held
print(f"{len(forces)} forces, {forces['referrals'].sum():,} police-made referrals "
      f"over {forces['quarters'].iloc[0]} quarters ({forces['period'].iloc[0]}; releases "
      f"{forces['releases'].iloc[0]})")
forces.sort_values("annual_rate_per_100k", ascending=False).head(10)

# %% [markdown]
# Some police responders in the published table are not among the 43 because they have no
# resident population of their own (or lie outside England and Wales). Their referrals are
# left out of both the numerator and the national rate:

# %%
pd.Series(EXCLUDED_RESPONDERS, name="why left out").to_frame()

# %%
print(national_figures.describe_force_rates(forces, HOME))
national_figures.force_rates(forces, HOME)

# %% [markdown]
# These are **police NRM referrals per 100,000 residents**: how many potential victims the
# force referred, relative to its population. They are not a detection ratio (which in this
# project means people detected over the new victims expected in an area).
#
# The City of London is far off the scale: a resident population of about 8,600 and a large
# daytime and transport population make "per resident" a poor denominator there. This is the
# first reason a ranking of forces by rate would mislead; the funnel plot is the fairer view.

# %% [markdown]
# ## 2. Funnel plot: each force against the England and Wales rate
#
# For force *i* with population *P_i*, the expected count is *E_i = P_i x R*, where *R* is the
# total of referrals over the total population of the 43 forces. The ratio *y_i / E_i* is
# plotted against *E_i*; the 95% and 99.8% limits are exact Poisson limits around a ratio of 1.
# A point outside the 99.8% limits would happen by chance about 1 time in 500 per force if
# every force had the same underlying rate.

# %%
result = national_funnel(forces, HOME)
print(result.summary())

# %%
funnel_figures.funnel_plot(
    result.table, result.curve(), result.target,
    x_title="Expected referrals at the England and Wales rate",
    y_title="Referrals / expected", source=national_figures.NRM_SOURCE)

# %% [markdown]
# ### Over-dispersion
#
# Under pure Poisson variation 19 of the 43 forces sit outside the 99.8% limits (2022 Q2 to
# 2023 Q4). That is not
# 19 separate signals: forces differ in many ways the Poisson model ignores (how
# referrals are recorded, specialist teams, transport hubs, who else refers in the area). The
# Winsorised dispersion factor *phi* measures this, and the test of *I x phi* against a
# chi-square on *I* degrees of freedom asks whether it is more than chance.
#
# Spiegelhalter (2005b) offers two ways to widen the limits: a multiplicative factor (variance
# *phi* times the Poisson variance) and an additive random effect (variance *tau^2* added on
# the ratio scale). Both are shown; neither is "the" answer. They are a reminder that being
# outside Poisson limits is weak evidence when every force is over-dispersed.

# %%
classes = {"Poisson (no adjustment)": result.table["classification"].value_counts()}
for adjustment in ("multiplicative", "additive"):
    adjusted = national_funnel(forces, HOME, overdispersion=adjustment)
    classes[f"{adjustment} over-dispersion"] = adjusted.table["classification"].value_counts()
pd.DataFrame(classes).fillna(0).astype(int)

# %% [markdown]
# The dashboard applies the additive adjustment whenever the dispersion test rejects Poisson
# variation at the 5% level, and says so on the chart. `force_funnel` is that rule:

# %%
shown = force_funnel(forces, HOME)
print(shown.note)
funnel_figures.funnel_plot(
    shown.funnel.table, shown.funnel.curve(), shown.funnel.target,
    x_title="Expected police NRM referrals at the England and Wales rate",
    y_title="Police NRM referrals / expected", source=national_figures.nrm_source(shown.period))

# %% [markdown]
# ## 3. Shrinkage: how much of each force's ratio is noise?
#
# Small forces' ratios vary most by chance. The Poisson-gamma empirical-Bayes model pulls
# each ratio towards the overall ratio in proportion to how little data the force has. The
# intervals are equal-tailed posterior intervals (they treat the fitted prior as known, so
# they are slightly too narrow with few areas).

# %%
shrunk = shrink_ratios(result.table, observed="observed", expected="expected")
print(shrunk.summary().splitlines()[1])
shrunk.table.set_index("area_name").loc[
    ["Leicestershire", "City of London", "Warwickshire", "Metropolitan"],
    ["observed", "expected", "raw_ratio", "posterior_mean", "lower", "upper", "prior_weight"],
].round(3)

# %% [markdown]
# The City of London's raw ratio of about 14 shrinks to about 2.6: with 13 referrals, almost
# all of the "excess" is noise and denominator. The Metropolitan Police's ratio barely moves:
# it has enough referrals to speak for itself.

# %% [markdown]
# ## 4. Peers: the forces most like Leicestershire
#
# Peers are the nearest forces on standardised covariates (log Census 2021 population and
# growth since 2011; scikit-learn `StandardScaler` + `NearestNeighbors`). Those are the only
# covariates the reference data hold for every force, so "similar" means **similar in size
# and growth**, not similar in risk of exploitation.

# %%
peers = find_peers(HOME, level="police_force_area", n_neighbors=5)
peers[["rank", "peer_code", "area_name", "population", "population_growth", "distance"]]

# %%
peer_codes = [HOME, *peers["peer_code"]]
peer_rates = (forces.set_index("pfa_code").loc[peer_codes]
              .reset_index()
              .rename(columns={"pfa_code": "area_code", "pfa_name": "area_name"}))
peer_rates["highlighted"] = peer_rates["area_code"] == HOME
national_figures.peer_rates(peer_rates)

# %% [markdown]
# ## 5. UK and overseas: who the forces find
#
# The police tables split each force's referrals by nationality. Forces differ in the share
# of UK nationals they refer (mostly county lines and criminal exploitation of children),
# which changes what a high or low rate means. The intervals are 95% Wilson score
# intervals for each force's share.

# %%
nationals = uk_national_share_by_force()
print(split_figures.describe_uk_nationals(nationals, HOME))
split_figures.uk_nationals_by_force(nationals, HOME)

# %% [markdown]
# ## 6. The national series
#
# UK NRM referrals by quarter (all first responders, all nations). Every release revises
# earlier quarters; `uk_quarterly_referrals("latest")` takes each quarter from the most recent
# release held, and marks figures taken from a secondary source (a press report or a
# reproduction of the bulletin). The `release` column names each figure's vintage.

# %%
series = uk_quarterly_referrals("latest", store=store)
print(national_figures.describe_uk_quarterly(series))
series.tail(8)[["period", "referrals", "release", "secondary"]]

# %%
national_figures.uk_quarterly(series, since="2015Q1")

# %% [markdown]
# Annual figures are kept apart from the quarters, never added to them. For 2023 the
# end-of-year summary first published 17,004 (revised to 16,990 a year later), while the
# four quarters as first published sum to 17,017: each release revises the quarters.

# %%
uk_annual_referrals(store=store).query("year >= '2022'")

# %% [markdown]
# Where the exploitation happened (`Table_2`: UK only, overseas only, both), and the share of
# UK nationals among all referrals (first-responder tables to 2023 Q4, bulletins after):

# %%
locations = uk_referrals_by_location(store=store)
print(split_figures.describe_locations(locations))
split_figures.uk_by_location(locations)

# %%
uk_national_share().tail(8)

# %% [markdown]
# ## 7. What can and cannot be concluded
#
# **Can:**
#
# * Leicestershire Police made 131 NRM referrals in the seven quarters 2022 Q2 to 2023 Q4,
#   about 6.7 police NRM referrals per 100,000 residents a year, against about 6.1 for England
#   and Wales. Its ratio
#   to the national rate (about 1.1) lies inside the 95% funnel limits even before any
#   allowance for over-dispersion: **it is not distinguishable from the national rate**.
# * Forces differ far more than Poisson noise allows (phi about 12). Of the 19 forces outside
#   the unadjusted 99.8% limits, only 1 remains outside once that spread is allowed for.
# * About half of Leicestershire's police referrals were UK nationals, close to the England and
#   Wales share.
#
# **Cannot:**
#
# * **Where exploitation happened.** The table counts referrals by the force that *made* them,
#   not the area where the person was exploited. A force on a transport route, with a port or
#   with a specialist unit refers people exploited elsewhere.
# * **How much slavery there is.** A referral rate measures detection and referral activity,
#   not prevalence. A high rate may mean more exploitation, better detection, or both; a low
#   rate may mean less exploitation or poorer detection. The data cannot separate the two.
# * **All referrals in an area.** Police make only part of all NRM referrals; local
#   authorities, the Home Office, NGOs and others make the rest, and this table does not split
#   their referrals by place.
# * **A league table.** Ranks are not estimated and would be unstable: the funnel and the
#   shrinkage intervals show how much of the spread is chance.
# * **Peers as "similar risk".** Peers match on size and growth only.
#
# For an estimate of how many victims the area would have, and how many were detected, see
# notebook 1 (the expected figure and detection gap) and notebook 2 (the multi-agency
# multiple systems estimate).
#
# **References.** Spiegelhalter DJ (2005) Funnel plots for comparing institutional
# performance, *Statistics in Medicine* 24:1185-1202. Spiegelhalter DJ (2005b) Handling
# over-dispersion of performance indicators, *Quality and Safety in Health Care* 14:347-351.
# Clayton D, Kaldor J (1987) Empirical Bayes estimates of age-standardized relative risks,
# *Biometrics* 43:671-681.

# %%
store.close()
