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
CREATE TABLE IF NOT EXISTS load_notes (
    load_id INTEGER NOT NULL, note VARCHAR NOT NULL);
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


READ_WAIT_S = 60.0  # a reader waits this long for another process's write to finish
WRITE_WAIT_S = 20.0  # a writer waits this long for other processes to let go


class _Busy(DarkFigureError):
    """Another process holds a conflicting lock on the store file."""


class _DatabaseRegistry:
    """One DuckDB database per store file per process, shared through cursors.

    DuckDB refuses a second connection to the same file in one process with a different
    configuration, and the dashboard reads while an upload writes. So a reader joins an
    open read-write database (and reads the last committed state: DuckDB's MVCC), and a
    writer waits (briefly) for open read-only ones to close; while a writer waits, new
    readers wait to join it rather than keep it out. When another process holds the file
    (a CLI ingest while the server runs), readers retry for up to ``READ_WAIT_S`` and
    writers ``WRITE_WAIT_S`` before saying so: a reader never fails because a writer is
    briefly active, since files are parsed and validated before the write lock is taken.
    """

    def __init__(self, wait_seconds: float = 15.0):
        self._lock = threading.Condition()
        self._open: dict[Path, tuple[duckdb.DuckDBPyConnection, bool, int]] = {}
        self._writers: dict[Path, int] = {}
        self.wait_seconds = wait_seconds

    def acquire(self, path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
        key = path.resolve()
        with self._lock:
            start, delay = time.monotonic(), 0.02
            if not read_only:
                self._writers[key] = self._writers.get(key, 0) + 1
            try:
                while True:
                    waited = time.monotonic() - start
                    entry = self._open.get(key)
                    if entry is not None:
                        database, is_read_only, users = entry
                        if not is_read_only or (read_only and not self._writers.get(key)):
                            self._open[key] = (database, is_read_only, users + 1)
                            return database.cursor()
                        if not read_only and waited > self.wait_seconds:
                            raise DarkFigureError(f"the store {path} is being read in this "
                                                  "process; try the load again in a moment")
                    elif read_only and self._writers.get(key) and waited < READ_WAIT_S:
                        pass  # a writer in this process is about to open it: join that
                    else:
                        try:
                            database = _connect(path, read_only)
                        except _Busy:
                            if waited > (READ_WAIT_S if read_only else WRITE_WAIT_S):
                                raise
                            self._lock.wait(delay)
                            delay = min(delay * 2, 0.5)
                            continue
                        self._open[key] = (database, read_only, 1)
                        self._lock.notify_all()
                        return database.cursor()
                    if read_only and waited > READ_WAIT_S:
                        raise DarkFigureError(f"the store {path} is busy; try again in a moment")
                    self._lock.wait(0.05)
            finally:
                if not read_only:
                    self._writers[key] -= 1
                    if not self._writers[key]:
                        del self._writers[key]

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


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the database on ``con`` holds a table ``name`` (older stores lack the derived
    ones: ``new_victims``, ``linked_referrals``, ``justice_records``)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                            [name]).fetchall()[0][0])


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise _Busy(f"the store {path} is in use by another process that is "
                        "writing to it; try again when it has finished") from exc
        raise DarkFigureError(f"cannot open the store {path}: {_first_line(text)}") from exc
    except (duckdb.Error, OSError) as exc:
        raise DarkFigureError(f"cannot open the store {path}: {_first_line(str(exc))}; if the "
                              "file is damaged, restore it with `darkfigure restore`") from exc


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


_DATABASES = _DatabaseRegistry()
