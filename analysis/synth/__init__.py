"""Seeded synthetic data with a known truth, for the sample, tests and benchmarks.

Everything produced here is synthetic. ``simulate_population`` draws the true victims
(a stock fed by a flow), ``simulate_detections`` the agencies' records of them,
``write_sample`` the extracts as analysts receive them plus ``truth.json``, and
``simulate_referrals`` a fast schema-valid referrals table of any size.
Modules: ``config`` (every parameter), ``population``, ``detection``, ``extracts``,
``truth``, ``sample``, ``referrals``.
"""

from analysis.synth.config import AgencySpec, SynthConfig, uniform_agencies
from analysis.synth.detection import person_key, simulate_detections, to_referrals
from analysis.synth.population import Population, expected_stock, simulate_population
from analysis.synth.referrals import simulate_referrals
from analysis.synth.sample import SAMPLE_SEED, SampleResult, write_sample
from analysis.synth.truth import build_truth

__all__ = [
    "SAMPLE_SEED", "AgencySpec", "Population", "SampleResult", "SynthConfig", "build_truth",
    "expected_stock", "person_key", "simulate_detections", "simulate_population",
    "simulate_referrals", "to_referrals", "uniform_agencies", "write_sample",
]
