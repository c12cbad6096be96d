"""Disclosure control: the last step before a count from record-level data is shown.

Two layers live here:

* :mod:`analysis.disclosure.cellkey` (with :mod:`~analysis.disclosure.keys`,
  :mod:`~analysis.disclosure.ptable` and :mod:`~analysis.disclosure.derived`): the
  **cell-key method** every consumer should use. Each person has a record key; a cell's key
  is the sum of its people's keys; a published perturbation table turns (count, cell key)
  into the number shown (within 2 of the truth), so the same people are always shown the
  same way whatever query produced the cell, and a perturbed count below the threshold (5)
  is ``[c]``. It holds across free filters, periods and margins, which per-table
  suppression cannot (docs/methods/disclosure.md).
* :mod:`analysis.disclosure.suppression`: per-table primary and secondary cell suppression
  (the earlier layer), kept for tables that are not counted from records in one query.
"""

from analysis.disclosure.cellkey import (
    EXACT,
    MODES,
    PROTECTED,
    ProtectedCount,
    ProtectedTable,
    check_mode,
    format_count,
    format_counts,
    protect_cell_table,
    protect_cells,
    protect_count,
    protect_table,
)
from analysis.disclosure.derived import (
    derive,
    protected_interval,
    protected_observed,
    protected_rate,
    protected_ratio,
    protected_share,
)
from analysis.disclosure.keys import cell_keys, record_keys
from analysis.disclosure.markers import (
    NOT_AVAILABLE_MARKER,
    SUFFIX,
    SUPPRESSED_MARKER,
    format_suppressed,
)
from analysis.disclosure.ptable import PerturbationTable, perturbation_table
from analysis.disclosure.suppression import (
    DisclosureError,
    protected_total,
    suppress_series,
    suppress_small_counts,
)

__all__ = [
    "EXACT", "MODES", "NOT_AVAILABLE_MARKER", "PROTECTED", "SUFFIX", "SUPPRESSED_MARKER",
    "DisclosureError", "PerturbationTable", "ProtectedCount", "ProtectedTable", "cell_keys",
    "check_mode", "derive", "format_count", "format_counts", "format_suppressed",
    "perturbation_table", "protect_cell_table", "protect_cells", "protect_count", "protect_table",
    "protected_interval", "protected_observed", "protected_rate", "protected_ratio", "protected_share",
    "protected_total", "record_keys", "suppress_series", "suppress_small_counts",
]
