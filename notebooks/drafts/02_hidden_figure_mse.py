"""DRAFT of notebook 2 (hidden figure by multiple systems estimation).

Not built or run yet: it waits for ``analysis.mse`` (issue 4). The calls into ``analysis.mse``
below follow the names the dashboard already uses (``MultipleSystemsEstimator().fit(table)``)
and the CLI contract of issue 4 (``observed``, ``estimate``, ``lower``, ``upper``, ``hidden``,
``model``); adjust them to the module as it lands, move this file to
``notebooks/02_hidden_figure_mse.py`` and run ``python scripts/build_notebooks.py``.
"""

# %% [markdown]
# # 2. The hidden figure from linked agency lists (multiple systems estimation)
#
# **The question.** Of the people exploited in Leicester, Leicestershire and Rutland over
# 2019-2025, how many were known to none of the forum's agencies?
#
# **The idea.** When the same person appears on several agencies' lists, the pattern of
# overlaps tells how catchable people are. Log-linear Poisson models of the 2^k - 1 observed
# capture patterns (main effects plus selected two-way interactions for list dependence)
# extrapolate to the one unobservable cell: people on no list. This is the method behind the
# Home Office's 10,000-13,000 estimate for the UK in 2013 (Silverman 2014) and the R package
# SparseMSE (Chan, Silverman and Vincent 2021).
#
# **Assumptions to keep in view.** A closed population over the period; linkage without
# error (records are linked by a pseudonymised `person_key`; records without one are left
# out); dependence between lists and heterogeneity of catchability captured by the two-way
# interactions chosen. Unmodelled heterogeneity biases the estimate *downwards*.

# %%
import json
import tempfile
from pathlib import Path

import pandas as pd

from analysis import config, mse
from analysis.expected import expected_stock
from analysis.store import Store, build_sample_store

FORCE = "E23000021"

# %% [markdown]
# ## 1. Capture patterns from the sample (agency types as lists)

# %%
workdir = tempfile.TemporaryDirectory()
store = Store(build_sample_store(Path(workdir.name) / "sample.duckdb"), read_only=True)
referrals = store.referrals()
patterns = mse.capture_patterns(referrals, lists="agency_type")  # name to be confirmed
print(patterns)

# %% [markdown]
# ## 2. Model choice: stepwise by AIC and by BIC

# %%
by_criterion = {c: mse.MultipleSystemsEstimator(criterion=c).fit(patterns)
                for c in ("aic", "bic")}
for criterion, result in by_criterion.items():
    print(criterion, result.summary(), sep="\n")

# %% [markdown]
# ## 3. Sensitivity to the choice of lists: agencies, agency types, small lists merged

# %% [markdown]
# ## 4. Reference: the UK 2013 five-list table (Silverman 2014; SparseMSE `UKdat_5`)
#
# Published: 10,000-13,000; SparseMSE stepwise central estimate 11,313 with interactions
# LA:NG, NG:GP, PFNCA:GP, LA:PFNCA, GO:GP and NG:GO.

# %% [markdown]
# ## 5. Beside the top-down expected figure, and against the truth
#
# MSE estimates people exploited at some time in the period (a count of distinct people over
# seven years); the expected *stock* is people on one day; neither is the expected *flow*.
# `truth.json` (`mse_targets`) gives the number the MSE should recover: 8,915 distinct
# victims in the force area over 2019-2025.

# %%
truth = json.loads((config.SAMPLE_DIR / "truth.json").read_text())
print(expected_stock(FORCE).summary())
pd.DataFrame(truth["mse_targets"]["targets"])

# %%
store.close()
workdir.cleanup()
