"""The :class:`Store`: validated, transactional, idempotent loads and the queries on them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from analysis import config, reference
from analysis.errors import DarkFigureError
from analysis.periods import quarter_start
from analysis.private_files import make_private, private_folder
from analysis.schema import SCHEMA_VERSION, NrmCounts, Referrals
from analysis.store import derived
from analysis.store.database import _DATABASES, _DDL, TABLES, has_table
from analysis.store.staging import StagedFile, content_hash, stage_files

if TYPE_CHECKING:
    from analysis.ingest.referrals import Mapping

PathLike = str | os.PathLike[str]

REFERRAL_COLUMNS = list(Referrals.to_schema().columns)
NRM_COLUMNS = list(NrmCounts.to_schema().columns)
# A published cell's identity across releases: no sheet name (numbers shift) and no vintage.
NRM_CELL_KEY = ["period", "geography_level", "geography_code", "geography_name",
                "first_responder_type", "first_responder", "exploitation_type", "age_group",
                "measure", "location"]
NRM_COLUMNS_ORDERED = ["period", "geography_level", "geography_code", "geography_name",
                       "first_responder_type", "first_responder", "exploitation_type", "age_group",
                       "measure", "location", "count", "missing_marker", "source_release",
                       "source_table"]


@dataclass(frozen=True)
class LoadRecord:
    """What one file did to the store."""

    file_name: str
    kind: str
    content_hash: str
    rows: int
    rows_new: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    load_id: int | None = None
    skipped: bool = False
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.file_name}: already loaded (same content, load {self.load_id}); nothing added"
        return (f"{self.file_name}: {self.rows} {self.kind} rows read; {self.rows_new} new, "
                f"{self.rows_updated} updated, {self.rows_unchanged} unchanged (load {self.load_id})"
                + "".join(f"\n  - {note}" for note in self.notes))


class Store:
    """The project's embedded database file (DuckDB).

    Parameters
    ----------
    path
        Store file; default :func:`analysis.config.store_path`. Created on first write.
    read_only
        Open without write access (what the dashboard and estimates use).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with Store(pathlib.Path(tempfile.mkdtemp()) / "s.duckdb") as store:
    ...     store.summary()["tables"]["areas"]
    331
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False):
        self.path = config.store_path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise DarkFigureError(f"no store at {self.path}: build one with `darkfigure ingest` "
                                  "or `darkfigure serve` (which builds it from the sample)")
        if not read_only:
            private_folder(self.path.parent)
        self._con = _DATABASES.acquire(self.path, read_only)
        if not read_only:
            make_private(self.path)  # the records are sensitive: owner-only, like the key
            self._initialise()
            from analysis.store.sample import load_national_reference

            load_national_reference(self)

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            _DATABASES.release(self.path)
            self._con = None
            if not self.read_only:
                make_private(self.path.with_name(self.path.name + ".wal"))

    def _exec(self, sql: str, params: list | None = None) -> None:
        # DuckDB 2 keeps a statement's result open until fetched; drain it so the
        # connection is free for the next statement.
        self._con.execute(sql, params).fetchall()

    def _initialise(self) -> None:
        try:
            self._exec("BEGIN")
            self._exec(_DDL)
            if self._con.execute("SELECT count(*) FROM areas").fetchall()[0][0] == 0:
                self._load_reference()
            derived.build_missing(self._con)  # a store made before a derived table
            self._exec("COMMIT")
        except duckdb.Error as exc:
            try:
                self._exec("ROLLBACK")
            except duckdb.Error:
                pass  # a failed COMMIT has already ended the transaction
            raise DarkFigureError(f"cannot write to the store {self.path}: {exc}") from exc

    def _load_reference(self) -> None:
        for table, frame, source in (
            ("areas", reference.read_areas(), reference.CENSUS_LAD_FILE),
            ("populations", reference.read_populations(), reference.CENSUS_LAD_FILE),
            ("prevalence_estimates", reference.read_prevalence_estimates(), reference.PREVALENCE_FILE),
        ):
            self._insert(table, frame)
            digest = content_hash(config.REFERENCE_DIR / source)
            self._record_load(f"data/reference/{source}", digest, f"reference:{table}",
                              len(frame), len(frame), 0, 0)

    # -- writing -------------------------------------------------------------------------------
    def ingest(self, paths: PathLike | Iterable[PathLike], *, kind: str | None = None,
               mapping: Mapping | PathLike | None = None,
               names: list[str] | None = None, release: str | None = None,
               strict: bool = False) -> list[LoadRecord]:
        """Validate every file, then load them all in one transaction (all or nothing).

        Parameters
        ----------
        paths
            Agency extracts (CSV, XLSX, ODS) or NRM data tables (ODS, XLSX).
        kind
            ``referrals`` or ``nrm``; detected from each file when None.
        mapping
            Agency mapping for every file; when None each file's is looked up beside it.
        names
            Display names for messages and the load history (an upload's original names).
        release, strict
            For NRM workbooks: the release ('2023Q4', or '2023' for an end-of-year
            summary) instead of the one inferred, and refuse sheets that cannot be
            classified instead of skipping them (see ``read_nrm_tables``).

        Returns
        -------
        list of LoadRecord
            One per file, saying what it added (or that identical content was loaded before).

        Raises
        ------
        InputError
            Every problem in every file; nothing is written.
        """
        if self.read_only:
            raise DarkFigureError("the store is open read-only")
        staged = stage_files(paths, kind=kind, mapping=mapping, names=names, release=release,
                             strict=strict)
        try:
            return self.write(staged)
        finally:
            for item in staged:
                item.discard()

    def write(self, staged: list[StagedFile]) -> list[LoadRecord]:
        """Load files already read and validated by :func:`stage_files`, in one
        transaction. Readers wait only for this step, never for the parsing."""
        if self.read_only:
            raise DarkFigureError("the store is open read-only")
        return self._write(staged)

    def _write(self, staged: list[StagedFile]) -> list[LoadRecord]:
        records = []
        con = self._con
        self._exec("BEGIN")
        try:
            for item in staged:
                previous = con.execute(
                    "SELECT load_id FROM loads WHERE content_hash = ? AND kind = ?",
                    [item.content_hash, item.kind]).fetchall()
                if previous:
                    records.append(LoadRecord(item.name, item.kind, item.content_hash,
                                              item.row_count, load_id=previous[0][0],
                                              skipped=True))
                    continue
                if item.kind == "referrals":
                    counts = self._upsert_referrals(item.frame if item.frame is not None
                                                    else item.parts)
                else:
                    counts = self._append_nrm(item.frame)
                load_id = self._record_load(item.name, item.content_hash, item.kind,
                                            item.row_count, *counts)
                notes = item.notes
                for note in notes:
                    self._exec("INSERT INTO load_notes VALUES (?, ?)", [load_id, note])
                records.append(LoadRecord(item.name, item.kind, item.content_hash,
                                          item.row_count, *counts, load_id=load_id, notes=notes))
            if any(r.kind == "referrals" and not r.skipped for r in records):
                # in the same transaction: a failed load leaves the old tables too
                derived.refresh_all(self._con)
            self._exec("COMMIT")
        except BaseException as exc:
            try:
                self._exec("ROLLBACK")
            except duckdb.Error:
                pass  # a failed COMMIT (e.g. disk full) has already ended the transaction
            if isinstance(exc, duckdb.Error):
                text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                if "no space left" in str(exc).lower():
                    raise DarkFigureError(f"the disk holding {self.path} is full (No space left "
                                          "on device); the load was rolled back and the store is "
                                          "unchanged: free some space and load again") from exc
                raise DarkFigureError(f"the load failed and was rolled back; the store is "
                                      f"unchanged ({text})") from exc
            raise
        return records

    def _next_load_id(self) -> int:
        return self._con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()[0][0]

    def _record_load(self, name, digest, kind, rows, new, updated, unchanged) -> int:
        load_id = self._next_load_id()
        self._exec(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
            [load_id, name, digest, kind, rows, new, updated, unchanged, SCHEMA_VERSION])
        return load_id

    def _insert(self, table: str, frame: pd.DataFrame) -> None:
        self._con.register("_incoming", frame)
        try:
            columns = ", ".join(frame.columns)
            self._exec(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _incoming")
        finally:
            self._con.unregister("_incoming")

    def _upsert_referrals(self, rows: pd.DataFrame | tuple[Path, ...]) -> tuple[int, int, int]:
        """Insert or correct referrals from a validated frame, or from the Parquet parts
        of a file staged in blocks (read by DuckDB, never whole into pandas)."""
        con = self._con
        load_id = self._next_load_id()
        if isinstance(rows, pd.DataFrame):
            con.register("_incoming", rows[REFERRAL_COLUMNS])
            source, kind = "_incoming", "TABLE"
        else:
            # A view, not a table: the Parquet parts are read as each statement streams
            # them, so a ten-million-row load is never held in memory at once.
            files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in rows)
            source, kind = f"read_parquet([{files}])", "VIEW"
        try:
            self._exec(f"""
                CREATE TEMP {kind} _staged AS
                SELECT * REPLACE (CAST(referral_date AS DATE) AS referral_date,
                                  CAST(outcome_date AS DATE) AS outcome_date,
                                  CAST(nrm_referral_date AS DATE) AS nrm_referral_date),
                       CAST(year(referral_date) AS VARCHAR) || 'Q'
                           || CAST(quarter(referral_date) AS VARCHAR) AS quarter,
                       {int(load_id)} AS load_id
                FROM (SELECT {", ".join(REFERRAL_COLUMNS)} FROM {source})""")
        finally:
            if kind == "TABLE":
                con.unregister("_incoming")
        same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM r.{c}" for c in REFERRAL_COLUMNS)
        try:
            new, updated, unchanged = con.execute(f"""
                SELECT count(*) FILTER (WHERE r.record_id IS NULL),
                       count(*) FILTER (WHERE r.record_id IS NOT NULL AND NOT ({same})),
                       count(*) FILTER (WHERE r.record_id IS NOT NULL AND ({same}))
                FROM _staged s LEFT JOIN referrals r
                  ON r.agency = s.agency AND r.record_id = s.record_id""").fetchall()[0]
            if updated:
                self._exec(f"""
                    DELETE FROM referrals r USING _staged s
                    WHERE r.agency = s.agency AND r.record_id = s.record_id AND NOT ({same})""")
            if updated or unchanged:
                self._exec("""
                    INSERT INTO referrals BY NAME SELECT s.* FROM _staged s
                    WHERE NOT EXISTS (SELECT 1 FROM referrals r
                                      WHERE r.agency = s.agency AND r.record_id = s.record_id)""")
            else:  # all new: skip the anti-join, the slowest step of a large first load
                self._exec("INSERT INTO referrals BY NAME SELECT * FROM _staged")
        finally:
            self._exec(f"DROP {kind} IF EXISTS _staged")
        return new, updated, unchanged

    def _append_nrm(self, frame: pd.DataFrame) -> tuple[int, int, int]:
        incoming = frame.copy()
        for column in ("measure", "location"):
            if column not in incoming:
                incoming[column] = "referrals" if column == "measure" else "all"
        incoming["load_id"] = self._next_load_id()
        before = self._con.execute("SELECT count(*) FROM nrm_counts").fetchall()[0][0]
        self._insert("nrm_counts", incoming[[*NRM_COLUMNS_ORDERED, "load_id"]])
        after = self._con.execute("SELECT count(*) FROM nrm_counts").fetchall()[0][0]
        return after - before, 0, 0

    # -- reading -------------------------------------------------------------------------------
    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The open DuckDB connection, for read queries such as ``analysis.victim_counts``."""
        if self._con is None:
            raise DarkFigureError(f"the store {self.path} is closed")
        return self._con

    def referrals(self, *, area_codes: str | Iterable[str] | None = None, start: str | None = None,
                  end: str | None = None) -> pd.DataFrame:
        """Stored referrals (schema columns + ``quarter`` + ``load_id``), optionally filtered
        to areas and an inclusive quarter range."""
        where, params = [], []
        if area_codes is not None:
            codes = [area_codes] if isinstance(area_codes, str) else list(area_codes)
            where.append(f"area_code IN ({', '.join('?' * len(codes))})" if codes else "FALSE")
            params += codes
        if start:
            where.append("referral_date >= ?")
            params.append(quarter_start(start).date())
        if end:
            where.append("referral_date < ?")
            params.append((quarter_start(end) + pd.offsets.QuarterBegin(startingMonth=1)).date())
        sql = "SELECT * FROM referrals" + (" WHERE " + " AND ".join(where) if where else "")
        frame = self._con.execute(sql + " ORDER BY agency, record_id", params).df()
        frame["referral_date"] = pd.to_datetime(frame["referral_date"])
        # A store made before the crime-outcome columns, opened read-only, has none of them.
        for column in ("nrm_referred", "crime_recorded"):
            if column in frame:
                frame[column] = frame[column].astype("boolean")
        for column in ("outcome_date", "nrm_referral_date"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column])
        return frame

    def nrm_counts(self, *, current_only: bool = True) -> pd.DataFrame:
        """Published NRM cells; with ``current_only`` each cell's newest release only."""
        if not current_only:
            return self._con.execute("SELECT * FROM nrm_counts ORDER BY load_id").df()
        key = ", ".join(f"coalesce({c}, '')" for c in NRM_CELL_KEY)
        return self._con.execute(f"""
            SELECT * EXCLUDE (_rank) FROM (
                SELECT *, row_number() OVER (PARTITION BY {key}
                                             ORDER BY source_release DESC, load_id DESC) AS _rank
                FROM nrm_counts) WHERE _rank = 1
            ORDER BY period, geography_name, first_responder, exploitation_type""").df()

    def table(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise DarkFigureError(f"no table '{name}' (tables: {', '.join(TABLES)})")
        return self._con.execute(f"SELECT * FROM {name}").df()

    def populations(self) -> pd.DataFrame:
        return self.table("populations")

    def areas(self) -> pd.DataFrame:
        return self.table("areas")

    def prevalence_estimates(self) -> pd.DataFrame:
        return self.table("prevalence_estimates")

    def loads(self) -> pd.DataFrame:
        return self._con.execute("SELECT * FROM loads ORDER BY load_id").df()

    def load_notes(self) -> pd.DataFrame:
        """What each load read, skipped and assumed (``load_id``, ``note``), in order."""
        if not has_table(self._con, "load_notes"):  # a store made before notes were kept, opened read-only
            return pd.DataFrame({"load_id": pd.Series(dtype="int64"),
                                 "note": pd.Series(dtype="object")})
        return self._con.execute("SELECT * FROM load_notes ORDER BY load_id, rowid").df()

    def summary(self) -> dict:
        """Row counts per table and the load history."""
        counts = {t: self._con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
        loads = self.loads()
        loads["loaded_at"] = loads["loaded_at"].astype(str)
        notes = self.load_notes().groupby("load_id")["note"].agg(list)
        loads["notes"] = [notes.get(i, []) for i in loads["load_id"]]
        return {"store": str(self.path), "schema_version": SCHEMA_VERSION, "tables": counts,
                "loads": loads.to_dict(orient="records")}
