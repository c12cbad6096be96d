"""Dark Figure analysis library: how much modern slavery goes unreported, where and in which sectors.

Importing this package does no I/O. Modules:

- ``schema``: table schemas and the data dictionary
- ``reference``: public reference figures (population, prevalence, NRM statistics)
- ``ingest``: readers for agency extracts and the Home Office NRM data tables
- ``store``: the embedded DuckDB store
- ``expected``, ``detection``: prevalence-based expected figures and the detection gap
- ``mse``: multiple systems estimation of the hidden figure
- ``disclosure``: small-number suppression
- ``synth``: seeded synthetic data with a known truth
"""

__version__ = "0.1.0"
