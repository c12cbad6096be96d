"""The DuckDB file behind the store: its tables and one shared database per file per process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb

from analysis.errors import DarkFigureError

_DDL = """
CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER PRIMARY KEY, file_name VARCHAR NOT NULL, content_hash VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, rows INTEGER NOT NULL, rows_new INTEGER NOT NULL,
    rows_updated INTEGER NOT NULL, rows_unchanged INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL, schema_version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS referrals (
    record_id VARCHAR NOT NULL, person_key VARCHAR, agency VARCHAR NOT NULL,
    agency_type VARCHAR NOT NULL, referral_date DATE NOT NULL, area_code VARCHAR,
    exploitation_type VARCHAR NOT NULL, sector VARCHAR NOT NULL, age_group VARCHAR NOT NULL,
    sex VARCHAR NOT NULL, nationality_group VARCHAR NOT NULL, nrm_referred BOOLEAN,
    quarter VARCHAR NOT NULL, load_id INTEGER NOT NULL);
-- Optional police crime-outcome columns (issue 16); added in place to older stores.
ALTER TABLE referrals ADD COLUMN IF NOT EXISTS crime_recorded BOOLEAN;
ALTER TABLE referrals ADD COLUMN IF NOT EXISTS crime_reference VARCHAR;
ALTER TABLE referrals ADD COLUMN IF NOT EXISTS offence_group VARCHAR;
ALTER TABLE referrals ADD COLUMN IF NOT EXISTS outcome_code VARCHAR;
ALTER TABLE referrals ADD COLUMN IF NOT EXISTS outcome_date DATE;
ALTER TABLE referrals ADD COLUMN IF NOT EXISTS nrm_referral_date DATE;
CREATE TABLE IF NOT EXISTS nrm_counts (
    period VARCHAR NOT NULL, geography_level VARCHAR NOT NULL, geography_code VARCHAR,
    geography_name VARCHAR NOT NULL, first_responder_type VARCHAR NOT NULL,
    first_responder VARCHAR NOT NULL, exploitation_type VARCHAR NOT NULL,
    age_group VARCHAR NOT NULL, measure VARCHAR, location VARCHAR, count BIGINT,
    missing_marker VARCHAR, source_release VARCHAR NOT NULL, source_table VARCHAR NOT NULL,
    load_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS populations (
    area_code VARCHAR, area_name VARCHAR, geography_level VARCHAR, year INTEGER,
    population BIGINT, source VARCHAR);
CREATE TABLE IF NOT EXISTS areas (
    lad_code VARCHAR, lad_name VARCHAR, pfa_code VARCHAR, pfa_name VARCHAR, region VARCHAR,
    nation VARCHAR);
CREATE TABLE IF NOT EXISTS prevalence_estimates (
    estimate_id VARCHAR, publisher VARCHAR, publication VARCHAR, reference_period VARCHAR,
    estimate_low DOUBLE, estimate_central DOUBLE, estimate_high DOUBLE,
    prevalence_per_1000 DOUBLE, population_base DOUBLE, method VARCHAR,
    uncertainty_note VARCHAR, url VARCHAR, licence VARCHAR);
"""
TABLES = ("loads", "referrals", "nrm_counts", "populations", "areas", "prevalence_estimates")


class _DatabaseRegistry:
    """One DuckDB database per store file per process, shared through cursors.

    DuckDB refuses a second connection to the same file in one process with a different
    configuration, and the dashboard reads while an upload writes. So a reader joins an
    open read-write database, and a writer waits (briefly) for open read-only ones to close.
    """

    def __init__(self, wait_seconds: float = 15.0):
        self._lock = threading.Condition()
        self._open: dict[Path, tuple[duckdb.DuckDBPyConnection, bool, int]] = {}
        self.wait_seconds = wait_seconds

    def acquire(self, path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
        key = path.resolve()
        with self._lock:
            deadline = time.monotonic() + self.wait_seconds
            while key in self._open and self._open[key][1] and not read_only:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DarkFigureError(f"the store {path} is being read in this process; "
                                          "try the load again in a moment")
                self._lock.wait(remaining)
            if key not in self._open:
                self._open[key] = (_connect(path, read_only), read_only, 0)
            database, is_read_only, users = self._open[key]
            self._open[key] = (database, is_read_only, users + 1)
            return database.cursor()

    def release(self, path: Path) -> None:
        key = path.resolve()
        with self._lock:
            database, is_read_only, users = self._open[key]
            if users <= 1:
                database.close()
                del self._open[key]
                self._lock.notify_all()
            else:
                self._open[key] = (database, is_read_only, users - 1)


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise DarkFigureError(f"the store {path} is in use by another process that is "
                                  "writing to it; try again when it has finished") from exc
        raise DarkFigureError(f"cannot open the store {path}: {text}") from exc
    except (duckdb.Error, OSError) as exc:
        raise DarkFigureError(f"cannot open the store {path}: {exc}") from exc


_DATABASES = _DatabaseRegistry()
