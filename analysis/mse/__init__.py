"""Multiple systems estimation: the hidden number from overlaps between linked agency lists.

('MSE' never means mean squared error in this codebase.) One package, one module per job:

* :mod:`analysis.mse.tables`: capture-pattern tables (build from referrals, read, validate);
* :mod:`analysis.mse.model`: log-linear models, the existence check, stepwise selection;
* :mod:`analysis.mse.loglinear`: :class:`MultipleSystemsEstimator` (SparseMSE stepwise,
  Chan, Silverman and Vincent 2021) and :class:`MSEResult`;
* :mod:`analysis.mse.bootstrap`, :mod:`analysis.mse.intervals`: BCa, profile likelihood,
  parametric bootstrap;
* :mod:`analysis.mse.hierarchical`: BIC over all hierarchical models with bootstrap
  reselection (Silverman, Chan and Vincent 2024);
* :mod:`analysis.mse.model_averaging`: Bayesian model averaging over decomposable graphs
  (Madigan and York 1997; R dga);
* :mod:`analysis.mse.latent_class`: Bayesian non-parametric latent classes (Manrique-Vallier
  2016; R LCMCR), with :mod:`analysis.mse.diagnostics` (R-hat, effective sample size);
* :mod:`analysis.mse.goodness`: deviance and its parametric-bootstrap p-value;
* :mod:`analysis.mse.sensitivity`: every method side by side, the headline and the notes;
* :mod:`analysis.mse.simulation`: populations of known size, coverage and bias.

Everything public is re-exported here, so ``from analysis.mse import ...`` keeps working.
"""

from analysis.mse.bootstrap import bca_interval, bca_limits, quantile_mc_error, resampled_tables
from analysis.mse.diagnostics import ess, rhat
from analysis.mse.goodness import deviance, deviance_test, fit_poisson_batch
from analysis.mse.hierarchical import BICEstimator, BICResult, hierarchical_models
from analysis.mse.intervals import parametric_interval, profile_interval
from analysis.mse.latent_class import LatentClassEstimator, LatentClassResult
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
from analysis.mse.model_averaging import (
    ModelAveragingEstimator,
    ModelAveragingResult,
    decomposable_graphs,
    negative_binomial_prior,
)
from analysis.mse.results import PopulationResult
from analysis.mse.sensitivity import (
    METHODS,
    SensitivityResult,
    choose_headline,
    compare_methods,
)
from analysis.mse.simulation import (
    DEFAULT_SCENARIOS,
    Scenario,
    coverage_study,
    method_study,
    simulate_table,
)
from analysis.mse.tables import (
    AGENCY_TYPE_MERGE,
    capture_patterns,
    read_capture_table,
    validate_table,
)

__all__ = [
    "AGENCY_TYPE_MERGE", "DEFAULT_SCENARIOS", "METHODS", "BICEstimator", "BICResult", "LatentClassEstimator",
    "LatentClassResult", "MSEResult", "ModelAveragingEstimator", "ModelAveragingResult",
    "ModelCache", "ModelFit", "MultipleSystemsEstimator", "PopulationResult", "Scenario",
    "SensitivityResult", "all_pairs", "all_patterns", "bca_interval", "bca_limits",
    "capture_patterns", "choose_headline", "compare_methods", "coverage_study", "criterion_search",
    "decomposable_graphs", "design", "deviance", "deviance_test", "ess", "existence_code",
    "fit_poisson", "fit_poisson_batch", "hierarchical_models", "method_study", "negative_binomial_prior",
    "overlap_counts", "parametric_interval", "profile_interval", "quantile_mc_error",
    "read_capture_table", "resampled_tables", "rhat", "simulate_table", "split_empty",
    "stepwise", "validate_table",
]
