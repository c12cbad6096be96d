"""The embedded DuckDB store: transactional, idempotent loads with an audit trail.

Rules a user can rely on:

* every file is read and validated before anything is written (``stage_files``, with no
  lock held); all files of one ingest are written in one transaction (``Store.write``),
  so a failure at any point leaves the store unchanged;
* the store file is owner-only (0600, in a 0700 folder when we create it);
* a file whose content (SHA-256) was loaded before adds nothing;
* a referral is identified by (agency, record_id). Agencies usually send cumulative
  extracts, so a record already stored with the same values is skipped, and one whose
  values changed is treated as a correction and replaces the stored row (counted as
  updated in the load history). Nothing is ever double counted;
* NRM releases revise earlier quarters: every vintage is kept, and ``nrm_counts()``
  returns, for each published cell, the figure from the newest release.
"""

from analysis.store.database import TABLES
from analysis.store.sample import build_sample_store, sample_files
from analysis.store.store import (
    NRM_CELL_KEY,
    NRM_COLUMNS,
    REFERRAL_COLUMNS,
    LoadRecord,
    StagedFile,
    Store,
    content_hash,
    stage_files,
)

__all__ = ["NRM_CELL_KEY", "NRM_COLUMNS", "REFERRAL_COLUMNS", "TABLES", "LoadRecord",
           "StagedFile", "Store", "build_sample_store", "content_hash", "sample_files",
           "stage_files"]
