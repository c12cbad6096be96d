"""Multiple systems estimation: the hidden number from overlaps between linked agency lists.

('MSE' never means mean squared error in this codebase.) One package, one module per job:

* :mod:`analysis.mse.tables`: capture-pattern tables (build from referrals, read, validate);
* :mod:`analysis.mse.model`: log-linear models, the existence check, stepwise selection;
* :mod:`analysis.mse.loglinear`: :class:`MultipleSystemsEstimator` (SparseMSE stepwise,
  Chan, Silverman and Vincent 2021) and :class:`MSEResult`;
* :mod:`analysis.mse.bootstrap`, :mod:`analysis.mse.intervals`: BCa, profile likelihood,
  parametric bootstrap;
* :mod:`analysis.mse.simulation`: populations of known size, coverage and bias.

Everything public is re-exported here, so ``from analysis.mse import ...`` keeps working.
"""

from analysis.mse.bootstrap import bca_interval
from analysis.mse.intervals import parametric_interval, profile_interval
from analysis.mse.loglinear import MSEResult, MultipleSystemsEstimator
from analysis.mse.model import (
    ModelCache,
    ModelFit,
    all_pairs,
    all_patterns,
    criterion_search,
    design,
    existence_code,
    fit_poisson,
    overlap_counts,
    split_empty,
    stepwise,
)
from analysis.mse.simulation import DEFAULT_SCENARIOS, Scenario, coverage_study, simulate_table
from analysis.mse.tables import capture_patterns, read_capture_table, validate_table

__all__ = [
    "DEFAULT_SCENARIOS", "MSEResult", "ModelCache", "ModelFit", "MultipleSystemsEstimator",
    "Scenario", "all_pairs", "all_patterns", "bca_interval", "capture_patterns",
    "coverage_study", "criterion_search", "design", "existence_code", "fit_poisson",
    "overlap_counts", "parametric_interval", "profile_interval", "read_capture_table",
    "simulate_table", "split_empty", "stepwise", "validate_table",
]
